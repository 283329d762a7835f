"""Caches that survive the job (issue 23 item 2), under act with its cache server: a job on a
fresh machine (a new, empty tool cache) saves the venv through actions/cache (the copy of the
pinned release in tests/e2e/vendor), the next job on another fresh machine restores it and
installs nothing; a restored venv meets the same trust checks as a local one."""

from __future__ import annotations

import datetime
import io
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.e2e.act import ActHarness, ActRun, StepResult
from tests.services.slack_emulator import SlackEmulator

NOTIFY = """
name: cached
on: push
jobs:
  notify:
    runs-on: ubuntu-latest
    env:
      SHIPYARD_DEBUG: "1"
    steps:
      - id: notify
        uses: your-org/actions/notify@v1
        with:
          status: success
          title: cached
          slack-webhook: ${{ vars.WEBHOOK }}
"""

CERTS = {k: os.environ[k] for k in ("SSL_CERT_FILE", "SSL_CERT_DIR") if k in os.environ}
KEY = re.compile(r"shipyard-linux-x64-[0-9a-f]{16}-venv-notify")


@pytest.fixture
def machines(act_harness: ActHarness, tmp_path: Path) -> ActHarness:
    """A harness whose runs share act's cache server (the repository's cache on GitHub) and a
    tool cache of their own that each test empties to play a fresh machine."""
    return ActHarness(
        act=act_harness.act,
        cache_dir=tmp_path / "machine",
        workdir=tmp_path / "act",
        cache_server=tmp_path / "cache-server",
        _session=act_harness._session,
    )


def fresh_machine(harness: ActHarness) -> None:
    """The tool cache of a new hosted runner: empty (same path, as /opt/hostedtoolcache is)."""
    shutil.rmtree(harness.tool_cache)
    harness.tool_cache.mkdir()


def notify(harness: ActHarness, url: str) -> tuple[ActRun, dict[str, StepResult]]:
    run = harness(NOTIFY, vars={"WEBHOOK": url})
    return run, steps_of(run)


def steps_of(run: ActRun) -> dict[str, StepResult]:
    """The notify step and its inner steps by their ids (act's Post stage logs longer paths)."""
    job = run.job("notify")
    return {"notify": job.step("notify")} | {
        step.path[1]: step for step in job.steps.values() if len(step.path) == 2
    }


