"""Benchmark of scripts/bootstrap.sh: the overhead before an action's entry point runs.

Usage: ``python bench/bench_bootstrap.py [--warm N] [--cold N] [--skip-cold] [--restored N]
[--only-fresh | --skip-fresh]``

Fresh machine (issue 23 item 2): a notify step as action.yml runs it on a hosted runner (new
tool cache at the same path, no uv on PATH, GITHUB_ACTIONS=true), against act's cache server
with the real actions/cache code (tests/e2e/vendor, run by node as the runner runs a ``uses:``
step): cold (restore misses, the run step installs, save), restored (a new machine; restore
hits, the run step installs nothing) and warm (the venv in the tool cache: the plan skips
restore and save). The target, restored <= 1.5x warm, compares the run step (bootstrap and
action) of the two; the restore's own time (node, download, untar) is its own row, and the
whole-action ratio is printed too.

Method: the bootstrap is copied into a scratch repo whose ``src/shipyard/noop/__main__.py`` is
empty, so a run's wall time (``time.perf_counter`` around ``subprocess.run``, output discarded)
is the bootstrap's overhead up to the entry point: interpreter discovery, venv lookup, Python
start-up and ``runpy``. Every cold run gets a fresh ``RUNNER_TOOL_CACHE`` (no venv, no uv or
pip cache: ``PIP_NO_CACHE_DIR=1``, pip configuration files ignored, so every wheel comes from
the registry). Rows report median, min and max over the repetitions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import cache_service

REPO = Path(__file__).resolve().parent.parent
TARGET_WARM = 0.3
TARGET_COLD = 5.0
#: A notify step on a fresh machine whose venv actions/cache restored, against a warm one.
TARGET_RESTORED = 1.5


def make_scratch_repo(root: Path) -> Path:
    """A repo with the real bootstrap and locks and trivial action modules."""
    repo = root / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "bootstrap.sh", repo / "scripts" / "bootstrap.sh")
    shutil.copytree(REPO / "locks", repo / "locks")
    package = repo / "src" / "shipyard"
    for sub in ("noop", "notify"):
        (package / sub).mkdir(parents=True)
        (package / sub / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "noop" / "__main__.py").write_text("")
    # What a real action does first: import its dependencies.
    (package / "notify" / "__main__.py").write_text("import requests, yaml\n")
    return repo


def clean_env(cache: Path, *, without_uv: bool) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "UV_", "SHIPYARD_", "PYTHON", "VIRTUAL_ENV"))
        and key not in {"RUNNER_DEBUG"}
    }
    env["RUNNER_TOOL_CACHE"] = str(cache)
    env["PIP_NO_CACHE_DIR"] = "1"
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    path = env.get("PATH", "").split(os.pathsep)
    if without_uv:
        path = [entry for entry in path if not (Path(entry) / "uv").exists()]
    else:
        uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
        if Path(uv).exists():
            path.insert(0, str(Path(uv).parent))
    env["PATH"] = os.pathsep.join(path)
    return env


def timed(command: list[str], env: Mapping[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        command, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command} failed ({result.returncode}):\n{result.stderr.decode()}")
    return elapsed


def repeat(count: int, run: Callable[[], float]) -> list[float]:
    return [run() for _ in range(count)]


def row(name: str, samples: list[float], target: float | None = None) -> None:
    median = statistics.median(samples)
    verdict = ""
    if target is not None:
        verdict = f"  target <= {target:.1f} s: {'ok' if median <= target else 'MISSED'}"
    print(
        f"{name:<70} n={len(samples):<3} median {median:7.3f} s"
        f"  min {min(samples):7.3f}  max {max(samples):7.3f}{verdict}"
    )


def cold_samples(
    repo: Path, scratch: Path, count: int, *, installer: str, without_uv: bool
) -> tuple[list[float], list[float]]:
    """Cold first action (base lock), then a second action's extra into the same venv."""
    boot = str(repo / "scripts" / "bootstrap.sh")
    firsts: list[float] = []
    seconds: list[float] = []
    for index in range(count):
        cache = scratch / f"cold-{installer}-{without_uv}-{index}"
        env = clean_env(cache, without_uv=without_uv)
        env["SHIPYARD_INSTALLER"] = installer
        firsts.append(timed([boot, "noop"], env))
        seconds.append(timed([boot, "notify"], env))
        shutil.rmtree(cache, ignore_errors=True)
    return firsts, seconds


