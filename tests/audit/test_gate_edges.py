"""The edges of the audit's verdict (pure): what the gate counts and blocks, ignore-unfixed,
allow-unavailable and the step's failure, and the ignore file's boundaries (an entry that
expires today, a glob in the middle of a path, every message and hint). Each case here pins
a change that scripts/mutation.py showed no other pure test noticing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shipyard.audit import ignore
from shipyard.audit.gate import evaluate, unfixed
from shipyard.audit.ignore import IgnoreResult, apply_ignores, glob_match, parse_ignore
from shipyard.audit.outcome import Audit, Unavailable
from shipyard.audit.severity import blocks, gating_rank
from shipyard.audit.spec import SCANNERS, Settings, check_image_reference
from shipyard.audit.verdict import failure_of as failure
from shipyard.findings.model import Finding, level_of
from shipyard.runtime import ConfigError, ExternalError, InputError, VerdictFailure
from shipyard.runtime.errors import ExitCode
from shipyard.runtime.settings import parse_settings

TODAY = dt.date(2026, 3, 1)
SOURCE = ".shipyard/audit-ignore.yml"


def advisory(fingerprint: str, severity: Any = "high", **kw: Any) -> Finding:
    """A package's advisory (osv unless ``tool``), fixed in 2.0 unless ``fixed``."""
    fields: dict[str, Any] = {
        "tool": "osv",
        "rule": f"PYSEC-{fingerprint}",
        "message": "m",
        "severity": severity,
        "fingerprint": fingerprint,
        "package": "requests",
        "installed": "1.0",
        "fixed": ("2.0",),
    }
    fields.update(kw)
    return Finding(level=level_of(severity or "unknown"), **fields)


def placed(fingerprint: str, severity: Any = "high", **kw: Any) -> Finding:
    """A finding at a place in the code (bandit's B105 in src/app.py unless given)."""
    fields: dict[str, Any] = {"file": "src/app.py", "line": 3, "rule": "B105", "tool": "bandit"}
    fields.update(kw)
    return Finding(
        message="m",
        level=level_of(severity or "unknown"),
        severity=severity,
        fingerprint=fingerprint,
        **fields,
    )


# ---------------------------------------------------------------- the gate and its counts


def test_counts_every_active_finding_by_severity_an_unrated_one_as_unknown() -> None:
    findings = [
        advisory("a", "high"),
        advisory("b", "high"),
        advisory("c", "low"),
        placed("d", None),
        placed("e", None),
        advisory("f", "critical"),
    ]
    ignores = IgnoreResult(suppressed={"f": "not reachable"})
    verdict = evaluate(findings, ignores, "high", "ignore")
    assert verdict.counts() == {"critical": 0, "high": 2, "medium": 0, "low": 1, "unknown": 2}
    assert [f.fingerprint for f in verdict.active] == ["a", "b", "c", "d", "e"]
    assert verdict.findings[0].fingerprint == "f"  # suppressed, still listed


def test_by_scanner_counts_the_first_scanner_sorted_by_name() -> None:
    findings = [
        advisory("a", "high", tool="trivy"),
        advisory("b", "high", tool="trivy"),
        placed("c", None),
        advisory("d", "low"),
        advisory("e", "medium", tool="trivy", tools=("trivy", "osv")),
        advisory("f", "critical", tool="trivy"),
    ]
    verdict = evaluate(findings, IgnoreResult(suppressed={"f": "r"}), "high", "high")
    table = verdict.by_scanner()
    assert list(table) == ["bandit", "osv", "trivy"]
    zero = dict.fromkeys(("critical", "high", "medium", "low", "unknown"), 0)
    assert table["bandit"] == {**zero, "unknown": 1}
    assert table["osv"] == {**zero, "low": 1}
    assert table["trivy"] == {**zero, "high": 2, "medium": 1}


def test_is_blocking_names_the_blocking_findings_only() -> None:
    high, low = advisory("h", "high"), advisory("l", "low")
    verdict = evaluate([low, high], IgnoreResult(), "high", "high")
    assert verdict.is_blocking(high) and not verdict.is_blocking(low)
    assert not evaluate([high], IgnoreResult(), "never", "high").is_blocking(high)


