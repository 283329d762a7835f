"""The edges of what a pull request's lint judges (no service: real git on a scratch
repository, the files API as the plain callable ``changed`` takes): the changed files
(only-changed), the changed lines (changed-lines-only, review), and pull_request_target.

Every pull request here branches from a base that moved on since the branch point, so
``base..head`` (the base's newer changes too) and ``base...head`` (the pull request's own)
differ, as they do on GitHub; the other suites branch from the base's tip, where they agree.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from shipyard.lint import changed, config, pull
from shipyard.lint.changed import ChangedFilesError, Scope
from shipyard.lint.lines import FileChanges
from shipyard.lint.plan import refuse_pull_request_target
from shipyard.lint.repo import Repo
from shipyard.lint.spec import Settings
from shipyard.runtime import ExternalError, InputError, Runner
from shipyard.runtime.context import RunContext
from shipyard.runtime.settings import parse_settings
from tests.lint._sample import git

BASE_A = "".join(f"a{n} = {n}\n" for n in range(1, 11))


def _commit(repo: Path, files: dict[str, str | None], message: str) -> str:
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")


def make_pull(tmp_path: Path) -> tuple[Path, str, str]:
    """A pull request (feature, checked out) from a main that moved on after the branch
    point: (repository, base = main's tip, head). The pull request changes a.py's line 3
    and adds lines 11-12, adds "sp ace.py" and sub/new.py and deletes gone.py; main, after
    the branch point, changed a.py's line 8 and sub/c.py and added late.py."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    _commit(repo, {"a.py": BASE_A, "gone.py": "x = 1\n", "sub/c.py": "c = 1\n"}, "base")
    git(repo, "checkout", "-qb", "feature")
    head_a = BASE_A.replace("a3 = 3", "a3 = 33") + "a11 = 11\na12 = 12\n"
    head = _commit(
        repo,
        {"a.py": head_a, "sp ace.py": "s = 1\n", "sub/new.py": "n = 1\n", "gone.py": None},
        "feature",
    )
    git(repo, "checkout", "-q", "main")
    main_a = BASE_A.replace("a8 = 8", "a8 = 88")
    base = _commit(repo, {"a.py": main_a, "sub/c.py": "c = 2\n", "late.py": "l = 1\n"}, "moves on")
    git(repo, "checkout", "-q", "feature")
    return repo, base, head


def repo_at(root: Path) -> Repo:
    return Repo(root, Runner(env=dict(os.environ), stream=io.StringIO()))


class Recorded:
    """``Repo.git`` of ``root``, recording every call."""

    def __init__(self, root: Path) -> None:
        self.repo = repo_at(root)
        self.calls: list[list[str]] = []

    def __call__(self, args: Sequence[str]) -> tuple[int, str]:
        self.calls.append(list(args))
        return self.repo.git(args)


PULL_FILES = ["a.py", "sp ace.py", "sub/new.py"]


# ---------------------------------------------------------------- the changed files (git)


def test_only_the_pull_requests_files_when_the_base_moved_on(tmp_path: Path) -> None:
    """`base...head`: not sub/c.py or late.py, which the base changed after the branch point
    (`base..head` would lint them too), and not gone.py, which the pull request deletes."""
    repo, base, head = make_pull(tmp_path)
    assert sorted(changed.from_git(repo_at(repo).git, base, head) or []) == PULL_FILES
    two_dot = git(repo, "diff", "--name-only", "--diff-filter=d", base, head).splitlines()
    assert "sub/c.py" in two_dot  # the case is real: the two diffs differ here


def test_names_are_relative_to_the_linted_folder_and_never_quoted(tmp_path: Path) -> None:
    repo, base, head = make_pull(tmp_path)
    assert changed.from_git(repo_at(repo / "sub").git, base, head) == ["new.py"]
    _commit(repo, {"tab\there é.py": "t = 1\n", "new\nline.py": "n = 1\n"}, "odd names")
    names = changed.from_git(repo_at(repo).git, base, git(repo, "rev-parse", "HEAD"))
    assert sorted(names or []) == sorted([*PULL_FILES, "tab\there é.py", "new\nline.py"])


def test_the_checkouts_head_when_the_events_head_is_not_there(tmp_path: Path) -> None:
    repo, base, head = make_pull(tmp_path)
    _commit(repo, {"local.py": "x = 1\n"}, "a commit after the event's head")
    git_ = repo_at(repo).git
    assert sorted(changed.from_git(git_, base, head) or []) == PULL_FILES
    assert sorted(changed.from_git(git_, base, "0" * 40) or []) == sorted([*PULL_FILES, "local.py"])
    assert sorted(changed.from_git(git_, base, "") or []) == sorted([*PULL_FILES, "local.py"])


def test_without_a_merge_base_the_two_trees_are_compared(tmp_path: Path) -> None:
    """A shallow history has no merge base: `base head` (two dots) is the best git can say."""
    repo, _base, head = make_pull(tmp_path)
    git(repo, "checkout", "-q", "--orphan", "unrelated")
    git(repo, "rm", "-rqf", ".")
    orphan = _commit(repo, {"a.py": BASE_A, "other.py": "o = 1\n"}, "unrelated history")
    git(repo, "checkout", "-q", "feature")
    found = changed.from_git(repo_at(repo).git, orphan, head)
    assert sorted(found or []) == sorted([*PULL_FILES, "sub/c.py"])


def test_no_answer_without_the_base_commit_or_a_head(tmp_path: Path) -> None:
    repo, base, head = make_pull(tmp_path)
    recorded = Recorded(repo)
    assert changed.from_git(recorded, "", head) is None
    assert recorded.calls == []  # an empty sha is not asked about
    assert changed.from_git(recorded, "1" * 40, head) is None
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    assert changed.from_git(recorded, tree, head) is None  # a tree is no commit
    assert not changed.has_commit(recorded, tree) and changed.has_commit(recorded, base)
    git(repo, "checkout", "-q", "--orphan", "unborn")  # HEAD names no commit yet
    assert changed.from_git(recorded, base, "") is None


# ---------------------------------------------------------------- the event and the scope


@pytest.mark.parametrize(
    ("only_changed", "event_name", "expected"),
    [
        ("auto", "pull_request", True),
        ("auto", "pull_request_target", True),
        ("auto", "push", False),
        ("auto", "", False),
        ("true", "push", True),
        ("false", "pull_request", False),
    ],
)
def test_wanted(only_changed: str, event_name: str, expected: bool) -> None:
    assert changed.wanted(only_changed, event_name) is expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            {"pull_request": {"number": 7, "base": {"sha": "b"}, "head": {"sha": "h"}}},
            (7, "b", "h"),
        ),
        ({"number": 8, "pull_request": {"base": {"sha": "b"}}}, (8, "b", "")),
        (
            {"number": 8, "pull_request": {"number": 9, "base": "b", "head": {"sha": None}}},
            (9, "", ""),
        ),
        ({"pull_request": {"number": "7"}}, None),
        ({"pull_request": {"number": True}}, None),
        ({"pull_request": {}}, None),
        ({"pull_request": "7"}, None),
        ({"number": 7}, None),
    ],
)
def test_the_pull_request_of_an_event(event: dict[str, Any], expected: Any) -> None:
    assert changed.pull_request(event) == expected


