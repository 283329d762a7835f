"""scripts/mutation.py without running mutmut: its table, its equivalents file, and how it
turns mutmut's function-relative diff into a file line."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "shipyard_mutation_script", ROOT / "scripts" / "mutation.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


mutation = load()


def test_the_table_names_real_modules_and_test_files() -> None:
    names = [m.name for m in mutation.MODULES]
    assert len(names) == len(set(names))
    for module in mutation.MODULES:
        assert (ROOT / module.source).is_file(), module.source
        if module.pending:
            assert not module.tests
            continue
        assert module.tests, module.name
        for test in module.tests:
            path = ROOT / test.split("::")[0]
            assert path.is_file(), test
            assert "services" not in path.parts and "e2e" not in path.parts, test


def test_every_equivalent_names_a_module_of_the_table_and_says_why() -> None:
    names = {m.name for m in mutation.MODULES}
    for entry in mutation.load_equivalents():
        assert entry["module"] in names
        assert entry["function"] and entry["before"] and entry["after"]
        assert len(entry["reason"]) > 10


def test_the_test_beds_plugins_are_switched_off() -> None:
    args = mutation.blocked_plugins()
    assert args[0::2] == ["-p"] * (len(args) // 2)
    assert "no:tests.services.plugin_infra" in args
    assert "no:tests.e2e.plugin_act" in args


def test_a_diff_of_a_method_is_located_in_the_file() -> None:
    source = [
        "class A:",
        "    def f(self) -> int:",
        "        x = 1",
        "        return x",
        "",
        "    def g(self) -> int:",
        "        x = 1",
        "        return x + 1",
    ]
    diff = "\n".join(
        [
            "--- a.py",
            "+++ a.py",
            "@@ -1,3 +1,3 @@",
            " def g(self) -> int:",
            "     x = 1",
            "-    return x + 1",
            "+    return x - 1",
        ]
    )
    assert mutation.locate(source, diff) == (8, "return x + 1", "return x - 1")


def test_a_survivor_is_matched_to_its_equivalent_entry() -> None:
    module = mutation.Module("runtime.x", ("tests/x.py",))
    result = mutation.Result(
        module,
        [
            mutation.Mutant("shipyard.runtime.x.x_f__mutmut_1", "survived", 3, "a = 1", "a = 2"),
            mutation.Mutant("shipyard.runtime.x.x_f__mutmut_2", "survived", 4, "b = 1", "b = 2"),
            mutation.Mutant("shipyard.runtime.x.x_f__mutmut_3", "killed"),
        ],
    )
    entries = [
        {
            "module": "runtime.x",
            "function": "x_f",
            "before": "a = 1",
            "after": "a = 2",
            "reason": "r",
        },
        {
            "module": "runtime.x",
            "function": "x_f",
            "before": "c = 1",
            "after": "c = 2",
            "reason": "r",
        },
        {"module": "other", "function": "x_f", "before": "b = 1", "after": "b = 2", "reason": "r"},
    ]
    stale = mutation.match_equivalents(result, entries)
    assert stale == [entries[1]]
    assert [m.key[-1] for m in result.survivors] == ["2"]
    assert result.score == 50.0  # 1 killed of 2 counted (3 mutants, 1 equivalent)
