"""The agentic runbook (examples/agentic/) under act, with the workflow files as a team has
them: the daily dependency check, and CD on tags: a backup of Redis, the rolling update of three
replicas, the GitHub Release after the deploy; a release that fails is rolled back to the
previous image and Redis is restored from the backup taken before it."""

from __future__ import annotations

import json
import secrets
import threading
import time

import pytest

from tests.e2e.act import ActHarness, ActRun
from tests.e2e.pipeline_helpers import (
    APPROVAL_TOKEN,
    OSV_DB,
    deploy_fixtures,
    deploy_settings,
    image_settings,
)
from tests.e2e.pipelines import REPO, example, sample_app_files
from tests.services.github_emulator import GitHubEmulator
from tests.services.python_image import PythonImage
from tests.services.registry import Registry
from tests.services.service_images import ServiceImages

pytestmark = pytest.mark.usefixtures("remove_local_images")


def test_agentic_scheduled_scan_opens_and_closes_an_issue_for_a_vulnerable_pin(
    pipeline_act: ActHarness, gh: GitHubEmulator
) -> None:
    """scheduled.yml at 2 AM: a vulnerable pin (requests 2.19.0) opens an issue labelled
    dependencies with its advisory; once the pin is fixed the next run closes it. The security
    scan job (trivy on the tree and the image) runs beside it: trivy's vulnerability DB cannot
    be downloaded here, which its summary says, and which does not fail the nightly run."""
    text, name = example("agentic", "scheduled.yml")

    def scan(requirements: str) -> ActRun:
        files = sample_app_files()
        files["requirements.txt"] = requirements
        return pipeline_act(
            text,
            workflow_file=name,
            event="schedule",
            payload={"schedule": "0 2 * * *"},
            vars={"OSV_DB": str(OSV_DB)},
            secrets={"GITHUB_TOKEN": APPROVAL_TOKEN},  # the job token: github.token
            env={"GITHUB_API_URL": gh.api_v3_url},
            files=files,
        )

    vulnerable = scan("requests==2.19.0\n")
    job = vulnerable.job("dependencies/scan")
    assert job.result == "failure", vulnerable.describe()  # blocking findings fail the run
    assert int(job.step("audit").outputs["blocking"]) >= 1
    opened = [
        i
        for i in gh.issues(REPO)
        if i["state"] == "open" and "dependencies" in [label["name"] for label in i["labels"]]
    ]
    assert opened, vulnerable.describe()[-5000:]
    assert any("requests" in i["title"] for i in opened)
    assert job.step("audit").outputs["sarif-file"]

    fixed = scan("requests==2.32.4\n")
    assert fixed.job("dependencies/scan").result == "success", fixed.describe()
    trivy = fixed.job("security-scan/scan")
    assert trivy.result == "success", fixed.describe()
    report = json.loads(trivy.step("audit").outputs["report"])
    assert {(m["scanner"], m["allowed"]) for m in report["did_not_run"]} == {("container", True)}
    assert trivy.summary.startswith("## Audit: container did not run"), trivy.summary[:300]
    for issue in opened:
        assert gh.issue(REPO, issue["number"])["state"] == "closed"


