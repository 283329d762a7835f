"""How the linters share the cores (pure): who runs when, on which files, with how many workers.

Each linter's cost is predicted from its weight (CPU seconds per MiB of source and to start,
measured on Django by ``bench/bench_lint.py``) and the size of the files it lints. A linter
gets a share of the cores in proportion to its cost: its own ``-j``/``--workers``/``--jobs``.
A share that is not a whole number of cores is given in time: a per-file linter's files are
cut in runs, the first with its whole cores, the rest (its *tail*) on the cores the others
leave free. The runs start in order, each once its cores are free (first fit), so together
the runs of one priority never take more cores than the machine has.

Four plans are predicted with the same model and the quickest is taken; one of them is
every linter after the other with every core (*sequential*), so the plan chosen is never
predicted slower than that. The model: a run of a linter on some files with ``w`` workers
takes its start-up plus the files' CPU cost over ``w`` (never less than its largest file).

The fourth, *layered*, is sequential's runs all started at once, each later linter at a lower
priority (a higher ``nice``): the kernel then gives a later linter only the cores the earlier
ones leave idle (their start-ups and serial parts, the wait for their last files), and all of
them once those end. It never leaves a core idle while a linter has work, so it hides the
serial parts that a plan of whole cores cannot (see ``flow``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Job:
    """One linter's work: its start-up (CPU seconds before it checks a file, serial), the
    predicted CPU seconds of each of its files (in their order), the most workers it can use
    (1: it has no ``-j``), and whether it may be cut into runs on parts of its files."""

    linter: str
    startup: float
    costs: tuple[float, ...]
    cap: int = 1
    split: bool = False

    @property
    def work(self) -> float:
        """Its files' predicted CPU seconds."""
        return sum(self.costs)

    @property
    def cpu(self) -> float:
        """Its predicted CPU seconds in all, start-up included."""
        return self.startup + self.work


@dataclass(frozen=True)
class Piece:
    """One run of a linter: its files ``start`` to ``stop`` (of its job's), on ``workers``;
    ``nice`` > 0: started at once, at that lower priority, beside the runs before it."""

    linter: str
    start: int
    stop: int
    workers: int
    nice: int = 0


@dataclass(frozen=True)
class Plan:
    """The runs in the order they start, the predicted wall time, the floor (the predicted
    CPU time over the cores) and the name of the plan."""

    pieces: tuple[Piece, ...]
    seconds: float
    floor: float
    strategy: str


def duration(job: Job, piece: Piece) -> float:
    """The predicted wall time of one run: start-up, then its files over its workers."""
    costs = job.costs[piece.start : piece.stop]
    return job.startup + max(sum(costs) / piece.workers, max(costs, default=0.0))


def simulate(jobs: Mapping[str, Job], pieces: Sequence[Piece], cores: int) -> float:
    """The predicted wall time of ``pieces`` started as the runtime starts them: in order,
    each once its workers are free, a later one that fits going first."""
    free, now = cores, 0.0
    pending = list(pieces)
    running: list[tuple[float, int]] = []  # (end, workers)
    while pending or running:
        for piece in list(pending):
            need = min(piece.workers, cores)
            if need <= free:
                free -= need
                pending.remove(piece)
                running.append((now + duration(jobs[piece.linter], piece), need))
        running.sort()
        now, released = running.pop(0)
        free += released
    return now


def shares(work: Mapping[str, float], caps: Mapping[str, int], cores: int) -> dict[str, int]:
    """Whole cores in proportion to ``work``: each linter at least one and at most its cap;
    the cores left over go one at a time to the linter that would take longest."""
    total = sum(work.values()) or 1.0
    given = {
        name: max(1, min(caps[name], math.floor(cores * cost / total)))
        for name, cost in work.items()
    }
    while sum(given.values()) < cores:
        growing = [name for name in given if given[name] < caps[name]]
        if not growing:
            break
        slowest = max(growing, key=lambda name: work[name] / given[name])  # first on ties
        given[slowest] += 1
    return given


def _by_cost(jobs: Mapping[str, Job]) -> list[Job]:
    return sorted(jobs.values(), key=lambda job: (-job.cpu, job.linter))


