"""How the linters share the cores (pure): the shares, the plans, and their predicted times."""

from __future__ import annotations

import io
import itertools
import os
import random
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from shipyard.lint.shares import (
    IDLE,
    Job,
    Piece,
    described,
    duration,
    filled,
    flow,
    layered,
    plan,
    proportional,
    sequential,
    shares,
    simulate,
    split,
    time_limits,
)


def test_cores_go_in_proportion_to_the_work() -> None:
    work = {"black": 72.0, "flake8": 39.0, "isort": 2.0}
    caps = {"black": 16, "flake8": 16, "isort": 1}
    assert shares(work, caps, 8) == {"black": 5, "flake8": 2, "isort": 1}
    assert shares(work, caps, 16) == {"black": 10, "flake8": 5, "isort": 1}
    # each linter gets a core, even beyond the machine's (the runtime then takes turns)
    assert shares(work, caps, 2) == {"black": 1, "flake8": 1, "isort": 1}


def test_the_cores_left_go_to_the_slowest_within_its_cap() -> None:
    assert shares({"a": 10.0, "b": 10.0}, {"a": 8, "b": 8}, 3) == {"a": 2, "b": 1}
    assert shares({"a": 10.0, "b": 1.0}, {"a": 1, "b": 8}, 4) == {"a": 1, "b": 3}
    assert shares({"a": 10.0}, {"a": 2}, 8) == {"a": 2}


def django(cores: int) -> list[Job]:
    """Django 5.1.4's three linters as the weights predict them (costs per file in seconds,
    the same shape as the sizes of its 2,788 files)."""
    sizes = [random.Random(seed).paretovariate(1.3) for seed in range(2788)]
    total = sum(sizes)

    def job(name: str, cpu: float, startup: float, cap: int) -> Job:
        return Job(name, startup, tuple(cpu * size / total for size in sizes), cap, split=True)

    return [
        job("black", 72.0, 0.6, cores),
        job("flake8", 39.0, 0.2, cores),
        job("isort", 2.0, 0.15, 1),
    ]


def busiest(jobs: list[Job], pieces: tuple[Piece, ...], cores: int) -> int:
    """The most cores the runs take at any moment when started as the runtime starts them
    (a run at a lower priority takes only the cores the others leave idle: none counted)."""
    by_name = {job.linter: job for job in jobs}
    pieces = tuple(piece for piece in pieces if piece.nice == 0)
    free, now, pending, running, peak = cores, 0.0, list(pieces), [], 0
    while pending or running:
        for piece in list(pending):
            if min(piece.workers, cores) <= free:
                free -= min(piece.workers, cores)
                pending.remove(piece)
                running.append((now + duration(by_name[piece.linter], piece), piece.workers))
        peak = max(peak, cores - free)
        running.sort()
        now, released = running.pop(0)
        free += released
    return peak


@pytest.mark.parametrize(("cores", "most"), [(2, 1.03), (4, 1.03), (8, 1.04)])
def test_on_django_the_plan_is_near_the_floor_and_never_slower_than_sequential(
    cores: int, most: float
) -> None:
    """Within 3% of the floor (the three linters' CPU over the cores) on 2 and 4 cores. On 8,
    the start-ups (0.75 s, serial) are 5% of a 14 s floor: one after another waits for them,
    layered hides them but pays for sharing the cores (2% of CPU), 1.039x (see the README)."""
    jobs = django(cores)
    chosen = plan(jobs, cores)
    by_name = {job.linter: job for job in jobs}
    assert chosen.seconds <= simulate(by_name, sequential(by_name, cores), cores)
    assert chosen.seconds <= most * chosen.floor
    assert busiest(jobs, chosen.pieces, cores) <= cores


def test_every_file_is_linted_once() -> None:
    jobs = django(4)
    for pieces in (plan(jobs, 4).pieces, tuple(split({j.linter: j for j in jobs}, 4))):
        for job in jobs:
            mine = sorted((p.start, p.stop) for p in pieces if p.linter == job.linter)
            assert mine[0][0] == 0 and mine[-1][1] == len(job.costs)
            assert all(a[1] == b[0] for a, b in itertools.pairwise(mine))


