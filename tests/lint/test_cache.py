"""The findings cache: its format read strictly (pure), and real runs that reuse it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from shipyard.findings.model import Finding
from shipyard.lint import cache
from shipyard.lint.cache import CacheError, Entry
from tests.lint._sample import lint, linters_run, make_repo, sarif_findings

CONTEXT = "c" * 64
DIGEST = "d" * 64
FINDING = Finding(
    "flake8", "E501", "error", "line too long", "app/x.py", 3, 80, help_url="https://x"
)


def document(**files: Any) -> dict[str, Any]:
    return {"format": cache.FORMAT, "linter": "flake8", "context": CONTEXT, "files": files}


def stored() -> dict[str, Any]:
    text = cache.dump("flake8", CONTEXT, {"app/x.py": Entry(DIGEST, (FINDING,))})
    return dict(json.loads(text)["files"]["app/x.py"]["findings"][0])


def test_a_document_reads_back_as_written() -> None:
    entries = {"app/x.py": Entry(DIGEST, (FINDING,)), "app/y.py": Entry("e" * 64)}
    text = cache.dump("flake8", CONTEXT, entries)
    assert cache.load(text, "flake8", CONTEXT) == entries


def bad_findings() -> list[tuple[str, Any]]:
    return [
        ("line", True),
        ("line", 0),
        ("line", "3"),
        ("level", "fatal"),
        ("message", 7),
        ("message", "x" * (cache.MAX_TEXT + 1)),
        ("help_url", "javascript:alert(1)"),
        ("fix_available", "yes"),
        ("aliases", "CVE-1"),
        ("severity", "catastrophic"),
    ]


@pytest.mark.parametrize(("field", "value"), bad_findings())
def test_a_field_out_of_its_type_or_range_refuses_the_document(field: str, value: Any) -> None:
    finding = {**stored(), field: value}
    text = json.dumps(document(**{"app/x.py": {"digest": DIGEST, "findings": [finding]}}))
    with pytest.raises(CacheError):
        cache.load(text, "flake8", CONTEXT)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({**document(), "format": "shipyard-lint-findings/0"}),
        json.dumps({**document(), "linter": "black"}),
        json.dumps({**document(), "context": "0" * 64}),
        json.dumps({**document(), "extra": 1}),
        json.dumps(document(**{"../etc/passwd": {"digest": DIGEST, "findings": []}})),
        json.dumps(document(**{"/abs.py": {"digest": DIGEST, "findings": []}})),
        json.dumps(document(**{"a.py": {"digest": "D" * 64, "findings": []}})),
        json.dumps(document(**{"a.py": {"digest": DIGEST, "findings": [], "x": 1}})),
        # a finding cannot name its own file, tool or fingerprint
        json.dumps(
            document(**{"a.py": {"digest": DIGEST, "findings": [{**stored(), "file": "b"}]}})
        ),
        json.dumps(
            document(**{"a.py": {"digest": DIGEST, "findings": [{**stored(), "fingerprint": "0"}]}})
        ),
        '{"format": 1, "format": 2}',
        '{"files": NaN}',
        "[" * 100_000,
        "not json",
    ],
)
def test_anything_but_what_the_cache_writes_is_refused(text: str) -> None:
    with pytest.raises(CacheError):
        cache.load(text, "flake8", CONTEXT)


def test_a_document_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    text = cache.dump("flake8", CONTEXT, {"a.py": Entry(DIGEST)})
    monkeypatch.setattr(cache, "MAX_BYTES", len(text) - 1)
    with pytest.raises(CacheError, match="too large"):
        cache.load(text, "flake8", CONTEXT)


def test_an_entry_is_used_only_for_the_content_it_was_made_for() -> None:
    entries = {"a.py": Entry(DIGEST, (FINDING,)), "b.py": Entry(DIGEST)}
    hits, misses = cache.lookup(entries, {"a.py": DIGEST, "b.py": "f" * 64, "c.py": DIGEST})
    assert hits == {"a.py": (FINDING,)} and misses == ["b.py", "c.py"]


def test_a_run_with_a_finding_outside_its_files_is_not_cached() -> None:
    assert cache.entries_of([FINDING], {"app/x.py": DIGEST}, "flake8") == {
        "app/x.py": Entry(DIGEST, (FINDING,))
    }
    assert cache.entries_of([FINDING], {"app/y.py": DIGEST}, "flake8") is None
    unplaced = Finding("flake8", "E902", "error", "no file")
    assert cache.entries_of([unplaced], {"app/x.py": DIGEST}, "flake8") is None


#: A finding with every field a cache stores away from its default (black's hunk with its
#: replacement, and the fields only scanners fill today).
FULL = Finding(
    "black",
    "format",
    "warning",
    "would reformat lines 9-11",
    "app/x.py",
    9,
    1,
    11,
    30,
    severity="low",
    title="Formatting",
    help_url="https://black.readthedocs.io/",
    fix_available=True,
    package="pkg",
    installed="1.0",
    fixed=("1.1", "2.0"),
    aliases=("CVE-1",),
    replacement="\n\ndef new(value: int) -> int:\n    return value + undefined",
)


def test_every_field_of_a_finding_reads_back_equal() -> None:
    """A cached run reports what an uncached one does: every field written and read back,
    the formatter's replacement (review suggestions) too."""
    for item in dataclasses.fields(Finding):
        default = item.default_factory() if callable(item.default_factory) else item.default
        assert item.name in cache.IMPLIED or getattr(FULL, item.name) != default, item.name
    text = cache.dump("black", CONTEXT, {"app/x.py": Entry(DIGEST, (FULL,))})
    [restored] = cache.load(text, "black", CONTEXT)["app/x.py"].findings
    assert restored == FULL and restored.replacement == FULL.replacement


