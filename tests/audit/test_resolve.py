"""Ranges resolved (`resolve`): the real uv against a local index of real wheels (the test
bed's cache), matched against the real advisories of tests/data/osv-pypi."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.audit.manifests import inventory
from shipyard.audit.resolution import jobs, parse_output, redact
from tests.audit.conftest import RunAudit, ServeIndex, report_of, sarif_of
from tests.services._common import free_port
from tests.services.package_index import sdist, sha256

RANGE = "requests>=2.18,<2.20\n"
#: What `requests>=2.18,<2.20` resolves to on the local index (2.20.0 is there too).
RESOLVED = {
    ("requests", "2.19.1"),
    ("urllib3", "1.23"),
    ("idna", "2.7"),
    ("chardet", "3.0.4"),
    ("certifi", "2018.8.24"),
}


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def dependency_findings(result: object) -> set[tuple[str, str, str, str, int | None]]:
    found = set()
    for run in sarif_of(result)["runs"]:  # type: ignore[arg-type]
        for r in run["results"]:
            props = r["properties"]
            if props["package"]:
                physical = r["locations"][0]["physicalLocation"]
                where = physical["artifactLocation"]["uri"]
                line = physical.get("region", {}).get("startLine")
                found.add((props["package"], props["installed"], r["ruleId"], where, line))
    return found


@pytest.mark.parametrize("variable", ["UV_INDEX_URL", "PIP_INDEX_URL"])
def test_a_range_is_resolved_and_its_advisories_found(
    tmp_path: Path, run_audit: RunAudit, serve_index: ServeIndex, variable: str
) -> None:
    index = serve_index()
    root = repo(tmp_path, {"requirements.txt": "# the app\n" + RANGE})
    result = run_audit(root, env={variable: index.url}, scanners="dependencies")
    assert result.code == 1, result.log[-3000:]
    report = report_of(result)
    resolved = {(p["package"], p["version"]) for p in report["resolved"]}
    assert resolved == RESOLVED
    assert {p["file"] for p in report["resolved"]} == {"requirements.txt"}
    (direct,) = [p for p in report["resolved"] if p["package"] == "requests"]
    assert direct["line"] == 2
    found = dependency_findings(result)
    # requests 2.19.1: the two advisories of the mirror that affect it, at its line.
    assert ("requests", "2.19.1", "PYSEC-2018-28", "requirements.txt", 2) in found
    assert ("requests", "2.19.1", "PYSEC-2023-74", "requirements.txt", 2) in found
    # urllib3 1.23, pulled in by requests: at the file that pulled it in.
    assert ("urllib3", "1.23", "PYSEC-2019-133", "requirements.txt", None) in found
    assert not report["notes"] or "not pinned" not in " ".join(report["notes"])
    assert "### Resolved pins" in result.summary
    assert f"against {index.url}" in result.summary
    assert "| urllib3 | 1.23 | requirements.txt | pulled in |" in result.summary


def test_resolve_false_keeps_ranges_unmatched(
    tmp_path: Path, run_audit: RunAudit, serve_index: ServeIndex
) -> None:
    index = serve_index()
    root = repo(tmp_path, {"requirements.txt": RANGE})
    result = run_audit(
        root, env={"UV_INDEX_URL": index.url}, scanners="dependencies", resolve="false"
    )
    assert result.code == 0, result.log[-2000:]
    report = report_of(result)
    assert report["resolved"] == [] and report["findings"] == 0
    assert any("not pinned to one version" in n for n in report["notes"])


def test_no_index_reachable_is_a_warning_naming_the_file(
    tmp_path: Path, run_audit: RunAudit
) -> None:
    root = repo(
        tmp_path, {"requirements/base.txt": RANGE, "requirements/pinned.txt": "idna==2.7\n"}
    )
    closed = f"http://127.0.0.1:{free_port()}/simple"
    result = run_audit(root, env={"UV_INDEX_URL": closed}, scanners="dependencies")
    assert result.code == 0, result.log[-2000:]
    report = report_of(result)
    (warning,) = [w for w in report["warnings"] if "could not be resolved" in w]
    assert warning.startswith("requirements/base.txt: its ranges could not be resolved")
    assert "::warning::requirements/base.txt: its ranges could not be resolved" in result.log
    assert report["did_not_run"] == []  # the pinned file was matched; resolution only warns
    assert any("requirements/base.txt: requests" in n for n in report["notes"])


def test_resolution_runs_no_code_and_obeys_no_repository_config(
    tmp_path: Path, run_audit: RunAudit, serve_index: ServeIndex
) -> None:
    """An sdist's setup.py would run if uv built it; the repository's uv.toml, pip.conf and
    the requirements file's own options would point uv elsewhere. None of it happens."""
    ran = tmp_path / "setup-py-ran"
    evil = sdist(
        tmp_path / "dists",
        "evil",
        "1.0",
        f"import pathlib\npathlib.Path({str(ran)!r}).write_text('ran')\n"
        "from setuptools import setup\nsetup(name='evil', version='1.0')\n",
    )
    index = serve_index(extra=[evil])
    elsewhere = f"http://127.0.0.1:{free_port()}/simple"
    root = repo(
        tmp_path,
        {
            "requirements.txt": f"--index-url {elsewhere}\n--find-links {elsewhere}\n{RANGE}",
            "requirements-evil.txt": "evil>=1.0\n",
            # Settings the audit does not give itself: obeyed, they would make uv fail
            # (nothing on the local index has an upload time to compare).
            "uv.toml": f'index-url = "{elsewhere}"\nno-build = false\n'
            '[pip]\nexclude-newer = "2018-07-01T00:00:00Z"\n',
            "pip.conf": f"[global]\nindex-url = {elsewhere}\n",
            "pyproject.toml": '[tool.uv.pip]\nexclude-newer = "2018-07-01T00:00:00Z"\n',
        },
    )
    result = run_audit(root, env={"UV_INDEX_URL": index.url}, scanners="dependencies")
    assert not ran.exists(), "uv built the sdist: its setup.py ran"
    report = report_of(result)
    assert {(p["package"], p["version"]) for p in report["resolved"]} == RESOLVED
    (warning,) = [w for w in report["warnings"] if "could not be resolved" in w]
    assert warning.startswith("requirements-evil.txt: its ranges could not be resolved")
    assert "evil" in warning