def test_an_unrated_finding_gates_as_the_unknown_policy_says() -> None:
    """A finding whose tool rates none (severity None) gates as `unknown`; a rated one by
    its own severity, whatever the policy."""
    unrated, rated = placed("u", None), placed("r", "high")
    assert evaluate([unrated], IgnoreResult(), "low", "low").blocking == [unrated]
    assert evaluate([unrated], IgnoreResult(), "medium", "low").blocking == []
    assert evaluate([unrated], IgnoreResult(), "low", "ignore").blocking == []
    assert evaluate([rated], IgnoreResult(), "high", "ignore").blocking == [rated]


def test_the_verdict_keeps_what_it_was_judged_by() -> None:
    ignores = IgnoreResult(suppressed={"x": "r"}, stale=[])
    verdict = evaluate([advisory("a")], ignores, "medium", "low", ignore_unfixed=True)
    assert verdict.threshold == "medium" and verdict.unknown_policy == "low"
    assert verdict.ignores is ignores and verdict.ignore_unfixed is True
    assert verdict.suppressed == {"x": "r"} and verdict.suppressed is not ignores.suppressed
    assert evaluate([], IgnoreResult(), "high", "high").ignore_unfixed is False


@pytest.mark.parametrize(
    ("severity", "threshold", "unknown", "expected"),
    [
        ("low", "low", "high", True),
        ("medium", "high", "high", False),
        ("critical", "critical", "ignore", True),
        ("unknown", "low", "ignore", False),
        ("unknown", "low", "low", True),
        ("unknown", "critical", "high", False),
        ("critical", "never", "high", False),
    ],
)
def test_blocks_at_the_boundaries(
    severity: Any, threshold: Any, unknown: Any, expected: bool
) -> None:
    assert blocks(severity, threshold, unknown) is expected


def test_gating_rank() -> None:
    assert gating_rank("unknown", "ignore") == 0
    assert gating_rank("unknown", "medium") == 2
    assert gating_rank("critical", "ignore") == 4


# ---------------------------------------------------------------- ignore-unfixed


def test_unfixed_is_a_packages_advisory_without_a_fixed_version() -> None:
    assert unfixed(advisory("a", fixed=()))
    assert not unfixed(advisory("b", fixed=("2.0",)))
    assert not unfixed(placed("c"))  # a rule at a place in the code names no fix: not unfixed


def test_ignore_unfixed_reports_them_but_they_do_not_gate() -> None:
    open_ = advisory("open", "critical", fixed=())
    fixable = advisory("fixable", "critical")
    rule = placed("rule", "critical")  # no package: never "unfixed"
    hidden = advisory("hidden", "critical", fixed=())
    ignores = IgnoreResult(suppressed={"hidden": "r"})
    gated = evaluate([open_, fixable, rule, hidden], ignores, "high", "high")
    assert {f.fingerprint for f in gated.blocking} == {"open", "fixable", "rule"}
    lenient = evaluate([open_, fixable, rule, hidden], ignores, "high", "high", ignore_unfixed=True)
    assert {f.fingerprint for f in lenient.blocking} == {"fixable", "rule"}
    assert [f.fingerprint for f in lenient.unfixed] == ["open"]  # the suppressed one is not
    assert len(lenient.findings) == 4 and lenient.counts()["critical"] == 3


# ---------------------------------------------------------------- the step's failure


def test_no_blocking_finding_and_every_scanner_run_is_no_failure() -> None:
    verdict = evaluate([advisory("l", "low")], IgnoreResult(), "high", "high")
    assert failure(verdict, SOURCE) is None
    assert failure(verdict, SOURCE, []) is None


def test_blocking_findings_fail_with_exit_1_naming_the_threshold_and_the_ignore_file() -> None:
    verdict = evaluate([advisory("a"), advisory("b", "critical")], IgnoreResult(), "high", "low")
    error = failure(verdict, "sec/ignore.yml")
    assert isinstance(error, VerdictFailure) and error.exit_code == ExitCode.FAILURE
    assert error.message == "2 finding(s) at or above high"
    assert error.title == "Audit failed"
    assert error.hint == (
        "Fix them (see the summary's fix commands), or ignore one with a reason and an expiry "
        "date in sec/ignore.yml."
    )


