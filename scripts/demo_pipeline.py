#!/usr/bin/env python3
"""The pipeline demo: the platform runbook (examples/platform/) end to end under act.

Starts the test bed (Docker engine, buildx, QEMU, a registry, two hosts for staging and
production, each in its own network namespace with its own sshd, dockerd and nginx, the GitHub
and Slack emulators, an SMTP server), builds the sample app's Python
base image, then runs, as GitHub would on each event:

1. a pull request: pr-checks.yml (lint, the trivy preview, tests against PostgreSQL and Redis
   with coverage, both images built);
2. the merge to develop: staging-deploy.yml (image develop-<sha>, blue-green deploy to staging,
   smoke test);
3. the tag v1.0.0: production-deploy.yml (security scan and tests, the two-platform image, an
   approval issue that two emulated approvers answer, migrations, blue-green deploy to
   production, a watch, Slack; email on failures only), then its GitHub Release.

It ends by printing where to look. The hosts, their nginx, the app containers and the registry
keep running; the emulators' records are written under the demo folder. Run it through
scripts/demo.sh (which prepares .venv and the test bed's packages first).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.e2e.act import ActHarness, ActRun  # noqa: E402
from tests.e2e.pipelines import (  # noqa: E402
    REPO,
    approve_by_two,
    example,
    stand_in_repositories,
)
from tests.e2e.test_runbook_platform_act import platform_files  # noqa: E402
from tests.services import dockerd, python_image, qemu, registry, service_images  # noqa: E402
from tests.services.github_emulator import GitHubEmulator  # noqa: E402
from tests.services.slack_emulator import DEFAULT_TOKEN, SlackEmulator  # noqa: E402
from tests.services.smtp_server import SmtpServer  # noqa: E402

TOKEN = "ghp_shipyard_demo"  # noqa: S105 (a token of the GitHub emulator)
SMTP_USER, SMTP_PASSWORD = "demo-bot", "demo-password"
STAGES = 6
_started = time.monotonic()


def progress(stage: int, text: str) -> None:
    """One line of progress: stage, seconds since the start, what happens."""
    print(f"[{stage}/{STAGES} {time.monotonic() - _started:6.0f}s] {text}", flush=True)


def jobs_line(run: ActRun) -> str:
    """The result of each job of a run, for the progress line."""
    return ", ".join(
        f"{key}: {job.result}"
        for key, job in run.jobs.items()
        if "/" in key and job.result != "unknown"  # act: the caller of a nested workflow
    )


def check(run: ActRun, stage: str) -> None:
    """Stop the demo when a job of ``run`` failed, with act's account of the run."""
    failed = {k: j.result for k, j in run.jobs.items() if "/" in k and j.result == "failure"}
    if failed:
        print(run.describe(), file=sys.stderr)
        raise SystemExit(f"demo: {stage} failed: {failed}")


def start_hosts(work: Path, registry_port: int) -> dict[str, Any]:
    """Staging and production: two machines, each in its own network namespace with its own
    sshd, dockerd and nginx (the registry's port forwarded into it), as two servers would be.
    What ``--stop`` needs to stop them is written to ``hosts.json``."""
    from tests.services import deploy_hosts

    hosts: dict[str, Any] = {}
    for name in ("staging", "production"):
        tag = f"demo{os.getpid() % 10000}{name[0]}"
        hosts[name] = deploy_hosts.start_namespace_host(
            work / f"host-{name}", tag, [registry_port], name
        )
        record = {
            n: {"netns": h.netns, "pids": list(h.extra_pids), "docker": h.docker_host}
            for n, h in hosts.items()
        }
        (work / "hosts.json").write_text(json.dumps(record))
    return hosts


def host_vars(prefix: str, host: Any, app: str) -> dict[str, str]:
    """The variables a pipeline reads for one host (``STAGING_*``, ``PRODUCTION_*``): address, host
    key, URL and its proxy commands."""
    url = host.add_site(app)
    proxy = host.proxy_inputs(app)
    return {
        f"{prefix}_HOSTS": host.target,
        f"{prefix}_KNOWN_HOSTS": host.known_hosts_line,
        f"{prefix}_URL": url,
        f"{prefix}_USER": host.ssh.user,
        "PROXY_CONFIG": proxy["proxy-config"],
        "PROXY_RELOAD": proxy["proxy-reload"],
        "PROXY_CHECK": proxy["proxy-check"],
    }


