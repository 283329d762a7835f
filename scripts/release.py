"""Release shipyard from a ``vX.Y.Z`` tag: what ``.github/workflows/publish.yml`` runs.

Usage (from the repository's root)::

    python3 -m scripts.release check [TAG]    # the tag and its CHANGELOG section (and with
                                              # publish's environment: the commit is on main)
    python3 -m scripts.release notes TAG      # print the release's text, to read it first
    python3 -m scripts.release publish        # the GitHub Release, then vX and vX.Y

``TAG`` defaults to ``$GITHUB_REF_NAME``. ``publish`` reads ``GITHUB_REPOSITORY``, ``GITHUB_SHA``
(the tagged commit), ``GITHUB_API_URL`` and the token from ``GH_TOKEN`` (contents: write), and is
safe to run again: an existing release is updated and a tag already in place is left alone.

The rules (``scripts/release_rules.py``, written down in RELEASING.md): the tag is a semantic
version on a commit of main (or of ``release/X.Y``, for a fix of an older minor);
CHANGELOG.md has its section and is well formed, or nothing is created (exit 2); the
release's name is the tag, its text the section; a pre-release (``-rc.1``) is marked as one and
moves no tag; ``vX`` and ``vX.Y`` move to the tagged commit (created when missing, updated with
``force`` through the git refs API) unless a higher ``vX.*`` (``vX.Y.*``) release tag exists,
so they never go back. A failure of GitHub's API is exit 3, after which a re-run finishes.

Standard library only: the job that holds the write token installs and runs nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.release_rules import (
    ReleaseError,
    Section,
    TagMove,
    Version,
    is_latest,
    moving_tags,
    release_body,
    release_section,
)

ROOT = Path(__file__).resolve().parent.parent
BAD_INPUT, GITHUB_FAILED = 2, 3


class GitHubError(Exception):
    """GitHub answered with an error, or could not be reached."""

    def __init__(self, what: str, status: int | None, answer: str) -> None:
        super().__init__(f"{what}: HTTP {status}" if status else what)
        self.status = status
        self.answer = answer

    @property
    def message(self) -> str:
        """GitHub's ``message`` field, if the answer has one."""
        try:
            found = json.loads(self.answer).get("message")
        except (ValueError, AttributeError):
            return ""
        return found if isinstance(found, str) else ""


def untrusted(text: str) -> None:
    """Print text from a server so that it cannot issue workflow commands."""
    token = secrets.token_hex(16)
    print(f"::stop-commands::{token}\n{text}\n::{token}::", flush=True)


