"""The README's first command, `bash scripts/demo.sh`, run whole: the platform pipeline (pull
request, merge, tag, two approvers, deploy, watch) under act against the test bed, ending with
where to look. What it prints is checked against the live services before they are stopped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.services._require import unavailable
from tests.services.loadgen import fetch

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.act


def run_demo(work: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
    env["SHIPYARD_DEMO_DIR"] = str(work)
    started = time.monotonic()
    done = subprocess.run(
        ["bash", "scripts/demo.sh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=2400,
        check=False,
    )
    return done, time.monotonic() - started


def answer_line(output: str, label: str) -> tuple[str, str]:
    """(url, answer) of a line ``App (<label>):  <url>version  -> <answer>``."""
    match = re.search(rf"App \({label}\):\s+(\S+)version\s+->\s+(.+)", output)
    assert match, output
    return match.group(1), match.group(2).strip()


def test_demo_runs_the_platform_pipeline_and_prints_where_to_look(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        unavailable("the demo's test bed", "network namespaces and dockerd need root")
    work = tmp_path / "demo"
    done, seconds = run_demo(work)
    try:
        output = done.stdout
        assert done.returncode == 0, output[-6000:] + done.stderr[-3000:]
        print(f"the demo took {seconds:.0f} s", file=sys.stderr)  # for the log, not asserted
        for stage in range(1, 7):
            assert f"[{stage}/6" in output, output
        production_url, production = answer_line(output, "production")
        staging_url, staging = answer_line(output, "staging")
        assert production == "1.0.0", output  # the v1.0.0 tag's release
        assert re.fullmatch(r"develop-[0-9a-f]{7}", staging), output  # the merge's release
        # both still serve now: the production deploy did not take staging down
        assert fetch(production_url + "version") == production
        assert fetch(staging_url + "version") == staging
        assert "✅ platform to staging deployed" in output
        assert "✅ platform to production deployed" in output
        assert "waits for 2 approval(s)" in output  # the one message, updated
        assert "none: nothing failed" in output  # the email is for failures and rollbacks
        assert re.search(r"Approval issue #1: .* \(closed, completed\)", output), output
        tags = re.search(r"Image \S+: tags (.+)", output)
        assert tags, output
        assert {"1.0.0", "1.0", "latest"} <= set(tags.group(1).split(", ")), output
        assert "GitHub Release v1.0.0: " in output
        assert (work / "records" / "slack-messages.json").is_file()
        assert (work / "records" / "github-releases.json").is_file()
        assert list((work / "summaries").rglob("*.md"))
    finally:
        subprocess.run(
            ["bash", "scripts/demo.sh", "--stop", str(work)],
            cwd=ROOT,
            capture_output=True,
            timeout=600,
            check=False,
        )
