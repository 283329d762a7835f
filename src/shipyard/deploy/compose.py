"""compose-file: an app made of several services, one ``docker compose`` project per release.

The user's compose file is checked here (``local_files`` reads it before any connection),
the service nginx routes to is chosen, and an override file is rendered that labels every
service for the action (``shipyard.app``, ``shipyard.release``, ``shipyard.role``) and
publishes the routed service's ``port`` on the host's loopback (``127.0.0.1::PORT``, a free
port per colour) unless the file already publishes it without a fixed host port. The image
goes to the file through ``${SHIPYARD_IMAGE}`` (pure).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from shipyard.runtime import InputError

SERVICE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
IMAGE_VARIABLE = "SHIPYARD_IMAGE"


@dataclass(frozen=True)
class ComposeApp:
    """The user's compose file and what the action needs to know of it."""

    text: str
    services: tuple[str, ...]
    service: str  # the one nginx routes to
    publishes: bool  # the file already publishes ``port`` of it (without a fixed host port)

    def override(self, app: str, release: str, port: int) -> str:
        """The action's override file (JSON is YAML): labels, and the loopback publish."""
        services: dict[str, dict[str, Any]] = {}
        for name in self.services:
            role = "routed" if name == self.service else "service"
            labels = {
                "shipyard.app": app,
                "shipyard.release": release,
                "shipyard.role": role,
                "shipyard.state": "${SHIPYARD_STATE}",  # exported by the start step
            }
            services[name] = {"labels": labels}
        if not self.publishes:
            services[self.service]["ports"] = [f"127.0.0.1::{port}"]
        return json.dumps({"services": services}, indent=2, sort_keys=True) + "\n"


def project(app: str, release: str) -> str:
    """The compose project of a release (compose allows a-z, 0-9, '-' and '_')."""
    return re.sub(r"[^a-z0-9_-]", "-", f"{app}-{release}".lower())


def parse(text: str, port: int, service: str | None, name: str = "the compose file") -> ComposeApp:
    """The compose file's services, checked (``${SHIPYARD_IMAGE}`` used, no fixed host port,
    no container_name), and the one nginx routes to (``service``, else the first that
    publishes or exposes ``port``); InputError naming compose-file otherwise."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError("compose-file", f"{name} is not valid YAML: {exc}") from None
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict) or not services:
        raise InputError("compose-file", f"{name} has no services.")
    for key, body in services.items():
        if not isinstance(key, str) or not SERVICE.match(key) or not isinstance(body, dict):
            raise InputError("compose-file", f"service '{key}' of {name} is not valid.")
        if "container_name" in body:
            raise InputError(
                "compose-file",
                f"service '{key}' sets container_name: two releases run side by side, so "
                "compose must name the containers.",
            )
        for entry in body.get("ports") or []:
            target, published = _port(entry)
            if published:
                raise InputError(
                    "compose-file",
                    f"service '{key}' publishes host port {published}: two releases run side "
                    f"by side, so publish none (the action publishes {port} of the routed "
                    f"service on 127.0.0.1) or '127.0.0.1::{target}'.",
                )
    if "${" + IMAGE_VARIABLE not in text and "$" + IMAGE_VARIABLE not in text:
        raise InputError(
            "compose-file",
            f"{name} does not use ${{{IMAGE_VARIABLE}}}: give it as the image of the service "
            "built from the image input (the action sets it to that image for each release).",
        )
    if service and service not in services:
        raise InputError("compose-service", f"no service '{service}' in {name}.")
    routed = service or _default_service(services, port)
    publishes = any(_port(e)[0] == port for e in services[routed].get("ports") or [])
    return ComposeApp(text, tuple(str(k) for k in services), routed, publishes)


def _default_service(services: dict[str, Any], port: int) -> str:
    for key, body in services.items():
        if any(_port(e)[0] == port for e in body.get("ports") or []):
            return str(key)
        if any(str(e).split("/")[0] == str(port) for e in body.get("expose") or []):
            return str(key)
    raise InputError(
        "compose-service",
        f"is needed: no service of the compose file publishes or exposes port {port}.",
        hint="Name the service nginx routes to with compose-service (or add 'expose: "
        f'["{port}"]\' to it).',
    )


def _port(entry: object) -> tuple[int, str]:
    """(container port, fixed host port or '') of a ``ports`` entry, short or long syntax."""
    if isinstance(entry, dict):
        target = str(entry.get("target", ""))
        published = str(entry.get("published", "") or "")
    else:
        parts = str(entry).split("/")[0].rsplit(":", 2)
        target = parts[-1]
        published = parts[-2] if len(parts) >= 2 else ""
    return (int(target) if target.isdigit() else 0), published
