"""The edges of who may approve and what the comments decide, found unpinned by the mutation
run (scripts/mutation.py): logins whose case differs, the exact evaluation (votes, ignored
comments, when and where it was decided), the people behind the policy, and the exact words
of the trust checks. Pure: the GitHub directory is a small in-memory stand-in for the
adapter's two look-ups (``user_login``, ``team_members``); the adapter itself is tested
against the emulator in test_wait.py and test_check.py."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.approval.body import Request
from shipyard.approval.decision import (
    REASON_BEFORE,
    REASON_EDITED,
    REASON_INITIATOR,
    REASON_NOT_A_WORD,
    REASON_OUTSIDER,
    Approver,
    Checklist,
    Comment,
    Evaluation,
    Ignored,
    IssueData,
    Policy,
    Vote,
    evaluate,
)
from shipyard.approval.people import (
    build_policy,
    merge_people,
    resolve_approvers,
    started_by,
)
from shipyard.approval.spec import Settings
from shipyard.approval.trust import (
    RunActors,
    TextHistory,
    Untrusted,
    author_problem,
    body_problem,
    check_request,
    request_initiators,
    unticked,
)
from shipyard.runtime import InputError
from shipyard.runtime.context import RunContext
from shipyard.runtime.settings import parse_settings


def c(n: int, author: str, body: str, **kw: Any) -> Comment:
    created = f"2026-01-01T00:00:{n:02d}Z"
    return Comment(n, author, body, created, created, url=f"u{n}", **kw)


def settings(**raw: str) -> Settings:
    values = {"approvers": "bob", "token": "t", **{k.replace("_", "-"): v for k, v in raw.items()}}
    return parse_settings(Settings, values)


BOB, CAROL, ALICE = Approver("bob"), Approver("carol"), Approver("alice")


# --- the issue's example: the initiator, whatever the case of the login --------------------


def test_the_initiator_cannot_approve_when_the_logins_case_differs() -> None:
    # The run's actor as GitHub spells it, the approver as the input lists it, and a comment
    # by either spelling: none of them makes the initiator an approver of their own run.
    policy = build_policy(settings(minimum_approvals="1"), [Approver("alice"), BOB], ["Alice"])
    assert policy.initiators == frozenset({"alice"})
    assert policy.eligible() == [BOB]
    for login in ("alice", "Alice", "ALICE"):
        assert not policy.can_approve(login), login
        assert policy.is_initiator(login)
        result = evaluate([c(1, login, "approve")], policy)
        assert result.status == "pending"
        assert result.ignored == (Ignored(login, "approve", REASON_INITIATOR, "u1"),)


def test_an_initiator_listed_in_another_case_is_excluded_and_named() -> None:
    policy = Policy(approvers=(Approver("Alice"), BOB), initiators=frozenset({"alice"}))
    assert policy.eligible() == [BOB]
    assert policy.excluded() == [Approver("Alice")]
    with pytest.raises(InputError) as caught:
        build_policy(settings(minimum_approvals="2"), [Approver("Alice"), BOB], ["ALICE"])
    assert str(caught.value) == (
        "Input 'minimum-approvals': 2 approvals are needed, but only 1 person can approve "
        "(bob; Alice started the run and cannot approve (exclude-initiator))."
    )


# --- the policy ---------------------------------------------------------------------------------


def test_eligible_skips_the_initiator_and_duplicates_and_goes_on() -> None:
    policy = Policy(
        approvers=(ALICE, BOB, Approver("Bob", via="org/t"), Approver("ALICE"), CAROL),
        initiators=frozenset({"alice"}),
    )
    assert policy.eligible() == [BOB, CAROL]
    assert policy.excluded() == [ALICE]
    assert (
        Policy(
            approvers=(ALICE, BOB), initiators=frozenset({"alice"}), exclude_initiator=False
        ).excluded()
        == []
    )


def test_build_policy_takes_every_setting() -> None:
    policy = build_policy(
        settings(
            minimum_approvals="2",
            exclude_initiator="false",
            approve_words="ship it",
            deny_words="stop",
            require_checklist="true",
            checklist_items="Tests",
        ),
        [BOB, CAROL],
        ["", "Bob"],
    )
    assert policy.approvers == (BOB, CAROL)
    assert policy.minimum == 2
    assert policy.initiators == frozenset({"bob"})
    assert policy.exclude_initiator is False and policy.require_checklist is True
    assert policy.words.classify("ship it") == "approve"
    assert policy.words.classify("stop") == "deny"


@pytest.mark.parametrize(
    ("approvers", "initiators", "message"),
    [
        ([BOB], [], "2 approvals are needed, but only 1 person can approve (bob)."),
        ([], [], "2 approvals are needed, but only 0 people can approve (nobody)."),
        (
            [BOB, CAROL, Approver("bob")],
            [],
            "3 approvals are needed, but only 2 people can approve (bob, carol).",
        ),
        (
            [ALICE, BOB, CAROL],
            ["alice", "carol"],
            "2 approvals are needed, but only 1 person can approve (bob; alice, carol started "
            "the run and cannot approve (exclude-initiator)).",
        ),
    ],
)
def test_too_few_approvers_word_for_word(
    approvers: list[Approver], initiators: list[str], message: str
) -> None:
    needed = message.split(" ", 1)[0]
    with pytest.raises(InputError) as caught:
        build_policy(settings(minimum_approvals=needed), approvers, initiators)
    assert str(caught.value) == f"Input 'minimum-approvals': {message}"


def test_exactly_enough_approvers_is_enough() -> None:
    policy = build_policy(settings(minimum_approvals="2"), [BOB, CAROL], [])
    assert policy.eligible() == [BOB, CAROL]


# --- the people ---------------------------------------------------------------------------------


def test_who_started_the_run_is_the_actor_and_who_re_ran_it_once_each() -> None:
    assert started_by(RunContext(actor="alice", triggering_actor="Bob")) == ["alice", "Bob"]
    assert started_by(RunContext(actor="alice", triggering_actor="ALICE")) == ["alice"]
    assert started_by(RunContext(actor="", triggering_actor="bob")) == ["bob"]


def test_merge_people() -> None:
    assert merge_people(["a", "", "B", "b", "A", "c"]) == ["a", "B", "c"]


class Directory:
    """GitHub's users and teams as the two look-ups of the adapter answer them."""

    def __init__(self, users: list[str], teams: dict[str, list[str]]) -> None:
        self.users = {u.lower(): u for u in users}
        self.teams = teams
        self.asked: list[str] = []

    def user_login(self, login: str) -> str | None:
        self.asked.append(login)
        return self.users.get(login.lower())

    def team_members(self, org: str, slug: str) -> list[str] | None:
        self.asked.append(f"{org}/{slug}")
        return self.teams.get(f"{org}/{slug}")