@dataclass
class GitHub:
    """The few REST calls a release makes, over urllib."""

    api_url: str
    repository: str
    token: str

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """``method`` on ``/repos/{repository}{path}``; the decoded answer (None if empty)."""
        url = f"{self.api_url.rstrip('/')}/repos/{self.repository}{path}"
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise GitHubError(f"GITHUB_API_URL is not an http(s) URL: {self.api_url!r}", None, "")
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            url,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                raw = answer.read()
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            raise GitHubError(f"{method} {path}", error.code, text) from None
        except OSError as error:  # URLError, timeouts
            what = f"{method} {path}: {type(error).__name__}"
            raise GitHubError(what, None, str(error)) from None
        return json.loads(raw) if raw.strip() else None

    def tag_names(self, prefix: str) -> list[str]:
        """The names of the tags that start with ``prefix`` (``v`` lists every version)."""
        refs = self.call("GET", f"/git/matching-refs/tags/{urllib.parse.quote(prefix)}")
        return [str(ref["ref"]).removeprefix("refs/tags/") for ref in refs]

    def tag_sha(self, name: str) -> str | None:
        """The commit tag ``name`` points at; None when there is no such tag."""
        try:
            ref = self.call("GET", f"/git/ref/tags/{urllib.parse.quote(name)}")
        except GitHubError as error:
            if error.status == 404:
                return None
            raise
        return str(ref["object"]["sha"])

    def set_tag(self, name: str, sha: str) -> str:
        """Point the lightweight tag ``name`` at ``sha``; what was done, in words."""
        current = self.tag_sha(name)
        if current == sha:
            return f"{name} already points at {sha[:12]}"
        if current is None:
            self.call("POST", "/git/refs", {"ref": f"refs/tags/{name}", "sha": sha})
            return f"{name} created at {sha[:12]}"
        path = f"/git/refs/tags/{urllib.parse.quote(name)}"
        self.call("PATCH", path, {"sha": sha, "force": True})
        return f"{name} moved from {current[:12]} to {sha[:12]}"

    def publish_release(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Create the release of ``fields["tag_name"]``, or update it when a run before made it."""
        try:
            created: dict[str, Any] = self.call("POST", "/releases", fields)
            return created
        except GitHubError as error:
            if error.status != 422 or "already_exists" not in error.answer:
                raise
        tag = urllib.parse.quote(str(fields["tag_name"]), safe="")
        existing = self.call("GET", f"/releases/tags/{tag}")
        updated: dict[str, Any] = self.call("PATCH", f"/releases/{int(existing['id'])}", fields)
        return updated


# ------------------------------------------------------------------------------- commands


def read_section(tag: str, changelog: Path) -> tuple[Version, Section]:
    """The tag's version and its CHANGELOG section (ReleaseError when either is wrong)."""
    version = Version.from_tag(tag)
    try:
        text = changelog.read_text(encoding="utf-8")
    except OSError as error:
        raise ReleaseError(f"cannot read {changelog.name}: {error.strerror}") from None
    return version, release_section(text, version)


def release_branch(github: GitHub, version: Version, sha: str) -> str:
    """The branch the tagged commit is on: the default branch (main), or ``release/X.Y`` for a
    fix of an older minor (RELEASING.md). ReleaseError when it is on neither: a tag pushed on
    a commit of another branch, or of no branch, releases nothing."""
    default = str(github.call("GET", "")["default_branch"])
    branches = [default, f"release/{version.major}.{version.minor}"]
    for branch in branches:
        try:
            answer = github.call("GET", f"/compare/{urllib.parse.quote(branch)}...{sha}")
        except GitHubError as error:
            if error.status == 404:  # no such branch
                continue
            raise
        if answer.get("status") in ("identical", "behind"):
            return branch
    raise ReleaseError(
        f"{version.tag} tags commit {sha[:12]}, which is on neither {branches[0]} nor "
        f"{branches[1]}: a release is a commit of {default} (RELEASING.md). Delete the tag "
        f"(git push --delete origin {version.tag}) and tag the merged commit"
    )


def check(tag: str, changelog: Path, env: Mapping[str, str]) -> int:
    """The tag names a version, CHANGELOG.md has its section, and (in the workflow, which gives
    the API and a token) the tagged commit is on main: say so."""
    version, section = read_section(tag, changelog)
    kind = "pre-release" if version.prerelease else "release"
    where = ""
    if all(env.get(name) for name in PUBLISH_ENV):
        github = GitHub(env["GITHUB_API_URL"], env["GITHUB_REPOSITORY"], env["GH_TOKEN"])
        where = f", on {release_branch(github, version, env['GITHUB_SHA'])}"
    print(
        f"::notice title=Release {version.tag}::a {kind}, CHANGELOG section "
        f"{section.heading!r}{where}"
    )
    return 0


def notes(tag: str, changelog: Path) -> int:
    """Print the release's text as publish would write it (placeholders for the commit)."""
    version, section = read_section(tag, changelog)
    moves = moving_tags(version, [])
    repository = os.environ.get("GITHUB_REPOSITORY", "your-org/actions")
    print(release_body(section, version, repository, "<commit sha>", moves), end="")
    return 0


def publish(tag: str, changelog: Path, env: Mapping[str, str]) -> int:
    """The GitHub Release from the tag's CHANGELOG section, then the moving tags."""
    version, section = read_section(tag, changelog)
    github = GitHub(env["GITHUB_API_URL"], env["GITHUB_REPOSITORY"], env["GH_TOKEN"])
    sha = env["GITHUB_SHA"]
    release_branch(github, version, sha)  # again: nothing is created for a commit off main
    tags = github.tag_names("v")
    moves = moving_tags(version, tags)
    latest = is_latest(version, tags)
    release = github.publish_release(
        {
            "tag_name": version.tag,
            "name": version.tag,
            "body": release_body(section, version, env["GITHUB_REPOSITORY"], sha, moves),
            "prerelease": version.prerelease,
            "make_latest": "true" if latest else "false",
        }
    )
    print(f"release {version.tag}: {release.get('html_url')} (latest: {str(latest).lower()})")
    done = [github.set_tag(m.name, sha) if m.move else f"{m.name} stays: {m.reason}" for m in moves]
    for line in done:
        print(line)
    summarize(env, version, str(release.get("html_url")), moves, done)
    return 0


def summarize(
    env: Mapping[str, str], version: Version, url: str, moves: Sequence[TagMove], done: list[str]
) -> None:
    """The job summary: the release and what happened to each moving tag."""
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    rows = "".join(f"| `{m.name}` | {line} |\n" for m, line in zip(moves, done, strict=True))
    kind = "Pre-release" if version.prerelease else "Release"
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(
            f"### {kind} {version.tag}\n\n{url}\n\n| moving tag | what happened |\n"
            f"| --- | --- |\n{rows}"
        )


#: What ``publish`` needs in its environment (``check`` checks the branch when it has them).
PUBLISH_ENV = ("GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_API_URL", "GH_TOKEN")


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run one command; 0 done, 2 a rule is broken (nothing created), 3 GitHub failed."""
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="python3 -m scripts.release", description=__doc__)
    parser.add_argument("command", choices=("check", "notes", "publish"))
    parser.add_argument("tag", nargs="?", default=env.get("GITHUB_REF_NAME", ""))
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return check(args.tag, args.changelog, env)
        if args.command == "notes":
            return notes(args.tag, args.changelog)
        missing = [n for n in PUBLISH_ENV if not env.get(n)]
        if missing:
            raise ReleaseError(f"publish needs {', '.join(missing)} in its environment")
        return publish(args.tag, args.changelog, env)
    except ReleaseError as error:
        print(f"::error title=No release::{one_line(str(error))}", flush=True)
        return BAD_INPUT
    except GitHubError as error:
        hint = ""
        if error.status == 403:
            hint = (
                " (403: the token needs contents: write; GitHub also refuses a GITHUB_TOKEN a "
                "tag on a commit whose .github/workflows differ from every branch's: set the "
                "RELEASE_TOKEN secret, see RELEASING.md)"
            )
        print(f"::error title=Release failed::{one_line(str(error))}{hint}", flush=True)
        if error.answer:
            untrusted(error.answer)
        print("Each step is safe to repeat: run the job again once the cause is fixed.")
        return GITHUB_FAILED


def one_line(text: str) -> str:
    """Our own message as one annotation line (% and line breaks escaped as the runner reads)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


if __name__ == "__main__":
    sys.exit(main())