def plan_step(boot: str, env: Mapping[str, str], scratch: Path) -> tuple[float, dict[str, str]]:
    """action.yml's first step (bootstrap.sh --cache-plan notify): its time and outputs."""
    output = scratch / "plan-output"
    output.write_text("")
    elapsed = timed([boot, "--cache-plan", "notify"], {**env, "GITHUB_OUTPUT": str(output)})
    return elapsed, cache_service.step_outputs(output.read_text())


def fresh_machine_rows(repo: Path, scratch: Path, args: argparse.Namespace) -> None:
    """A notify step on fresh machines (a hosted runner: new tool cache, no uv) with the cache
    service: cold (nothing to restore; installs, then saves), restored (a new tool cache, the
    venv restored by actions/cache), warm (the venv in the tool cache: no restore, no save)."""
    boot = str(repo / "scripts" / "bootstrap.sh")
    with cache_service.serve(scratch / "service") as service:

        def machine(name: str) -> dict[str, str]:
            """A new machine: an empty tool cache, at the same path (/opt/hostedtoolcache)."""
            cache = scratch / "machine" / "tool_cache"
            shutil.rmtree(cache.parent, ignore_errors=True)
            print(f"  ({name})", file=sys.stderr)
            env = clean_env(cache, without_uv=True)
            env.update(service, GITHUB_ACTIONS="true", RUNNER_OS="Linux", RUNNER_ARCH="X64")
            # GitHub's runners have no pyenv: python3 is a file, not a shim that answers for
            # versions it does not have in a tenth of a second each (--keep-shims: as here)
            if not args.keep_shims:
                kept = [part for part in env["PATH"].split(os.pathsep) if "pyenv/shims" not in part]
                env["PATH"] = os.pathsep.join(kept)
            return env

        env = machine("cold")
        plan_s, plan = plan_step(boot, env, scratch)
        assert plan.get("restore") == "true", plan
        miss_s = timed_call(lambda: cache_service.restore(plan, service, scratch / "tmp"))
        run_s = timed([boot, "notify"], env)
        save_s = timed_call(lambda: cache_service.save(plan, service, scratch / "tmp"))
        row("cold: plan step", [plan_s])
        row("cold: actions/cache restore (a miss)", [miss_s])
        row("cold: run step (pip installs uv, uv the venv; then notify)", [run_s])
        row("cold: actions/cache save", [save_s])
        row("cold: the four steps", [plan_s + miss_s + run_s + save_s])

        plans: list[float] = []
        restores: list[float] = []
        restored_runs: list[float] = []
        totals: list[float] = []
        for index in range(args.restored):
            env = machine(f"restored-{index}")
            plan_s, plan = plan_step(boot, env, scratch)
            hit: list[bool] = []
            restore_s = timed_call(
                lambda: hit.append(cache_service.restore(plan, service, scratch / "tmp"))  # noqa: B023
            )
            if hit != [True]:
                raise SystemExit(f"no exact hit for {plan['key']}")
            run_s = timed([boot, "notify"], env)
            plans.append(plan_s)
            restores.append(restore_s)
            restored_runs.append(run_s)
            totals.append(plan_s + restore_s + run_s)
        row("restored: plan step (a new machine: Python is probed)", plans)
        row("restored: actions/cache restore (download and untar)", restores)
        row("restored: run step (nothing installed)", restored_runs)
        row("restored: plan + restore + run step", totals)

        env = machine("warm")
        timed([boot, "notify"], env)  # the venv is in the tool cache from now on
        warm_runs = repeat(args.warm, lambda: timed([boot, "notify"], env))
        warm_plans = repeat(args.warm, lambda: plan_step(boot, env, scratch)[0])
        row("warm: plan step (venv complete: restore and save are skipped)", warm_plans)
        row("warm: run step", warm_runs)
        row("warm: plan + run step", [a + b for a, b in zip(warm_plans, warm_runs, strict=True)])
        ratio = statistics.median(restored_runs) / statistics.median(warm_runs)
        verdict = "ok" if ratio <= TARGET_RESTORED else "MISSED"
        print(
            f"restored run step / warm run step (medians; the restore's own time apart): "
            f"{ratio:.2f}x  target <= {TARGET_RESTORED}x: {verdict}"
        )
        whole = statistics.median(totals) / (
            statistics.median(warm_plans) + statistics.median(warm_runs)
        )
        print(f"restored plan + restore + run / warm plan + run: {whole:.2f}x")