def test_a_scanner_that_did_not_run_is_exit_3_before_any_finding() -> None:
    verdict = evaluate([advisory("a")], IgnoreResult(), "high", "high")
    missing = [
        Unavailable("dependencies", "pip-audit", "no network\n::error::forged"),
        Unavailable("container", "trivy vulnerability DB", "x" * 300),
        Unavailable("dependencies", "vulnerability-db", "empty"),
    ]
    error = failure(verdict, SOURCE, missing)
    assert isinstance(error, ExternalError) and error.exit_code == ExitCode.EXTERNAL
    assert error.title == "Audit incomplete"
    assert error.message == (
        "the audit could not run dependencies, container (1 blocking finding(s) in the rest): "
        "dependencies: pip-audit: no network ::error::forged; "
        f"container: trivy vulnerability DB: {'x' * 200}; "
        "dependencies: vulnerability-db: empty"
    )
    assert error.hint == (
        "Give the scanner what it needs (a vulnerability-db, network to its service, a longer "
        "timeout), or list it in allow-unavailable to let the audit pass without it."
    )
    clean = evaluate([], IgnoreResult(), "high", "high")
    error = failure(clean, SOURCE, [Unavailable("code", "bandit", "::warning::x")])
    assert isinstance(error, ExternalError)
    assert error.message == "the audit could not run code: code: bandit: | ::warning::x"


def _allowed(value: str) -> frozenset[str]:
    return parse_settings(Settings, {"allow-unavailable": value}).may_be_unavailable


def test_allow_unavailable_lets_the_named_scanners_fail_to_run() -> None:
    audit = Audit(
        list(SCANNERS),
        unavailable=[
            Unavailable("container", "trivy vulnerability DB", "offline"),
            Unavailable("dependencies", "pip-audit", "offline"),
        ],
    )
    verdict = evaluate([], IgnoreResult(), "high", "high")
    assert audit.did_not_run() == ["dependencies", "container"]
    assert [u.scanner for u in audit.missing(_allowed(""))] == ["container", "dependencies"]
    assert [u.scanner for u in audit.missing(_allowed("container"))] == ["dependencies"]
    assert failure(verdict, SOURCE, audit.missing(_allowed("container, dependencies"))) is None
    assert audit.missing(_allowed("all")) == []
    assert _allowed("all") == frozenset(SCANNERS)


# ---------------------------------------------------------------- the inputs behind the verdict


def _input_error(raw: dict[str, str]) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_settings(Settings, raw)
    return caught.value


def test_allow_unavailable_and_scanners_name_known_scanners_only() -> None:
    error = _input_error({"allow-unavailable": "code, trivy, nope"})
    assert error.input_name == "allow-unavailable"
    assert error.message == "Input 'allow-unavailable': unknown scanner 'trivy'"
    assert error.hint == "Use all, or a list of: dependencies, code, secrets, container, iac."
    assert parse_settings(Settings, {"allow-unavailable": "all, code"}).allow_unavailable
    error = _input_error({"scanners": "code, sast, x"})
    assert error.input_name == "scanners"
    assert error.message == "Input 'scanners': unknown scanner 'sast'"
    assert error.hint == "Use auto, or a list of: dependencies, code, secrets, container, iac."
    error = _input_error({"scanners": "auto, code"})
    assert error.message == "Input 'scanners': `auto` cannot be combined with a list of scanners"
    assert parse_settings(Settings, {"scanners": "code, secrets"}).wanted == ("code", "secrets")
    assert parse_settings(Settings, {"scanners": "auto"}).wanted is None


def test_image_and_image_archive_exclude_each_other() -> None:
    error = _input_error({"image": "app:1", "image-archive": "app.tar"})
    assert error.input_name == "image-archive"
    assert error.message == "Input 'image-archive': give `image` or `image-archive`, not both"
    assert parse_settings(Settings, {"image-archive": "app.tar"}).image_archive == "app.tar"
    assert parse_settings(Settings, {"image": "app:1"}).image == "app:1"
    error = _input_error({"image": "./app.tar"})
    assert error.input_name == "image"


REFERENCE_HINT = (
    "Give a reference such as registry.example.com/app:1.2 or app@sha256:...; an image "
    "archive (docker save, OCI tarball) goes in image-archive."
)


@pytest.mark.parametrize(
    "value", ["/tmp/app", "./app", ".app", "~/app", "app.tar", "APP.TGZ", "app.tar.zst", "x.oci"]
)
def test_an_image_that_looks_like_a_file_is_refused(value: str) -> None:
    with pytest.raises(InputError) as caught:
        check_image_reference(value)
    assert caught.value.input_name == "image"
    assert caught.value.message == (
        f"Input 'image': {value!r} is not an image reference (it looks like a file; an archive "
        "goes in image-archive)"
    )
    assert caught.value.hint == REFERENCE_HINT


