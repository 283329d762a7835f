"""The audit reads only inside what it audits (real files, links, real scanners): includes,
manifests, the ignore file and path inputs are resolved, then checked; a line that cannot be
parsed is named by file and line, never quoted; `image` is always a reference and an archive
is only ever `image-archive`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.audit.conftest import RunAudit, report_of
from tests.audit.sample import APP, aws_key_id, image_archive

FAKE = "AWS_SECRET=wJalrXUtnFEMI-K7MDENG-bPxRfiCYzzOUTSIDE"


def everything(result: Any) -> str:
    """Everything a run shows: log (annotations included), summary, outputs."""
    return result.log + result.summary + "".join(result.outputs.values())


def workspace(tmp_path: Path) -> tuple[Path, Path]:
    """A repository two folders deep in the runner's disk, and a file beside it holding a
    fake secret (as /tmp/outside.env would)."""
    root = tmp_path / "work" / "repo"
    root.mkdir(parents=True)
    (tmp_path / "outside.env").write_text(f"{FAKE}\n")
    return root, tmp_path / "outside.env"


def test_requirement_includes_stay_in_the_audited_folder(
    tmp_path: Path, run_audit: RunAudit
) -> None:
    """`-r ../../outside.env` printed `cannot parse 'AWS_SECRET=...'` in the summary."""
    root, _outside = workspace(tmp_path)
    (root / "requirements.txt").write_text(
        "requests==2.19.0\n-r ../../outside.env\n--constraint=../../outside.env\n"
        "-c missing.txt\nthis is not a requirement\n"
    )
    result = run_audit(root, scanners="dependencies", fail_on_severity="never")
    assert result.code == 0, result.log[-2000:]
    assert "OUTSIDE" not in everything(result) and "wJalr" not in everything(result)
    notes = report_of(result)["notes"]
    assert "requirements.txt:2: an include that leads out of the audited folder; not read" in notes
    assert "requirements.txt:3: an include that leads out of the audited folder; not read" in notes
    assert "requirements.txt:4: an include that names no file in the audited folder" in notes
    assert "requirements.txt:5: cannot parse this requirement" in notes
    assert "this is not" not in everything(result)
    assert int(result.outputs["findings"]) > 0  # requests 2.19.0 is still matched


def test_linked_manifests_and_includes_are_not_followed_out(
    tmp_path: Path, run_audit: RunAudit
) -> None:
    root, outside = workspace(tmp_path)
    (tmp_path / "pins.txt").write_text("django==3.2.0\n" + FAKE + "\n")
    (root / "requirements.txt").symlink_to(tmp_path / "pins.txt")
    (root / "reqs").mkdir()
    (root / "reqs" / "base.txt").symlink_to(outside)  # a link the include would follow
    (root / "requirements-dev.txt").write_text("-r reqs/base.txt\n")
    inside_link = root / "requirements-ci.txt"
    (root / "ci.txt").write_text("requests==2.19.0\n")
    inside_link.symlink_to(root / "ci.txt")  # a link inside the folder is fine
    result = run_audit(root, scanners="dependencies", fail_on_severity="never")
    shown = everything(result)
    assert "OUTSIDE" not in shown and "wJalr" not in shown
    notes = report_of(result)["notes"]
    assert "requirements.txt: a link that leads out of the audited folder; not read" in notes
    assert (
        "requirements-dev.txt:1: an include that leads out of the audited folder; not read" in notes
    )
    packages = {f["package"] for f in report_of(result)["blocking_findings"]}
    assert "django" not in str(report_of(result)) and packages <= {"requests"}
    assert int(result.outputs["findings"]) > 0  # requests, through the link inside


def test_code_scanner_does_not_follow_links_out(tmp_path: Path, run_audit: RunAudit) -> None:
    root, _outside = workspace(tmp_path)
    (tmp_path / "elsewhere.py").write_text(APP)
    (root / "linked.py").symlink_to(tmp_path / "elsewhere.py")
    (root / "ok.py").write_text("x = 1\n")
    result = run_audit(root, scanners="code", fail_on_severity="low")
    assert result.code == 0, result.log[-2000:]
    assert int(result.outputs["findings"]) == 0
    assert any("links leading out of the audited folder" in n for n in report_of(result)["notes"])


def test_ignore_file_is_read_inside_the_folder_and_never_quoted(
    tmp_path: Path, run_audit: RunAudit
) -> None:
    """A linked ignore file is refused (exit 2); a broken one is named by line and column,
    not quoted (PyYAML's message quotes the line)."""
    root, _outside = workspace(tmp_path)
    (root / "app.py").write_text(APP)
    (tmp_path / "bad.yml").write_text(f'ignore:\n  - id: "{FAKE}\n')
    (root / ".shipyard").mkdir()
    (root / ".shipyard" / "audit-ignore.yml").symlink_to(tmp_path / "bad.yml")
    result = run_audit(root, scanners="code")
    assert result.code == 2
    assert "ignore-file" in result.log and "wJalr" not in everything(result)
    (root / ".shipyard" / "audit-ignore.yml").unlink()
    (root / ".shipyard" / "audit-ignore.yml").write_text(f'ignore:\n  - id: "{FAKE}\n')
    result = run_audit(root, scanners="code")
    assert result.code == 2
    assert "is not valid YAML (line 3, column 1)" in result.log
    assert "wJalr" not in everything(result) and "Traceback" not in result.log


def test_path_inputs_stay_in_the_workspace(tmp_path: Path, run_audit: RunAudit) -> None:
    root, _outside = workspace(tmp_path)
    (root / "app.py").write_text(APP)
    (root / "up").symlink_to(tmp_path)
    for name, value in [
        ("path", ".."),
        ("path", "up"),
        ("vulnerability-db", "../.."),
        ("ignore-file", "../../outside.env"),
        ("image-archive", "up/outside.env"),
        ("sarif-file", "up/report.sarif"),
    ]:
        result = run_audit(root, **{name: value})
        assert result.code == 2, (name, value, result.log[-1000:])
        assert f"title=Invalid input: {name}" in result.log or name in result.log
    assert not (tmp_path / "report.sarif").exists()


def test_image_is_a_reference_and_an_archive_is_explicit(
    tmp_path: Path, run_audit: RunAudit
) -> None:
    """A file in the checkout named like the `image` value was scanned instead of the image:
    the tree decided what was scanned. Now `image` is a reference; an archive is named by
    `image-archive`; a value that looks like a file is an input error."""
    root, _outside = workspace(tmp_path)
    key = aws_key_id(31)
    (root / "registry.invalid" / "app").mkdir(parents=True)
    image_archive(root / "registry.invalid" / "app" / "clean:1", {"etc/key.ini": f"k = {key}\n"})
    image_archive(root / "image.tar", {"etc/key.ini": f"k = {key}\n"})

    by_name = run_audit(
        root,
        scanners="container",
        image="registry.invalid/app/clean:1",
        allow_unavailable="container",
    )
    assert not report_of(by_name)["blocking_findings"]  # the file was not scanned
    assert any("trivy gave no report" in w for w in report_of(by_name)["warnings"])

    looks_like_file = run_audit(root, scanners="container", image="image.tar")
    assert looks_like_file.code == 2
    assert "image-archive" in looks_like_file.log and "looks like a file" in looks_like_file.log

    archive = run_audit(
        root, scanners="container", image_archive="image.tar", allow_unavailable="container"
    )
    assert archive.code == 1
    ids = {(f["id"], f["file"]) for f in report_of(archive)["blocking_findings"]}
    assert ids == {("secret:aws-access-key-id", "image.tar:/etc/key.ini")}

    both = run_audit(root, image="app:1", image_archive="image.tar")
    assert both.code == 2 and "not both" in both.log
