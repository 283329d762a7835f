"""A stand-in ``docker`` CLI for running step scripts locally with bash: it answers the few
commands the image pruning and ``mode: exec`` scripts use from a JSON state file, and logs
every call (argv as a list), so a test checks what the script asked for and what it removed.

Used by ``test_ops_pure.py`` to pin the pruning rules exactly (which images go, which stay,
and why); the real-host tests prove the same scripts against dockerd.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any

STATE = "FAKE_DOCKER_STATE"


def install(directory: Path, state: dict[str, Any]) -> dict[str, str]:
    """Write the fake ``docker`` into ``directory`` with ``state``; the environment to run a
    script with it (PATH first, the state file)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "docker"
    path.write_text(f"#!{sys.executable}\nimport runpy\nrunpy.run_path({__file__!r}, "
                    "run_name='__main__')\n")  # fmt: skip
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    (directory / "state.json").write_text(json.dumps({"calls": [], **state}))
    return {
        "PATH": f"{directory}:{os.environ['PATH']}",
        STATE: str(directory / "state.json"),
        "HOME": str(directory / "home"),
    }


def load(env: dict[str, str]) -> dict[str, Any]:
    """The state after the script ran."""
    return json.loads(Path(env[STATE]).read_text())  # type: ignore[no-any-return]


def _format(template: str, container: dict[str, Any]) -> str:
    def label(match: re.Match[str]) -> str:
        return str(container["labels"].get(match[1], ""))

    text = re.sub(r'\{\{\.Label "([^"]+)"\}\}', label, template)
    return text.replace("{{.Names}}", container["name"]).replace("{{.State}}", container["state"])


def _ps(state: dict[str, Any], args: list[str]) -> int:
    wanted = [a.removeprefix("label=") for i, a in enumerate(args) if args[i - 1] == "--filter"]
    template = args[args.index("--format") + 1] if "--format" in args else ""
    for container in state["containers"]:
        labels = container["labels"]
        if all(labels.get(w.split("=", 1)[0]) == w.split("=", 1)[1] for w in wanted):
            print(container["id"] if "--quiet" in args else _format(template, container))
    return 0


def _image(state: dict[str, Any], args: list[str]) -> int:
    images: dict[str, str] = state["images"]
    if args[0] == "inspect":
        refs = [a for a in args[1:] if not a.startswith("--") and a != "{{.Id}}"]
        missing = [r for r in refs if r not in images]
        for ref in refs:
            if ref in images:
                print(images[ref])
        return 1 if missing else 0
    image = args[-1]
    if any(c["image"] == image for c in state["containers"]):
        print("conflict: image is being used by a container", file=sys.stderr)
        return 1
    state["images"] = {ref: i for ref, i in images.items() if i != image}
    state["removed"] = [*state.get("removed", []), image]
    return 0


def main(argv: list[str]) -> int:
    """Answer one docker command (see the module)."""
    path = Path(os.environ[STATE])
    state = json.loads(path.read_text())
    state["calls"].append(argv)
    code = 0
    if argv[0] == "ps":
        code = _ps(state, argv[1:])
    elif argv[0] == "inspect":
        by_id = {c["id"]: c for c in state["containers"]}
        for ref in argv[3:]:
            print(by_id[ref]["image"])
    elif argv[0] == "image":
        code = _image(state, argv[1:])
    elif argv[0] == "exec":
        print(f"exec in {argv[1]}")
        code = int(state.get("exec_code", 0))
    path.write_text(json.dumps(state))
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
