"""The pure parts: words, the decision rules, the issue body, the marker, release tags."""

from __future__ import annotations

import pytest

from shipyard.approval.body import (
    BodyParts,
    Request,
    checklist_items,
    default_title,
    format_duration,
    neutralize_markers,
    parse_checklist,
    parse_marker,
    previous_release,
    render_body,
    render_marker,
)
from shipyard.approval.decision import (
    REASON_BEFORE,
    REASON_EDITED,
    REASON_INITIATOR,
    REASON_NOT_A_WORD,
    REASON_OUTSIDER,
    Approver,
    Checklist,
    Comment,
    Policy,
    evaluate,
)
from shipyard.approval.trust import (
    RunActors,
    TextHistory,
    Untrusted,
    author_problem,
    body_problem,
    check_request,
    request_initiators,
)
from shipyard.approval.words import Words, build_words, normalize
from shipyard.runtime import InputError

WORDS = Words()


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("approve", "approve"),
        ("Approved.", "approve"),
        ("  LGTM!!  ", "approve"),
        ("yes", "approve"),
        ("DENY", "deny"),
        ("denied!", "deny"),
        ("No.", "deny"),
        ("approve this?", None),
        ("approve?", None),
        ("not approved", None),
        ("lgtm, ship it", None),
        ("", None),
        ("> approve\n\nno", None),
    ],
)
def test_words(text: str, verdict: str | None) -> None:
    assert WORDS.classify(text) == verdict


def test_extra_words_and_their_errors() -> None:
    words = build_words(["Ship it!", "go"], ["Stop"])
    assert words.classify("ship   it.") == "approve"
    assert words.classify("GO") == "approve"
    assert words.classify("stop!") == "deny"
    assert normalize(" Ship\tIt!! ") == "ship it"
    with pytest.raises(InputError, match="'yes' cannot both approve and deny"):
        build_words([], ["yes"])
    with pytest.raises(InputError, match="is not a word"):
        build_words(["!!!"], [])


def c(n: int, author: str, body: str, edited: bool = False) -> Comment:
    created = f"2026-01-01T00:00:{n:02d}Z"
    return Comment(n, author, body, created, created, last_edited_at=created if edited else "")


POLICY = Policy(
    approvers=(
        Approver("bob"),
        Approver("carol"),
        Approver("Dave", via="org/team"),
        Approver("alice"),
    ),
    minimum=2,
    initiators=frozenset({"alice"}),
)


def test_two_of_three_and_each_approver_counts_once() -> None:
    once = evaluate([c(1, "bob", "approve"), c(2, "BOB", "lgtm")], POLICY)
    assert once.status == "pending" and once.approved_by == ["bob"]
    done = evaluate([c(1, "bob", "approve"), c(2, "bob", "yes"), c(3, "dave", "yes")], POLICY)
    assert done.status == "approved"
    assert done.approved_by == ["bob", "dave"]
    assert done.decided_at == "2026-01-01T00:00:03Z"


def test_deny_wins_over_earlier_approvals_but_not_over_a_decision() -> None:
    denied = evaluate([c(1, "bob", "approve"), c(2, "carol", "no")], POLICY)
    assert denied.status == "denied" and denied.denied_by == ["carol"]
    assert denied.approved_by == ["bob"]
    changed_mind = evaluate([c(1, "bob", "approve"), c(2, "bob", "deny")], POLICY)
    assert changed_mind.status == "denied" and changed_mind.approved_by == []
    late = evaluate([c(1, "bob", "approve"), c(2, "carol", "yes"), c(3, "dave", "deny")], POLICY)
    assert late.status == "approved"  # decided before the denial
    # comments arrive out of order from the API: the time they were posted decides
    reordered = evaluate([c(2, "carol", "no"), c(1, "bob", "approve")], POLICY)
    assert reordered.status == "denied"