def test_a_single_threaded_linter_runs_beside_the_others_cut_shares() -> None:
    """mypy (one process, 30 s) beside black (40 s of CPU) and flake8 (10 s) on 2 cores:
    one after another takes 55.6 s; with black's files cut so that part of them runs after
    flake8 on the core mypy leaves, about 40 s."""
    jobs = [
        Job("mypy", 1.0, (29.0,), cap=1),
        Job("black", 0.4, (0.1,) * 400, cap=2, split=True),
        Job("flake8", 0.2, (0.05,) * 200, cap=2, split=True),
    ]
    chosen = plan(jobs, 2)
    by_name = {job.linter: job for job in jobs}
    assert simulate(by_name, sequential(by_name, 2), 2) == pytest.approx(55.6, abs=0.1)
    assert chosen.seconds < 41
    assert busiest(jobs, chosen.pieces, 2) <= 2


def test_small_runs_start_together_when_they_fit() -> None:
    """A cached run: what is left to lint is start-up, so the linters run at once."""
    jobs = [
        Job("black", 0.4, (0.05,) * 5, cap=2, split=True),
        Job("flake8", 0.2, (0.02,) * 5, cap=2, split=True),
    ]
    chosen = plan(jobs, 2)
    assert chosen.seconds == pytest.approx(max(duration(j, Piece(j.linter, 0, 5, 1)) for j in jobs))
    # not layered: a run this short would pay more for its worker pools than it could win
    assert chosen.strategy == "shares" and all(piece.workers == 1 for piece in chosen.pieces)


def test_layered_runs_every_later_linter_at_a_lower_priority() -> None:
    """On Django the costliest (black) runs first at the normal priority; flake8 and isort
    start with it, each at a lower priority than the one before, on the cores black leaves
    idle; the runs are sequential's (isort, which has no workers, cut in one per core)."""
    jobs = {job.linter: job for job in django(2)}
    pieces = layered(jobs, 2)
    assert [(p.linter, p.nice) for p in pieces] == [
        ("black", 0),
        ("flake8", 10),
        ("isort", 19),
        ("isort", 19),
    ]
    assert [(p.linter, p.start, p.stop, p.workers) for p in pieces] == [
        (p.linter, p.start, p.stop, p.workers) for p in sequential(jobs, 2)
    ]
    # it pays for sharing the cores (2%): filled, which shares none of the normal priority,
    # is predicted quicker on Django on 2, 4 and 8 cores
    assert all(plan(django(cores), cores).strategy == "filled" for cores in (2, 4, 8))
    by_name = {job.linter: job for job in django(8)}
    assert flow(by_name, layered(by_name, 8), 8) < simulate(by_name, sequential(by_name, 8), 8)


def test_filled_runs_the_cheap_linters_in_the_idle_class_beside_the_costly_in_turn() -> None:
    """On Django on 2 cores: black, then flake8, each with both cores as alone; isort's two
    runs start with black in the idle class and take the cores black and flake8 leave idle
    (their start-ups), the rest once they end."""
    jobs = {job.linter: job for job in django(2)}
    chosen = plan(list(jobs.values()), 2)
    assert chosen.strategy == "filled"
    assert [(p.linter, p.workers, p.nice) for p in chosen.pieces] == [
        ("black", 2, 0),
        ("flake8", 2, 0),
        ("isort", 1, IDLE),
        ("isort", 1, IDLE),
    ]
    assert [(p.linter, p.start, p.stop) for p in chosen.pieces] == [
        (p.linter, p.start, p.stop) for p in sequential(jobs, 2)
    ]
    once = simulate(jobs, sequential(jobs, 2), 2)
    assert chosen.seconds < once - 0.3  # isort's 2.3 CPU-s, 0.8 of them in the start-ups
    assert filled(jobs, 2, 2)[1:] == [
        replace(piece, nice=IDLE) for piece in sequential(jobs, 2)[1:]
    ]


