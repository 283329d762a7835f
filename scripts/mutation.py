"""Mutation testing of the modules that decide: the score per module, and every survivor.

Usage::

    nice -n 10 python scripts/mutation.py                  # every module of the table
    nice -n 10 python scripts/mutation.py approval.decision build_push.tags
    python scripts/mutation.py --list                      # the table, pending ones too

For each module, mutmut (3.x) puts one small change at a time into
``src/shipyard/<module>.py`` (a ``<`` for a ``<=``, a string or number changed, a condition
negated, a call's argument dropped...) and runs the module's tests against it; a change no test
notices is a *survivor*: an edge that no test pins. The tests are only the module's pure ones
(no Docker, registry, SSH, emulator or act): the plugins of the test bed are switched off, so a
test that asks for a service fails the run instead of starting one. Not run in CI: it takes a
few minutes per module on two cores (hence ``nice``; ``--jobs`` says how many at once).

It prints, per module, ``killed / total``, the score, and each survivor as ``file:line``, the
line before and after the change, and mutmut's name for it (``mutmut show NAME`` in
``.mutation/<module>/`` prints the whole diff; ``mutmut browse`` there is an interactive view).
A survivor that no test can kill because the change does not change behaviour (an
*equivalent* mutant) is listed in ``scripts/mutation-equivalents.toml`` with the reason; the
score leaves those out. Entries there that no longer match a survivor are reported as stale.

Exit status: 0 when every module scored at least ``--min-score`` (90 by default), 1 when one
did not, 2 on a usage error or when mutmut cannot run (its log is under ``.mutation/``).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 developers need tomli
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
EQUIVALENTS = Path(__file__).with_name("mutation-equivalents.toml")
MUTMUT = Path(sys.executable).with_name("mutmut")


@dataclass(frozen=True)
class Module:
    """One module under mutation: ``name`` is its dotted path below ``shipyard``; ``tests``
    are the pure test files (or node ids) that pin it; ``pending`` says why it is not run yet."""

    name: str
    tests: tuple[str, ...]
    pending: str = ""

    @property
    def source(self) -> str:
        """The module's source file."""
        return "src/shipyard/" + self.name.replace(".", "/") + ".py"


_BUILD_PUSH_TESTS = (
    "tests/build_push/test_tags.py",
    "tests/build_push/test_tags_edges.py",
    "tests/build_push/test_metadata_action_cases.py",
    "tests/build_push/test_pure.py",
)
_APPROVAL_TESTS = (
    "tests/approval/test_logic.py",
    "tests/approval/test_settings.py",
    "tests/approval/test_policy_edges.py",
)
#: Every runtime test but test_github.py (the GitHub emulator), test_http.py (an HTTP server),
#: test_lazy_imports.py (mutmut's own imports are in the way of what it checks) and
#: test_process.py (real child processes and signals: slow, and process.py is not mutated).
_RUNTIME_TESTS = (
    "tests/runtime/test_annotation_budget.py",
    "tests/runtime/test_annotations.py",
    "tests/runtime/test_cleanup.py",
    "tests/runtime/test_commands.py",
    "tests/runtime/test_commands_edges.py",
    "tests/runtime/test_context.py",
    "tests/runtime/test_entry.py",
    "tests/runtime/test_environment.py",
    "tests/runtime/test_inputs.py",
    "tests/runtime/test_network.py",
    "tests/runtime/test_network_edges.py",
    "tests/runtime/test_old_commands.py",
    "tests/runtime/test_retry.py",
    "tests/runtime/test_sarif.py",
    "tests/runtime/test_settings.py",
    "tests/runtime/test_settings_edges.py",
    "tests/runtime/test_summary.py",
)
_LINT_TESTS = (
    "tests/lint/test_lines.py",
    "tests/lint/test_pure.py",
    "tests/lint/test_review_plan.py",
    "tests/lint/test_scope_edges.py",
    "tests/lint/test_lines_edges.py",
    "tests/lint/test_plan_edges.py",
    "tests/lint/test_security.py::test_other_actions_still_run_on_pull_request_target",
)
#: The findings model's tests, and the line filter's (lint) and the gate's (audit).
_FINDINGS_TESTS = (
    "tests/findings/test_model_edges.py",
    "tests/findings/test_emit.py",
    "tests/findings/test_fingerprints.py",
    "tests/lint/test_lines.py",
    "tests/lint/test_lines_edges.py",
    "tests/audit/test_pure.py",
    "tests/audit/test_gate_edges.py",
)
_AUDIT_TESTS = (
    "tests/audit/test_pure.py",
    "tests/audit/test_gate_edges.py",
    "tests/audit/test_ignore.py::test_expires_is_required_and_capped",
    "tests/audit/test_ignore.py::test_a_rule_id_needs_paths_or_a_fingerprint",
    "tests/audit/test_ignore.py::test_paths_narrow_a_rule_to_those_files",
    "tests/audit/test_ignore.py::test_a_rule_of_unknown_shape_is_no_wildcard_either",
    "tests/audit/test_ignore.py::test_globs",
    "tests/audit/test_gate_unavailable.py::test_a_timed_out_or_crashed_tool_means_its_scanners_did_not_run",
)
#: deploy's pure tests: the orchestration on the in-memory fleet (tests/deploy/memory_fleet.py)
#: and the pure unit tests (test_pure.py runs bash and shellcheck on files: no service).
_DEPLOY_TESTS = (
    "tests/deploy/test_pure.py",
    "tests/deploy/test_fleet_deploy.py",
    "tests/deploy/test_fleet_hooks.py",
    "tests/deploy/test_fleet_rollback.py",
    "tests/deploy/test_fleet_cancel.py",
    "tests/deploy/test_health_edges.py",
    "tests/deploy/test_batches_edges.py",
    "tests/deploy/test_plan_edges.py",
    "tests/deploy/test_rollback_edges.py",
    "tests/deploy/test_records_edges.py",
    "tests/deploy/test_strategies_edges.py",
)
_PENDING = "pending: being refactored by another helper; add its pure tests, then clear this"

