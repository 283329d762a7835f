"""The release rules of RELEASING.md (scripts/release_rules.py), pure: which tags are releases,
semantic versioning's order, the CHANGELOG's format and a version's section, which moving tags
a release moves, and the repository's own CHANGELOG.md, which must follow them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scripts.release_rules import (
    KINDS,
    ReleaseError,
    TagMove,
    Version,
    changelog_problems,
    is_latest,
    moving_tags,
    release_body,
    release_section,
    sections,
)

ROOT = Path(__file__).resolve().parent.parent
GOOD = """\
# Changelog

## Unreleased

## 1.2.0 - 2026-11-20

### Added
- lint: `review`.

### Security (approval)
- deny wins.

## 1.1.0 - 2026-10-01

### Fixed
- audit: the database's age.
"""


# ------------------------------------------------------------------------------- versions


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ("v1.2.0", Version(1, 2, 0)),
        ("v0.0.1", Version(0, 0, 1)),
        ("v10.20.30", Version(10, 20, 30)),
        ("v1.3.0-rc.1", Version(1, 3, 0, "rc.1")),
        ("v2.0.0-alpha-2.x", Version(2, 0, 0, "alpha-2.x")),
    ],
)
def test_a_release_tag_is_v_and_a_semantic_version(tag: str, version: Version) -> None:
    assert Version.from_tag(tag) == version
    assert version.tag == tag
    assert version.prerelease is ("-" in tag)


@pytest.mark.parametrize(
    "tag",
    ["v1", "v1.2", "1.2.0", "v01.2.0", "v1.02.0", "v1.2.0-", "v1.2.0-rc..1", "v1.2.0+build.5",
     "V1.2.0", "v1.2.0.1", "v1.2.x", "", "vv1.2.0", " v1.2.0"],
)  # fmt: skip
def test_anything_else_is_refused_naming_the_form(tag: str) -> None:
    with pytest.raises(ReleaseError, match=r"is not a release tag: vMAJOR\.MINOR\.PATCH"):
        Version.from_tag(tag)


def test_precedence_is_semantic_versionings() -> None:
    """The example of semver.org section 11, shuffled, sorts back; numbers compare as numbers."""
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
               "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0",
               "1.10.0", "2.0.0"]  # fmt: skip
    versions = [Version.parse(text) for text in ordered]
    assert None not in versions
    shuffled = [versions[i] for i in (7, 3, 11, 0, 9, 5, 1, 10, 4, 8, 2, 6)]
    assert [str(v) for v in sorted(shuffled, key=Version.precedence)] == ordered
    assert Version(1, 10, 0) > Version(1, 9, 0)
    assert Version(1, 0, 0, "rc.1") < Version(1, 0, 0)


# ------------------------------------------------------------------------------ CHANGELOG


def test_a_well_formed_changelog_has_no_problems_and_its_sections() -> None:
    assert changelog_problems(GOOD) == []
    found = sections(GOOD)
    assert [s.heading for s in found] == ["## Unreleased", "## 1.2.0 - 2026-11-20",
                                          "## 1.1.0 - 2026-10-01"]  # fmt: skip
    assert [s.line for s in found] == [3, 5, 13]
    assert found[1].body == "### Added\n- lint: `review`.\n\n### Security (approval)\n- deny wins."


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("# Changelog", "# Changes"), "line 1: the file starts with '# Changelog'"),
        (("## Unreleased\n\n", ""), "the first section is '## Unreleased'"),
        (("## 1.1.0 - 2026-10-01", "## 1.1.0"), "line 13: '## 1.1.0' is not '## MAJOR.MINOR"),
        (("2026-10-01", "2026-02-30"), "is not '## MAJOR.MINOR.PATCH - YYYY-MM-DD'"),
        (("2026-10-01", "01/10/2026"), "is not '## MAJOR.MINOR.PATCH - YYYY-MM-DD'"),
        (("## 1.1.0 -", "## v1.1.0 -"), "is not '## MAJOR.MINOR.PATCH - YYYY-MM-DD'"),
        (("## 1.1.0 -", "## 1.3.0 -"), "line 13: 1.3.0 comes after 1.2.0: the newest version"),
        (("## 1.1.0 -", "## 1.2.0 -"), "line 13: 1.2.0 has a second section"),
        (("- audit: the database's age.", "nothing"), "line 13: 1.1.0 lists no change"),
        (("### Fixed", "### Bugs"), "line 15: '### Bugs' is not a kind of change"),
        (("### Fixed", "#### Fixed"), "line 15: headings are #, ## and ### only"),
        (("\n## 1.2.0", "\n## Unreleased\n\n## 1.2.0"), "'## Unreleased' comes first, once"),
    ],
)
def test_each_way_to_break_the_format_is_named(change: tuple[str, str], problem: str) -> None:
    old, new = change
    assert old in GOOD
    broken = GOOD.replace(old, new, 1) if old != "2026-10-01" else GOOD.replace(old, new)
    problems = changelog_problems(broken)
    assert any(problem in p for p in problems), problems


def test_release_section_is_the_versions_text_and_names_what_to_write_when_missing() -> None:
    section = release_section(GOOD, Version(1, 1, 0))
    assert section.body == "### Fixed\n- audit: the database's age."
    with pytest.raises(ReleaseError) as missing:
        release_section(GOOD, Version(1, 4, 0))
    assert "CHANGELOG.md has no section for 1.4.0" in str(missing.value)
    assert "'## 1.4.0 - YYYY-MM-DD'" in str(missing.value)
    assert "git push --delete origin v1.4.0" in str(missing.value)
    with pytest.raises(ReleaseError, match=r"'## 1\.1\.0 - last week' at line 13 is malformed"):
        release_section(GOOD.replace("2026-10-01", "last week"), Version(1, 1, 0))
    with pytest.raises(ReleaseError, match=r"breaks its format.*'### Bugs'"):  # another section
        release_section(GOOD.replace("### Fixed", "### Bugs"), Version(1, 2, 0))


def test_the_repositorys_changelog_follows_the_rules_and_has_1_0_0() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog_problems(text) == []
    section = release_section(text, Version(1, 0, 0))
    assert section.date is not None
    assert section.body.startswith("### ")


def test_releasing_md_lists_the_kinds_of_change_the_rules_accept() -> None:
    text = (ROOT / "RELEASING.md").read_text(encoding="utf-8")
    listed = re.search(r"kinds of change[^:]*: (.+?)\.", text, re.DOTALL)
    assert listed is not None
    assert re.findall(r"`(\w+)`", listed.group(1)) == list(KINDS)


# ---------------------------------------------------------------------------- moving tags


def moves(version: str, tags: list[str]) -> dict[str, bool | str]:
    found = moving_tags(Version.from_tag(version), tags)
    return {m.name: True if m.move else m.reason for m in found}


def test_the_first_release_of_a_line_creates_its_moving_tags() -> None:
    assert moves("v1.0.0", []) == {"v1": True, "v1.0": True}
    assert moves("v2.0.0", ["v1.0.0", "v1.9.3", "v1", "v1.9"]) == {"v2": True, "v2.0": True}


def test_moving_tags_never_go_back() -> None:
    tags = ["v1.2.0", "v1.3.0", "v1", "v1.2", "v1.3", "v2.0.0"]
    assert moves("v1.2.5", tags) == {"v1": "v1.3.0 is higher", "v1.2": True}
    assert moves("v1.3.1", tags) == {"v1": True, "v1.3": True}  # v2.0.0 is another line
    assert moves("v1.9.0", ["v1.10.0"]) == {"v1": "v1.10.0 is higher", "v1.9": True}


def test_a_pre_release_moves_nothing_and_does_not_hold_a_release_back() -> None:
    assert moves("v1.3.0-rc.1", []) == {"v1": "v1.3.0-rc.1 is a pre-release",
                                        "v1.3": "v1.3.0-rc.1 is a pre-release"}  # fmt: skip
    assert moves("v1.3.0", ["v1.4.0-rc.1", "v1.3.0-rc.2"]) == {"v1": True, "v1.3": True}


def test_a_re_run_moves_the_tags_again_to_the_same_release() -> None:
    """The release's own tag exists when it runs (and again on a re-run): not higher than it."""
    assert moves("v1.2.0", ["v1.2.0", "v1", "v1.2"]) == {"v1": True, "v1.2": True}