def timed_call(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=20, help="warm repetitions")
    parser.add_argument("--cold", type=int, default=3, help="cold repetitions per installer")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--restored", type=int, default=5, help="fresh machines restored")
    parser.add_argument("--only-fresh", action="store_true", help="only the fresh-machine rows")
    parser.add_argument(
        "--keep-shims", action="store_true", help="fresh machines keep pyenv's shims on PATH"
    )
    parser.add_argument("--skip-fresh", action="store_true", help="no fresh-machine rows")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-bootstrap-") as tmp:
        scratch = Path(tmp)
        repo = make_scratch_repo(scratch)
        boot = str(repo / "scripts" / "bootstrap.sh")
        cache = scratch / "warm-cache"
        env = clean_env(cache, without_uv=False)
        if args.only_fresh or not args.skip_fresh:
            print("fresh machine (a hosted runner) with GitHub's cache service (act's server,")
            print("the real actions/cache): a notify step (module imports requests + yaml)")
            fresh_machine_rows(repo, scratch, args)
            print()
        if args.only_fresh:
            return 0
        timed([boot, "noop"], env)  # cold install, then everything below is warm
        timed([boot, "notify"], env)
        venv = next((cache / "shipyard").glob("venv-*"))
        base_python = (venv / ".shipyard-python").read_text().splitlines()[0]
        print(sys.modules[__name__].__doc__)
        print(f"machine: {os.cpu_count()} cores; interpreter: {base_python}")
        print()
        print("reference")
        row(
            "bare python -I -c pass",
            repeat(args.warm, lambda: timed([base_python, "-I", "-c", "pass"], env)),
        )
        row(
            "venv python -I -c pass",
            repeat(
                args.warm, lambda: timed([str(venv / "bin" / "python"), "-I", "-c", "pass"], env)
            ),
        )
        print()
        print("warm (venv present): overhead until the entry point runs")
        row(
            "bootstrap.sh noop (empty module)",
            repeat(args.warm, lambda: timed([boot, "noop"], env)),
            TARGET_WARM,
        )
        interpreters = cache / "shipyard" / "interpreters"

        def without_interpreter_cache() -> float:
            interpreters.unlink(missing_ok=True)
            return timed([boot, "noop"], env)

        row(
            "bootstrap.sh noop, interpreter cache removed (re-probe)",
            repeat(max(3, args.warm // 4), without_interpreter_cache),
        )
        row(
            "bootstrap.sh notify (module imports requests + yaml)",
            repeat(args.warm, lambda: timed([boot, "notify"], env)),
        )
        no_bytecode_prefix = scratch / "pycache-never"

        def notify_without_bytecode_cache() -> float:
            # What PYTHONDONTWRITEBYTECODE on a fresh venv costs on every run: fresh pyc prefix.
            shutil.rmtree(no_bytecode_prefix, ignore_errors=True)
            command = [
                str(venv / "bin" / "python"),
                "-I",
                "-X",
                "utf8",
                "-X",
                f"pycache_prefix={no_bytecode_prefix}",
                "-c",
                "import sys; sys.path.insert(0, sys.argv[1]); import runpy; "
                "runpy.run_module('shipyard.notify', run_name='__main__')",
                str(repo / "src"),
            ]
            return timed(command, env)

        row(
            "  same, no bytecode cache (every module compiled)",
            repeat(max(3, args.warm // 4), notify_without_bytecode_cache),
        )
        real_main = REPO / "src" / "shipyard" / "__main__.py"
        if real_main.exists():
            real_boot = str(REPO / "scripts" / "bootstrap.sh")
            timed([real_boot, "shipyard", "--version"], env)
            row(
                "real repo: bootstrap.sh shipyard --version",
                repeat(args.warm, lambda: timed([real_boot, "shipyard", "--version"], env)),
            )

        if not args.skip_cold:
            print()
            print("cold (fresh tool cache, every wheel from the registry):")
            print("first action (base lock), then a second action's extra into the same venv")
            have_uv = (
                shutil.which("uv", path=clean_env(scratch / "x", without_uv=False)["PATH"])
                is not None
            )
            plans = [("uv on PATH", "auto", False)] if have_uv else []
            plans += [
                ("no uv: pip installs uv (hash-locked), then uv", "auto", True),
                ("pip only (SHIPYARD_INSTALLER=pip)", "pip", True),
            ]
            for label, installer, without_uv in plans:
                firsts, seconds = cold_samples(
                    repo, scratch, args.cold, installer=installer, without_uv=without_uv
                )
                row(f"{label}: first action", firsts, TARGET_COLD)
                row(f"{label}: second action's extra", seconds)
                row(f"{label}: both", [a + b for a, b in zip(firsts, seconds, strict=True)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