def test_flow_shares_the_cores_of_one_priority_evenly() -> None:
    """black (start-up 0.6 s, 100 CPU-s) then flake8 (0.2 s, 50) on 2 cores, isort's two runs
    (0.15 + 1 CPU-s each) in the idle class: they split the core the start-ups leave (0.8 s)
    evenly, as the kernel does, and end 0.75 s after flake8 (0.6 + 50 + 0.2 + 25 + 0.75)."""
    jobs = {
        "black": Job("black", 0.6, (1.0,) * 100, 2, split=True),
        "flake8": Job("flake8", 0.2, (0.5,) * 100, 2, split=True),
        "isort": Job("isort", 0.15, (0.01,) * 200, 1, split=True),
    }
    assert simulate(jobs, sequential(jobs, 2), 2) == pytest.approx(76.95)
    assert flow(jobs, filled(jobs, 2, 1), 2) == pytest.approx(76.55)


def test_flow_starts_the_runs_of_the_normal_priority_as_their_cores_come_free() -> None:
    """With no run at a lower priority, flow predicts what simulate does: the runs start in
    order once their workers fit, a later one that fits going first (files of one size, as
    many as a run's workers at least: flow counts the largest file only at the end)."""
    rng = random.Random(3)
    for _ in range(100):
        cores = rng.randint(1, 8)
        jobs = {
            f"l{index}": Job(
                f"l{index}",
                rng.uniform(0.0, 2.0),
                (0.1,) * rng.randint(1, 40),
                cap=rng.choice([1, cores]),
                split=True,
            )
            for index in range(rng.randint(1, 4))
        }
        for pieces in (sequential(jobs, cores), proportional(jobs, cores)):
            assert flow(jobs, pieces, cores) == pytest.approx(simulate(jobs, pieces, cores))


def test_flow_hides_the_start_ups_a_plan_of_whole_cores_waits_for() -> None:
    """Two linters of start-up 2 s and 20 s of files on 2 cores: one after another waits for
    both start-ups (2 + 10 + 2 + 10); layered starts the second while the first starts up,
    on the core it leaves idle (2 + 10 + 10)."""
    jobs = {name: Job(name, 2.0, (1.0,) * 20, cap=2, split=True) for name in ("a", "b")}
    assert simulate(jobs, sequential(jobs, 2), 2) == pytest.approx(24.0)
    assert flow(jobs, layered(jobs, 2), 2) == pytest.approx(22.0)


def test_the_plan_is_never_predicted_slower_than_sequential_nor_below_the_floor() -> None:
    """Random linters (start-ups, files, workers) on 1 to 16 cores: layered is taken only
    where it is predicted quicker (a priority order can starve a long single-core linter)."""
    rng, lower = random.Random(7), 0
    for _ in range(300):
        cores = rng.randint(1, 16)
        jobs = {
            f"l{index}": Job(
                f"l{index}",
                rng.uniform(0.0, 3.0),
                tuple(rng.paretovariate(1.5) for _ in range(rng.randint(1, 60))),
                cap=rng.choice([1, cores]),
                split=rng.random() < 0.7,
            )
            for index in range(rng.randint(1, 5))
        }
        chosen = plan(list(jobs.values()), cores)
        assert chosen.seconds <= simulate(jobs, sequential(jobs, cores), cores) + 1e-6
        floor = sum(job.cpu for job in jobs.values()) / cores
        assert flow(jobs, layered(jobs, cores), cores) >= floor - 1e-6  # never below
        for count in range(1, len(jobs)):
            assert flow(jobs, filled(jobs, cores, count), cores) >= floor - 1e-6
        lower += chosen.strategy in ("layered", "filled")
    assert lower > 60  # and one of them is often the quickest