def _scope(repo: Path, event: dict[str, Any], **kw: Any) -> Scope:
    args: dict[str, Any] = {"only_changed": "auto", "event_name": "pull_request", "api": None}
    args.update(kw)
    return changed.scope(event=event, git=repo_at(repo).git, **args)


def _event(base: str, head: str, number: int = 7) -> dict[str, Any]:
    return {"pull_request": {"number": number, "base": {"sha": base}, "head": {"sha": head}}}


def test_scope_from_git_then_from_the_api(tmp_path: Path) -> None:
    repo, base, head = make_pull(tmp_path)
    found = _scope(repo, _event(base, head), event_name="pull_request_target")
    assert found == Scope(tuple(PULL_FILES), "files changed by PR #7 (git)")
    _commit(repo, {"local.py": "x = 1\n"}, "the checkout is past the event's head")
    assert _scope(repo, _event(base, head)).files == tuple(PULL_FILES)  # the event's head
    asked: list[int] = []

    def api(number: int) -> list[str]:
        asked.append(number)
        return ["z.py", "a.py", "z.py"]

    missing = _event("2" * 40, head, number=12)
    assert _scope(repo, missing, api=api) == Scope(
        ("a.py", "z.py"), "files changed by PR #12 (files API)"
    )
    assert asked == [12]
    with pytest.raises(ChangedFilesError) as caught:
        _scope(repo, missing)
    assert str(caught.value) == (
        "the checkout lacks the base commit of PR #12 and no token was given for the pull "
        "request files API"
    )