DIRECTORY = Directory(["Bob", "carol", "dave"], {"org/rel": ["dave", "Carol", "erin"]})


def test_approvers_are_resolved_once_each_as_github_spells_them() -> None:
    found = resolve_approvers(DIRECTORY, [" @bob ", "org/rel", "CAROL", "@org/rel"])
    assert found == [
        Approver("Bob"),
        Approver("dave", "org/rel"),
        Approver("Carol", "org/rel"),
        Approver("erin", "org/rel"),
    ]


def test_a_user_or_a_team_with_a_leading_at_is_looked_up_without_it() -> None:
    directory = Directory(["bob"], {"org/rel": ["erin"]})
    assert resolve_approvers(directory, ["@bob", "@org/rel"]) == [
        Approver("bob"),
        Approver("erin", "org/rel"),
    ]
    assert directory.asked == ["bob", "org/rel"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bo b", "'bo b' is not a GitHub user name or org/team."),
        ("-bob", "'-bob' is not a GitHub user name or org/team."),
        ("a" * 40, f"'{'a' * 40}' is not a GitHub user name or org/team."),
        ("nobody", "there is no GitHub user 'nobody'."),
        ("org/", "'org/' is not a team; write it as org/team-slug."),
        ("/rel", "'/rel' is not a team; write it as org/team-slug."),
        ("org/rel/x", "'org/rel/x' is not a team; write it as org/team-slug."),
        ("o rg/rel", "'o rg/rel' is not a team; write it as org/team-slug."),
        ("org/other", "the team 'org/other' was not found, or the token cannot read it."),
    ],
)
def test_approvers_that_cannot_be_resolved_word_for_word(spec: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        resolve_approvers(DIRECTORY, [spec])
    assert str(caught.value) == f"Input 'approvers': {message}"


def test_a_login_of_39_characters_and_a_bot_are_user_names() -> None:
    longest = "a" * 39
    directory = Directory([longest, "renovate[bot]", "a-b"], {})
    assert resolve_approvers(directory, [longest, "renovate[bot]", "a-b"]) == [
        Approver(longest),
        Approver("renovate[bot]"),
        Approver("a-b"),
    ]


def test_a_team_that_cannot_be_read_says_what_the_token_needs() -> None:
    with pytest.raises(InputError) as caught:
        resolve_approvers(DIRECTORY, ["org/secret"])
    assert caught.value.hint == (
        "Reading team members needs a token with read:org (a GitHub App or a personal token); "
        "the job's GITHUB_TOKEN cannot read teams."
    )


# --- the evaluation, exactly ------------------------------------------------------------------


POLICY = Policy(
    approvers=(BOB, CAROL, Approver("Dave")), minimum=2, initiators=frozenset({"alice"})
)


def test_an_approval_is_decided_with_every_field() -> None:
    checklist = Checklist(2, 2)
    result = evaluate(
        [c(1, "bob", "approve"), c(2, "eve", "yes"), c(3, "carol", "lgtm")], POLICY, checklist
    )
    assert result == Evaluation(
        "approved",
        (
            Vote("bob", "approve", "2026-01-01T00:00:01Z", "u1"),
            Vote("carol", "approve", "2026-01-01T00:00:03Z", "u3"),
        ),
        (Ignored("eve", "yes", REASON_OUTSIDER, "u2"),),
        "2026-01-01T00:00:03Z",
        checklist,
    )


def test_a_denial_is_decided_with_every_field() -> None:
    checklist = Checklist(1, 0)
    result = evaluate(
        [c(1, "bob", "approve"), c(2, "carol", "hmm"), c(3, "bob", "no")], POLICY, checklist
    )
    assert result == Evaluation(
        "denied",
        (Vote("bob", "deny", "2026-01-01T00:00:03Z", "u3"),),
        (Ignored("carol", "hmm", REASON_NOT_A_WORD, "u2"),),
        "2026-01-01T00:00:03Z",
        checklist,
    )
    assert result.vote_of("BOB") == Vote("bob", "deny", "2026-01-01T00:00:03Z", "u3")
    assert result.vote_of("carol") is None
    assert result.decided


def test_pending_keeps_the_checklist_and_every_ignored_comment() -> None:
    checklist = Checklist(3, 1)
    comments = [
        c(1, "bob", "yes"),
        c(2, "alice", "yes"),
        c(3, "carol", "yes", last_edited_at="2026-01-01T00:01:00Z"),
        c(4, "Dave", "yes"),
    ]
    result = evaluate(comments, POLICY, checklist, after=1)
    assert result.status == "pending" and not result.decided
    assert result.checklist == checklist
    assert result.votes == (Vote("Dave", "approve", "2026-01-01T00:00:04Z", "u4"),)
    assert result.ignored == (
        Ignored("bob", "yes", REASON_BEFORE, "u1"),
        Ignored("alice", "yes", REASON_OUTSIDER, "u2"),
        Ignored("carol", "yes", REASON_EDITED, "u3"),
    )
    assert not result.waiting_for_checklist  # one approval of two: not waiting for the boxes


def test_an_unlisted_initiator_is_an_outsider_not_an_excluded_approver() -> None:
    result = evaluate([c(1, "alice", "approve")], POLICY)
    assert result.ignored == (Ignored("alice", "approve", REASON_OUTSIDER, "u1"),)


def test_an_edited_approval_is_skipped_and_the_next_comments_still_count() -> None:
    edited = c(1, "bob", "yes", last_edited_at="2026-01-01T00:01:00Z")
    result = evaluate([edited, c(2, "carol", "yes"), c(3, "bob", "yes")], POLICY)
    assert result.status == "approved"
    assert result.approved_by == ["carol", "bob"]


def test_waiting_for_the_checklist_needs_enough_approvals() -> None:
    policy = Policy(approvers=(BOB, CAROL), minimum=1, require_checklist=True)
    assert not evaluate([], policy, Checklist(2, 0)).waiting_for_checklist
    assert evaluate([c(1, "bob", "yes")], policy, Checklist(2, 0)).waiting_for_checklist
    assert not evaluate([c(1, "bob", "yes")], policy, Checklist(2, 2)).waiting_for_checklist


def test_issue_data_from_the_api() -> None:
    data = {
        "number": "7",
        "title": "Approve v1",
        "state": "closed",
        "body": "text",
        "comments": 3,
        "html_url": "https://github.com/o/r/issues/7",
        "user": {"login": "shipyard[bot]"},
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-02T00:00:00Z",
    }
    assert IssueData.from_json(data) == IssueData(
        7,
        "Approve v1",
        "closed",
        "text",
        3,
        "https://github.com/o/r/issues/7",
        "shipyard[bot]",
        "2026-01-01T00:00:00Z",
        "2026-01-02T00:00:00Z",
    )
    bare = {"number": 8, "title": None, "body": None, "comments": None, "user": None}
    assert IssueData.from_json(bare) == IssueData(8, "", "open", "", 0, "", "", "", "")
    assert IssueData.from_json({"number": 9, "user": "ghost"}).author == ""


# --- trust, word for word -----------------------------------------------------------------------


def test_unticked() -> None:
    assert unticked("- [x] a  \r\n  * [X] b\rc\n1. [x] d\n    - [x] code") == (
        "- [ ] a\n  * [ ] b\nc\n1. [ ] d\n    - [x] code"
    )


BODY = "<!-- marker -->\n- [ ] Tests"


def history(*revisions: str | None, editor: str = "bob") -> TextHistory:
    return TextHistory("bot", "2026-01-01T00:00:09Z", editor, True, len(revisions), revisions)


def test_body_problems_word_for_word() -> None:
    assert body_problem(BODY + "  ", history(BODY, BODY + "   ")) is None  # trailing blanks
    assert body_problem("", history("", "")) is None
    indented = BODY.replace("\n", "\n ")
    assert body_problem(indented, history(BODY, indented)) == (
        "was edited by bob at 2026-01-01 00:00:09 UTC (more than ticking checklist boxes)"
    )
    assert body_problem(BODY + "!", history(BODY, BODY + "!", editor="")) == (
        "was edited at 2026-01-01 00:00:09 UTC (more than ticking checklist boxes)"
    )
    assert body_problem(BODY, history(BODY, None, editor="")) == (
        "was edited at 2026-01-01 00:00:09 UTC, and GitHub's history of its edits cannot be "
        "read in full"
    )


def test_author_problems_word_for_word() -> None:
    assert author_problem("", "bot") == "was opened by nobody, not by this token's identity (bot)"
    assert author_problem("", None) == (
        "was opened by nobody, and this token cannot say who it is (GET /user was refused), so "
        "only a request opened by a GitHub App ([bot]) is accepted"
    )
    assert author_problem("alice", None) == (
        "was opened by alice, and this token cannot say who it is (GET /user was refused), so "
        "only a request opened by a GitHub App ([bot]) is accepted"
    )


def test_check_request_word_for_word() -> None:
    check_request(3, BODY, TextHistory("Robot"), "robot")  # its own, unedited: trusted
    with pytest.raises(Untrusted) as caught:
        check_request(3, BODY, TextHistory("alice"), "robot")
    assert (
        caught.value.message
        == str(caught.value)
        == (
            "Issue #3 was opened by alice, not by this token's identity (robot): its approval "
            "request cannot be trusted. Close it and request approval again."
        )
    )


def test_request_initiators_word_for_word() -> None:
    with pytest.raises(Untrusted) as caught:
        request_initiators(4, Request(), None)
    assert caught.value.message == (
        "Issue #4's approval request names no workflow run, so who started it cannot be checked."
    )
    with pytest.raises(Untrusted) as caught:
        request_initiators(4, Request(run_id="9"), None)
    assert caught.value.message == (
        "Cannot check who asked for the approval of issue #4: workflow run 9 of this "
        "repository cannot be read (it was deleted, or the token cannot see it)."
    )
    request = Request(initiators=("Alice",), run_id="9")
    assert request_initiators(4, request, RunActors("alice", "")) == ("Alice",)
    assert request_initiators(4, request, RunActors("", "bob")) == ("Alice", "bob")
