"""Helpers for the deploy tests: one app per test, its inputs, an in-process run."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from shipyard.deploy.__main__ import run as deploy_run
from shipyard.deploy.spec import SPEC
from tests.action_run import ActionRun, parse_file_commands, run_in_process
from tests.services.deploy_hosts import DeployHost, SampleApp

_COUNTER = itertools.count(1)


@dataclass
class App:
    """One app name per test, its sites on the hosts, and a way to deploy it."""

    name: str
    hosts: list[DeployHost]
    sample: SampleApp
    tmp_path: Path
    urls: dict[str, str] = field(default_factory=dict)
    runs: int = 0

    def inputs(self, version: str, **extra: str) -> dict[str, str]:
        first = self.hosts[0]
        values = {
            "hosts": "\n".join(f"{h.name}={h.target}" for h in self.hosts),
            "user": first.ssh.user,
            "ssh-key": first.ssh.client_key.read_text(),
            "known-hosts": "\n".join(h.known_hosts_line for h in self.hosts),
            "app": self.name,
            "image": self.sample.refs[version],
            "registry-username": self.sample.registry.username,
            "registry-password": self.sample.registry.password,
            "health-timeout": "15s",
            "health-interval": "0.5s",
            "monitor": "0",
            "monitor-interval": "1s",
            "drain-timeout": "1s",
            "lock-wait": "5s",
            **first.proxy_inputs(self.name),
        }
        values.update(extra)
        return values

    def deploy(
        self,
        version: str,
        more: Mapping[str, str] | None = None,
        *,
        runner_env: Mapping[str, str] | None = None,
        **extra: str,
    ) -> ActionRun:
        extra = {**(more or {}), **extra}
        self.runs += 1
        runner_env = {
            "GITHUB_REPOSITORY": "your-org/app",
            "GITHUB_RUN_ID": str(1000 + self.runs),
            "GITHUB_RUN_NUMBER": str(self.runs),
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_ACTOR": "octocat",
            "RUNNER_TEMP": str(self.tmp_path / f"temp{self.runs}"),
            "PATH": os.environ["PATH"],
            **(runner_env or {}),
        }
        Path(runner_env["RUNNER_TEMP"]).mkdir(parents=True, exist_ok=True)
        return run_in_process(
            SPEC,
            cast(Any, deploy_run),  # tests/action_run.py predates ActionContext[S]
            self.tmp_path / f"run{self.runs}",
            self.inputs(version, **extra),
            runner_env,
        )

    def start_process(self, version: str, more: Mapping[str, str]) -> subprocess.Popen[str]:
        """The action as the bootstrap runs it: ``python -m shipyard.deploy``, inputs in env."""
        self.runs += 1
        temp = self.tmp_path / f"temp{self.runs}"
        temp.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
        env.update(RUNNER_TEMP=str(temp), GITHUB_RUN_NUMBER=str(self.runs))
        (temp / "outputs").write_text("")
        env.update(GITHUB_OUTPUT=str(temp / "outputs"))
        inputs = self.inputs(version, **more)
        env.update({SPEC.input(name).env_name: value for name, value in inputs.items()})
        return subprocess.Popen(
            [sys.executable, "-m", "shipyard.deploy"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def process_outputs(self) -> dict[str, str]:
        """The outputs the last :meth:`start_process` wrote (GITHUB_OUTPUT)."""
        return parse_file_commands((self.tmp_path / f"temp{self.runs}" / "outputs").read_text())

    @property
    def url(self) -> str:
        return self.urls[self.hosts[0].name]


def new_app_name() -> str:
    return f"app{os.getpid() % 1000}x{next(_COUNTER)}"


@pytest.fixture
def app(deploy_host: DeployHost, sample_app: SampleApp, tmp_path: Path) -> Iterator[App]:
    """A fresh app name with a site on the loopback host; its containers removed after."""
    name = new_app_name()
    created = App(name, [deploy_host], sample_app, tmp_path)
    created.urls[deploy_host.name] = deploy_host.add_site(name)
    yield created
    for host in created.hosts:
        host.remove_app(name)


@pytest.fixture
def fleet(
    namespace_hosts: list[DeployHost], sample_app: SampleApp, tmp_path: Path
) -> Iterator[App]:
    """A fresh app name with a site on each of the three namespace hosts."""
    created = App(new_app_name(), namespace_hosts, sample_app, tmp_path)
    for host in namespace_hosts:
        created.urls[host.name] = host.add_site(created.name)
    yield created
    for host in namespace_hosts:
        host.remove_app(created.name)


@pytest.fixture
def fresh_app(
    fresh_deploy_host: DeployHost, sample_app: SampleApp, tmp_path: Path
) -> Iterator[App]:
    """Like ``app``, on a host of the test's own."""
    name = new_app_name()
    created = App(name, [fresh_deploy_host], sample_app, tmp_path)
    created.urls[fresh_deploy_host.name] = fresh_deploy_host.add_site(name)
    yield created
    for host in created.hosts:
        host.remove_app(name)