def test_scope_of_every_file(tmp_path: Path) -> None:
    repo, base, head = make_pull(tmp_path)
    event = _event(base, head)
    assert _scope(repo, event, only_changed="false") == Scope(None, "all files")
    assert _scope(repo, event, event_name="push") == Scope(None, "all files")
    assert _scope(repo, {}, only_changed="true", event_name="push") == Scope(
        None, "all files (only-changed: a push event has no pull request)"
    )
    assert _scope(repo, {}, only_changed="true", event_name="") == Scope(
        None, "all files (only-changed: a local event has no pull request)"
    )


# ---------------------------------------------------------------- the files API


def pages(*contents: list[Any]) -> tuple[Any, list[str]]:
    """A ``get(url)`` serving ``contents`` as pages 1..n (the last without a next URL)."""
    seen: list[str] = []

    def get(url: str) -> tuple[list[Any], str | None]:
        seen.append(url)
        index = int(url.rsplit("=", 1)[1])
        following = f"u?page={index + 1}" if index < len(contents) else None
        return contents[index - 1], following

    return get, seen


def test_every_page_is_read_and_entries_that_are_no_objects_dropped() -> None:
    get, seen = pages([{"filename": "a"}, "junk"], [7, {"filename": "b"}], [{"filename": "c"}])
    assert changed.api_items(get, "u?page=1") == [
        {"filename": "a"},
        {"filename": "b"},
        {"filename": "c"},
    ]
    assert seen == ["u?page=1", "u?page=2", "u?page=3"]


def test_a_link_chain_that_never_ends_is_cut_after_101_pages() -> None:
    limit = changed.API_LIMIT // 30 + 1
    get, seen = pages(*[[{"filename": f"f{n}"}] for n in range(limit)])
    assert len(changed.api_items(get, "u?page=1")) == limit
    get, seen = pages(*[[{"filename": f"f{n}"}] for n in range(limit + 1)])
    with pytest.raises(ChangedFilesError) as caught:
        changed.api_items(get, "u?page=1")
    assert str(caught.value) == "the pull request files API did not stop paginating"
    assert len(seen) == limit + 1


ENTRIES = [
    {"filename": "app/a.py", "status": "modified"},
    {"filename": "app/old.py", "status": "removed"},
    {"filename": "application/b.py", "status": "added"},
    {"filename": "app/sub/c.py", "status": "renamed"},
    {"filename": "top.py"},
    {"filename": "TAX/t.py"},
    {"status": "added"},
    {"filename": None},
]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("", ["app/a.py", "application/b.py", "app/sub/c.py", "top.py", "TAX/t.py"]),
        ("app", ["a.py", "sub/c.py"]),
        ("app/", ["a.py", "sub/c.py"]),
        ("app/sub", ["c.py"]),
        ("TAX", ["t.py"]),  # a folder whose name ends in X (and so no slash) is no prefix
    ],
)
def test_api_names_under_the_linted_folder(prefix: str, expected: list[str]) -> None:
    assert changed.api_names(ENTRIES, prefix) == expected
    get, _seen = pages(ENTRIES[:3], ENTRIES[3:])
    assert changed.from_api(get, "u?page=1", prefix) == expected


def test_files_url() -> None:
    assert changed.files_url("https://ghe.example.com/api/v3/", "o/r", 7) == (
        "https://ghe.example.com/api/v3/repos/o/r/pulls/7/files?per_page=100"
    )
    assert changed.files_url("http://127.0.0.1:9/GHX", "o/r", 7) == (
        "http://127.0.0.1:9/GHX/repos/o/r/pulls/7/files?per_page=100"
    )


# ---------------------------------------------------------------- the changed lines (git)


def settings(**raw: str) -> Settings:
    return parse_settings(Settings, {"changed-lines-only": "true", **raw})


def facts(
    event: dict[str, Any], event_name: str = "pull_request", workspace: str = ""
) -> RunContext:
    return RunContext(event_name=event_name, event=event, workspace=workspace)


def test_the_lines_are_the_pull_requests_own_when_the_base_moved_on(tmp_path: Path) -> None:
    """From the merge base: a.py's line 8, which main changed after the branch point, is not
    the pull request's (`base..` would call it changed)."""
    repo, base, head = make_pull(tmp_path)
    diff = pull.pull_diff(settings(), facts(_event(base, head)), repo_at(repo), None)
    assert diff is not None
    assert (diff.number, diff.head, diff.how) == (7, head, "lines changed by PR #7 (git)")
    assert sorted(diff.changes) == PULL_FILES
    assert diff.changes["a.py"].added() == [(3, 3), (11, 12)]
    assert diff.changes["a.py"].edits == ((3, 1, 3, 1), (10, 0, 11, 2))
    assert diff.review["a.py"].hunks == ((1, 6), (8, 15))  # three lines of context around
    assert diff.to_head is None  # the working tree is the head


