"""The workflow run's context (repository, commit, actor, run link): a value built from the
environment and the event (pure; :func:`shipyard.runtime.entry.run_context` reads them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PULL_REQUEST_EVENTS = frozenset(
    {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment"}
)


def _dig(event: object, *keys: str) -> Any:
    value: Any = event
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


@dataclass(frozen=True)
class RunContext:
    """What GitHub (or act) tells a step about its run. Empty strings when not on a runner.

    ``commit`` is *the* commit of the run: the pull request's head on pull-request events
    (GITHUB_SHA is then a merge commit), else GITHUB_SHA. Every action uses it, never its own
    reading of the event.
    """

    repository: str = ""
    sha: str = ""
    ref: str = ""
    ref_name: str = ""
    head_ref: str = ""
    actor: str = ""
    triggering_actor: str = ""
    event_name: str = ""
    workflow: str = ""
    job: str = ""
    run_id: str = ""
    run_number: str = ""
    run_attempt: str = ""
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    workspace: str = ""
    event_path: str = ""
    event: Mapping[str, Any] = field(default_factory=dict)
    commit: str = ""
    pr_number: int | None = None
    base_ref: str = ""
    default_branch: str = ""
    temp_dir: str = ""
    tool_cache: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str], event: Mapping[str, Any]) -> RunContext:
        """The facts of ``env`` (GITHUB_*, RUNNER_*) and of the run's ``event`` payload;
        ``temp_dir`` and ``tool_cache`` as the runner gives them ('' off a runner)."""
        event_path = env.get("GITHUB_EVENT_PATH", "")
        event_name = env.get("GITHUB_EVENT_NAME", "")
        sha = env.get("GITHUB_SHA", "")
        pull = _dig(event, "pull_request") if event_name in PULL_REQUEST_EVENTS else None
        commit = str(_dig(pull, "head", "sha") or sha) if isinstance(pull, Mapping) else sha
        number = _dig(pull, "number") if isinstance(pull, Mapping) else None
        if number is None and isinstance(_dig(event, "issue", "pull_request"), Mapping):
            number = _dig(event, "issue", "number")  # a comment on a pull request
        return cls(
            commit=commit,
            pr_number=number if isinstance(number, int) and not isinstance(number, bool) else None,
            base_ref=env.get("GITHUB_BASE_REF", "") or str(_dig(pull, "base", "ref") or ""),
            default_branch=str(_dig(event, "repository", "default_branch") or ""),
            temp_dir=env.get("RUNNER_TEMP", ""),
            tool_cache=env.get("RUNNER_TOOL_CACHE", ""),
            repository=env.get("GITHUB_REPOSITORY", ""),
            sha=sha,
            ref=env.get("GITHUB_REF", ""),
            ref_name=env.get("GITHUB_REF_NAME", ""),
            head_ref=env.get("GITHUB_HEAD_REF", "") or str(_dig(pull, "head", "ref") or ""),
            actor=env.get("GITHUB_ACTOR", ""),
            triggering_actor=env.get("GITHUB_TRIGGERING_ACTOR", "") or env.get("GITHUB_ACTOR", ""),
            event_name=event_name,
            workflow=env.get("GITHUB_WORKFLOW", ""),
            job=env.get("GITHUB_JOB", ""),
            run_id=env.get("GITHUB_RUN_ID", ""),
            run_number=env.get("GITHUB_RUN_NUMBER", ""),
            run_attempt=env.get("GITHUB_RUN_ATTEMPT", ""),
            server_url=(env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
            api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            workspace=env.get("GITHUB_WORKSPACE", ""),
            event_path=event_path,
            event=event,
        )

    @property
    def repository_url(self) -> str:
        """The repository's web page, or '' outside a runner."""
        return f"{self.server_url}/{self.repository}" if self.repository else ""

    @property
    def run_url(self) -> str:
        """The link to this workflow run, or '' outside a runner."""
        if not (self.repository and self.run_id):
            return ""
        url = f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"
        if self.run_attempt and self.run_attempt != "1":
            url += f"/attempts/{self.run_attempt}"
        return url

    @property
    def commit_url(self) -> str:
        """The web page of GITHUB_SHA, or '' outside a runner."""
        return f"{self.repository_url}/commit/{self.sha}" if self.repository and self.sha else ""

    @property
    def short_sha(self) -> str:
        """The first seven characters of GITHUB_SHA."""
        return self.sha[:7]

    def as_template_data(self) -> dict[str, str]:
        """The ``github.*`` names a payload template may use (strings only)."""
        data = {
            "repository": self.repository,
            "sha": self.sha,
            "short_sha": self.short_sha,
            "ref": self.ref,
            "ref_name": self.ref_name,
            "head_ref": self.head_ref,
            "actor": self.actor,
            "triggering_actor": self.triggering_actor,
            "event_name": self.event_name,
            "workflow": self.workflow,
            "job": self.job,
            "run_id": self.run_id,
            "run_number": self.run_number,
            "run_attempt": self.run_attempt,
            "server_url": self.server_url,
            "run_url": self.run_url,
            "repository_url": self.repository_url,
            "commit_url": self.commit_url,
        }
        return data