def test_ignored_comments_and_their_reasons() -> None:
    result = evaluate(
        [
            c(1, "mallory", "approve"),
            c(2, "alice", "approve"),
            c(3, "bob", "approve this?"),
            c(4, "carol", "approve", edited=True),
        ],
        POLICY,
    )
    assert result.status == "pending"
    assert [(i.author, i.reason) for i in result.ignored] == [
        ("mallory", REASON_OUTSIDER),
        ("alice", REASON_INITIATOR),
        ("bob", REASON_NOT_A_WORD),
        ("carol", REASON_EDITED),
    ]


def test_initiator_can_approve_when_not_excluded() -> None:
    policy = Policy(
        approvers=POLICY.approvers, minimum=1, initiators=POLICY.initiators, exclude_initiator=False
    )
    assert evaluate([c(1, "alice", "approve")], policy).status == "approved"
    assert [a.login for a in POLICY.eligible()] == ["bob", "carol", "Dave"]
    assert [a.login for a in POLICY.excluded()] == ["alice"]


def test_checklist_gate() -> None:
    policy = Policy(approvers=POLICY.approvers, minimum=1, require_checklist=True)
    comments = [c(1, "bob", "approve")]
    waiting = evaluate(comments, policy, Checklist(total=3, ticked=2))
    assert waiting.status == "pending" and waiting.waiting_for_checklist
    assert evaluate(comments, policy, Checklist(total=3, ticked=3)).status == "approved"
    # a denial does not wait for the checklist
    assert evaluate([c(1, "bob", "no")], policy, Checklist(3, 0)).status == "denied"
    ungated = Policy(approvers=POLICY.approvers, minimum=1)
    assert evaluate(comments, ungated, Checklist(3, 0)).status == "approved"


def test_parse_checklist_ignores_code_blocks() -> None:
    body = "\n".join(
        [
            "- [x] one",
            "* [X] two",
            "1. [ ] three",
            "```",
            "- [ ] not a box",
            "```",
            "- [] not a box either",
            "    - [ ] indented code, not a box",
        ]
    )
    assert parse_checklist(body) == Checklist(total=3, ticked=2)
    assert checklist_items("- [ ] a\nb\n\n") == ["a", "b"]
    assert checklist_items("None") == []


def test_marker_round_trip_and_cannot_be_closed_early() -> None:
    request = Request(initiators=("alice",), version="v1 --> <script>", run_id="7", nonce="n")
    marker = render_marker(request)
    assert marker.count("-->") == 1 and "<script>" not in marker
    assert parse_marker(f"text\n{marker}\nmore") == request
    assert parse_marker("no marker") is None
    assert parse_marker("<!-- shipyard-approval {not json} -->") is None
    assert parse_marker('<!-- shipyard-approval {"v":2} -->') is None


def test_previous_release() -> None:
    tags = [
        ("v1.4.0", "sha4"),
        ("v1.3.1", "sha3"),
        ("v1.3.0", "sha2"),
        ("v2.0.0-rc1", "x"),
        ("nightly", "y"),
    ]
    assert previous_release(tags, "v1.4.0", "sha4") == "v1.3.1"
    assert previous_release(tags, "1.3.1", "other") == "v1.3.0"
    assert previous_release(tags, "main", "sha4") == "v1.3.1"
    assert previous_release(tags, "v1.0.0", "z") is None


def test_title_duration_and_body() -> None:
    assert default_title("Release", "v1.4.0", "production") == (
        "Approval needed: Release v1.4.0 -> production"
    )
    assert default_title("", "", "") == "Approval needed"
    assert format_duration(21000) == "5h50m"
    assert format_duration(90) == "1m30s"
    body = render_body(
        BodyParts(
            request=Request(initiators=("alice",), workflow="Deploy *x*", version="v1"),
            requested_by=["alice"],
            approver_specs=["bob", "@org/team"],
            eligible=[Approver("bob"), Approver("dave", "org/team")],
            excluded=[],
            minimum=1,
            words=build_words(["ship"], []),
            checklist=["Tests"],
            require_checklist=False,
            extra="**Extra** notes",
        )
    )
    assert "**Deploy \\*x\\*** wants to deploy **v1**" in body
    assert "Needs **1** approval from: @bob, @org/team." in body
    assert "People who can approve: @bob, @dave." in body
    assert "`ship`" in body
    assert "- [ ] Tests" in body
    assert body.startswith("<!-- shipyard-approval ")  # the marker first: no input precedes it