@pytest.mark.parametrize("value", ["app name", "reg//app", "-app", "app\n:1"])
def test_a_value_that_is_no_reference_is_refused(value: str) -> None:
    with pytest.raises(InputError) as caught:
        check_image_reference(value)
    assert caught.value.message == f"Input 'image': {value!r} is not an image reference"
    assert caught.value.hint == REFERENCE_HINT


@pytest.mark.parametrize(
    "value", ["app", "registry.example.com:5000/team/app:1.2", "app@sha256:" + "a" * 64, "a.b/c"]
)
def test_references_pass(value: str) -> None:
    check_image_reference(value)


# ---------------------------------------------------------------- the ignore file


def parse(body: str, max_days: int = 365) -> list[ignore.IgnoreEntry]:
    return parse_ignore("ignore:\n" + body, SOURCE, TODAY, max_days)


def _config_error(body: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse(body)
    return caught.value


def test_an_entry_that_expires_today_still_ignores() -> None:
    finding = advisory("a")
    (today,) = parse("  - {id: PYSEC-a, reason: r, expires: 2026-03-01}\n")
    assert apply_ignores([finding], [today], TODAY).suppressed == {"a": "r"}
    (yesterday,) = parse("  - {id: PYSEC-a, reason: r, expires: 2026-02-28}\n")
    result = apply_ignores([finding], [yesterday], TODAY)
    assert result.suppressed == {} and result.expired == [(yesterday, [finding])]


def test_a_fingerprint_entry_ignores_that_finding_only() -> None:
    one, other = placed("f1"), placed("f2")
    (entry,) = parse("  - {fingerprint: f1, reason: documented, expires: 2026-04-01}\n")
    assert entry.by == "fingerprint" and entry.label() == "fingerprint f1"
    result = apply_ignores([one, other], [entry], TODAY)
    assert result.suppressed == {"f1": "documented"} and result.stale == []


def test_the_first_entry_that_names_a_finding_gives_its_reason() -> None:
    entries = parse(
        "  - {id: PYSEC-a, reason: first, expires: 2026-04-01}\n"
        "  - {fingerprint: a, reason: second, expires: 2026-04-01}\n"
    )
    assert apply_ignores([advisory("a")], entries, TODAY).suppressed == {"a": "first"}


def test_a_finding_without_a_file_has_the_empty_path() -> None:
    (root,) = parse("  - {id: B105, paths: ['**/'], reason: r, expires: 2026-04-01}\n")
    assert root.matches(placed("f", file=None, line=None))
    assert not root.matches(placed("f", file="src/app.py"))


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("src/**/test_*.py", "src/a/b/test_x.py", True),
        ("src/**/test_*.py", "src/test_x.py", True),
        ("src/**/test_*.py", "lib/src/test_x.py", False),
        ("a/**.ini", "a/b/c.ini", True),
        ("a/**.ini", "a/bini", False),
        ("config/aws.ini", "./config/aws.ini", True),
        ("./config/*.ini", "./config/aws.ini", True),
        ("*.ini", "./aws.ini", True),
    ],
)
def test_globs_in_the_middle_and_leading_dots(pattern: str, path: str, matches: bool) -> None:
    assert glob_match(pattern, path) is matches


def test_paths_may_be_one_glob_or_a_list() -> None:
    (entry,) = parse("  - {id: B105, paths: 'tests/**', reason: r, expires: 2026-04-01}\n")
    assert entry.paths == ("tests/**",)
    (entry,) = parse("  - {id: B105, paths: [' a/* ', b], reason: r, expires: 2026-04-01}\n")
    assert entry.paths == ("a/*", "b")


@pytest.mark.parametrize("paths", ["{tests: x}", "[' ']", "[5]", "5", "[]"])
def test_paths_that_are_not_globs_are_refused(paths: str) -> None:
    error = _config_error(f"  - {{id: B105, paths: {paths}, reason: r, expires: 2026-04-01}}\n")
    if paths == "[]":  # no glob at all: the rule would be ignored everywhere
        assert "names a rule" in error.message
        return
    assert error.message == f"{SOURCE}: entry 1 (id B105): `paths` must be a list of globs"
    assert error.hint == ignore.HINT


