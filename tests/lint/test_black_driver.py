"""black through the action's driver (``shipyard/lint/drivers/black_diff.py``): the same
output as black's own executable, with a lock on a file in place of black's lock server."""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shipyard.lint.drivers import black_diff
from shipyard.lint.tools import DRIVERS, LINTERS

BLACK = str(Path(sys.executable).with_name("black"))
DRIVER = str(DRIVERS / "black_diff.py")


def _tree(root: Path) -> list[str]:
    """Files black passes, files it would change with long diffs (longer than a pipe's atomic
    write, so that two workers printing at once would cut into each other without the
    lock), and one it cannot parse."""
    names = []
    for index in range(12):
        name = f"m{index:02}.py"
        if index % 3 == 0:
            line = "x_{}_{} = {{ 'k':[1,2 ,3],'v' : ( {} ) }}\n"
            body = "".join(line.format(index, n, n) for n in range(400))
        else:
            body = "".join(f"y_{index}_{n} = {n}\n" for n in range(50))
        (root / name).write_text(body)
        names.append(name)
    (root / "broken.py").write_text("def f(:\n    pass\n")
    return [*names, "broken.py"]


def _run(argv: list[str], root: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "BLACK_NUM_WORKERS": "3",
        "BLACK_CACHE_DIR": str(tmp / "black-cache"),
        "TMPDIR": str(tmp),
    }
    return subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)


def _blocks(diff: str) -> list[str]:
    """The diff's file blocks in order of name, without the times in their headers."""
    blocks = re.split(r"(?m)^(?=--- )", diff)
    return sorted(re.sub(r"\t[^\n]*", "", block) for block in blocks if block)


def test_the_driver_prints_what_black_prints(tmp_path: Path) -> None:
    """Same exit code (123: a file black cannot parse), same error, same diffs whole (each
    longer than 4 KiB, printed by 3 workers at once), and no lock file left behind."""
    root, scratch = tmp_path / "tree", tmp_path / "scratch"
    root.mkdir()
    scratch.mkdir()
    files = _tree(root)
    args = ["--check", "--diff", "--quiet", "--", *files]
    plain = _run([BLACK, *args], root, scratch)
    driven = _run([sys.executable, "-I", DRIVER, *args], root, scratch)
    assert plain.returncode == driven.returncode == 123
    assert "cannot parse: broken.py" in driven.stderr
    assert driven.stderr.replace(str(root), "") == plain.stderr.replace(str(root), "")
    assert len(_blocks(driven.stdout)) == 4  # the four files to change
    assert _blocks(driven.stdout) == _blocks(plain.stdout)
    assert min(len(block) for block in _blocks(driven.stdout)) > 4096
    assert sorted(p.name for p in scratch.iterdir()) == ["black-cache"]


def test_through_the_driver_black_takes_the_file_lock_and_starts_no_server(
    tmp_path: Path,
) -> None:
    """black imports ``Manager`` by name: the driver replaces it first, so black's own
    module holds the driver's, and a ``--diff`` run on several files (black's process pool)
    starts no lock server (a manager's server is a process that listens on a socket)."""
    probe = (
        "import runpy, sys\n"
        f"sys.argv = [{DRIVER!r}, '--version']\n"
        "try:\n"
        f"    runpy.run_path({DRIVER!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "import black.concurrency, multiprocessing\n"
        "print(black.concurrency.Manager.__name__, multiprocessing.Manager.__name__)\n"
    )
    seen = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=True
    )
    assert seen.stdout.split()[-2:] == ["FileLockManager", "FileLockManager"]
    root = tmp_path / "tree"
    root.mkdir()
    files = _tree(root)[:-1]
    trace = tmp_path / "trace"
    for argv in ([BLACK], [sys.executable, "-I", DRIVER]):
        traced = [
            "strace", "-f", "-qq", "-e", "trace=listen", "-o", str(trace), *argv,
            "--check", "--diff", "--quiet", "--", *files,
        ]  # fmt: skip
        assert _run(traced, root, tmp_path).returncode == 1
        listens = trace.read_text().count("listen(")
        assert listens == (1 if argv == [BLACK] else 0), trace.read_text()


def test_the_file_lock_excludes_another_process_and_travels_as_its_name(
    tmp_path: Path,
) -> None:
    """Held in one process, the lock cannot be taken in another until it is released; it
    pickles as the file's name (no descriptor), so each worker takes it anew."""
    manager = black_diff.FileLockManager()
    lock = manager.Lock()
    copy = pickle.loads(pickle.dumps(lock))
    assert copy.path == lock.path and copy._fd == -1
    context = multiprocessing.get_context("fork")
    with lock:
        child = context.Process(target=_try_lock, args=(lock.path, tmp_path / "held"))
        child.start()
        child.join(30)
    child = context.Process(target=_try_lock, args=(lock.path, tmp_path / "free"))
    child.start()
    child.join(30)
    assert (tmp_path / "held").read_text() == "busy"
    assert (tmp_path / "free").read_text() == "taken"
    manager.shutdown()
    assert not os.path.exists(lock.path)


def _try_lock(path: str, answer: Path) -> None:
    import fcntl

    handle = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        answer.write_text("taken")
    except BlockingIOError:
        answer.write_text("busy")
    finally:
        os.close(handle)


def test_a_manager_asked_for_anything_but_a_lock_is_a_real_one() -> None:
    """A black that used the manager for more than its lock still works: the rest comes
    from a real ``SyncManager``, started on first use and stopped with the file's."""
    manager = black_diff.FileLockManager()
    shared = manager.dict()
    shared["a"] = 1
    assert dict(shared) == {"a": 1}
    assert manager._real is not None
    manager.shutdown()
    with pytest.raises(AttributeError):
        _ = manager._missing


def test_black_from_our_venv_starts_by_its_driver_and_from_path_as_installed() -> None:
    """With its venv's Python known (the action installed it), black's run is the driver;
    from PATH (install: false) it is black's executable, as another linter always is."""
    black, flake8 = LINTERS["black"], LINTERS["flake8"]
    kwargs = {"root": "/tree", "env": {}, "timeout": 60.0, "workers": 2}
    ours = black.tool("/v/bin/black", ["a.py"], (), python="/v/bin/python", **kwargs)
    assert ours.argv[:3] == ("/v/bin/python", "-I", DRIVER)
    assert ours.argv[3:] == ("--check", "--diff", "--quiet", "--", "a.py")
    theirs = black.tool("/usr/bin/black", ["a.py"], (), **kwargs)
    assert theirs.argv[0] == "/usr/bin/black" and theirs.argv[1:] == ours.argv[3:]
    other = flake8.tool("/v/bin/flake8", ["a.py"], (), python="/v/bin/python", **kwargs)
    assert other.argv[0] == "/v/bin/flake8"
    assert black.fix_argv("/v/bin/black", ["a.py"]) == ["/v/bin/black", "--quiet", "--", "a.py"]


def test_the_driver_runs_black_as_its_console_entry_point(tmp_path: Path) -> None:
    """``--version`` through the driver prints what ``black --version`` prints, as "black"."""
    plain = subprocess.run([BLACK, "--version"], capture_output=True, text=True, check=True)
    driven = subprocess.run(
        [sys.executable, "-I", DRIVER, "--version"], capture_output=True, text=True, check=True
    )
    assert driven.stdout == plain.stdout
    assert driven.stdout.startswith("black, ")
    assert io.StringIO(driven.stdout).readline().strip() != ""
