"""Scanner configuration in the repository does not turn the gate off (real trivy, bandit,
hadolint on real files): each runs with shipyard's own configuration from an empty working
directory; what the repository holds is named in the summary, never obeyed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.audit.conftest import RunAudit, report_of, sarif_of
from tests.audit.sample import APP, aws_key_id

TRIVY_CONFIGS = {
    "trivy-secret.yaml": "disable-rules:\n  - aws-access-key-id\n  - private-key\n",
    ".trivyignore": "aws-access-key-id\nDS-0002\nAVD-DS-0002\nDS002\n",
    "trivy.yaml": "severity:\n  - LOW\nscan:\n  skip-files:\n    - a.ini\n    - b.ini\n",
}


def locations(result: Any, rule: str) -> list[tuple[str, int | None]]:
    found = []
    for run in sarif_of(result)["runs"]:  # type: ignore[attr-defined]
        for item in run["results"]:
            if item["ruleId"] == rule:
                physical = item["locations"][0]["physicalLocation"]
                region = physical.get("region", {})
                found.append((physical["artifactLocation"]["uri"], region.get("startLine")))
    return sorted(found)


def notes_of(result: Any) -> str:
    return "\n".join(report_of(result)["notes"])  # type: ignore[arg-type]


def two_keys(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "a.ini").write_text(f"[a]\naws_access_key_id = {aws_key_id(21)}\n")
    (root / "b.ini").write_text(f"[b]\naws_access_key_id = {aws_key_id(22)}\n")


@pytest.mark.parametrize("names", [[name] for name in TRIVY_CONFIGS] + [list(TRIVY_CONFIGS)])
def test_trivy_configuration_in_the_repository_is_not_obeyed(
    tmp_path: Path, run_audit: RunAudit, names: list[str]
) -> None:
    """Each of trivy-secret.yaml (disable-rules), .trivyignore and trivy.yaml (severity,
    skip-files) hid both leaked keys (exit 0, nothing in the SARIF); alone or together they
    now change nothing but a note."""
    root = tmp_path / "repo"
    two_keys(root)
    for name in names:
        (root / name).write_text(TRIVY_CONFIGS[name])
    result = run_audit(root, scanners="secrets")
    assert result.code == 1, result.log[-2000:]
    assert locations(result, "secret:aws-access-key-id") == [("a.ini", 2), ("b.ini", 2)]
    note = notes_of(result)
    assert "trivy configuration in the repository is not used" in note
    assert all(name in note for name in names)


def test_trivy_inline_ignore_comments_are_not_obeyed(tmp_path: Path, run_audit: RunAudit) -> None:
    """`#trivy:ignore:<check>` above a Dockerfile line hid the misconfiguration (trivy has no
    switch for it); the folder is scanned again with the comment defused."""
    root = tmp_path / "repo"
    (root / "docker").mkdir(parents=True)
    (root / "docker" / "Dockerfile").write_text(
        "#trivy:ignore:DS-0001\nFROM python:latest\nUSER app\nHEALTHCHECK CMD true\n"
    )
    result = run_audit(root, scanners="iac", fail_on_severity="medium")
    assert locations(result, "DS-0001") == [("docker/Dockerfile", 2)]
    assert result.code == 1
    assert "trivy:ignore comments in docker/Dockerfile are not obeyed" in notes_of(result)


BANDIT_CONFIGS = {
    "pyproject.toml": '[project]\nname = "app"\n\n[tool.bandit]\nskips = ["B602", "B404"]\n',
    ".bandit": "[bandit]\nskips = B602,B404\n",
    "bandit.yaml": "skips: [B602, B404]\n",
    # two .bandit files made bandit exit 2: no report, only a warning, the gate open
    "pkg/.bandit": "[bandit]\nexclude = /\n",
}


@pytest.mark.parametrize(
    "names", [["pyproject.toml"], [".bandit"], ["bandit.yaml"], [".bandit", "pkg/.bandit"]]
)
def test_bandit_configuration_in_the_repository_is_not_obeyed(
    tmp_path: Path, run_audit: RunAudit, names: list[str]
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text(APP)
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(BANDIT_CONFIGS[name])
    # bandit.yaml is only read when named with -c: the old code named it.
    result = run_audit(root, scanners="code")
    assert result.code == 1, result.log[-2000:]
    assert locations(result, "B602") == [("app.py", 6)]
    assert "bandit configuration in the repository is not used" in notes_of(result)
    assert all(name in notes_of(result) for name in names)


def test_nosec_comments_do_not_hide_findings(tmp_path: Path, run_audit: RunAudit) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text(APP.replace("shell=True)", "shell=True)  # nosec B602"))
    result = run_audit(root, scanners="code")
    assert result.code == 1
    assert locations(result, "B602") == [("app.py", 6)]
    assert "1 bandit finding(s) on lines marked `# nosec` are reported" in notes_of(result)


def test_hadolint_configuration_and_pragmas_are_not_obeyed(
    tmp_path: Path, run_audit: RunAudit
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hadolint.yaml").write_text("ignored: [DL3006]\n")
    (root / "Dockerfile").write_text(
        "FROM debian\n# hadolint ignore=DL3008\nRUN apt-get install -y curl\nUSER app\n"
    )
    result = run_audit(root, scanners="iac", fail_on_severity="never")
    assert locations(result, "DL3006") == [("Dockerfile", 1)]
    assert locations(result, "DL3008") == [("Dockerfile", 3)]
    assert "hadolint configuration in the repository is not used (.hadolint.yaml)" in notes_of(
        result
    )
