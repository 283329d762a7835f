"""Start-up is a hot path: importing the runtime (and running an action up to its inputs)
pulls in no heavy library. Checked by module name in a fresh interpreter, not by time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
HEAVY = ("github", "yaml", "requests", "urllib3", "smtplib", "email", "concurrent", "jsonschema")


def loaded_after(code: str) -> set[str]:
    probe = (
        f"import sys; sys.path.insert(0, {str(SRC)!r}); {code}; import json; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=True
    )
    return {name.split(".")[0] for name in json.loads(result.stdout.splitlines()[-1])}


def test_importing_the_runtime_loads_no_heavy_library() -> None:
    loaded = loaded_after("import shipyard.runtime")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_settings_and_an_action_context_load_no_heavy_library() -> None:
    code = (
        "from dataclasses import dataclass; "
        "from shipyard.runtime import ActionSpec, setting, parse_settings, Secret; "
        "Settings = dataclass(frozen=True)(type('Settings', (), {'__annotations__': "
        "{'token': Secret}, 'token': setting('t')})); "
        "spec = ActionSpec(name='x', title='x', description='x', settings=Settings); "
        "parse_settings(Settings, {'token': 'abc'})"
    )
    loaded = loaded_after(code)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_lazy_names_resolve() -> None:
    import shipyard.runtime as runtime

    for name in runtime.__all__:
        assert getattr(runtime, name) is not None, name