def test_a_working_tree_that_is_not_the_head_maps_its_lines_back(tmp_path: Path) -> None:
    """A merge commit (GitHub's checkout of a pull request; or a fixer) changed the linted
    files: the lines found are the working tree's, the review's are the head's
    (`base...head`), and to_head maps between them."""
    repo, base, head = make_pull(tmp_path)
    _commit(repo, {"a.py": "# one\n# two\n" + (repo / "a.py").read_text()}, "a merge commit")
    diff = pull.pull_diff(
        settings(review="comments"), facts(_event(base, head, number=5)), repo_at(repo), None
    )
    assert diff is not None and diff.to_head is not None
    assert (diff.number, diff.head, diff.how) == (5, head, "lines changed by PR #5 (git)")
    assert diff.changes["a.py"].added() == [(1, 2), (5, 5), (13, 14)]
    assert diff.review["a.py"].edits == ((3, 1, 3, 1), (10, 0, 11, 2))
    assert diff.to_head["a.py"].edits == ((0, 0, 1, 2),)
    assert diff.head_lines("a.py", 5, 5) == (3, 3)


def test_without_a_merge_base_the_lines_are_against_the_base_itself(tmp_path: Path) -> None:
    repo, _base, head = make_pull(tmp_path)
    git(repo, "checkout", "-q", "--orphan", "unrelated")
    git(repo, "rm", "-rqf", ".")
    orphan = _commit(repo, {"a.py": BASE_A.replace("a5 = 5", "a5 = 55")}, "unrelated history")
    git(repo, "checkout", "-q", "feature")
    event = _event(orphan, head)
    diff = pull.pull_diff(settings(), facts(event), repo_at(repo), None)
    assert diff is not None and diff.to_head is None
    assert diff.changes["a.py"].added() == [(3, 3), (5, 5), (11, 12)]
    (repo / "a.py").write_text("# top\n" + (repo / "a.py").read_text())
    moved = pull.pull_diff(settings(), facts(event), repo_at(repo), None)
    assert moved is not None and moved.to_head is not None
    assert moved.review["a.py"].edits == ((3, 1, 3, 1), (5, 1, 5, 1), (10, 0, 11, 2))


def test_a_head_that_is_not_here_is_taken_as_the_working_tree(tmp_path: Path) -> None:
    repo, base, _head = make_pull(tmp_path)
    (repo / "a.py").write_text("# top\n" + (repo / "a.py").read_text())
    for head in ("", "3" * 40):
        diff = pull.pull_diff(settings(), facts(_event(base, head)), repo_at(repo), None)
        assert diff is not None and diff.to_head is None and diff.head == head
        assert diff.changes["a.py"].added() == [(1, 1), (4, 4), (12, 13)]


def test_lines_from_the_files_api_when_the_base_is_not_here(tmp_path: Path) -> None:
    repo, _base, head = make_pull(tmp_path)
    patch = "@@ -2,3 +2,4 @@\n a\n+b\n c\n d"
    entries = [
        {"filename": "sub/new.py", "patch": patch},
        {"filename": "a.py", "patch": patch},
        {"filename": "sub/big.py"},
    ]
    asked: list[int] = []

    def files(number: int) -> list[dict[str, str]]:
        asked.append(number)
        return entries

    event = _event("4" * 40, head, number=9)
    diff = pull.pull_diff(settings(), facts(event), repo_at(repo / "sub"), files)
    assert asked == [9] and diff is not None
    assert (diff.number, diff.head, diff.how) == (
        9,
        head,
        "lines changed by PR #9 (files API patches)",
    )
    assert diff.changes == {
        "new.py": FileChanges(((2, 0, 3, 1),), ((2, 5),)),
        "big.py": FileChanges(whole=True),
    }
    assert diff.review is diff.changes and diff.to_head is None
    with pytest.raises(ExternalError) as caught:
        pull.pull_diff(settings(), facts(event), repo_at(repo), None)
    assert caught.value.message == (
        "the checkout lacks the base commit of PR #9 and no token was given for the pull "
        "request files API"
    )
    assert caught.value.title == "lint: cannot read the changed lines"


