"""Who asked, who can approve, and the policy that follows from the settings."""

from __future__ import annotations

import re
from collections.abc import Iterable

from shipyard.runtime import InputError
from shipyard.runtime.context import RunContext

from .decision import Approver, Policy
from .github_api import GitHubApi
from .spec import Settings
from .words import build_words

_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")


def started_by(run: RunContext) -> list[str]:
    """Who started this run: the actor, and whoever re-ran it."""
    return merge_people((run.actor, run.triggering_actor))


def merge_people(logins: Iterable[str]) -> list[str]:
    """The logins once each (case-insensitively), in order, empty ones dropped."""
    people: list[str] = []
    for login in logins:
        if login and login.lower() not in {p.lower() for p in people}:
            people.append(login)
    return people


def resolve_approvers(api: GitHubApi, specs: list[str]) -> list[Approver]:
    """Users as GitHub spells them and the members of each org/team (every page)."""
    approvers: list[Approver] = []
    seen: set[str] = set()

    def add(login: str, via: str = "") -> None:
        if login.lower() not in seen:
            seen.add(login.lower())
            approvers.append(Approver(login, via))

    for spec in (s.strip().removeprefix("@") for s in specs):
        if "/" in spec:
            for member in _team_members(api, spec):
                add(member, spec)
        else:
            add(_user(api, spec))
    return approvers


def _user(api: GitHubApi, login: str) -> str:
    if not _LOGIN.match(login):
        raise InputError("approvers", f"'{login}' is not a GitHub user name or org/team.")
    found = api.user_login(login)
    if found is None:
        raise InputError("approvers", f"there is no GitHub user '{login}'.")
    return found


def _team_members(api: GitHubApi, team: str) -> list[str]:
    org, _, slug = team.partition("/")
    if not org or not slug or "/" in slug or not _LOGIN.match(org):
        raise InputError("approvers", f"'{team}' is not a team; write it as org/team-slug.")
    members = api.team_members(org, slug)
    if members is None:
        raise InputError(
            "approvers",
            f"the team '{org}/{slug}' was not found, or the token cannot read it.",
            hint="Reading team members needs a token with read:org (a GitHub App or a "
            "personal token); the job's GITHUB_TOKEN cannot read teams.",
        )
    return members


def build_policy(settings: Settings, approvers: list[Approver], initiators: list[str]) -> Policy:
    """The policy, checking that enough people can approve."""
    policy = Policy(
        approvers=tuple(approvers),
        minimum=settings.minimum_approvals,
        initiators=frozenset(i.lower() for i in initiators if i),
        exclude_initiator=settings.exclude_initiator,
        words=build_words(settings.approve_words, settings.deny_words),
        require_checklist=settings.require_checklist,
    )
    eligible = policy.eligible()
    if settings.minimum_approvals > len(eligible):
        who = ", ".join(a.login for a in eligible) or "nobody"
        excluded = policy.excluded()
        note = (
            f"; {', '.join(a.login for a in excluded)} started the run and cannot approve "
            "(exclude-initiator)"
            if excluded
            else ""
        )
        raise InputError(
            "minimum-approvals",
            f"{settings.minimum_approvals} approvals are needed, but only {len(eligible)} "
            f"{'person' if len(eligible) == 1 else 'people'} can approve ({who}{note}).",
        )
    return policy