def test_a_file_with_a_finding_the_cache_cannot_restore_is_not_cached() -> None:
    huge = dataclasses.replace(FULL, replacement="x" * (cache.MAX_TEXT + 1))
    own = dataclasses.replace(FULL, file="app/y.py", fingerprint="f" * 24)
    other = dataclasses.replace(FULL, file="app/z.py", fingerprint="")
    digests = {"app/x.py": DIGEST, "app/y.py": DIGEST, "app/z.py": DIGEST}
    assert cache.entries_of([huge, own, other], digests, "black") == {
        "app/z.py": Entry(DIGEST, (other,))
    }
    assert not cache.restores(FULL, "flake8")  # another tool's finding


def test_the_cache_keeps_one_entry_per_file_still_in_the_tree() -> None:
    old = {"a.py": Entry("1" * 64), "gone.py": Entry("2" * 64), "b.py": Entry("3" * 64)}
    new = {"b.py": Entry("4" * 64)}
    assert cache.merged(old, new, {"a.py", "b.py"}) == {"a.py": old["a.py"], "b.py": new["b.py"]}


def test_the_layout_names_modules_not_contents() -> None:
    assert cache.layout(["src/pkg/mod.py", "setup.py", "docs/x.md"]) == [
        "setup.py",
        "src",
        "src/pkg",
    ]


# -- real runs ---------------------------------------------------------------------------------

PER_FILE = "ruff, flake8, black, isort, hadolint, yamllint"


def cached(result: Any) -> dict[str, int]:
    return {name: entry["cached"] for name, entry in linters_run(result).items()}