def test_hashes_are_checked(tmp_path: Path, run_audit: RunAudit, serve_index: ServeIndex) -> None:
    index = serve_index()
    right = sha256(index.file("requests-2.19.1-py2.py3-none-any.whl"))
    wrong = sha256(index.file("requests-2.18.4-py2.py3-none-any.whl"))
    root = repo(tmp_path, {"requirements.txt": f"requests>=2.18,<2.20 --hash=sha256:{right}\n"})
    good = run_audit(root, env={"UV_INDEX_URL": index.url}, scanners="dependencies")
    assert ("requests", "2.19.1") in {
        (p["package"], p["version"]) for p in report_of(good)["resolved"]
    }

    (root / "requirements.txt").write_text(f"requests>=2.18,<2.20 \\\n    --hash=sha256:{wrong}\n")
    bad = run_audit(root, env={"UV_INDEX_URL": index.url}, scanners="dependencies")
    report = report_of(bad)
    assert report["resolved"] == [] and report["findings"] == 0
    (warning,) = [w for w in report["warnings"] if "hash" in w]
    assert warning.startswith(
        "requirements.txt: its ranges resolve to requests==2.19.1, which no hash in the file allows"
    )


# ----------------------------------------------------------------------------- pure decisions


def test_which_files_are_resolved_and_what_uv_is_given(tmp_path: Path) -> None:
    root = repo(
        tmp_path,
        {
            "requirements.txt": "--index-url http://x/simple\n-e .\nrequests>=2.18  # web\n"
            "flask[async]; python_version >= '3.8'\nidna==2.7\n"
            "local @ file:///tmp/local.whl\n",
            "requirements-lock.txt": "idna==2.7 --hash=sha256:00\ncertifi==2018.8.24\n",
            "app/pyproject.toml": '[project]\nname = "a"\nversion = "1"\n'
            'dependencies = ["urllib3>=1.21"]\n',
            "app/uv.lock": "version = 1\n",
            "lib/pyproject.toml": '[project]\nname = "b"\nversion = "1"\n'
            'dependencies = ["chardet"]\n',
        },
    )
    found = {job.file: job for job in jobs(inventory(root))}
    # Pinned throughout: as written. Beside a lock: the lock holds the versions.
    assert set(found) == {"requirements.txt", "lib/pyproject.toml"}
    job = found["requirements.txt"]
    assert job.text == ('requests>=2.18\nflask[async]; python_version >= "3.8"\nidna==2.7\n')
    assert job.left_out == ("local",) and job.lines["requests"] == 3
    assert found["lib/pyproject.toml"].kind == "pyproject"


def test_uv_output_read_and_hash_mismatch() -> None:
    from shipyard.audit.resolution import Job

    job = Job(
        "r.txt", "requirements", "x\n", {"requests": frozenset({"sha256:aa"})}, {"requests": 1}
    )
    ok = parse_output(
        job, "requests==2.19.1 \\\n    --hash=sha256:AA \\\n    --hash=sha256:bb\nidna==2.7\n"
    )
    assert [(p.name, p.version, p.line, p.resolved) for p in ok.pins] == [
        ("requests", "2.19.1", 1, True),
        ("idna", "2.7", None, True),
    ]
    assert ok.warning is None
    bad = parse_output(job, "requests==2.19.1 --hash=sha256:cc\n")
    assert bad.pins == () and bad.warning and "requests==2.19.1" in bad.warning


def test_credentials_never_shown() -> None:
    assert redact("GET https://user:tok3n@idx.example/simple failed") == (
        "GET https://***@idx.example/simple failed"
    )
    from shipyard.audit.resolution import index_env, index_shown

    env = {"PIP_INDEX_URL": "https://u:secret@idx.example:8443/simple"}
    assert index_shown(env) == "https://idx.example:8443/simple"
    assert index_env(env)["UV_INDEX_URL"] == env["PIP_INDEX_URL"]  # in uv's env, not argv
