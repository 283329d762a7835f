"""Benchmark of the audit: wall time of every scanner run in parallel (as the action does)
against the same scanners run one after another, on the sample repository of the tests and on
the Django 5.1.4 source (its sdist from PyPI, unpacked).

Usage: ``python bench/bench_audit.py [--repeat N] [--skip-django]``

Method: the audit's own orchestration (`shipyard.audit.scan.scan`) in-process, with every
scanner (dependencies against the OSV copy in tests/data, bandit, trivy secrets and
misconfigurations, hadolint, the container scanner, which here only finds that trivy's DB cannot
be downloaded, and on the sample the secrets of its git history). Sequential = the same jobs
with one worker, the OSV matching before them. Trivy's cache is warm after the first run; the
first run of each target is a warm-up and not counted (``--no-warmup``: not for Django, whose
runs take minutes on a loaded machine). Medians of --repeat runs.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.audit.sample import OSV_DB, make_sample  # noqa: E402

from shipyard.audit.plan import Request  # noqa: E402
from shipyard.audit.scan import scan  # noqa: E402
from shipyard.audit.scanners import ScanEnv  # noqa: E402
from shipyard.runtime import Runner  # noqa: E402

SCANNERS = ("dependencies", "code", "secrets", "container", "iac")


def django_source(work: Path) -> Path:
    """Django 5.1.4's sdist from PyPI, unpacked (the download cached in ~/.cache)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shipyard-bench"
    cache.mkdir(parents=True, exist_ok=True)
    archives = list(cache.glob("[Dd]jango-5.1.4.tar.gz"))
    if not archives:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--dest",
                str(cache),
                "django==5.1.4",
            ],
            check=True,
            capture_output=True,
        )
        archives = list(cache.glob("[Dd]jango-5.1.4.tar.gz"))
    with tarfile.open(archives[0]) as tar:
        tar.extractall(work, filter="data")
    (folder,) = [p for p in work.iterdir() if p.is_dir() and p.name.lower().startswith("django")]
    return folder


def once(root: Path, work: Path, parallel: bool, history: bool) -> tuple[float, int, dict]:
    env = ScanEnv(root, work / "cache", Path(tempfile.mkdtemp(dir=work)), 1800.0)
    req = Request(SCANNERS, env, OSV_DB, None, history, frozenset())
    runner = Runner(env={"PATH": os.environ["PATH"]}, stream=io.StringIO())
    started = time.monotonic()
    audit = scan(req, runner, parallel=parallel)
    return time.monotonic() - started, len(audit.findings), audit.durations


def measure(name: str, root: Path, work: Path, repeat: int, history: bool, warm: bool) -> None:
    if warm:
        once(root, work, True, history)  # warm-up: the OS's file cache
    rows = {}
    for parallel in (True, False):
        times, found, durations = [], 0, {}
        for _ in range(repeat):
            seconds, found, durations = once(root, work, parallel, history)
            times.append(seconds)
        rows[parallel] = statistics.median(times)
        label = "parallel  " if parallel else "sequential"
        per = ", ".join(f"{k} {v:.1f}s" for k, v in sorted(durations.items()))
        print(f"{name:<14} {label} {rows[parallel]:7.2f} s  {found:5d} findings  ({per})")
    print(f"{name:<14} speed-up   {rows[False] / rows[True]:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-django", action="store_true")
    parser.add_argument("--no-warmup", action="store_true", help="no warm-up run for Django")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sample = make_sample(work / "sample")
        measure("sample repo", sample.root, work, args.repeat, True, True)
        if not args.skip_django:
            django = django_source(work / "django")
            measure("django 5.1.4", django, work, args.repeat, False, not args.no_warmup)


if __name__ == "__main__":
    main()