def test_an_edited_deny_denies_and_an_edited_approval_does_not_count() -> None:
    edited_no = Comment(1, "bob", "no", "2026-01-01T00:00:01Z", last_edited_at="x", editor="bob")
    assert evaluate([edited_no, c(2, "carol", "yes")], POLICY).status == "denied"
    edited_yes = Comment(1, "bob", "yes", "2026-01-01T00:00:01Z", last_edited_at="x", editor="eve")
    result = evaluate([edited_yes, c(2, "carol", "yes")], POLICY)
    assert result.status == "pending"
    assert result.ignored[0].reason == "edited by eve after posting (post a new comment instead)"


def test_comments_before_the_request_do_not_count() -> None:
    result = evaluate(
        [c(1, "bob", "yes"), c(2, "carol", "no"), c(5, "dave", "yes")], POLICY, after=2
    )
    assert result.status == "pending" and result.approved_by == ["dave"]
    assert [i.reason for i in result.ignored] == [REASON_BEFORE, REASON_BEFORE]


def test_trust_of_the_request() -> None:
    body = "<!-- marker -->\n- [ ] Tests\n- [ ] Rollback\ntext"
    fresh = TextHistory("shipyard-bot")
    assert body_problem(body, fresh) is None
    ticked = body.replace("- [ ] Tests", "- [x] Tests").replace("\n", "\r\n")
    history = TextHistory("shipyard-bot", "2026-01-01T00:00:09Z", "bob", True, 2, (body, ticked))
    assert body_problem(ticked, history) is None
    changed = ticked.replace("marker", "forged")
    tampered = TextHistory("shipyard-bot", "2026-01-01T00:00:09Z", "bob", True, 2, (body, changed))
    assert body_problem(changed, tampered) == (
        "was edited by bob at 2026-01-01 00:00:09 UTC (more than ticking checklist boxes)"
    )
    partial = TextHistory("shipyard-bot", "2026-01-01T00:00:09Z", "bob", True, 3, (body, ticked))
    assert "cannot be read in full" in (body_problem(ticked, partial) or "")
    hidden = TextHistory("shipyard-bot", "2026-01-01T00:00:09Z", "bob", True, 2, (body, None))
    assert "cannot be read in full" in (body_problem(ticked, hidden) or "")

    assert author_problem("Shipyard-Bot", "shipyard-bot") is None
    assert "opened by alice, not by this token's identity" in (
        author_problem("alice", "shipyard-bot") or ""
    )
    assert author_problem("github-actions[bot]", None) is None  # GITHUB_TOKEN: no GET /user
    assert "only a request opened by a GitHub App" in (author_problem("alice", None) or "")
    with pytest.raises(Untrusted, match="cannot be trusted"):
        check_request(3, changed, tampered, "shipyard-bot")

    request = Request(initiators=("alice",), repository="o/r", run_id="7")
    assert request_initiators(3, request, RunActors("alice", "Carol")) == ("alice", "Carol")
    with pytest.raises(Untrusted, match="workflow run 7 of o/r cannot be read"):
        request_initiators(3, request, None)
    with pytest.raises(Untrusted, match="names no workflow run"):
        request_initiators(3, Request(initiators=("alice",)), None)


def test_markers_in_input_text_are_made_inert() -> None:
    marker = render_marker(Request(initiators=()))
    assert parse_marker(neutralize_markers(f"notes {marker}")) is None