#: THE table: add a module here (with its pure tests) to put it under mutation.
MODULES: tuple[Module, ...] = (
    Module("build_push.tags", _BUILD_PUSH_TESTS),
    Module("build_push.tagrules", _BUILD_PUSH_TESTS),
    Module("approval.decision", _APPROVAL_TESTS),
    Module("approval.people", _APPROVAL_TESTS),
    Module("approval.trust", _APPROVAL_TESTS),
    Module("runtime.commands", _RUNTIME_TESTS),
    Module("runtime.settings", _RUNTIME_TESTS),
    Module("runtime.inputs", _RUNTIME_TESTS),
    Module("runtime.network", _RUNTIME_TESTS),
    # deploy's health probe and error rate, the watch and batches (max-failures), the plan,
    # the rollback target, the rollback mode and the strategies' steps (the watch's checks,
    # the revert's health attempts, drain): on the in-memory fleet.
    Module("deploy.health", _DEPLOY_TESTS),
    Module("deploy.deploy", _DEPLOY_TESTS),
    Module("deploy.plan", _DEPLOY_TESTS),
    Module("deploy.releases", _DEPLOY_TESTS),
    Module("deploy.rollback", _DEPLOY_TESTS),
    Module("deploy.strategies", _DEPLOY_TESTS),
    # lint's changed-files scope (only-changed), changed lines, pull_request_target.
    Module("lint.changed", _LINT_TESTS),
    Module("lint.lines", _LINT_TESTS),
    Module("lint.pull", _LINT_TESTS),
    Module("lint.plan", _LINT_TESTS),
    # the line filter (changed-lines-only) and the findings every decision above is about.
    Module("findings.model", _FINDINGS_TESTS),
    # audit's verdict: the gate, the ignore file, ignore-unfixed, allow-unavailable.
    Module("audit.gate", _AUDIT_TESTS),
    Module("audit.verdict", _AUDIT_TESTS),
    Module("audit.ignore", _AUDIT_TESTS),
    Module("audit.severity", _AUDIT_TESTS),
    Module("audit.outcome", _AUDIT_TESTS),
    Module("audit.spec", _AUDIT_TESTS),
)


@dataclass(frozen=True)
class Mutant:
    """One mutant: mutmut's name, its status and the changed line."""

    key: str  # mutmut's name: shipyard.<module>.x_<function>__mutmut_<n>
    status: str
    line: int = 0
    before: str = ""
    after: str = ""

    @property
    def function(self) -> str:
        """The mutated function's name."""
        return self.key.rsplit("__mutmut_", 1)[0].rsplit(".", 1)[-1]


@dataclass
class Result:
    """The outcome of one module's mutation run."""

    module: Module
    mutants: list[Mutant] = field(default_factory=list)
    equivalent: dict[str, str] = field(default_factory=dict)  # key -> reason

    @property
    def killed(self) -> int:
        """How many mutants the tests killed (timeouts included)."""
        return sum(m.status in KILLED for m in self.mutants)

    @property
    def survivors(self) -> list[Mutant]:
        """The mutants that survived and are not listed as equivalent."""
        return [m for m in self.mutants if m.status not in KILLED and m.key not in self.equivalent]

    @property
    def score(self) -> float:
        """Killed over counted mutants (equivalents left out), 0..1."""
        counted = len(self.mutants) - len(self.equivalent)
        return 100.0 * self.killed / counted if counted else 100.0


#: mutmut's statuses that mean a test noticed the change (a hang is noticed by the timeout).
KILLED = frozenset({"killed", "timeout", "caught by type check"})


