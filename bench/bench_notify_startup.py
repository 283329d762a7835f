"""Start-up of the notify action: ``python -I -m shipyard.notify`` on a bad-input path (a
Slack webhook URL with an invalid port: exit 2 before any network), against ``python -I -c
pass``. Prints the median and minimum of each and the difference (what notify adds).

Usage: ``python bench/bench_notify_startup.py [--runs N]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def timed(argv: list[str], env: dict[str, str], expect: int) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != expect:
        raise SystemExit(f"{argv} exited {done.returncode}, expected {expect}: {done.stderr!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    base_env = {"PATH": os.environ.get("PATH", "")}
    bad_input = {**base_env, "SHIPYARD_INPUT_SLACK_WEBHOOK": "https://127.0.0.1:99999/hook"}
    rows = {
        "python -I -c pass": ([sys.executable, "-I", "-c", "pass"], base_env, 0),
        "python -I -m shipyard.notify (bad input, exit 2)": (
            [sys.executable, "-I", "-m", "shipyard.notify"],
            bad_input,
            2,
        ),
    }
    results: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
        for name, (argv, env, expect) in rows.items():
            results[name].append(timed(argv, env, expect))
    for name, times in results.items():
        print(f"{name:<50} median {statistics.median(times):.3f}s  min {min(times):.3f}s")
    base, notify = (statistics.median(times) for times in results.values())
    print(f"{'notify adds (median)':<50} {notify - base:.3f}s over {args.runs} runs")


if __name__ == "__main__":
    main()
