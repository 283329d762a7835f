"""Child processes, for real: fenced output, redaction, timeouts, group termination, parallel."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from shipyard.runtime import ExternalError, Runner
from shipyard.runtime.process import NICE_IDLE, ProcessTask, run_parallel, run_process
from tests.runtime.test_commands import _command_lines

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def runner(out: io.StringIO, **env: str) -> Runner:
    return Runner(env={"GITHUB_ACTIONS": "true", "PATH": os.environ["PATH"], **env}, stream=out)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purpose.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def wait_for(path: Path, seconds: float = 20) -> str:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def test_workflow_commands_from_a_child_are_fenced() -> None:
    out = io.StringIO()
    script = "print('::set-output name=x::forged'); print('::add-mask::zzz'); print('done')"
    result = run_process([PY, "-c", script], runner=runner(out), group="child")
    assert result.ok
    assert result.output.splitlines() == ["::set-output name=x::forged", "::add-mask::zzz", "done"]
    log = out.getvalue()
    assert "::set-output name=x::forged" in log  # shown...
    assert _command_lines(log) == ["::group::child", "::endgroup::"]  # ...but inert


def test_trusted_output_is_not_fenced() -> None:
    out = io.StringIO()
    run_process([PY, "-c", "print('::notice::ours')"], runner=runner(out), untrusted=False)
    assert _command_lines(out.getvalue()) == ["::notice::ours"]


def test_masked_secrets_are_redacted_in_the_log_and_children_get_no_credentials() -> None:
    out = io.StringIO()
    run = runner(out, API_TOKEN="tok", SHIPYARD_INPUT_X="in", HOME="/tmp")
    run.mask("hunter2")
    script = (
        "import os; print('pw hunter2');"
        "print(sorted(k for k in os.environ if k in ('API_TOKEN', 'SHIPYARD_INPUT_X', 'HOME')))"
    )
    result = run_process([PY, "-c", script], runner=run)
    log = out.getvalue().replace("::add-mask::hunter2", "")
    assert "pw ***" in log and "hunter2" not in log
    assert result.output.splitlines()[1] == "['HOME']"


def test_stdin_exit_code_and_separate_stderr() -> None:
    out = io.StringIO()
    script = "import sys; print(sys.stdin.read().upper()); print('oops', file=sys.stderr); exit(3)"
    result = run_process(
        [PY, "-c", script], runner=runner(out), stdin="hello", separate_stderr=True
    )
    assert result.returncode == 3 and not result.ok
    assert result.stdout == "HELLO" and result.stderr == "oops"
    assert result.tail(1) == "oops"


def test_a_missing_program_is_an_external_error_naming_it() -> None:
    with pytest.raises(ExternalError, match="no-such-program-xyz"):
        run_process(["no-such-program-xyz"], runner=runner(io.StringIO()))


def test_a_shell_string_is_refused() -> None:
    with pytest.raises(TypeError):
        run_process("echo hi", runner=runner(io.StringIO()))


def test_timeout_stops_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild"
    script = f"sleep 60 & echo $! > {pidfile}; echo started; wait"
    result = run_process(["sh", "-c", script], runner=runner(io.StringIO()), timeout=1)
    assert result.timed_out and not result.ok
    assert "started" in result.output
    assert not alive(int(pidfile.read_text()))


ACTION = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from shipyard.runtime import ActionSpec, run_action
    from shipyard.runtime.process import run_process

    work = Path(sys.argv[1])
    spec = ActionSpec(name="demo", title="Demo", description="d")

    def run(ctx):
        ctx.cleanup.push(lambda: (work / "cleaned").write_text("yes"), "mark")
        script = f"sleep 60 & echo $! > {work / 'grandchild'}; wait"
        run_process(["sh", "-c", script], runner=ctx.runner)

    sys.exit(run_action(spec, run, []))
    """
)


def test_sigterm_to_the_action_stops_the_child_group_and_runs_cleanup(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "GITHUB_ACTIONS": "true"}
    action = subprocess.Popen(
        [PY, "-c", ACTION, str(tmp_path)], env=env, stdout=subprocess.PIPE, text=True
    )
    grandchild = int(wait_for(tmp_path / "grandchild"))
    assert alive(grandchild)
    action.send_signal(signal.SIGTERM)
    out, _ = action.communicate(timeout=30)
    assert action.returncode == 1
    assert "Cancelled" in out
    assert (tmp_path / "cleaned").read_text() == "yes"
    assert not alive(grandchild)


def test_parallel_output_is_printed_whole_per_task_in_task_order_results() -> None:
    out = io.StringIO()
    script = (
        "import sys, time\n"
        "for i in range(5):\n"
        "    print(sys.argv[1], i, flush=True); time.sleep(0.05)\n"
    )
    tasks = [ProcessTask(name, [PY, "-c", script, name]) for name in ("alpha", "beta", "gamma")]
    results = run_parallel(tasks, runner=runner(out), max_workers=3)
    assert [r.output.splitlines()[0] for r in results] == ["alpha 0", "beta 0", "gamma 0"]
    lines = [line for line in out.getvalue().splitlines() if line and line[0].isalpha()]
    owners = [line.split()[0] for line in lines]
    # each task's lines form one contiguous block
    blocks = [owner for i, owner in enumerate(owners) if i == 0 or owners[i - 1] != owner]
    assert sorted(blocks) == ["alpha", "beta", "gamma"]
    assert _command_lines(out.getvalue()).count("::endgroup::") == 3