def test_each_refused_entry_says_what_to_do() -> None:
    error = _config_error("  - just-a-string\n")
    assert error.message == f"{SOURCE}: entry 1 is not a mapping" and error.hint == ignore.HINT
    error = _config_error("  - {reason: r, expires: 2026-04-01}\n")
    assert error.message == f"{SOURCE}: entry 1 has neither `id` nor `fingerprint`"
    assert error.hint == ignore.HINT
    error = _config_error("  - {id: X-1, expires: 2026-04-01}\n")
    assert error.message == f"{SOURCE}: entry 1 (id X-1) has no `reason`"
    assert error.hint == "Say why it is ignored."
    error = _config_error("  - {id: X-1, reason: r}\n")
    assert error.message == f"{SOURCE}: entry 1 (id X-1) has no `expires` date"
    assert error.hint == ignore.HINT
    error = _config_error("  - {id: X-1, reason: r, expires: ''}\n")
    assert error.message == f"{SOURCE}: entry 1 (id X-1) has no `expires` date"
    error = _config_error("  - {id: X-1, reason: r, expires: someday}\n")
    assert error.message == f"{SOURCE}: entry 1 (id X-1): `expires` is not a date"
    assert error.hint == "Write it as YYYY-MM-DD, e.g. 2027-01-31."
    error = _config_error("  - {id: X-1, reason: r, expires: 2028-01-01}\n")
    assert (
        error.message
        == f"{SOURCE}: entry 1 (id X-1) expires on 2028-01-01, more than 365 days ahead"
    )
    assert error.hint == (
        "Choose an earlier date and look again then (ignore-max-days sets the limit)."
    )
    error = _config_error("  - {id: B105, reason: r, expires: 2026-04-01}\n")
    assert error.message == (
        f"{SOURCE}: entry 1 (id B105) names a rule, which would ignore it everywhere, now and later"
    )
    assert error.hint == ignore.HINT


def test_a_long_key_is_cut_at_80_characters_in_messages() -> None:
    key = "K" * 79 + "LMN"
    error = _config_error(f"  - {{id: {key}, expires: 2026-04-01}}\n")
    assert error.message == f"{SOURCE}: entry 1 (id {'K' * 79}L) has no `reason`"
    (entry,) = parse(f"  - {{id: {key}, reason: r, expires: 2026-04-01}}\n")
    with pytest.raises(ConfigError) as caught:
        apply_ignores([placed("f", rule=key)], [entry], TODAY)
    assert caught.value.message == (
        f"ignore file: entry 1 (id {'K' * 79}L) names a rule of bandit, which would ignore it "
        "everywhere, now and later"
    )
    assert caught.value.hint == ignore.HINT


@pytest.mark.parametrize("text", ["", "   \n", "other: 1\n", "ignore: []\n"])
def test_an_empty_ignore_file_ignores_nothing(text: str) -> None:
    assert parse_ignore(text, SOURCE, TODAY, 365) == []


@pytest.mark.parametrize(
    "text", ["# nothing ignored yet\n", "ignore:\n  # - id: PYSEC-1\n  #   reason: r\n"]
)
def test_a_file_of_comments_or_commented_out_entries_ignores_nothing(text: str) -> None:
    """Regression: YAML reads both as null, and both were refused ("expected a mapping with an
    `ignore:` list", exit 2) while an empty file was accepted."""
    assert parse_ignore(text, SOURCE, TODAY, 365) == []


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "ignore: x\n", "ignore:\n  a: 1\n"])
def test_an_ignore_file_without_an_ignore_list_is_refused(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_ignore(text, SOURCE, TODAY, 365)
    assert caught.value.message == f"{SOURCE}: expected a mapping with an `ignore:` list"
    assert caught.value.hint == ignore.HINT


def test_unreadable_yaml_is_refused_without_quoting_it() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_ignore("ignore:\n  - id: \x07secret\n", SOURCE, TODAY, 365)
    assert caught.value.message == f"{SOURCE} is not valid YAML"  # the reader gives no mark
    with pytest.raises(ConfigError) as caught:
        parse_ignore("ignore: [: bad\n", SOURCE, TODAY, 365)
    assert caught.value.message == f"{SOURCE} is not valid YAML (line 1, column 10)"