def write_summaries(run: ActRun, folder: Path) -> list[Path]:
    """Each job's summary as a Markdown file in ``folder``; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, job in run.jobs.items():
        if job.summary.strip():
            path = folder / (key.replace("/", "--") + ".md")
            path.write_text(job.summary)
            written.append(path)
    return written


def main() -> int:
    """The platform pipeline end to end: the test bed, then CI, release, staging, approval,
    production; prints where the records are."""
    work = Path(os.environ.get("SHIPYARD_DEMO_DIR") or tempfile.mkdtemp(prefix="shipyard-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    progress(1, f"starting the test bed (state in {work})")
    engine = dockerd.ensure()
    dockerd.ensure_buildx(engine)
    qemu.ensure()
    reg = registry.start(work / "registry", engine.docker)
    base = python_image.build_and_push(reg, work / "python-image", engine.docker)
    services = service_images.build_and_push(reg, work / "service-images", engine.docker)
    hosts = start_hosts(work, reg.port)
    app = "platform"
    image = f"{reg.address}/your-org/platform"
    common = {
        "IMAGE": image,
        "BASE_IMAGE": base.ref,
        "REGISTRY_USERNAME": reg.username,
        "OSV_DB": str(ROOT / "tests" / "data" / "osv-pypi"),
        "POSTGRES_IMAGE": services.postgres,
        "REDIS_IMAGE": services.redis,
        "MIGRATE_COMMAND": "python3 -m app.migrate",  # the test bed's image has no `python`
        "MONITOR_INTERVAL": "5s",
        # trivy's vulnerability DB cannot be downloaded here: production's image scan runs
        # without it (secrets in the image's layers only) and says so, instead of blocking
        "IMAGE_SCAN_ALLOW_UNAVAILABLE": "container",
    }
    with (
        GitHubEmulator() as gh,
        SlackEmulator() as slack,
        SmtpServer(work / "tls", users={SMTP_USER: SMTP_PASSWORD}) as smtp,
    ):
        gh.add_user("shipyard-bot", token=TOKEN)
        gh.add_repo(REPO, collaborators={"shipyard-bot": "write", "bob": "write", "carol": "write"})
        gh.add_user("octocat")
        channel = slack.add_channel("#deployments")
        harness = ActHarness(
            workdir=work / "act",
            local_repositories=stand_in_repositories(work / "stand-ins"),
        )
        env = {"GITHUB_API_URL": gh.api_v3_url}
        secrets = {
            "REGISTRY_PASSWORD": reg.password,
            "REGISTRY_LOGINS": f"{reg.address}={reg.username}:{reg.password}",
            "APPROVAL_TOKEN": TOKEN,
            "GITHUB_TOKEN": TOKEN,
            "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
            "SMTP_USERNAME": SMTP_USER,
            "SMTP_PASSWORD": SMTP_PASSWORD,
        }
        # SSH_KEY is a secret of each GitHub environment (deploy.yml); act has no environments,
        # so each run is given the key of the environment it deploys to
        staging_key = {"SSH_KEY": hosts["staging"].ssh.client_key.read_text()}
        production_key = {"SSH_KEY": hosts["production"].ssh.client_key.read_text()}
        settings = {
            **common,
            **host_vars("STAGING", hosts["staging"], app),
            **host_vars("PRODUCTION", hosts["production"], app),
            "STAGING_MONITOR": "10s",
            "MONITOR": "30s",
            "APPROVERS": "bob, carol",
            "APPROVAL_POLL_INTERVAL": "2s",
            "SLACK_API_URL": slack.api_url,
            "SMTP_SERVER": f"127.0.0.1:{smtp.submission_port}",
            "EMAIL_FROM": "Deploy Bot <deploy@example.com>",
            "EMAIL_TO": "team@example.com",
        }
        files = platform_files()
        summaries: list[Path] = []

        progress(2, "pull request #1: examples/platform/pr-checks.yml")
        gh.set_pull_files(REPO, 1, ["services/backend/app/server.py"])
        text, name = example("platform", "pr-checks.yml")
        pr = harness.run(
            text, workflow_file=name, event="pull_request", ref="refs/heads/feature/x",
            payload={"number": 1, "pull_request": {"number": 1, "head": {"ref": "feature/x"},
                                                    "base": {"ref": "develop"}}},
            vars=settings, secrets=secrets, env=env, files=files,
        )  # fmt: skip
        check(pr, "the pull request checks")
        summaries += write_summaries(pr, work / "summaries" / "1-pr-checks")
        print(f"        {jobs_line(pr)}")

        progress(3, "merge to develop: examples/platform/staging-deploy.yml")
        text, name = example("platform", "staging-deploy.yml")
        staging = harness.run(
            text,
            workflow_file=name,
            ref="refs/heads/develop",
            vars=settings,
            secrets={**secrets, **staging_key},
            env=env,
            files=files,
        )
        check(staging, "the staging deploy")
        summaries += write_summaries(staging, work / "summaries" / "2-staging-deploy")
        print(f"        {jobs_line(staging)}")

        progress(4, "tag v1.0.0: examples/platform/production-deploy.yml "
                    "(bob and carol approve in the issue)")  # fmt: skip
        thread = approve_by_two(gh, slack, channel, issue=1)
        text, name = example("platform", "production-deploy.yml")
        production = harness.run(
            text, workflow_file=name, ref="refs/tags/v1.0.0", vars=settings,
            secrets={**secrets, **production_key}, env=env, files=files,
            host_env={"SSL_CERT_FILE": str(smtp.ca_cert)}, timeout=1500,
        )  # fmt: skip
        thread.join(timeout=10)
        check(production, "the production deploy")
        summaries += write_summaries(production, work / "summaries" / "3-production-deploy")
        print(f"        {jobs_line(production)}")

        progress(5, "collecting what the pipeline left behind")
        records = work / "records"
        records.mkdir(exist_ok=True)
        (records / "slack-messages.json").write_text(json.dumps(slack.messages(channel), indent=2))
        issue = gh.issue(REPO, 1)
        comments = gh.comments(REPO, 1)
        (records / "approval-issue.json").write_text(
            json.dumps({"issue": issue, "comments": comments}, indent=2)
        )
        releases = gh.releases(REPO)
        (records / "github-releases.json").write_text(json.dumps(releases, indent=2))
        for index, mail in enumerate(smtp.messages, 1):
            (records / f"email-{index}.eml").write_bytes(mail.message.as_bytes())
        tags = sorted(reg_tags(reg, "your-org/platform"))

        progress(6, "done: where to look")
        print(f"\n  App (production):  {settings['PRODUCTION_URL']}version  -> "
              f"{fetch(settings['PRODUCTION_URL'] + 'version')}")  # fmt: skip
        print(f"  App (staging):     {settings['STAGING_URL']}version  -> "
              f"{fetch(settings['STAGING_URL'] + 'version')}")  # fmt: skip
        print("  Slack #deployments:")
        for message in slack.messages(channel):
            history = " -> ".join(h["text"] for h in message.get("history", []))
            print(f"    {message['text']}   (was: {history})")
        print("  Email (devops@example.com, failures and rollbacks only):")
        if not smtp.messages:
            print("    none: nothing failed")
        for mail in smtp.messages:
            print(f"    {mail.message['Subject']}  to {', '.join(mail.rcpt_tos)}")
        print(f"  Approval issue #1: {issue['title']} ({issue['state']}, {issue['state_reason']})")
        for comment in comments:
            first = comment["body"].strip().splitlines()[0]
            print(f"    {comment['user']['login']}: {first}")
        print(f"  Image {image}: tags {', '.join(tags)}")
        for release in releases:
            print(f"  GitHub Release {release['tag_name']}: {release['html_url']}")
        print(f"  Job summaries: {work / 'summaries'} ({len(summaries)} files)")
        print(f"  Records (Slack, issue, email, releases): {records}")
        print(f"  act's logs: {work / 'act'}")
        print("\n  The hosts, the app containers and the registry keep running; stop them with:")
        print(f"    bash scripts/demo.sh --stop {work}")
    return 0


def reg_tags(reg: registry.Registry, repository: str) -> list[str]:
    """The tags of ``repository`` in the test bed's registry."""
    from tests.build_push._run import registry_api

    return registry_api(reg).tags(repository)


