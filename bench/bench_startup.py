"""Start-up cost of each action: ``python -I -m shipyard.<action>`` on a bad-input path against
``python -I -c pass`` (the interpreter alone). Start-up is a hot path: an action that fails on
its inputs should cost little more than the interpreter.

Usage: ``python bench/bench_startup.py [--runs N] [--python PATH] [--src DIR]``

``--src`` runs the actions of another checkout's ``src`` (e.g. an older commit, to compare),
started the way scripts/bootstrap.sh starts them (``-I`` and a launcher that puts ``src``
first on sys.path, then runs the module as ``-m`` does); without it, ``-m`` runs the installed
package.

Method: for each action of ``shipyard.ACTIONS``, the first bool/enum/int/duration input of its
spec is set to an invalid value through ``SHIPYARD_INPUT_<NAME>`` (as action.yml maps it), so
the run imports the action, parses its inputs and exits 2 without touching any service. Each
command runs N times (after one warm-up run); the median wall time is printed, with the
action's cost over the bare interpreter and the modules it imported (``-X importtime``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src")]

from shipyard import ACTIONS  # noqa: E402
from shipyard.runtime.spec import ActionSpec  # noqa: E402

BAD_VALUES = {"bool": "maybe", "enum": "no-such-choice", "int": "many", "duration": "soon"}


def bad_input(spec: ActionSpec) -> tuple[str, str]:
    for item in spec.inputs:
        if item.kind in BAD_VALUES:
            return item.env_name, BAD_VALUES[item.kind]
    raise SystemExit(f"{spec.name}: no input with a kind that can be given a bad value")


def load_spec(action: str) -> ActionSpec:
    import importlib

    spec: ActionSpec = importlib.import_module(f"shipyard.{action.replace('-', '_')}.spec").SPEC
    return spec


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SHIPYARD_", "INPUT_", "GITHUB_"))
    }
    env.update(extra)
    return env


def median_time(argv: list[str], env: dict[str, str], runs: int, expect: int) -> float:
    times = []
    for number in range(runs + 1):
        start = time.perf_counter()
        result = subprocess.run(argv, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if result.returncode != expect:
            raise SystemExit(
                f"{' '.join(argv)} exited {result.returncode}, expected {expect}:\n"
                + result.stdout.decode(errors="replace")
                + result.stderr.decode(errors="replace")
            )
        if number:  # the first run warms the page cache and .pyc files
            times.append(elapsed)
    return statistics.median(times)


LAUNCHER = (
    '__import__("sys").path.insert(0, __import__("sys").argv.pop(1)); '
    '__import__("runpy")._run_module_as_main(__import__("sys").argv.pop(1))'
)


def action_argv(python: str, module: str, src: str | None, *flags: str) -> list[str]:
    if src is None:
        return [python, "-I", *flags, "-m", module]
    return [python, "-I", *flags, "-c", LAUNCHER, src, module]


def imported_modules(python: str, action: str, env: dict[str, str], src: str | None) -> list[str]:
    result = subprocess.run(
        action_argv(python, f"shipyard.{action.replace('-', '_')}", src, "-X", "importtime"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    names = []
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.append(line.rsplit("|", 1)[1].strip())
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--src", default=None, help="a checkout's src directory to run")
    args = parser.parse_args()
    python = args.python
    base_env = clean_env()
    bare = median_time([python, "-I", "-c", "pass"], base_env, args.runs, 0)
    print(f"median of {args.runs} runs, {python}, src: {args.src or 'installed package'}")
    print(f"{'python -I -c pass':<36} {bare * 1000:7.1f} ms")
    heavy = ("github", "yaml", "requests", "smtplib", "email.mime", "jinja2", "packaging")
    for action in ACTIONS:
        name, value = bad_input(load_spec(action))
        env = clean_env(**{name: value})
        module = f"shipyard.{action.replace('-', '_')}"
        took = median_time(action_argv(python, module, args.src), env, args.runs, 2)
        modules = imported_modules(python, action, env, args.src)
        loaded = sorted({m.split(".")[0] for m in modules if m.split(".")[0] in heavy})
        also = f"; heavy: {', '.join(loaded)}" if loaded else ""
        print(
            f"{'python -I -m ' + module:<36} {took * 1000:7.1f} ms  "  # same for --src
            f"(+{(took - bare) * 1000:.1f} ms; {name}={value}; {len(modules)} modules{also})"
        )


if __name__ == "__main__":
    main()