def test_a_second_run_lints_only_what_changed_and_reports_the_same(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    inputs = {"linters": f"{PER_FILE}, mypy", "fail-on": "never"}
    cold = lint(tmp_path / "1", repo, inputs, env={"RUNNER_TOOL_CACHE": str(tmp_path / "tc")})
    warm = lint(tmp_path / "2", repo, inputs, env={"RUNNER_TOOL_CACHE": str(tmp_path / "tc")})
    assert sarif_findings(warm) == sarif_findings(cold) and sarif_findings(cold)
    runs = linters_run(warm)
    assert all(runs[n]["cached"] == runs[n]["files"] for n in ("ruff", "flake8", "black"))
    assert runs["mypy"]["cached"] == 0  # whole-project: its own cache, never ours
    assert int(warm.outputs["cached-files"]) == sum(e["cached"] for e in runs.values()) > 0
    assert cold.outputs["cached-files"] == "0"
    assert "(7 cached)" in warm.log  # black's line in the log

    (repo / "app" / "models.py").write_text("import os\n\nx = 1\n")
    edited = lint(tmp_path / "3", repo, inputs, env={"RUNNER_TOOL_CACHE": str(tmp_path / "tc")})
    runs = linters_run(edited)
    assert runs["flake8"]["cached"] == runs["flake8"]["files"] - 1
    found = sarif_findings(edited)
    assert ("flake8", "F401", "app/models.py", 1) in found
    assert ("flake8", "E501", "app/models.py", 6) not in found  # the old line is gone


def test_a_configuration_change_invalidates_the_linters_entries(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    env = {"RUNNER_TOOL_CACHE": str(tmp_path / "tc")}
    lint(tmp_path / "1", repo, {"linters": "flake8, black"}, env=env)
    (repo / ".flake8").write_text("[flake8]\nmax-line-length = 200\n")
    result = lint(tmp_path / "2", repo, {"linters": "flake8, black"}, env=env)
    assert cached(result) == {"flake8": 0, "black": linters_run(result)["black"]["files"]}
    assert ("flake8", "E501", "app/models.py", 6) not in sarif_findings(result)


def findings_folder(tmp_path: Path) -> Path:
    return tmp_path / "tc" / "shipyard" / "lint" / "caches" / "your-org_app" / "findings"


def test_a_tampered_cache_is_ignored_whole_and_said_so(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    env = {"RUNNER_TOOL_CACHE": str(tmp_path / "tc")}
    first = lint(tmp_path / "1", repo, {"linters": "flake8"}, env=env)
    (document_path,) = findings_folder(tmp_path).glob("flake8-*.json")
    data = json.loads(document_path.read_text())
    for entry in data["files"].values():  # claim no findings, plus one field out of place
        entry["findings"] = []
    data["files"]["app/models.py"]["findings"] = [{**stored(), "line": "1; rm -rf /"}]
    document_path.write_text(json.dumps(data))
    second = lint(tmp_path / "2", repo, {"linters": "flake8"}, env=env)
    assert f"the findings cache {document_path.name} was ignored" in second.log
    assert cached(second) == {"flake8": 0}
    assert sarif_findings(second) == sarif_findings(first)


def test_a_poisoned_entry_reaches_only_the_file_with_its_content(tmp_path: Path) -> None:
    """What the README says: an entry that passes the checks changes what lint reports for
    the one file whose path and content digest it names, and nothing else."""
    repo = make_repo(tmp_path)
    env = {"RUNNER_TOOL_CACHE": str(tmp_path / "tc")}
    first = lint(tmp_path / "1", repo, {"linters": "flake8"}, env=env)
    (document_path,) = findings_folder(tmp_path).glob("flake8-*.json")
    data = json.loads(document_path.read_text())
    data["files"]["app/models.py"]["findings"] = []  # hide its findings
    data["files"]["app/formatting.py"]["digest"] = "0" * 64  # another content: not used
    data["files"]["app/formatting.py"]["findings"] = []
    document_path.write_text(json.dumps(data))
    second = lint(tmp_path / "2", repo, {"linters": "flake8"}, env=env)
    before = {f for f in sarif_findings(first) if f[2] != "app/models.py"}
    assert {f for f in sarif_findings(second)} == before
    assert linters_run(second)["flake8"]["cached"] == linters_run(second)["flake8"]["files"] - 1


def test_cache_false_keeps_nothing_for_later_runs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    env = {"RUNNER_TOOL_CACHE": str(tmp_path / "tc")}
    for step in ("1", "2"):
        result = lint(tmp_path / step, repo, {"linters": "ruff, black", "cache": "false"}, env=env)
        assert cached(result) == {"ruff": 0, "black": 0}
    assert not (tmp_path / "tc" / "shipyard" / "lint" / "caches").exists()


def test_cache_dir_is_where_the_cache_lives(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    inputs = {"linters": "ruff", "cache-dir": "../lint-cache"}
    lint(tmp_path / "1", repo, inputs)
    assert list((tmp_path / "lint-cache" / "findings").glob("ruff-*.json"))
    assert (tmp_path / "lint-cache" / "findings" / ".gitignore").read_text() == "*\n"
    assert cached(lint(tmp_path / "2", repo, inputs)) == {"ruff": 5}


def test_a_cache_dir_that_is_a_file_exits_2_naming_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (tmp_path / "taken").write_text("")
    result = lint(tmp_path / "1", repo, {"linters": "ruff", "cache-dir": str(tmp_path / "taken")})
    assert result.code == 2 and "cache-dir" in result.log
