"""Benchmark of the audit: wall time of every scanner run in parallel (as the action does)
against the same scanners run one after another, on the sample repository of the tests and on
the Django 5.1.4 source (its sdist from PyPI, unpacked).

Usage: ``python bench/bench_audit.py [--repeat N] [--skip-django] [--skip-sample]``

Also: a resolved audit against the pinned one. The same dependencies, once as exact pins
(what the range resolves to) and once as a range (``requests>=2.18,<2.20``) that uv resolves
against a local index of real wheels (the test bed's cache: ``tests/services/package_index``),
with uv's cache cold (a new one each run) and warm; the dependency scanner alone (where the
difference shows) and every scanner.

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
from tests.services.package_index import package_index  # noqa: E402

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


def once(
    root: Path,
    work: Path,
    parallel: bool,
    history: bool,
    scanners: tuple[str, ...] = SCANNERS,
    index: str = "",
    cache: str = "cache",
) -> tuple[float, int, dict]:
    env = ScanEnv(root, work / cache, Path(tempfile.mkdtemp(dir=work)), 1800.0)
    req = Request(scanners, env, OSV_DB, None, history, frozenset())
    variables = {"PATH": os.environ["PATH"], **({"UV_INDEX_URL": index} if index else {})}
    runner = Runner(env=variables, stream=io.StringIO())
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


PINNED = "requests==2.19.1\nurllib3==1.23\nidna==2.7\nchardet==3.0.4\ncertifi==2018.8.24\n"
RANGE = "requests>=2.18,<2.20\n"


def measure_resolution(work: Path, repeat: int) -> None:
    """A resolved audit against the pinned one (the same five packages, the same findings)."""
    with package_index(work / "index") as index:
        for scanners in (("dependencies",), SCANNERS):
            label = "deps only" if len(scanners) == 1 else "all"
            rows = {}
            for name, text, cold in (
                ("pinned", PINNED, False),
                ("range, uv cold", RANGE, True),
                ("range, uv warm", RANGE, False),
            ):
                sample = make_sample(work / f"res-{label}-{name}".replace(" ", "_"), git=False)
                sample.write("requirements.txt", text)
                once(sample.root, work, True, False, scanners, index.url)  # warm-up
                times, found, durations = [], 0, {}
                for number in range(repeat):
                    cache = f"cache-cold-{label}-{number}" if cold else "cache"
                    seconds, found, durations = once(
                        sample.root, work, True, False, scanners, index.url, cache
                    )
                    times.append(seconds)
                rows[name] = statistics.median(times)
                uv = durations.get("uv (resolve)")
                extra = f"uv {uv:.2f}s" if uv is not None else "no resolution"
                print(
                    f"resolve {label:<9} {name:<15} {rows[name]:7.2f} s  {found:5d} findings  "
                    f"({extra})"
                )
            print(
                f"resolve {label:<9} cost: +{rows['range, uv cold'] - rows['pinned']:.2f} s cold, "
                f"+{rows['range, uv warm'] - rows['pinned']:.2f} s warm"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-django", action="store_true")
    parser.add_argument("--skip-sample", action="store_true")
    parser.add_argument("--no-warmup", action="store_true", help="no warm-up run for Django")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        measure_resolution(work, args.repeat)
        if args.skip_sample:
            return
        sample = make_sample(work / "sample")
        measure("sample repo", sample.root, work, args.repeat, True, True)
        if not args.skip_django:
            django = django_source(work / "django")
            measure("django 5.1.4", django, work, args.repeat, False, not args.no_warmup)


if __name__ == "__main__":
    main()
