"""Benchmark of the lint action on Django 5.1.4's source (its sdist from PyPI, unpacked here).

Usage: ``flock /tmp/shipyard-heavy.lock python bench/bench_lint.py [--repeat N] [--skip-full]
[--skip-only-changed] [--pairs N] [--black-lock N]``

The runbooks' set: flake8, black --check, isort --check. Rows (seconds, best of ``--repeat``):

* each tool alone on the whole tree, from the action's own cached venvs (the same versions,
  each with its own default parallelism), with its CPU time and the core-seconds it left idle
  (its serial part: what the layered plan gives to the linters after it);
* their sum: the three run one after another, as the runbooks do;
* the floor: no scheduler finishes before the tools' summed CPU time spread over the cores;
* the action, the whole step (``scripts/bootstrap.sh lint``: interpreter, warm venvs,
  detection, the three sharing the cores, parsing, annotations, summary, SARIF) with a warm
  tool cache and ``cache: false``: its ratio to the floor (target <= 1.03x) and to one after
  another (target <= 1.0x), and how it shared the cores (the plan line of its log);
* the findings cache: a full run with an empty cache (cold), then 5 files changed and a full
  run again (target: at most 10% of the cold run), whose SARIF document must be the one a
  run without the cache writes on the same tree, every result in full (the counts printed;
  the benchmark fails if they differ);
* ``only-changed`` on a pull request touching 5 files (a black-clean change), whole step,
  warm, against the three linters alone on those files; then a change that 4 of the 5 fail
  black on (black then computes diffs and runs its safety checks);
* with ``--black-lock N``: black alone on the tree as the action runs it, N times each way,
  alternated: its executable (black's ``--diff`` lock server) or the action's driver (a lock
  on a file), each with the cores' workers and with one more, and ``black --check .``;
* with ``--pairs N``: N times, the three alone then the step (every other time the step
  first), each step against the floor measured next to it, and its own packing (its wall
  time against its CPU time over the cores); the median of those ratios (the machine's speed
  drifts by about 10% within minutes: a ratio of figures taken minutes apart measures the
  drift too);
* for each step, the action's own part: the step's wall time minus its slowest linter's;
* ruff check alone on the same tree, for scale; the load average before and after.

The first action run installs the linters into a fresh tool cache (printed, not a target).
The machine is shared (2 cores, other jobs running), so the figures are noisy. Every run
starts with an empty black cache (BLACK_CACHE_DIR), flake8 and isort keep none, ruff runs with
``--no-cache``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DJANGO = "django==5.1.4"
CHANGED = (
    "django/core/paginator.py",
    "django/utils/text.py",
    "django/db/models/query.py",
    "django/http/response.py",
    "django/forms/fields.py",
)
GIT = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def sh(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    *,
    fresh_black: bool = True,
    log: Path | None = None,
) -> float:
    """Run, return the wall time (output discarded; the exit code is not a failure here).
    By default each run gets an empty black cache: black skips files it has seen unchanged,
    which would make every run after the first one measure nothing."""
    fresh = tempfile.mkdtemp(prefix="black-cache-")
    extra = {"BLACK_CACHE_DIR": fresh} if fresh_black else {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(log or os.devnull, "wb") as out:
        subprocess.run(
            list(argv),
            cwd=cwd,
            env={**(env or os.environ), **extra},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[elapsed] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    shutil.rmtree(fresh, ignore_errors=True)
    return elapsed


CPU: dict[float, float] = {}  # wall time of a run -> the CPU seconds it used (all its processes)
CORES = os.cpu_count() or 1


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **GIT},
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def fetch_django(work: Path) -> Path:
    downloads = work / "downloads"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            DJANGO,
            "-d",
            str(downloads),
        ],
        check=True,
    )
    (archive,) = downloads.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    (tree,) = [p for p in work.iterdir() if p.is_dir() and p.name.lower().startswith("django-")]
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "django 5.1.4")
    return tree


def action_env(tree: Path, work: Path, **inputs: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
    env.pop("VIRTUAL_ENV", None)
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(tree),
        GITHUB_REPOSITORY="django/django",
        GITHUB_EVENT_NAME="push",
        RUNNER_TEMP=str(work / "runner-temp"),
        RUNNER_TOOL_CACHE=str(work / "tool-cache"),
        GITHUB_OUTPUT=str(work / "output"),
        GITHUB_STEP_SUMMARY=str(work / "summary.md"),
        SHIPYARD_INPUT_LINTERS="flake8, black, isort",
        SHIPYARD_INPUT_FAIL_ON="never",
        SHIPYARD_INPUT_CACHE="false",
    )
    env.update({f"SHIPYARD_INPUT_{k.upper()}": v for k, v in inputs.items()})
    (work / "runner-temp").mkdir(exist_ok=True)
    return env


def step(tree: Path, env: Mapping[str, str], *, fresh_black: bool = True) -> float:
    Path(env["GITHUB_OUTPUT"]).write_text("")
    return sh(
        ["bash", str(ROOT / "scripts" / "bootstrap.sh"), "lint"],
        tree,
        env,
        fresh_black=fresh_black,
        log=Path(env["RUNNER_TEMP"]) / "step.log",
    )


def plan_line(env: Mapping[str, str]) -> str:
    """How the last step shared the cores (its log's plan line)."""
    text = (Path(env["RUNNER_TEMP"]) / "step.log").read_text(errors="replace")
    lines = text.splitlines()
    return next((line for line in lines if line.startswith("lint: ") and " runs on " in line), "")


def sarif_of(env: Mapping[str, str]) -> dict[str, object]:
    """The last step's SARIF document."""
    text = Path(env["GITHUB_OUTPUT"]).read_text()
    start = text.index("sarif-file<<")
    return dict(json.loads(Path(text[start:].split("\n", 2)[1]).read_text()))


def findings_of(document: Mapping[str, object]) -> list[str]:
    """Every result of a SARIF document, each in full (rule, level, message, location,
    fingerprints, baseline state...), as sorted JSON texts."""
    runs = document["runs"]
    assert isinstance(runs, list)
    return sorted(
        json.dumps({"tool": run["tool"]["driver"]["name"], **result}, sort_keys=True)
        for run in runs
        for result in run["results"]
    )


def linters_run(env: Mapping[str, str]) -> list[dict[str, object]]:
    """linters-run of the last step."""
    text = Path(env["GITHUB_OUTPUT"]).read_text()
    start = text.index("linters-run<<")
    return list(json.loads(text[start:].split("\n", 2)[1]))


def report_step(label: str, wall: float, env: Mapping[str, str], target: str = "") -> None:
    runs = linters_run(env)
    seconds = [float(str(e["seconds"])) for e in runs]
    # the linters' own time: their sum when the plan ran them one after another (filled: but
    # those of the idle class, which ran beside them), else the slowest (the others ran beside)
    line = plan_line(env)
    idle = re.search(r", filled \((.+) in the idle class\):", line)
    beside = idle.group(1).split(", ") if idle else []
    sequential = ", sequential:" in line or idle is not None
    costly = [float(str(e["seconds"])) for e in runs if e["tool"] not in beside]
    linters = sum(costly) if sequential else max(seconds, default=0.0)
    how = "the linters one after another" if sequential else "slowest linter"
    how += f" ({', '.join(beside)} beside them)" if beside else ""
    print(f"{label:>34}: {wall:7.2f} s {target}")
    print(f"{'of which the action itself':>34}: {wall - linters:7.2f} s (step - {how})")
    for entry in runs:
        cached = f" ({entry['cached']} cached)" if entry.get("cached") else ""
        print(
            f"{'':>20}{entry['tool']:>8}: {entry['seconds']} s, {entry['files']} files"
            f"{cached}, {entry['findings']} findings"
        )


def best(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


def best_step(tree: Path, env: Mapping[str, str], repeat: int) -> float:
    """The quickest of ``repeat`` steps, whose outputs and log are left in place (the rows
    that read them then describe that run, not the last one)."""
    kept = [Path(env["GITHUB_OUTPUT"]), Path(env["RUNNER_TEMP"]) / "step.log"]
    quickest = float("inf")
    for _ in range(repeat):
        seconds = step(tree, env)
        if seconds < quickest:
            quickest = seconds
            for path in kept:
                shutil.copyfile(path, path.with_name(path.name + ".best"))
    for path in kept:
        shutil.copyfile(path.with_name(path.name + ".best"), path)
    return quickest


def full_tree(tree: Path, work: Path, env: Mapping[str, str], repeat: int) -> None:
    alone = {
        name: best(lambda run=run: run(tree), repeat) for name, run in alone_runs(work).items()
    }
    for name, seconds in alone.items():
        # its serial part: the core-seconds it left idle (start-up, imports, collecting the
        # files, waiting for its last ones), which a later linter at a lower priority can use
        idle = seconds * CORES - CPU[seconds]
        print(
            f"{name + ' alone':>34}: {seconds:7.2f} s ({CPU[seconds]:.1f} CPU-s,"
            f" {idle:.1f} core-s idle)"
        )
    sequential = sum(alone.values())
    print(f"{'one after another':>34}: {sequential:7.2f} s")
    # No scheduler can finish sooner than the tools' summed CPU time spread over every core.
    floor = max(max(alone.values()), sum(CPU[s] for s in alone.values()) / CORES)
    print(f"{'floor on ' + str(CORES) + ' cores':>34}: {floor:7.2f} s (summed CPU-s / cores)")
    warm = best_step(tree, env, repeat)
    report_step("action (whole step, warm, no cache)", warm, env)
    print(f"{'its CPU time':>34}: {CPU[warm]:7.1f} CPU-s")
    print(f"{'how it shared the cores':>34}: {plan_line(env)}")
    print(f"{'action / floor':>34}: {warm / floor:7.3f}x (target <= 1.03x)")
    print(f"{'action / one after another':>34}: {warm / sequential:7.3f}x (target <= 1.0x)")


def alone_runs(work: Path) -> dict[str, Callable[[Path], float]]:
    """Each linter alone on the whole tree, from the action's own venvs."""
    venvs = work / "tool-cache" / "shipyard" / "lint" / "venvs"
    exe = {
        name: next(venvs.glob(f"{name}-*")) / "bin" / name for name in ("flake8", "black", "isort")
    }
    return {
        "flake8": lambda tree: sh([str(exe["flake8"]), "."], tree),
        "black --check": lambda tree: sh([str(exe["black"]), "--check", "."], tree),
        "isort --check": lambda tree: sh([str(exe["isort"]), "--check-only", "."], tree),
    }


def paired(tree: Path, work: Path, env: Mapping[str, str], pairs: int) -> None:
    """The step against the floor measured next to it, ``pairs`` times, the step after the
    three alone and then before them, in turn: the machine's speed drifts by 10% within
    minutes, more than the 3% the target allows, so a ratio of a step to a floor measured
    minutes apart measures the drift too. The median of the pairs; and each step's own
    packing, its wall time against its CPU time over the cores (both from the same run, so
    the drift cancels; the CPU the action adds is not in it)."""
    runs = alone_runs(work)
    ratios: list[tuple[float, float, float, float]] = []
    for index in range(pairs):
        if index % 2:  # every other pair the step first: a steady drift cancels in the median
            warm = step(tree, env)
        alone = {name: run(tree) for name, run in runs.items()}
        cpu = sum(CPU[seconds] for seconds in alone.values())
        floor = max(max(alone.values()), cpu / CORES)
        sequential = sum(alone.values())
        if not index % 2:
            warm = step(tree, env)
        packing = warm * CORES / CPU[warm]
        ratios.append((warm / floor, warm / sequential, packing, CPU[warm] / cpu))
        times = " / ".join(f"{seconds:.1f}" for seconds in alone.values())
        inside = " / ".join(str(entry["seconds"]) for entry in linters_run(env))
        # the core-seconds left idle: wall time on every core minus the CPU time used, which
        # the machine's drift moves much less than the ratios (both are measured together)
        idle = sum(seconds * CORES - CPU[seconds] for seconds in alone.values())
        print(
            f"{'pair ' + str(index + 1):>34}: alone {times} s ({cpu:.1f} CPU-s, {idle:.1f}"
            f" core-s idle), floor {floor:.2f} s, one after another {sequential:.2f} s; step"
            f" {warm:.2f} s (in it {inside} s; {CPU[warm]:.1f} CPU-s,"
            f" {warm * CORES - CPU[warm]:.1f} core-s idle, {packing:.3f}x its"
            f" CPU over the cores): {warm / floor:.3f}x the floor,"
            f" {warm / sequential:.3f}x one after another",
            flush=True,
        )
    if ratios:
        to_floor = statistics.median(r[0] for r in ratios)
        to_sequential = statistics.median(r[1] for r in ratios)
        print(f"{'median of the pairs':>34}: {to_floor:7.3f}x the floor (target <= 1.03x),")
        print(f"{'':>34}  {to_sequential:7.3f}x one after another (target <= 1.0x);")
        packing = statistics.median(r[2] for r in ratios)
        cpu_ratio = statistics.median(r[3] for r in ratios)
        print(f"{'':>34}  the step's wall {packing:.3f}x its CPU over the cores,")
        print(f"{'':>34}  its CPU {cpu_ratio:.3f}x the three's alone")


def black_lock(tree: Path, work: Path, rounds: int) -> None:
    """black as the action runs it on the whole tree (``--check --diff``, files listed),
    ``rounds`` times each way, alternated: its executable (black's lock server) with the
    cores' workers and with one more (what the action did before its driver), and through
    the action's driver (a lock on a file) with the cores' workers and with one more; and
    ``black --check .``, as the floor's row runs it (no diffs, files found by black). The
    median of each way's CPU time and idle core-seconds, and of its CPU time against the
    driver's with the cores' workers in the same round (the drift cancels in those)."""
    venv = next((work / "tool-cache" / "shipyard" / "lint" / "venvs").glob("black-*"))
    files = sorted(git(tree, "ls-files", "*.py").splitlines())
    args = ["--check", "--diff", "--quiet", "--", *files]
    driver = str(ROOT / "src" / "shipyard" / "lint" / "drivers" / "black_diff.py")
    ways = {
        "--check . (as alone)": ([str(venv / "bin" / "black"), "--check", "."], CORES),
        "executable": ([str(venv / "bin" / "black"), *args], CORES),
        "executable, a spare worker": ([str(venv / "bin" / "black"), *args], CORES + 1),
        "driver": ([str(venv / "bin" / "python"), "-I", driver, *args], CORES),
        "driver, a spare worker": ([str(venv / "bin" / "python"), "-I", driver, *args], CORES + 1),
    }
    seen: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for index in range(rounds):
        order = list(ways) if index % 2 == 0 else list(reversed(ways))
        for name in order:
            argv, workers = ways[name]
            wall = sh(argv, tree, {**os.environ, "BLACK_NUM_WORKERS": str(workers)})
            seen[name].append((wall, CPU[wall]))
    for name, runs in seen.items():
        cpu = statistics.median(c for _, c in runs)
        idle = statistics.median(w * CORES - c for w, c in runs)
        base = seen["driver"]
        ratio = statistics.median(c / d for (_, c), (_, d) in zip(runs, base, strict=True))
        print(
            f"{'black, ' + name:>34}: {cpu:7.1f} CPU-s, {idle:4.1f} core-s idle;"
            f" CPU {ratio:.3f}x the driver's (medians of {rounds})"
        )


def with_cache(tree: Path, work: Path, env: Mapping[str, str]) -> bool:
    """A cold full run with the findings cache, 5 files changed, a full run again; its
    findings against a run without the cache on the same tree. False if they differ."""
    cache_env = {**env, "SHIPYARD_INPUT_CACHE": "true", "SHIPYARD_INPUT_CACHE_DIR": str(work / "c")}
    cold = step(tree, cache_env)
    report_step("cache: cold full run", cold, cache_env)
    base = git(tree, "rev-parse", "HEAD")
    for path in CHANGED:
        with (tree / path).open("a", encoding="utf-8") as handle:
            handle.write("\n\n# changed since the cached run\n")
    git(tree, "commit", "-qam", "change 5 files")
    cached = step(tree, cache_env)
    report_step("cache: 5 files changed, full run", cached, cache_env)
    print(f"{'cached / cold':>34}: {cached / cold:7.3f} (target <= 0.10)")
    with_cache_sarif = sarif_of(cache_env)
    step(tree, env)  # the same tree, no cache
    without_sarif = sarif_of(env)
    with_findings, without = findings_of(with_cache_sarif), findings_of(without_sarif)
    same = with_cache_sarif == without_sarif
    differ = len(set(with_findings) ^ set(without))
    print(
        f"{'findings, cached run / no cache':>34}: {len(with_findings)} / {len(without)}: "
        + ("the same SARIF document" if same else f"DIFFERENT ({differ} results differ)")
    )
    git(tree, "reset", "-q", "--hard", base)
    return same


def only_changed(tree: Path, work: Path, env: Mapping[str, str], repeat: int) -> None:
    env = {**env, "SHIPYARD_INPUT_CACHE": "false"}
    base = git(tree, "rev-parse", "HEAD")
    git(tree, "checkout", "-q", "-b", "change")
    pr_env = pull_request(tree, work, env, base, "\n\n# touched by the benchmark\n")
    step(tree, pr_env)  # warm-up (installs the linters with --skip-full)
    changed = best_step(tree, pr_env, repeat)
    report_step("only-changed, 5 files, warm", changed, pr_env, "(target <= 1.5 s)")
    print(f"{'its CPU time':>34}: {CPU[changed]:7.1f} CPU-s")
    alone = only_changed_alone(tree, work)
    print(f"{'the 3 linters alone on them':>34}: {alone:7.2f} s ({CPU[alone]:.1f} CPU-s)")
    git(tree, "checkout", "-q", "-b", "unformatted", base)
    # one blank line before the comment: black reformats 4 of the 5 (diffs, safety checks)
    bad_env = pull_request(tree, work, env, base, "\n# touched by the benchmark\n")
    unformatted = best_step(tree, bad_env, repeat)
    report_step("same, 4 of them need black", unformatted, bad_env)


def pull_request(
    tree: Path, work: Path, env: Mapping[str, str], base: str, appended: str
) -> dict[str, str]:
    """Commit a change that appends ``appended`` to the 5 files; the pull request event."""
    for path in CHANGED:
        with (tree / path).open("a", encoding="utf-8") as handle:
            handle.write(appended)
    git(tree, "commit", "-qam", "touch 5 files")
    head = git(tree, "rev-parse", "HEAD")
    event = work / f"event-{head[:7]}.json"
    pull = {"number": 1, "base": {"sha": base}, "head": {"sha": head}}
    event.write_text(json.dumps({"number": 1, "pull_request": pull}))
    return {**env, "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event)}


def only_changed_alone(tree: Path, work: Path) -> float:
    """flake8, black --check and isort --check on the 5 files, one after another."""
    venvs = work / "tool-cache" / "shipyard" / "lint" / "venvs"
    exe = {n: next(venvs.glob(f"{n}-*")) / "bin" / n for n in ("flake8", "black", "isort")}
    files = " ".join(CHANGED)
    script = (
        f"{exe['flake8']} {files}; {exe['black']} --check -q {files}; "
        f"{exe['isort']} --check-only -q {files}"
    )
    return sh(["bash", "-c", script], tree)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-full", action="store_true", help="no full-tree rows")
    parser.add_argument("--skip-only-changed", action="store_true", help="no only-changed rows")
    parser.add_argument(
        "--pairs", type=int, default=0, help="steps each against a floor measured just before"
    )
    parser.add_argument(
        "--black-lock", type=int, default=0, help="black's lock server against the driver's"
    )
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {CORES} cores")
    same = True
    with tempfile.TemporaryDirectory(prefix="bench-lint-") as scratch:
        work = Path(scratch)
        tree = fetch_django(work)
        files = len(git(tree, "ls-files", "*.py").splitlines())
        print(f"Django 5.1.4 sdist: {files} Python files in {tree.name}")
        env = action_env(tree, work)
        if not args.skip_full:
            cold = step(tree, env)
            report_step("action, cold tool cache (installs)", cold, env)
            full_tree(tree, work, env, args.repeat)
            same = with_cache(tree, work, env)
        if args.skip_full and (args.pairs or args.black_lock):
            step(tree, env)  # installs the linters
        if args.pairs:
            paired(tree, work, env, args.pairs)
        if args.black_lock:
            black_lock(tree, work, args.black_lock)
        if not args.skip_only_changed:
            only_changed(tree, work, env, args.repeat)
        ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
        scale = best(
            lambda: sh([ruff, "check", "--no-cache", "--select", "E,F,W", "."], tree), args.repeat
        )
        print(f"{'ruff check alone (E,F,W)':>34}: {scale:7.2f} s")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