def test_agentic_cd_backs_up_rolls_three_replicas_and_restores_redis_when_a_release_fails(
    request: pytest.FixtureRequest,
    pipeline_act: ActHarness,
    registry: Registry,
    python_base_image: PythonImage,
    service_images_pushed: ServiceImages,
    gh: GitHubEmulator,
) -> None:
    """cd.yml on v3.0.0: Redis backed up (pre-deploy), three replicas rolled one at a time, the
    GitHub Release after the deploy. v3.1.0 goes bad after its backup while it writes to Redis:
    the replicas go back to v3.0.0's image, Redis is restored from that backup (post-rollback,
    the write is gone), an incident issue is opened and v3.1.0 gets no GitHub Release."""
    from tests.services.loadgen import fetch

    host, _ = deploy_fixtures(request)
    app = "agentic"
    hosts, url = deploy_settings(host, "PROD", app)
    hosts = {**{k.replace("PROD_HOSTS", "PROD_HOST"): v for k, v in hosts.items()}}
    hosts["PROD_USER"] = host.ssh.user
    _, variables, secret = image_settings(registry, python_base_image, "agentic")
    text, name = example("agentic", "cd.yml")
    redis = f"agentic-redis-{secrets.token_hex(3)}"
    pulled = registry.docker_env()
    from tests.services._common import run as run_command

    assert run_command(["docker", "pull", service_images_pushed.redis], env=pulled).returncode == 0
    assert host.docker("run", "-d", "--name", redis, service_images_pushed.redis).returncode == 0
    backup = host.home / "backups" / "redis" / "redis_backup_latest"
    settings = {
        **variables,
        **hosts,
        "MONITOR": "15s",
        "BACKUP_COMMAND": f"docker exec {redis} redis-cli SAVE >/dev/null && mkdir -p "
        f"~/backups/redis && docker cp {redis}:/data/dump.rdb ~/backups/redis/redis_backup_latest",
        "RESTORE_COMMAND": f"docker stop {redis} >/dev/null && docker cp "
        f"~/backups/redis/redis_backup_latest {redis}:/data/dump.rdb && docker start {redis}",
    }

    def redis_cli(*args: str) -> str:
        for _ in range(50):
            answer = host.docker("exec", redis, "redis-cli", *args)
            if answer.returncode == 0 and "LOADING" not in answer.stdout:
                return answer.stdout.strip()
            time.sleep(0.2)
        raise AssertionError(f"redis-cli {args}: {answer.stderr}")

    def release(tag: str, files: dict[str, str]) -> ActRun:
        return pipeline_act(
            text, workflow_file=name, ref=f"refs/tags/{tag}", vars=settings,
            secrets={"SSH_KEY": host.ssh.client_key.read_text(),
                     "REGISTRY_PASSWORD": secret["REGISTRY_PASSWORD"],
                     "GITHUB_TOKEN": APPROVAL_TOKEN},
            env={"GITHUB_API_URL": gh.api_v3_url}, files=files, timeout=900,
        )  # fmt: skip

    try:
        assert redis_cli("SET", "conversations", "41") == "OK"
        good = release("v3.0.0", sample_app_files())
        assert good.job("production/deploy").result == "success", good.describe()
        assert "staging/deploy" not in good.jobs  # its caller job's if: is false on a tag
        assert len(host.containers(app)) == 3
        assert fetch(url + "version") == "3.0.0"
        assert backup.is_file(), "the pre-deploy backup did not run"
        assert good.job("github-release/publish").result == "success", good.describe()
        (published,) = gh.releases(REPO)
        assert published["tag_name"] == "v3.0.0"
        assert good.job("release/build").step("image").outputs["digest"] in published["body"]

        # users write while v3.0.0 serves: v3.1.0's backup holds it, v3.0.0's did not
        assert redis_cli("SET", "conversations", "42") == "OK"
        # v3.1.0 writes to Redis once its backup is taken, then goes bad during the watch
        taken = backup.stat().st_mtime_ns
        written = threading.Event()

        def bad_writes() -> None:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and backup.stat().st_mtime_ns == taken:
                time.sleep(0.1)
            redis_cli("SET", "conversations", "corrupted by 3.1.0")
            written.set()

        writer = threading.Thread(target=bad_writes, daemon=True)
        writer.start()
        files = sample_app_files()
        files["Dockerfile"] = files["Dockerfile"].replace(
            "ARG UNHEALTHY_AFTER=-1", "ARG UNHEALTHY_AFTER=6"
        )
        bad = release("v3.1.0", files)
        writer.join(timeout=10)
        assert written.is_set(), "the backup of v3.1.0 was never taken"
        deploy = bad.job("production/deploy")
        assert deploy.result == "failure", bad.describe()
        assert deploy.step("deploy").outputs["status"] == "rolled-back", bad.describe()
        assert "post-rollback" in deploy.step("deploy").outputs["hosts"]
        assert fetch(url + "version") == "3.0.0"
        assert len(host.containers(app)) == 3
        # restored from the backup v3.1.0's pre-deploy took (not an older one, not left alone)
        assert redis_cli("GET", "conversations") == "42"
        assert bad.job("production/incident").result == "success", bad.describe()
        published = [k for k, j in bad.jobs.items() if k.startswith("github-release") and j.ok]
        assert not published, bad.describe()  # the caller job's if: is false: nothing runs
        assert [r["tag_name"] for r in gh.releases(REPO)] == ["v3.0.0"]
    finally:
        host.remove_app(app)
        host.docker("rm", "-f", "-v", redis)