def test_a_run_of_the_idle_class_takes_no_core_and_runs_in_the_kernels_idle_class(
    tmp_path: Path,
) -> None:
    """A planned run at IDLE becomes a tool that takes no slot, which the runtime starts in
    the idle class (SCHED_IDLE), as a real isort shows from inside: its own process."""
    from shipyard.findings.runner import run_tools
    from shipyard.lint.tools import LINTERS
    from shipyard.runtime import Runner
    from shipyard.runtime.process import NICE_IDLE

    assert IDLE == NICE_IDLE
    probe = tmp_path / "isort"
    probe.write_text(
        f"#!{sys.executable}\nimport os, pathlib\n"
        "pathlib.Path('seen').open('a').write(f'{os.sched_getscheduler(0)} ')\n"
    )
    probe.chmod(0o755)
    tools = [
        LINTERS["isort"].tool(
            str(probe),
            ["a.py"],
            (),
            root=str(tmp_path),
            env=dict(os.environ),
            timeout=60,
            nice=nice,
        )
        for nice in (IDLE, 0)
    ]
    assert [(tool.slots, tool.nice) for tool in tools] == [(0, IDLE), (1, 0)]
    runner = Runner(env=dict(os.environ), stream=io.StringIO())
    for tool in tools:
        run_tools([tool], runner=runner, cores=1, echo=False)
    assert (tmp_path / "seen").read_text().split() == [str(os.SCHED_IDLE), str(os.SCHED_OTHER)]


def test_the_log_names_the_linters_of_the_idle_class() -> None:
    """Their times overlap the others' in the log: it says so, for filled only."""
    jobs = django(2)
    assert described(plan(jobs, 2)) == "filled (isort in the idle class)"
    assert described(plan(jobs[:1], 2)) == "sequential"


def test_a_run_of_a_lower_priority_has_the_time_the_others_may_keep_it_waiting() -> None:
    """The input's limit is per linter: isort in the idle class may wait for black and then
    flake8, each within its own 15 minutes, before it gets a core; it is not stopped for it."""
    pieces = plan(django(2), 2).pieces
    assert [p.nice for p in pieces] == [0, 0, IDLE, IDLE]
    assert time_limits(pieces, 900.0) == [900.0, 900.0, 2700.0, 2700.0]
    layers = layered({job.linter: job for job in django(2)}, 2)
    assert time_limits(layers, 60.0) == [60.0, 120.0, 180.0, 180.0]


def test_black_is_told_its_cores_and_runs_through_its_driver(tmp_path: Path) -> None:
    """black starts as many workers as it is given cores (through its driver its ``--diff``
    lock keeps no worker waiting, and a spare one used more CPU on Django with no fewer
    core-seconds idle: ``bench/bench_lint.py --black-lock``), and takes those cores' slots;
    on one core, one worker. A real black runs with either, through the driver when its
    Python is known."""
    from shipyard.findings.runner import run_tools
    from shipyard.lint.tools import DRIVERS, LINTERS
    from shipyard.runtime import Runner

    black = Path(sys.executable).with_name("black")
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    seen = []
    for cores in (2, 1):
        tool = LINTERS["black"].tool(
            str(black),
            ["a.py", "b.py"],
            (),
            root=str(tmp_path),
            env=dict(os.environ),
            timeout=60,
            workers=cores,
            python=sys.executable,
        )
        assert tool.slots == cores and tool.argv[1:3] == ("-I", str(DRIVERS / "black_diff.py"))
        seen.append(dict(tool.env or {})["BLACK_NUM_WORKERS"])
        runner = Runner(env=dict(os.environ), stream=io.StringIO())
        (run,) = run_tools([tool], runner=runner, cores=2, echo=False)
        assert run.status == "ok" and run.exit_code == 0
    assert seen == ["2", "1"]
    flake8 = LINTERS["flake8"].tool(
        "flake8", ["a.py"], (), root=str(tmp_path), env={}, timeout=60, workers=2, version="7.5"
    )
    assert "--jobs=2" in flake8.argv and flake8.slots == 2
