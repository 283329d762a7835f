"""Build metadata: the BUILD_* build arguments and the OCI labels.

Pure: the time comes in as an argument (the entry point reads the clock, or SOURCE_DATE_EPOCH
for reproducible builds), so tests are deterministic.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .tags import RefContext

OCI = "org.opencontainers.image."


def input_lines(value: str) -> list[str]:
    """An input that holds one item per line (values may contain commas)."""
    return [line for line in value.splitlines() if line.strip()]


@dataclass(frozen=True)
class RepositoryInfo:
    """What the labels say about the source repository (from the event payload)."""

    name: str = ""
    description: str = ""
    html_url: str = ""
    license: str = ""

    @classmethod
    def from_event(
        cls, event: Mapping[str, Any], repository: str = "", server_url: str = ""
    ) -> RepositoryInfo:
        """What the event says about the repository (description, license, URLs), for the OCI
        labels."""
        repo = event.get("repository")
        data: Mapping[str, Any] = repo if isinstance(repo, Mapping) else {}
        license_data = data.get("license")
        spdx = license_data.get("spdx_id", "") if isinstance(license_data, Mapping) else ""
        url = str(data.get("html_url") or "")
        if not url and repository:
            url = f"{(server_url or 'https://github.com').rstrip('/')}/{repository}"
        name = str(data.get("name") or repository.rsplit("/", 1)[-1])
        return cls(
            name=name,
            description=str(data.get("description") or ""),
            html_url=url,
            license=str(spdx or "") if spdx != "NOASSERTION" else "",
        )


def build_time(now: datetime) -> str:
    """RFC 3339 in UTC, seconds precision: ``2024-05-06T07:08:09Z``."""
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def clock(env: Mapping[str, str]) -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc)


def branch_name(ctx: RefContext) -> str:
    """The branch the image is built from: the branch, or the PR's head branch."""
    return ctx.branch or (ctx.head_ref if ctx.is_pull_request else "")


def build_info_args(
    ctx: RefContext, version: str, run_number: str, now: datetime
) -> dict[str, str]:
    """BUILD_VERSION, BUILD_SHA, BUILD_TIME, BUILD_NUMBER, BUILD_BRANCH (an unknown value is
    left out, so the Dockerfile's ARG default applies)."""
    values = {
        "BUILD_VERSION": version,
        "BUILD_SHA": ctx.sha,
        "BUILD_TIME": build_time(now),
        "BUILD_NUMBER": run_number,
        "BUILD_BRANCH": branch_name(ctx),
    }
    return {key: value for key, value in values.items() if value}


def oci_labels(
    ctx: RefContext, repo: RepositoryInfo, version: str, now: datetime
) -> dict[str, str]:
    """The OCI labels: title, description, url, source, version, created, revision, licenses
    (empty values left out)."""
    labels = {
        "title": repo.name,
        "description": repo.description,
        "url": repo.html_url,
        "source": repo.html_url,
        "version": version,
        "created": build_time(now),
        "revision": ctx.sha,
        "licenses": repo.license,
    }
    return {OCI + key: value for key, value in labels.items() if value}


def merged(defaults: Mapping[str, str], overrides: Mapping[str, str]) -> dict[str, str]:
    """The defaults with the user's values on top (the user's win)."""
    result = dict(defaults)
    result.update(overrides)
    return result


def runner_temp(env: Mapping[str, str]) -> str:
    """RUNNER_TEMP on a runner, else the system's temporary directory."""
    import tempfile

    path = env.get("RUNNER_TEMP", "")
    return path if path and os.path.isdir(path) else tempfile.gettempdir()