def test_the_second_job_on_a_fresh_machine_restores_the_venv_and_installs_nothing(
    machines: ActHarness, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.add_webhook("#deploys")
    cold, steps = notify(machines, url)
    cold.raise_for_failure()
    assert len(saved_archives(machines.cache_server or Path())) == 1
    text = "\n".join(steps["notify"].log)
    assert steps["cache-restore"].outcome == "success"  # a miss: nothing there yet
    assert "Cache not found for input keys" in text
    assert "shipyard: installing notify dependencies" in text
    assert steps["cache-save"].outcome == "success"
    (saved,) = re.findall(r"Cache saved with key: (\S+)", text)
    assert KEY.fullmatch(saved)

    fresh_machine(machines)
    warm, steps = notify(machines, url)
    warm.raise_for_failure()
    text = "\n".join(steps["notify"].log)
    assert f"Cache restored from key: {saved}" in text
    assert "installing" not in text
    assert re.search(r"shipyard: reusing \S+/shipyard/venv-[0-9a-f]{16}\b", text)
    assert steps["cache-save"].outcome == "skipped"  # an exact hit: that key's cache is kept
    assert steps["notify"].annotations == []  # actions/cache warned about nothing
    assert len(slack_emulator.messages()) == 2

    # a machine whose tool cache has the venv (self-hosted, act's own) asks the cache nothing
    again, steps = notify(machines, url)
    again.raise_for_failure()
    assert steps["cache-restore"].outcome == steps["cache-save"].outcome == "skipped"
    assert "cache plan: " in "\n".join(steps["notify"].log)


def test_the_opt_out_and_no_cache_service_plan_no_cache_step(
    machines: ActHarness, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.add_webhook("#deploys")
    off = machines(
        NOTIFY.replace('SHIPYARD_DEBUG: "1"', "SHIPYARD_CACHE: false"), vars={"WEBHOOK": url}
    )
    off.raise_for_failure()
    steps = steps_of(off)
    assert steps["cache-restore"].outcome == steps["cache-save"].outcome == "skipped"
    assert machines.cache_server is not None
    assert saved_archives(machines.cache_server) == []


def saved_archives(cache_server: Path) -> list[Path]:
    """The archives act's cache server keeps (its index is a small database beside them)."""
    return [p for p in cache_server.rglob("*") if p.is_file() and p.stat().st_size > 100_000]


def poison(cache_server: Path) -> None:
    """What a workflow that can write the repository's cache could do: make the saved venv's
    site-packages writable by everyone (the archive is a zstd tar of absolute paths)."""
    (archive,) = saved_archives(cache_server)
    raw = subprocess.run(["zstd", "-dc", str(archive)], capture_output=True, check=True).stdout
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(raw)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            if member.isdir() and member.name.endswith("/site-packages"):
                member.mode = 0o777
            data = src.extractfile(member) if member.isfile() else None
            dst.addfile(member, data)
    packed = subprocess.run(
        ["zstd", "-q", "-c"], input=out.getvalue(), capture_output=True, check=True
    ).stdout
    archive.write_bytes(packed)


def test_a_restored_venv_that_others_can_write_is_refused(
    machines: ActHarness, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.add_webhook("#deploys")
    notify(machines, url)[0].raise_for_failure()
    assert machines.cache_server is not None
    poison(machines.cache_server)

    fresh_machine(machines)
    _, steps = notify(machines, url)
    assert steps["notify"].outcome == "failure"
    assert "Cache restored from key" in "\n".join(steps["notify"].log)
    (error,) = [a for a in steps["notify"].annotations if a.level == "error"]
    assert error.title == "shipyard refused an untrusted tool cache"
    assert "site-packages is owned by another user or writable by group/others" in error.message
    assert "exit status 2" in " ".join(steps["run"].messages + steps["notify"].messages)
    assert steps["cache-save"].outcome == "skipped"
    assert len(slack_emulator.messages()) == 1  # nothing ran from it


LINT = """
name: lint
on: push
permissions: {}
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - id: lint
        uses: your-org/actions/lint@v1
"""
LINTED = {"pyproject.toml": "[tool.ruff]\nline-length = 100\n", "app.py": "import os\n"}


def test_lint_restores_its_linters_and_findings_on_a_fresh_machine(machines: ActHarness) -> None:
    cold = machines(LINT, files=LINTED, host_env=CERTS)
    step = cold.step("lint", "lint")
    assert step.outcome == "failure"  # F401: the verdict, not the cache, fails the step
    assert "shipyard: installing lint dependencies" in step.text
    assert step.outputs["cached-files"] == "0"
    (saved,) = re.findall(r"Cache saved with key: (\S+)", step.text)
    assert re.fullmatch(rf"shipyard-linux-x64-[0-9a-f]{{16}}-lint-{cold.sha}", saved)

    fresh_machine(machines)
    warm = machines(LINT, files={**LINTED, "README.md": "a new commit\n"}, host_env=CERTS)
    step = warm.step("lint", "lint")
    assert warm.sha != cold.sha and step.outcome == "failure"
    assert f"Cache restored from key: {saved}" in step.text  # the newest of an older commit
    assert "install" not in step.text  # neither shipyard's venv nor a linter's
    assert step.outputs["cached-files"] == "1"  # app.py's findings came from the cache
    assert step.outputs["findings"] == cold.step("lint", "lint").outputs["findings"]
    assert re.search(rf"Cache saved with key: \S+-lint-{warm.sha}", step.text)  # for the next


AUDIT = """
name: audit
on: push
permissions: {}
jobs:
  audit:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - name: trivy's DB, as a download would leave it
        if: vars.SEED == 'yes'
        run: |
          mkdir -p "$RUNNER_TOOL_CACHE/shipyard-audit/db"
          echo "downloaded $GITHUB_SHA" > "$RUNNER_TOOL_CACHE/shipyard-audit/db/seed.txt"
      - id: audit
        uses: your-org/actions/audit@v1
        with:
          scanners: code
      - id: db
        run: cat "$RUNNER_TOOL_CACHE/shipyard-audit/db/seed.txt"
"""


def test_audit_keeps_its_databases_for_the_day(machines: ActHarness) -> None:
    files = {"app.py": "print('hello')\n"}
    days = {utc_day()}
    first = machines(AUDIT, files=files, vars={"SEED": "yes"}, host_env=CERTS)
    days.add(utc_day())
    first.raise_for_failure()
    step = first.step("audit", "audit")
    assert "shipyard: installing audit dependencies" in step.text
    (saved,) = re.findall(r"Cache saved with key: (\S+)", step.text)
    assert re.fullmatch(r"shipyard-linux-x64-[0-9a-f]{16}-audit-\d{4}-\d\d-\d\d", saved)
    assert saved[-10:] in days

    fresh_machine(machines)
    later = machines(AUDIT, files={**files, "README.md": "later\n"}, host_env=CERTS)
    later.raise_for_failure()
    step = later.step("audit", "audit")
    assert f"Cache restored from key: {saved}" in step.text and "install" not in step.text
    assert f"downloaded {first.sha}" in later.step("audit", "db").text  # not downloaded again
    if utc_day() == saved[-10:]:  # (a run across midnight saves the new day's entry)
        assert later.step("audit", "audit/cache-save").outcome == "skipped"  # today's is kept


def utc_day() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
