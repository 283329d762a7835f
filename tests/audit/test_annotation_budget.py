"""Issue 17 (annotation budget) through audit's real entry point and a real bandit: with more
than ten blocking findings, 3824f64 printed eleven ``::error`` lines (ten findings and the
verdict), so GitHub dropped one. Now the verdict always has its place and the summary counts
the findings not shown."""

from __future__ import annotations

from pathlib import Path

from tests.audit.conftest import RunAudit
from tests.runner_commands import issued


def weak_hashes(root: Path, count: int) -> Path:
    """A repository with ``count`` calls of hashlib.md5 (bandit B324, high severity)."""
    (root / "app").mkdir(parents=True)
    lines = ["import hashlib\n", "\n", "\n", "def digests(data: bytes) -> list[str]:\n"]
    lines += ["    out = []\n"]
    lines += [f"    out.append(hashlib.md5(data + b'{i}').hexdigest())\n" for i in range(count)]
    lines += ["    return out\n"]
    (root / "app" / "hashes.py").write_text("".join(lines))
    return root


def test_fourteen_blocking_findings_leave_room_for_the_verdict(
    tmp_path: Path, run_audit: RunAudit
) -> None:
    result = run_audit(weak_hashes(tmp_path / "repo", 14), scanners="code")
    assert result.code == 1, result.log[-3000:]
    assert result.outputs["blocking"] == "14", result.outputs
    errors = result.annotations("error")
    assert len(errors) == 10, errors
    assert errors[-1].startswith("::error title=Audit failed::")
    assert len([e for e in errors if "file=app/hashes.py" in e]) == 9
    assert issued(result.log).count("error") == 10  # as the runner counts them
    assert "5 errors not shown as annotations" in result.summary