class MutmutFailed(Exception):
    """mutmut could not run a module (its log says why)."""


def blocked_plugins() -> list[str]:
    """The test bed's plugins (``pytest_plugins`` of tests/conftest.py), as ``-p no:`` args."""
    tree = ast.parse((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    plugins: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytest_plugins"
            for target in node.targets
        ):
            plugins = list(ast.literal_eval(node.value))
    if not plugins:
        raise MutmutFailed("tests/conftest.py has no pytest_plugins list to switch off")
    return [arg for plugin in plugins for arg in ("-p", f"no:{plugin}")]


def _toml(value: object) -> str:
    """A string, list of strings or bool as TOML (JSON's spelling of them is TOML's too)."""
    return json.dumps(value)


def write_config(module: Module, directory: Path) -> None:
    """The work directory of a module: ``src`` and ``tests`` linked to the repository's, and a
    pyproject.toml with the repository's pytest settings and this module's mutmut settings."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("src", "tests"):
        link = directory / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name, target_is_directory=True)
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options = pytest_options["tool"]["pytest"]["ini_options"]
    lines = ["[tool.pytest.ini_options]"]
    for key, value in options.items():
        if key == "addopts":
            value = f"{value} -p no:cacheprovider"
        lines.append(f"{key} = {_toml(value)}")
    lines += [
        "",
        "[tool.mutmut]",
        f"source_paths = {_toml(['src'])}",
        f"only_mutate = {_toml([module.source])}",
        f"pytest_add_cli_args_test_selection = {_toml(list(module.tests))}",
        f"pytest_add_cli_args = {_toml(blocked_plugins())}",
    ]
    (directory / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


#: What mutmut says (and exits 1) when no selected test calls a mutated function.
NO_TEST_FOUND = "could not find any test case for any mutant"


def run_mutmut(module: Module, directory: Path, jobs: int) -> bool:
    """A fresh mutmut run of one module (earlier results are dropped: tests may have changed).
    False when no test reaches the module (mutmut then tests nothing)."""
    shutil.rmtree(directory / "mutants", ignore_errors=True)
    write_config(module, directory)
    log = directory / "mutmut.log"
    command = [str(MUTMUT), "run", "--max-children", str(jobs)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHIPYARD_", "INPUT_"))}
    with log.open("w", encoding="utf-8") as out:
        code = subprocess.run(command, cwd=directory, stdout=out, stderr=out, env=env).returncode
    if code == 0:
        return True
    text = log.read_text(encoding="utf-8", errors="replace")
    if NO_TEST_FOUND in text:
        return False  # the module's tests call none of its functions: every mutant survives
    raise MutmutFailed(f"mutmut failed on {module.name} (exit {code}); see {log}:\n{text[-1500:]}")


def statuses(module: Module, directory: Path, tested: bool) -> dict[str, str]:
    """mutmut's status of each mutant of ``module`` (from its stats files in ``directory``)."""
    from mutmut.stats import status_by_exit_code  # type: ignore[import-not-found,unused-ignore]

    meta = directory / "mutants" / (module.source + ".meta")
    data = json.loads(meta.read_text(encoding="utf-8"))
    return {
        key: status_by_exit_code[code] if tested else "no tests"
        for key, code in data["exit_code_by_key"].items()
    }


def locate(source_lines: list[str], diff: str) -> tuple[int, str, str]:
    """The file line of the first changed line of a mutmut diff (which numbers the lines of
    the function alone), and the line before and after the change."""
    lines = diff.splitlines()
    body = [line for line in lines if not line.startswith(("---", "+++", "@@"))]
    original = [line[1:] for line in body if not line.startswith("+")]
    removed = next((i for i, line in enumerate(body) if line.startswith("-")), 0)
    before = next((line[1:].strip() for line in body if line.startswith("-")), "")
    after = next((line[1:].strip() for line in body if line.startswith("+")), "")
    offset = sum(1 for line in body[:removed] if not line.startswith("+"))
    wanted = [line.strip() for line in original]
    stripped = [line.strip() for line in source_lines]
    matcher = difflib.SequenceMatcher(None, stripped, wanted, autojunk=False)
    block = matcher.find_longest_match(0, len(stripped), 0, len(wanted))
    start = block.a - block.b
    return start + offset + 1, before, after


def describe(module: Module, directory: Path, found: dict[str, str]) -> list[Mutant]:
    """Every mutant with its status; survivors with their line and change."""
    from mutmut.mutation.diff_apply import (  # type: ignore[import-not-found,unused-ignore]
        get_diff_for_mutant,
    )

    source_lines = (ROOT / module.source).read_text(encoding="utf-8").splitlines()
    mutants: list[Mutant] = []
    here = Path.cwd()
    os.chdir(directory)
    try:
        for key, status in sorted(found.items(), key=lambda item: _natural(item[0])):
            if status in KILLED:
                mutants.append(Mutant(key, status))
                continue
            diff = get_diff_for_mutant(key, path=Path(module.source))
            line, before, after = locate(source_lines, diff)
            mutants.append(Mutant(key, status, line, before, after))
    finally:
        os.chdir(here)
    return mutants


def _natural(key: str) -> tuple[str, int]:
    head, _, number = key.rpartition("__mutmut_")
    return head, int(number) if number.isdigit() else 0


def load_equivalents() -> list[dict[str, str]]:
    """The equivalent mutants listed, with their reasons."""
    if not EQUIVALENTS.exists():
        return []
    data = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8"))
    entries: list[dict[str, str]] = data.get("equivalent", [])
    return entries


def match_equivalents(result: Result, entries: list[dict[str, str]]) -> list[dict[str, str]]:
    """Mark the survivors the file lists (by module, function, line before and after); return
    the entries of this module that matched nothing (stale)."""
    stale = []
    for entry in (e for e in entries if e["module"] == result.module.name):
        matched = [
            m
            for m in result.mutants
            if m.status not in KILLED
            and m.function == entry["function"]
            and m.before == entry["before"].strip()
            and m.after == entry["after"].strip()
        ]
        for mutant in matched:
            result.equivalent[mutant.key] = entry["reason"]
        if not matched:
            stale.append(entry)
    return stale


def report(result: Result, stale: list[dict[str, str]]) -> None:
    """Print one module's score and its survivors (and stale equivalents)."""
    counted = len(result.mutants) - len(result.equivalent)
    timeouts = sum(m.status == "timeout" for m in result.mutants)
    print(
        f"{result.module.name}: {result.killed} / {counted} killed, score {result.score:.1f}%"
        f" ({len(result.mutants)} mutants, {len(result.equivalent)} equivalent"
        + (f", {timeouts} killed by a timeout" if timeouts else "")
        + ")"
    )
    for mutant in sorted(result.survivors, key=lambda m: m.line):
        print(
            f"  {mutant.status}: {result.module.source}:{mutant.line}: "
            f"{mutant.before!r} -> {mutant.after!r}  [{mutant.key.rsplit('.', 1)[-1]}]"
        )
    for entry in stale:
        print(f"  stale equivalent (no such survivor): {entry['function']}: {entry['before']!r}")
    sys.stdout.flush()


def mutate(module: Module, jobs: int, equivalents: list[dict[str, str]]) -> Result:
    """Run mutmut on one module in a fresh work directory; its result."""
    directory = WORK / module.name
    print(f"== {module.name}: mutating {module.source} ...", flush=True)
    tested = run_mutmut(module, directory, jobs)
    result = Result(module, describe(module, directory, statuses(module, directory, tested)))
    report(result, match_equivalents(result, equivalents))
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="modules of the table (default: all)")
    parser.add_argument("--list", action="store_true", help="print the table and stop")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--min-score", type=float, default=90.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Mutation-test the modules named (default: every module not pending); exit 1 below 90%."""
    args = parse_args(argv)
    table = {m.name: m for m in MODULES}
    if args.list:
        for module in MODULES:
            state = module.pending or f"{len(module.tests)} test files"
            print(f"{module.name:22} {module.source:42} {state}")
        return 0
    unknown = [name for name in args.modules if name not in table]
    if unknown:
        print(f"mutation.py: not in the table: {', '.join(unknown)}", file=sys.stderr)
        return 2
    chosen = [table[n] for n in args.modules] or [m for m in MODULES if not m.pending]
    pending = [m.name for m in chosen if m.pending]
    if pending:
        print(f"mutation.py: pending, not run: {', '.join(pending)}", file=sys.stderr)
        return 2
    if not MUTMUT.exists():
        print(f"mutation.py: no {MUTMUT}: pip install -e '.[test]' (mutmut 3)", file=sys.stderr)
        return 2
    if os.name == "posix" and os.nice(0) < 10:
        os.nice(10 - os.nice(0))  # a shared machine: stay out of everyone's way
    equivalents = load_equivalents()
    results: list[Result] = []
    failed: list[str] = []
    for module in chosen:
        try:
            results.append(mutate(module, args.jobs, equivalents))
        except MutmutFailed as exc:
            print(f"mutation.py: {exc}", file=sys.stderr)
            failed.append(module.name)
    print("\nmodule                  killed  counted  equivalent  score")
    for r in results:
        counted = len(r.mutants) - len(r.equivalent)
        print(f"{r.module.name:22} {r.killed:7} {counted:8} {len(r.equivalent):11} {r.score:5.1f}%")
    if failed:
        print(f"not run (mutmut failed): {', '.join(failed)}")
        return 2
    return 0 if all(r.score >= args.min_score for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