def test_parallel_tasks_never_hold_more_slots_than_the_capacity() -> None:
    """A task that starts its own workers takes as many slots; the others wait their turn
    (in order, a later one that fits going first), and nothing is printed without echo."""
    out = io.StringIO()
    script = "import time; time.sleep(0.3)"
    needs = {"wide": 2, "a": 1, "b": 1, "wide2": 2, "c": 1}
    tasks = [ProcessTask(name, [PY, "-c", script], slots=n) for name, n in needs.items()]
    results = run_parallel(tasks, runner=runner(out), capacity=2, echo=False)
    spans = {
        name: (r.started, r.started + r.duration) for name, r in zip(needs, results, strict=True)
    }
    for moment in sorted(start for start, _ in spans.values()):
        busy = sum(needs[n] for n, (start, end) in spans.items() if start <= moment < end)
        assert busy <= 2, (moment, spans)
    assert spans["a"][0] >= spans["wide"][1] and spans["b"][0] >= spans["wide"][1]
    assert spans["wide2"][0] >= max(spans["a"][1], spans["b"][1])
    assert all(r.ok for r in results) and out.getvalue() == ""


def test_a_niced_task_and_its_children_run_at_the_lower_priority() -> None:
    """nice 7: the program's first instruction runs at it, and a child it starts inherits it
    (black's and flake8's workers)."""
    script = (
        "import os, subprocess, sys; print(os.nice(0)); sys.stdout.flush();"
        " subprocess.run([sys.executable, '-c', 'import os; print(os.nice(0))'])"
    )
    base = os.nice(0)
    tasks = [
        ProcessTask("low", [PY, "-c", script], nice=7),
        ProcessTask("as is", [PY, "-c", script]),
    ]
    low, plain = run_parallel(tasks, runner=runner(io.StringIO()), echo=False)
    assert low.output.split() == [str(min(19, base + 7))] * 2
    assert plain.output.split() == [str(base)] * 2
    assert low.argv == (PY, "-c", script)  # as given: the log names the program, not nice(1)


def test_an_idle_task_and_its_children_run_in_the_idle_class() -> None:
    """NICE_IDLE: the kernel's idle class (SCHED_IDLE, 5), set before the program's first
    instruction and inherited by a child it starts; the log still names the program."""
    script = (
        "import os, subprocess, sys; print(os.sched_getscheduler(0)); sys.stdout.flush();"
        " subprocess.run([sys.executable, '-c', 'import os; print(os.sched_getscheduler(0))'])"
    )
    tasks = [
        ProcessTask("idle", [PY, "-c", script], slots=0, nice=NICE_IDLE),
        ProcessTask("as is", [PY, "-c", script]),
    ]
    idle, plain = run_parallel(tasks, runner=runner(io.StringIO()), echo=False)
    assert idle.output.split() == [str(os.SCHED_IDLE)] * 2
    assert plain.output.split() == [str(os.SCHED_OTHER)] * 2
    assert idle.argv == (PY, "-c", script)


def test_where_the_idle_class_cannot_be_set_an_idle_task_runs_at_nice_19(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A chrt(1) that the system refuses (as a sandbox's seccomp would): nice 19 instead,
    and the program runs."""
    import shipyard.runtime.process as process

    refusing = tmp_path / "chrt"
    refusing.write_text("#!/bin/sh\necho 'chrt: failed to set pid 0 policy' >&2; exit 1\n")
    refusing.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    process._idle_class.cache_clear()
    try:
        script = "import os; print(os.sched_getscheduler(0), os.nice(0))"
        (idle,) = run_parallel(
            [ProcessTask("idle", [PY, "-c", script], nice=NICE_IDLE)],
            runner=runner(io.StringIO()),
            echo=False,
        )
    finally:
        process._idle_class.cache_clear()
    assert idle.output.split() == [str(os.SCHED_OTHER), "19"]


def test_a_task_of_no_slots_starts_at_once_beside_those_that_fill_the_capacity(
    tmp_path: Path,
) -> None:
    """Two tasks that each wait for the other to have started: with one slot, they only
    both run because the second takes none."""
    wait = (
        "import pathlib, sys, time; me, other = map(pathlib.Path, sys.argv[1:]); me.touch()\n"
        "end = time.monotonic() + 20\n"
        "while not other.exists():\n"
        "    assert time.monotonic() < end, 'the other never started'; time.sleep(0.02)"
    )
    a, b = tmp_path / "a", tmp_path / "b"
    tasks = [
        ProcessTask("first", [PY, "-c", wait, str(a), str(b)], slots=1),
        ProcessTask("filler", [PY, "-c", wait, str(b), str(a)], slots=0, nice=5),
    ]
    results = run_parallel(tasks, runner=runner(io.StringIO()), capacity=1, echo=False)
    assert [r.returncode for r in results] == [0, 0], [r.output for r in results]


def test_parallel_with_a_failing_task_still_returns_all() -> None:
    tasks = [
        ProcessTask("ok", [PY, "-c", "print(1)"]),
        ProcessTask("bad", [PY, "-c", "raise SystemExit(4)"]),
    ]
    results = run_parallel(tasks, runner=runner(io.StringIO()))
    assert [r.returncode for r in results] == [0, 4]


def test_a_background_child_holding_the_pipe_does_not_hang_the_action(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The program ends but leaves a daemon (own session) with its stdout: not waited for."""
    import shipyard.runtime.process as process

    monkeypatch.setattr(process, "DRAIN_TIMEOUT", 1.0)
    script = "setsid sleep 30 & echo leader done"
    result = run_process(["sh", "-c", script], runner=runner(io.StringIO()), timeout=60)
    assert result.ok and "leader done" in result.output
    assert not result.timed_out