def test_no_lines_unless_asked_on_a_pull_request(tmp_path: Path) -> None:
    repo, base, head = make_pull(tmp_path)
    event = _event(base, head)
    assert not pull.wanted(settings(**{"changed-lines-only": "false"}))
    assert pull.wanted(settings(**{"changed-lines-only": "false", "review": "suggestions"}))
    assert (
        pull.pull_diff(
            settings(**{"changed-lines-only": "false"}), facts(event), repo_at(repo), None
        )
        is None
    )
    assert pull.pull_diff(settings(), facts(event, "push"), repo_at(repo), None) is None
    assert pull.pull_diff(settings(), facts({"number": 7}), repo_at(repo), None) is None
    target = pull.pull_diff(settings(), facts(event, "pull_request_target"), repo_at(repo), None)
    assert target is not None and sorted(target.changes) == PULL_FILES


def test_a_folder_without_git_gets_its_lines_from_the_files_api(tmp_path: Path) -> None:
    """No checkout history at all (no git): the files API's patches, under the linted
    folder's place in the workspace."""
    workspace = tmp_path / "workspace"
    (workspace / "app").mkdir(parents=True)
    patch = "@@ -1 +1,2 @@\n a\n+b"
    entries = [{"filename": "app/a.py", "patch": patch}, {"filename": "b.py", "patch": patch}]
    diff = pull.pull_diff(
        settings(),
        facts(_event("5" * 40, "6" * 40), workspace=str(workspace)),
        repo_at(workspace / "app"),
        lambda _number: entries,
    )
    assert diff is not None and sorted(diff.changes) == ["a.py"]


def test_a_failing_git_diff_is_an_external_error(tmp_path: Path) -> None:
    repo, _base, _head = make_pull(tmp_path)
    with pytest.raises(ExternalError) as caught:
        pull.diff_of(repo_at(repo), "no-such-ref", "x")
    assert caught.value.message == "git diff no-such-ref x failed (exit 128)."
    assert caught.value.title == "lint: cannot read the changed lines"


# ---------------------------------------------------------------- pull_request_target


def test_pull_request_target_is_refused_unless_allowed() -> None:
    refused = parse_settings(Settings, {})
    with pytest.raises(InputError) as caught:
        refuse_pull_request_target(refused, "pull_request_target")
    assert caught.value.input_name == "allow-pull-request-target"
    assert caught.value.message == (
        "Input 'allow-pull-request-target': lint does not run on pull_request_target events: "
        "it executes code from the checkout (linter plugins, pylint's init-hook, mypy plugins), "
        "and this job holds the base repository's secrets and a write token."
    )
    assert caught.value.hint == (
        "Lint pull requests on the pull_request event. If this job checks out only trusted "
        "code (the base branch), set allow-pull-request-target: true."
    )
    allowed = parse_settings(Settings, {"allow-pull-request-target": "true"})
    refuse_pull_request_target(allowed, "pull_request_target")
    for event_name in ("pull_request", "push", "PULL_REQUEST_TARGET", ""):
        refuse_pull_request_target(refused, event_name)


def test_the_repository_s_files_are_read_only_inside_it(tmp_path: Path) -> None:
    """A requirements include or a symbolic link that leaves the checkout reads as missing:
    the configuration (and what it names) comes from the linted folder only."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("flake8==7.0.0\n")
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    (root / "inside.txt").write_text("black==24.1.0\n")
    (root / "requirements-dev.txt").write_text(
        f"-r inside.txt\n-r ../outside/secret.txt\n-r {outside / 'secret.txt'}\n-r sub/linked.txt\n"
    )
    (root / "sub" / "linked.txt").symlink_to(outside / "secret.txt")
    (root / "sub" / "loop.txt").symlink_to(root / "sub" / "loop.txt")
    repo = repo_at(root)
    assert repo.read("inside.txt") == "black==24.1.0\n"
    assert repo.read("sub/../inside.txt") == "black==24.1.0\n"
    for path in ("../outside/secret.txt", str(outside / "secret.txt"), "sub/linked.txt"):
        assert repo.read(path) is None, path
    assert repo.read("sub/loop.txt") is None
    loaded = config.load(["requirements-dev.txt"], repo.read)
    assert {r.name for r in loaded.requirements} == {"black"}
    # a subfolder of the checkout (working-directory) may read the rest of the checkout
    (root / "sub" / "pyproject.toml").symlink_to(root / "inside.txt")
    runner = Runner(env=dict(os.environ), stream=io.StringIO())
    inner = Repo(root / "sub", runner, root)
    assert inner.read("pyproject.toml") == inner.read("../inside.txt") == "black==24.1.0\n"
    assert inner.read("../../outside/secret.txt") is None
    assert Repo(root / "sub", runner).read("../inside.txt") is None  # no checkout: the folder
    assert Repo(root, runner, root / "sub").read("inside.txt") is not None  # not inside it
