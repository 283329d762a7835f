"""What black's ``--diff`` lock costs per file: a lock server's lock against a file's.

Usage: ``python bench/bench_black_lock.py [--tasks N] [--workers W] [--repeat R]``

black hands its ``--diff`` lock to every file's task in its process pool. This runs that
pattern alone, with tasks that do nothing (so the figures are the lock's cost and nothing
else): ``N`` tasks (default 2,788, Django 5.1.4's Python files) on ``W`` workers (default 3,
what black is told on two cores), each given

* no lock (the floor: the pool's own cost),
* the lock of the action's driver (``shipyard/lint/drivers/black_diff.py``: a file name,
  locked with ``flock``),
* a ``multiprocessing.Manager()`` lock, as black makes it (each task's proxy connects to
  the manager's server when it arrives and when it is dropped).

Rows: wall time, and CPU time of this process and of its children (the workers and the
manager's server), best of ``R`` by wall time. The whole-tree effect on Django is measured by
``bench/bench_lint.py --black-lock N``.
"""

from __future__ import annotations

import argparse
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Manager
from typing import Any

from shipyard.lint.drivers.black_diff import FileLockManager


def task(index: int, lock: Any) -> int:
    """A file's task that does nothing with its lock (black only takes it to print a diff)."""
    return index


def once(kind: str, tasks: int, workers: int) -> tuple[float, float, float]:
    """Wall, own CPU and children's CPU seconds of ``tasks`` tasks given ``kind``'s lock."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, own = time.perf_counter(), time.process_time()
    manager: Any = {"none": None, "file": FileLockManager, "server": Manager}[kind]
    manager = manager() if manager else None
    lock = manager.Lock() if manager else None
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(task, range(tasks), [lock] * tasks))
    if manager:
        manager.shutdown()
    wall, own = time.perf_counter() - started, time.process_time() - own
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, own, children


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2788)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.tasks} tasks on {args.workers} workers, best of {args.repeat} (by wall time)")
    labels = {"none": "no lock", "file": "file lock (the driver)", "server": "lock server"}
    for kind, label in labels.items():
        wall, own, children = min(once(kind, args.tasks, args.workers) for _ in range(args.repeat))
        print(
            f"{label:>24}: {wall:6.2f} s, {own:5.2f} CPU-s here + {children:5.2f} in children"
            f" = {own + children:5.2f} CPU-s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