def _whole(job: Job, workers: int) -> Piece:
    return Piece(job.linter, 0, len(job.costs), max(1, min(workers, job.cap, len(job.costs))))


def _parts(job: Job, count: int) -> list[Piece]:
    """The job cut in ``count`` runs of about the same cost, each with its most workers."""
    pieces, start = [], 0
    for index in range(count):
        left = job.costs[start:]
        stop = (
            start + _cut(left, sum(left) / (count - index)) if index < count - 1 else len(job.costs)
        )
        if start < len(job.costs):
            pieces.append(Piece(job.linter, start, stop, max(1, min(job.cap, stop - start))))
        start = stop
    return pieces


def sequential(jobs: Mapping[str, Job], cores: int) -> list[Piece]:
    """Every linter after the other, each with every core it can use (a per-file linter
    that has fewer workers than cores is cut in as many runs as fill them)."""
    pieces: list[Piece] = []
    for job in _by_cost(jobs):
        runs = min(len(job.costs), cores // max(1, min(job.cap, cores))) if job.split else 1
        pieces += _parts(job, runs) if runs > 1 else [_whole(job, cores)]
    return pieces


def proportional(jobs: Mapping[str, Job], cores: int) -> list[Piece]:
    """Every linter at once (as the cores allow), each with its share of the cores."""
    given = shares(
        {job.linter: job.cpu for job in jobs.values()},
        {job.linter: max(1, min(job.cap, len(job.costs))) for job in jobs.values()},
        cores,
    )
    return [_whole(job, given[job.linter]) for job in _by_cost(jobs)]


def _cut(costs: Sequence[float], budget: float) -> int:
    """How many of the first files cost about ``budget`` (at least one)."""
    spent, stop = 0.0, 0
    while stop < len(costs) and spent + costs[stop] / 2 <= budget:
        spent += costs[stop]
        stop += 1
    return max(stop, 1)


def split(jobs: Mapping[str, Job], cores: int) -> list[Piece]:
    """Shares in time. Each linter gets the whole cores of its ideal share (the plan's
    CPU time over the cores); the cores left over form one more lane, where the linters
    whose share is under a core run one after another, then the rest of the files of each
    per-file linter whose share has a fraction (its first run got the whole cores' worth)."""
    ideal = sum(job.cpu for job in jobs.values()) / cores
    whole = {
        job.linter: max(1, min(job.cap, math.floor(job.cpu / ideal)))
        for job in jobs.values()
        if job.cpu >= ideal
    }
    left = cores - sum(whole.values())
    if not whole or left < 1:
        return proportional(jobs, cores)
    first: list[Piece] = []
    rest: list[Piece] = []
    for job in _by_cost(jobs):
        workers = whole.get(job.linter)
        if workers is None:
            rest.append(_whole(job, left))
        elif not job.split or len(job.costs) < 2:
            first.append(_whole(job, workers))
        else:
            stop = _cut(job.costs, max(0.0, ideal - job.startup) * workers)
            first.append(Piece(job.linter, 0, stop, workers))
            if stop < len(job.costs):
                rest.append(Piece(job.linter, stop, len(job.costs), left))
    return first + rest


#: What linters running side by side cost in CPU, against each alone: a layered step on
#: Django used 1.8% more CPU time than the three linters alone (bench_lint, 2 cores), one
#: after another none more. A layered plan is taken only where it wins by more than that.
SHARING_COST = 1.02

#: The least CPU floor (seconds) for which a layered plan is considered. Layered gives every
#: linter all its workers at once, and a worker pool costs its start, which the model does not
#: count: on five changed files of Django the three linters used 3.2 CPU-s layered against 2.0
#: alone (bench_lint's only-changed row), the whole of what a plan could win on a run that short.
LAYERED_FROM = 10.0

#: The priorities of the linters of a layered plan, in order (the rest share the last).
NICE_LEVELS = (0, 10, 19)


def layered(jobs: Mapping[str, Job], cores: int) -> list[Piece]:
    """The sequential plan's runs all at once, each linter's at a lower priority than the
    linter's before it: the one that takes longest alone first (a linter with few workers
    would otherwise wait for the cores the wide ones leave, and end last), then the costliest."""
    runs = sequential(jobs, cores)

    def alone(job: Job) -> float:
        return simulate(jobs, [piece for piece in runs if piece.linter == job.linter], cores)

    ranked = sorted(jobs.values(), key=lambda job: (-alone(job), -job.cpu, job.linter))
    order = {job.linter: index for index, job in enumerate(ranked)}
    levels = {name: NICE_LEVELS[min(index, len(NICE_LEVELS) - 1)] for name, index in order.items()}
    return [
        replace(piece, nice=levels[piece.linter])
        for piece in sorted(runs, key=lambda piece: order[piece.linter])
    ]


#: ``Piece.nice`` of a run in the kernel's idle class: the runtime's ``NICE_IDLE`` (it runs
#: only on the cores nothing else wants; nice 19 where the class cannot be set).
IDLE = 20


def filled(jobs: Mapping[str, Job], cores: int, fillers: int) -> list[Piece]:
    """The costliest linters one after another with every core (as ``sequential``), and the
    ``fillers`` cheapest started with them in the idle class, cut as ``sequential`` cuts
    them: they take only the cores the others leave idle (their start-ups and serial parts,
    the wait for their last files), and every core once those end. Unlike ``layered`` no two
    linters of the normal priority share a core, so the costly ones run as they run alone."""
    ranked = _by_cost(jobs)
    keep = len(ranked) - fillers
    costly = {job.linter: job for job in ranked[:keep]}
    cheap = {job.linter: job for job in ranked[keep:]}
    return sequential(costly, cores) + [
        replace(piece, nice=IDLE) for piece in sequential(cheap, cores)
    ]


def flow(jobs: Mapping[str, Job], pieces: Sequence[Piece], cores: int) -> float:
    """The predicted wall time of runs started as the runtime starts them: a run of ``nice``
    0 once its workers' cores are free (in order, a later one that fits going first, as in
    ``simulate``), a run of a lower priority at once, taking none. At every moment the cores
    go to the started runs in order of ``nice`` (then of the plan), each taking one core for
    its start-up, then up to its workers for its files (and no run ends before its start-up
    and its largest file after it started)."""
    ranked = sorted(range(len(pieces)), key=lambda index: (pieces[index].nice, index))
    # what each run has left: [start-up, files' CPU seconds]; the first not done is its phase
    left = [[jobs[p.linter].startup, sum(jobs[p.linter].costs[p.start : p.stop])] for p in pieces]
    lanes = _Lanes(pieces, cores)
    now = lanes.settle(left, 0.0)
    while any(sum(phases) > _EPSILON for phases in left):
        started = [index for index in ranked if index in lanes.started]
        rates = _rates(pieces, left, started, cores)
        step = min(left[index][_phase(left[index])] / rate for index, rate in rates.items())
        now += step
        for index, rate in rates.items():
            phase = _phase(left[index])
            left[index][phase] = max(0.0, left[index][phase] - rate * step)
        lanes.settle(left, now)
    least = (
        lanes.started[index]
        + jobs[p.linter].startup
        + max(jobs[p.linter].costs[p.start : p.stop], default=0.0)
        for index, p in enumerate(pieces)
    )
    return max(now, *least)


class _Lanes:
    """Which runs have started, and when: the lower priorities at once, the runs of ``nice``
    0 as their workers' cores come free."""

    def __init__(self, pieces: Sequence[Piece], cores: int) -> None:
        self.pieces, self.cores, self.free = pieces, cores, cores
        self.started = {index: 0.0 for index, piece in enumerate(pieces) if piece.nice > 0}
        self.ended: set[int] = set()
        self._admit(0.0)

    def settle(self, left: Sequence[Sequence[float]], now: float) -> float:
        """The started runs with nothing left end at ``now``: their cores go to the next
        runs that fit (which may have nothing to do either)."""
        done = [i for i in self.started if i not in self.ended and sum(left[i]) <= _EPSILON]
        while done:
            for index in done:
                self.ended.add(index)
                if self.pieces[index].nice == 0:
                    self.free += min(self.pieces[index].workers, self.cores)
            self._admit(now)
            done = [i for i in self.started if i not in self.ended and sum(left[i]) <= _EPSILON]
        return now

    def _admit(self, now: float) -> None:
        for index, piece in enumerate(self.pieces):
            need = min(piece.workers, self.cores)
            if index not in self.started and piece.nice == 0 and need <= self.free:
                self.free -= need
                self.started[index] = now


_EPSILON = 1e-9


def _phase(left: Sequence[float]) -> int:
    """0 while a run starts up, then 1."""
    return 0 if left[0] > _EPSILON else 1


def _rates(
    pieces: Sequence[Piece], left: Sequence[Sequence[float]], ranked: Sequence[int], cores: int
) -> dict[int, float]:
    """The cores each unfinished run gets now: priority by priority, as many as it can use;
    the runs of one priority share what is left of the cores evenly (as the kernel does)."""
    rates: dict[int, float] = {}
    free = float(cores)
    for nice in sorted({pieces[index].nice for index in ranked}):
        wants = {
            index: 1.0 if _phase(left[index]) == 0 else float(pieces[index].workers)
            for index in ranked
            if pieces[index].nice == nice and sum(left[index]) > _EPSILON
        }
        given = _even(wants, free)
        rates.update({index: rate for index, rate in given.items() if rate > _EPSILON})
        free -= sum(given.values())
    return rates


def _even(wants: Mapping[int, float], cores: float) -> dict[int, float]:
    """``cores`` shared evenly by runs that each use at most what it wants (water-filling)."""
    given: dict[int, float] = {}
    waiting = sorted(wants, key=lambda index: wants[index])
    while waiting:
        share = cores / len(waiting)
        index = waiting.pop(0)
        given[index] = min(wants[index], share)
        cores -= given[index]
    return given


def plan(jobs: Sequence[Job], cores: int) -> Plan:
    """The quickest predicted plan for ``jobs`` on ``cores`` (ties: the fewest runs)."""
    by_name = {job.linter: job for job in jobs if job.costs}
    cores = max(1, cores)
    floor = sum(job.cpu for job in by_name.values()) / cores
    candidates = [
        ("sequential", sequential(by_name, cores)),
        ("shares", proportional(by_name, cores)),
        ("shares in time", split(by_name, cores)),
    ]
    scored = [
        (simulate(by_name, pieces, cores), len(pieces), index, name, pieces)
        for index, (name, pieces) in enumerate(candidates)
    ]
    if len(by_name) > 1 and cores > 1 and floor >= LAYERED_FROM:
        pieces = layered(by_name, cores)
        seconds = flow(by_name, pieces, cores) * SHARING_COST
        scored.append((seconds, len(pieces), len(scored), "layered", pieces))
        for count in range(1, len(by_name)):
            pieces = filled(by_name, cores, count)
            cheap = sum(by_name[name].cpu for name in {p.linter for p in pieces if p.nice})
            seconds = flow(by_name, pieces, cores) + (SHARING_COST - 1) * cheap / cores
            scored.append((seconds, len(pieces), len(scored), "filled", pieces))
    seconds, _count, _index, name, pieces = min(scored)
    return Plan(tuple(pieces), seconds, floor, name)


def time_limits(pieces: Sequence[Piece], timeout: float) -> list[float]:
    """Each run's time limit, from its start: ``timeout`` (the input, per linter), and for a
    run of a lower priority as many more as there are runs of a higher one: they may keep it
    from every core until they end, each within its own limit, as a run that waits for them
    in sequential would (a hung run is still stopped, no later than sequential stops it)."""
    return [
        timeout * (1 + sum(1 for other in pieces if other.nice < piece.nice)) for piece in pieces
    ]


def described(chosen: Plan) -> str:
    """The plan's name, and for ``filled`` the linters in the idle class (their times overlap
    the others', which a reader of the log would otherwise add up)."""
    idle = sorted({piece.linter for piece in chosen.pieces if piece.nice == IDLE})
    if chosen.strategy != "filled" or not idle:
        return chosen.strategy
    return f"{chosen.strategy} ({', '.join(idle)} in the idle class)"