def test_latest_is_the_highest_release() -> None:
    assert is_latest(Version(1, 2, 0), ["v1.1.0", "v1.2.0", "v1.3.0-rc.1"])
    assert not is_latest(Version(1, 2, 5), ["v1.3.0"])
    assert not is_latest(Version(1, 4, 0, "rc.1"), [])
    assert is_latest(Version(2, 0, 0), ["v1.9.0", "v1"])


def test_the_release_text_is_the_section_then_how_to_pin_it() -> None:
    section = release_section(GOOD, Version(1, 2, 0))
    sha = "a" * 40
    both = [TagMove("v1", True, ""), TagMove("v1.2", True, "")]
    body = release_body(section, Version(1, 2, 0), "your-org/actions", sha, both)
    assert body.startswith(section.body + "\n\n---\n\n")
    assert "`uses: your-org/actions/<action>@v1.2.0`" in body
    assert f"`uses: your-org/actions/<action>@{sha} # v1.2.0`" in body
    assert body.endswith("`@v1` and `@v1.2` now point here.\n")
    held = [TagMove("v1", False, "v1.3.0 is higher"), TagMove("v1.2", True, "")]
    text = release_body(section, Version(1, 2, 0), "o/r", sha, held)
    assert "`@v1.2` now points here. `@v1` does not move: v1.3.0 is higher." in text
    pre = moving_tags(Version(1, 3, 0, "rc.1"), [])
    text = release_body(section, Version(1, 3, 0, "rc.1"), "o/r", sha, pre)
    assert "`@v1` and `@v1.3` do not move: v1.3.0-rc.1 is a pre-release." in text
