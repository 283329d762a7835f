"""The settings, parsed from raw input strings with no runner, network or files."""

from __future__ import annotations

import pytest

from shipyard.approval.settings import DEFAULT_TIMEOUT, parse_dispatch_inputs
from shipyard.approval.spec import SPEC, Settings
from shipyard.runtime import InputError
from shipyard.runtime.settings import parse_settings

BASE = {"approvers": "bob, your-org/release", "token": "t"}


def parse(**raw: str) -> Settings:
    return parse_settings(Settings, {**BASE, **{k.replace("_", "-"): v for k, v in raw.items()}})


def test_defaults() -> None:
    settings = parse()
    assert settings.mode == "wait"
    assert settings.approvers == ["bob", "your-org/release"]
    assert settings.minimum_approvals == 1
    assert settings.exclude_initiator and settings.fail_on_denial
    assert not settings.require_checklist and not settings.allow_foreign_issue
    assert settings.timeout is None and settings.wait_seconds == DEFAULT_TIMEOUT
    assert settings.poll_interval == 15.0
    assert settings.issue_number is None
    assert settings.checklist_items[0] == "All tests passing"
    assert settings.dispatch_inputs == {}
    assert settings.environment == "production"


def test_kinds_are_parsed() -> None:
    settings = parse(
        mode="check",
        minimum_approvals="2",
        timeout="1h30m",
        poll_interval="30s",
        labels="deploy\nproduction",
        issue_number="7",
        on_approved="deploy.yml",
        on_approved_inputs='{"version": 1.5, "dry": true}',
        checklist="- [ ] One\n* Two\n\n",
    )
    assert settings.mode == "check"
    assert settings.minimum_approvals == 2
    assert settings.timeout == 5400.0 and settings.wait_seconds == 5400.0
    assert settings.labels == ["deploy", "production"]
    assert settings.issue_number == 7
    assert settings.dispatch_inputs == {"version": "1.5", "dry": "true"}
    assert settings.checklist_items == ["One", "Two"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"approvers": ""}, "Input 'approvers': is required"),
        ({"approvers": ", ,"}, "Input 'approvers': is empty"),
        ({"token": ""}, "Input 'token': is empty."),
        ({"mode": "later"}, "Input 'mode': 'later' is not allowed"),
        ({"minimum-approvals": "0"}, "Input 'minimum-approvals': 0 is too"),
        ({"poll-interval": "100ms"}, "Input 'poll-interval'"),
        ({"poll-interval": "0.5"}, "Input 'poll-interval': must be at least 1s."),
        ({"timeout": "0"}, "Input 'timeout': must be longer than 0s."),
        ({"target-repository": "nope"}, "Input 'target-repository': 'nope' is not owner/name."),
        # issue 17 item 11: a part of dots would climb the API's URL path (/repos/../..)
        ({"target-repository": "../.."}, "Input 'target-repository': '../..' is not owner"),
        ({"target-repository": "acme/.."}, "Input 'target-repository': 'acme/..' is not owner"),
        ({"target-repository": "./app"}, "Input 'target-repository': './app' is not owner"),
        ({"on-approved": "deploy.yml"}, "Input 'on-approved': is used only with mode: check."),
        ({"mode": "request", "issue-number": "3"}, "Input 'issue-number': cannot be used"),
        ({"allow-foreign-issue": "true"}, "Input 'allow-foreign-issue': is used only"),
        ({"mode": "check", "allow-foreign-issue": "true", "issue-number": "3"}, "is used only"),
        ({"deny-words": "approve"}, "Input 'deny-words': 'approve' cannot both approve and deny."),
        (
            {"require-checklist": "true", "checklist": "none"},
            "Input 'require-checklist': is true, but the issue has no checklist",
        ),
        (
            {"mode": "check", "on-approved-inputs": "x"},
            "Input 'on-approved-inputs': line 1 is not KEY=VALUE",
        ),
    ],
)
def test_bad_inputs_name_the_input(raw: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_settings(Settings, {**BASE, **raw})
    assert message in caught.value.message


def test_a_checklist_in_the_issue_body_is_enough() -> None:
    settings = parse(require_checklist="true", checklist="none", issue_body="- [ ] Backup\n")
    assert settings.require_checklist and settings.checklist_items == []


def test_dispatch_inputs() -> None:
    assert parse_dispatch_inputs("a=1\n\n b = two words \n") == {"a": "1", "b": "two words"}
    with pytest.raises(InputError, match="line 1 is not KEY=VALUE"):
        parse_dispatch_inputs("=x")
    with pytest.raises(InputError, match="'x' must be a string, number or boolean"):
        parse_dispatch_inputs('{"x": null}')
    with pytest.raises(InputError, match="is not valid JSON"):
        parse_dispatch_inputs("{nope")
    with pytest.raises(InputError, match="workflow_dispatch takes at most 25"):
        parse_dispatch_inputs("\n".join(f"i{n}=v" for n in range(26)))


def test_the_spec_is_derived_from_the_settings() -> None:
    names = [item.name for item in SPEC.inputs]
    assert names[:3] == ["mode", "approvers", "minimum-approvals"]
    assert SPEC.input("mode").choices == ("wait", "request", "check")
    assert SPEC.input("token").secret
    assert SPEC.input("timeout").kind == "duration"
    assert SPEC.input("allow-foreign-issue").default == "false"
