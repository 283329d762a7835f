"""The formats kept on each host (issue 24): release records, audit lines and the lock's
holder, exactly as written (sorted keys, so a file is the same whoever wrote it), their
defaults when read, and how a holder is described."""

from __future__ import annotations

import json

from shipyard.deploy.releases import LockHolder, Release, audit_line

R1 = "20260101000000-r1"


def test_a_release_record_is_sorted_json_and_reads_back() -> None:
    record = Release(R1, "img", "img@sha256:1", 12.5, "url", "me", "deployed", 3)
    assert record.to_json() == (
        '{"actor": "me", "digest": "img@sha256:1", "id": "20260101000000-r1", "image": "img", '
        '"replicas": 3, "result": "deployed", "run_url": "url", "started": 12.5}'
    )
    assert Release.from_json(record.to_json()) == record


def test_a_release_record_with_only_its_id_and_image() -> None:
    assert Release.from_json(json.dumps({"id": R1, "image": "img"})) == Release(
        R1, "img", "", 0.0, "", "", "", 1
    )
    assert Release.from_json(json.dumps({"image": "img"})) is None
    assert Release.from_json(json.dumps({"id": R1, "image": "i", "replicas": "x"})) is None
    assert Release.from_json("[1]") is None
    assert Release.from_json("{not json") is None


def test_a_release_is_pulled_by_digest_when_known() -> None:
    assert Release(R1, "img", "img@sha256:1", 0, "", "", "").ref == "img@sha256:1"
    assert Release(R1, "img", "", 0, "", "", "").ref == "img"


def test_an_audit_line() -> None:
    line = audit_line("rollback", R1, 1.23456, "url", "me", previous="r0", image="img")
    assert line == (
        '{"actor": "me", "event": "rollback", "image": "img", "previous": "r0", '
        '"release": "20260101000000-r1", "run_url": "url", "time": 1.235}'
    )


def test_a_lock_holder_is_sorted_json_and_reads_back() -> None:
    holder = LockHolder("abc", "url", "me", 10.5, 1800.0, R1)
    assert holder.to_json() == (
        '{"actor": "me", "id": "abc", "release": "20260101000000-r1", "run_url": "url", '
        '"started": 10.5, "ttl": 1800.0}'
    )
    assert LockHolder.from_json(holder.to_json()) == holder
    assert LockHolder.from_json(json.dumps({"id": "abc"})) is None
    assert LockHolder.from_json("nope") is None


def test_a_new_lock_holder_has_a_fresh_random_id() -> None:
    one = LockHolder.new("url", "me", 10.0, 60.0, R1)
    two = LockHolder.new("url", "me", 10.0, 60.0, R1)
    assert (one.run_url, one.actor, one.started, one.ttl, one.release) == (
        "url", "me", 10.0, 60.0, R1,
    )  # fmt: skip
    assert len(one.id) == 16 and int(one.id, 16) >= 0
    assert one.id != two.id


def test_a_holder_in_words() -> None:
    holder = LockHolder("abc", "https://ci/runs/1", "hubot", 100.0, 60.0, R1)
    assert holder.describe(161.4) == f"https://ci/runs/1 (by hubot, release {R1}, 61s ago)"
    assert holder.describe(50.0) == f"https://ci/runs/1 (by hubot, release {R1}, 0s ago)"
    anonymous = LockHolder("abc", "", "", 100.0, 60.0, R1)
    assert anonymous.describe(100.2) == f"an unknown run (by unknown, release {R1}, 0s ago)"
