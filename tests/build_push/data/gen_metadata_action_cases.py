"""Regenerate metadata_action_cases.json from a checkout of docker/metadata-action.

node extract_metadata_action_cases.js <metadata-action>/__tests__/meta.test.ts cases.json
python gen_metadata_action_cases.py <metadata-action checkout> cases.json
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

GROUPS = ["null", "push", "tag", "latest", "pr", "pr-head-sha", "schedule", "release", "raw"]
OUT = Path(__file__).with_name("metadata_action_cases.json")


def show(repo: str, path: str) -> str | None:
    done = subprocess.run(
        ["git", "-C", repo, "show", f"HEAD:{path}"], capture_output=True, text=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def payload_of(repo: str, env: dict[str, str]) -> dict[str, Any]:
    """The fields of the event payload the tags depend on."""
    path = env.get("GITHUB_EVENT_PATH")
    text = show(repo, "__tests__/" + path.split("__tests__/", 1)[1]) if path else None
    data = json.loads(text) if text else {}
    payload = {key: data[key] for key in ("ref", "base_ref", "number") if key in data}
    if isinstance(data.get("repository"), dict):
        payload["repository"] = {"default_branch": data["repository"].get("default_branch")}
    pull = data.get("pull_request")
    if pull:
        payload["pull_request"] = {
            "number": pull["number"],
            "head": {"sha": pull["head"]["sha"], "ref": pull["head"]["ref"]},
            "base": {"ref": pull["base"]["ref"]},
        }
    return payload


def environment(repo: str, env_file: str) -> dict[str, Any]:
    env: dict[str, str] = {}
    for line in (show(repo, f"__tests__/fixtures/{env_file}") or "").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    return {
        "event_name": env.get("GITHUB_EVENT_NAME", ""),
        "ref": env.get("GITHUB_REF", ""),
        "sha": env.get("GITHUB_SHA", ""),
        "head_ref": env.get("GITHUB_HEAD_REF", ""),
        "base_ref": env.get("GITHUB_BASE_REF", ""),
        "event": payload_of(repo, env),
    }


def main(repo: str, extracted: str) -> None:
    commit = subprocess.run(
        ["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    cases: list[dict[str, Any]] = []
    envs: dict[str, Any] = {}
    for item in json.loads(Path(extracted).read_text()):
        if item["describe"] not in GROUPS:
            continue
        name, env_file, inputs, version, tags = item["case"][:5]
        envs.setdefault(env_file, environment(repo, env_file))
        cases.append(
            {
                "id": f"{item['describe']}/{name}",
                "env": env_file,
                "images": inputs.get("images", []),
                "tags": inputs.get("tags"),
                "flavor": inputs.get("flavor", []),
                "main": version.get("main"),
                "partial": version.get("partial", []),
                "latest": bool(version.get("latest")),
                "expected": tags,
            }
        )
    document = {
        "source": f"https://github.com/docker/metadata-action/blob/{commit}/__tests__/meta.test.ts",
        "note": "Generated from metadata-action's own test tables (groups: "
        + ", ".join(GROUPS)
        + "); labels left out. Its fixture environments are reduced to what tags depend on.",
        "environments": envs,
        "cases": cases,
    }
    OUT.write_text(json.dumps(document, indent=1) + "\n")
    print(f"{len(cases)} cases, {len(envs)} environments")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
