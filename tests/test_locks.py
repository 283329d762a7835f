"""The lock files under locks/ are fresh relative to pyproject.toml (offline checks).

A lock is stale when its header's ``inputs-sha256`` no longer matches the requirements in
pyproject.toml (regenerate with ``python scripts/lock.py``), or when it was edited by hand into
something that no longer satisfies them.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "locks"
REGENERATE = "run `python scripts/lock.py` and commit locks/"


def load_lock_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "shipyard_lock_script", ROOT / "scripts" / "lock.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


lock_script = load_lock_script()
PYPROJECT = lock_script.load_pyproject()


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: str
    hashes: tuple[str, ...]


def parse_lock(path: Path) -> list[Pin]:
    """The pins of a hashed requirements file (continuation lines joined)."""
    logical: list[str] = []
    current = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current.strip():
        logical.append(current)
    pins = []
    for entry in logical:
        requirement_text, *hash_parts = entry.split("--hash=")
        assert not requirement_text.startswith(("-e", "-r", "-c", "file:", ".", "/")), (
            f"{path.name}: local or nested requirement {entry!r}"
        )
        requirement = Requirement(requirement_text.strip())
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", (
            f"{path.name}: {requirement} is not pinned with =="
        )
        assert requirement.url is None, f"{path.name}: {requirement} is a direct URL"
        pins.append(
            Pin(
                name=canonicalize_name(requirement.name),
                version=specifiers[0].version,
                marker=str(requirement.marker or ""),
                hashes=tuple(part.strip() for part in hash_parts),
            )
        )
    return pins


def top_level_requirements(name: str) -> list[Requirement]:
    project = PYPROJECT["project"]
    requirements = list(project.get("dependencies", []))
    if name != "base":
        requirements += project["optional-dependencies"][name]
    return [Requirement(text) for text in requirements]


def read_header_digest(lock: Path) -> str | None:
    """The ``inputs-sha256`` recorded in a lock's header, if any."""
    with lock.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            if line.startswith("# inputs-sha256:"):
                return line.split(":", 1)[1].strip()
    return None


LOCK_NAMES = lock_script.lock_names(PYPROJECT)


def test_one_lock_per_action_extra_and_no_other() -> None:
    present = sorted(path.stem for path in LOCKS.glob("*.txt"))
    assert present == sorted(LOCK_NAMES), REGENERATE
    assert "test" not in present


@pytest.mark.parametrize("name", LOCK_NAMES)
def test_header_matches_pyproject(name: str) -> None:
    recorded = read_header_digest(LOCKS / f"{name}.txt")
    assert recorded == lock_script.inputs_digest(PYPROJECT, name), (
        f"locks/{name}.txt is stale relative to pyproject.toml: {REGENERATE}"
    )


@pytest.mark.parametrize("name", LOCK_NAMES)
def test_lock_pins_satisfy_the_requirements_with_hashes(name: str) -> None:
    pins = parse_lock(LOCKS / f"{name}.txt")
    assert pins, f"locks/{name}.txt pins nothing"
    for pin in pins:
        assert pin.hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in pin.hashes), (
            f"locks/{name}.txt: {pin.name} lacks sha256 hashes"
        )
    by_name: dict[str, list[Pin]] = {}
    for pin in pins:
        by_name.setdefault(pin.name, []).append(pin)
    for requirement in top_level_requirements(name):
        candidates = by_name.get(canonicalize_name(requirement.name), [])
        if requirement.marker is not None and not candidates:
            continue
        assert candidates, f"locks/{name}.txt does not pin {requirement}: {REGENERATE}"
        for pin in candidates:
            assert requirement.specifier.contains(Version(pin.version), prereleases=True), (
                f"locks/{name}.txt pins {pin.name}=={pin.version}, outside {requirement}: "
                f"{REGENERATE}"
            )


def test_shared_packages_are_pinned_identically_in_every_lock() -> None:
    """All extras share one venv: a second extra must never change a package."""
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for name in LOCK_NAMES:
        for pin in parse_lock(LOCKS / f"{name}.txt"):
            key = (pin.name, pin.marker)
            if key in seen:
                assert seen[key][0] == pin.version, (
                    f"{pin.name}: {seen[key][0]} in locks/{seen[key][1]}.txt but {pin.version} "
                    f"in locks/{name}.txt: {REGENERATE}"
                )
            else:
                seen[key] = (pin.version, name)


def test_each_extra_lock_contains_the_base_lock() -> None:
    base = {(pin.name, pin.marker) for pin in parse_lock(LOCKS / "base.txt")}
    for name in LOCK_NAMES:
        pins = {(pin.name, pin.marker) for pin in parse_lock(LOCKS / f"{name}.txt")}
        assert base <= pins, f"locks/{name}.txt misses base packages {sorted(base - pins)}"


def test_uv_tool_lock_is_pinned_and_hashed() -> None:
    pins = parse_lock(LOCKS / "tools" / "uv.txt")
    assert [pin.name for pin in pins] == ["uv"]
    assert len(pins[0].hashes) > 5, "expected one hash per platform wheel"


def test_digest_changes_with_the_requirements() -> None:
    changed = {
        "project": {
            **PYPROJECT["project"],
            "dependencies": [*PYPROJECT["project"].get("dependencies", []), "idna>=3"],
        }
    }
    for name in LOCK_NAMES:
        assert lock_script.inputs_digest(changed, name) != lock_script.inputs_digest(
            PYPROJECT, name
        )