def fetch(url: str) -> str:
    """The body of ``url`` (the app's version page), or why there is none."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (loopback)
            return str(answer.read().decode().strip())
    except OSError as exc:
        return f"(no answer: {exc})"


def stop(work: Path) -> int:
    """Stop what the demo left running under ``work``."""
    from tests.services import sshd
    from tests.services._common import run as run_command
    from tests.services._common import stop_pid

    recorded = work / "hosts.json"
    hosts = json.loads(recorded.read_text()) if recorded.exists() else {}
    for name, host in hosts.items():
        server = sshd.load(work / f"host-{name}" / "sshd")
        if server is not None:
            sshd.stop(server)
        env = {**os.environ, "DOCKER_HOST": host["docker"]}
        listed = run_command(["docker", "ps", "-aq"], env=env, timeout=60)
        if listed.stdout.split():
            run_command(["docker", "rm", "-f", *listed.stdout.split()], env=env, timeout=120)
        for pid in reversed(host["pids"]):
            stop_pid(pid, timeout=30)
        run_command(["ip", "netns", "del", host["netns"]], timeout=30)
    running = registry.load(work / "registry")
    if running is not None:
        registry.stop(running)
    print(f"stopped the demo's services in {work}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--stop":
        raise SystemExit(stop(Path(sys.argv[2])))
    raise SystemExit(main())
