"""Start, inspect and stop the infrastructure test bed by hand or from a demo script.

    python -m tests.services.testbed start [docker qemu registry sshd base-images | all]
    python -m tests.services.testbed status [--json]
    python -m tests.services.testbed env          # shell exports for the running services
    python -m tests.services.testbed stop [registry sshd docker | all]

Services started here keep running after the command ends; their state lives in
$SHIPYARD_TESTBED_DIR (default <repo>/.testbed) under cli/. Nothing is installed here: run
``bash tests/services/install.sh`` first.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.services import base_images, dockerd, qemu, registry, sshd
from tests.services._common import ServiceUnavailable, read_json, state_dir, write_json

SERVICES = ("docker", "qemu", "registry", "sshd", "base-images")
NEEDS = {"base-images": ("docker", "registry"), "registry": ("docker",)}


def _cli_dir() -> Path:
    return state_dir() / "cli"


def _expand(names: Sequence[str]) -> list[str]:
    """Requested services plus what they need, in start order."""
    wanted = set(SERVICES if not names or "all" in names else names)
    for name in list(wanted):
        wanted.update(NEEDS.get(name, ()))
    return [name for name in SERVICES if name in wanted]


def _rel(path: Path | str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _start(name: str) -> str:
    """Start one service (reusing a running one); a line saying where it runs."""
    if name == "docker":
        engine = dockerd.ensure()
        buildx = dockerd.ensure_buildx(engine)
        version = buildx.version.split()[1] if " " in buildx.version else buildx.version
        return (
            f"docker       running  {engine.host}  dockerd {engine.server_version}, "
            f"buildx {version} ({buildx.driver} driver)"
        )
    if name == "qemu":
        status = qemu.ensure()
        problem = qemu.check_arm64_binary()
        if problem:
            raise ServiceUnavailable("qemu", problem)
        return f"qemu         enabled  aarch64 via {status.interpreter} (flags {status.flags})"
    if name == "registry":
        running = registry.load(_cli_dir() / "registry")
        if running is None:
            running = registry.start(_cli_dir() / "registry", dockerd.docker_cli())
        return _describe_registry(running)
    if name == "sshd":
        server = sshd.load(_cli_dir() / "sshd")
        if server is None:
            server = sshd.start(_cli_dir() / "sshd", name="cli")
        return _describe_sshd(server)
    if name == "base-images":
        running = registry.load(_cli_dir() / "registry")
        if running is None:
            raise ServiceUnavailable("base-images", "the registry is not running")
        image = base_images.build_and_push(
            running, _cli_dir() / "base-images", dockerd.docker_cli()
        )
        write_json(
            _cli_dir() / "base-images.json",
            {
                "ref": image.ref,
                "platform_refs": image.platform_refs,
                "local_refs": image.local_refs,
                "registry_pid": running.pid,
            },
        )
        return _describe_base(image.ref, list(image.platform_refs))
    raise ValueError(name)


def _describe_registry(running: registry.Registry) -> str:
    return (
        f"registry     running  {running.address}  user {running.username}, "
        f"logged-in DOCKER_CONFIG={_rel(running.docker_config)} "
        f"(password in {_rel(running.directory / 'state.json')})"
    )


def _describe_sshd(server: sshd.SshServer) -> str:
    return (
        f"sshd         running  {server.destination} port {server.port}  "
        f"key {_rel(server.client_key)}, known_hosts {_rel(server.known_hosts)}"
    )


def _describe_base(ref: str, platforms: Sequence[str]) -> str:
    return f"base-images  pushed   {ref} ({', '.join(platforms)})"


def _base_state(running: registry.Registry | None) -> dict[str, Any] | None:
    data = read_json(_cli_dir() / "base-images.json")
    if data is None or running is None or data.get("registry_pid") != running.pid:
        return None
    return data


def collect_status() -> dict[str, Any]:
    """What runs where, as plain data (None for a service that is not running)."""
    engine = dockerd.status()
    qemu_status = qemu.status()
    running = registry.load(_cli_dir() / "registry")
    server = sshd.load(_cli_dir() / "sshd")
    base = _base_state(running)
    return {
        "state_dir": str(state_dir()),
        "docker": None
        if engine is None
        else {
            "host": engine.host,
            "server_version": engine.server_version,
            "storage_driver": engine.storage_driver,
            "docker": engine.docker,
            "pid": engine.pid,
            "log": str(engine.log) if engine.log else None,
        },
        "qemu": None
        if qemu_status is None or not qemu_status.enabled
        else {"interpreter": qemu_status.interpreter, "flags": qemu_status.flags},
        "registry": None if running is None else running.to_json(),
        "sshd": None if server is None else server.to_json(),
        "base-images": base,
    }


def _print_status() -> None:
    data = collect_status()
    print(f"state dir    {data['state_dir']}")
    engine = dockerd.status()
    if engine:
        started = f", pid {engine.pid}, log {_rel(engine.log)}" if engine.pid and engine.log else ""
        print(f"docker       running  {engine.host}  dockerd {engine.server_version}{started}")
    else:
        print("docker       stopped")
    q = data["qemu"]
    print(
        f"qemu         enabled  aarch64 via {q['interpreter']} (flags {q['flags']})"
        if q
        else "qemu         not registered"
    )
    running = registry.load(_cli_dir() / "registry")
    print(_describe_registry(running) if running else "registry     stopped")
    server = sshd.load(_cli_dir() / "sshd")
    print(_describe_sshd(server) if server else "sshd         stopped")
    base = data["base-images"]
    print(
        _describe_base(base["ref"], list(base["platform_refs"]))
        if base
        else "base-images  not pushed"
    )


def _print_env() -> None:
    """Shell exports describing the running services (for `eval "$(... env)"`)."""
    data = collect_status()
    exports: dict[str, str] = {"SHIPYARD_TESTBED_DIR": data["state_dir"]}
    if data["registry"]:
        reg = data["registry"]
        exports |= {
            "SHIPYARD_TESTBED_REGISTRY": f"{reg['host']}:{reg['port']}",
            "SHIPYARD_TESTBED_REGISTRY_USER": reg["username"],
            "SHIPYARD_TESTBED_REGISTRY_PASSWORD": reg["password"],
            "SHIPYARD_TESTBED_DOCKER_CONFIG": reg["docker_config"],
        }
    if data["sshd"]:
        srv = data["sshd"]
        exports |= {
            "SHIPYARD_TESTBED_SSH_HOST": srv["host"],
            "SHIPYARD_TESTBED_SSH_PORT": str(srv["port"]),
            "SHIPYARD_TESTBED_SSH_USER": srv["user"],
            "SHIPYARD_TESTBED_SSH_KEY": srv["client_key"],
            "SHIPYARD_TESTBED_SSH_KNOWN_HOSTS": srv["known_hosts"],
        }
    if data["base-images"]:
        exports["SHIPYARD_TESTBED_BASE_IMAGE"] = data["base-images"]["ref"]
    for key, value in exports.items():
        print(f"export {key}={shlex.quote(value)}")


def _stop(names: Sequence[str]) -> int:
    targets = list(SERVICES) if "all" in names else list(names or ("registry", "sshd"))
    for name in targets:
        if name == "registry":
            running = registry.load(_cli_dir() / "registry")
            print(
                f"registry     {'stopped' if running and registry.stop(running) else 'not running'}"
            )
        elif name == "sshd":
            server = sshd.load(_cli_dir() / "sshd")
            print(f"sshd         {'stopped' if server and sshd.stop(server) else 'not running'}")
        elif name == "docker":
            print(f"docker       {dockerd.stop()}")
        elif name == "base-images":
            (_cli_dir() / "base-images.json").unlink(missing_ok=True)
        elif name == "qemu":
            print(
                "qemu         left registered (harmless; `update-binfmts --disable qemu-aarch64`)"
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.services.testbed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start services (default: all)")
    start.add_argument("services", nargs="*", metavar="SERVICE", help=", ".join(SERVICES))
    status = commands.add_parser("status", help="print what runs where")
    status.add_argument("--json", action="store_true", help="machine-readable (has passwords)")
    commands.add_parser("env", help="print shell exports for the running services")
    stop = commands.add_parser("stop", help="stop services (default: registry sshd)")
    stop.add_argument("services", nargs="*", metavar="SERVICE", help=", ".join(SERVICES))
    args = parser.parse_args(argv)
    unknown = sorted(set(getattr(args, "services", None) or ()) - {*SERVICES, "all"})
    if unknown:
        parser.error(f"unknown service(s): {', '.join(unknown)}; choose from {', '.join(SERVICES)}")

    if args.command == "start":
        failed = 0
        for name in _expand(args.services):
            try:
                print(_start(name), flush=True)
            except ServiceUnavailable as exc:
                failed += 1
                print(f"{name:<12} FAILED   {exc.reason}", file=sys.stderr, flush=True)
        return 1 if failed else 0
    if args.command == "status":
        if args.json:
            print(json.dumps(collect_status(), indent=2))
        else:
            _print_status()
        return 0
    if args.command == "env":
        _print_env()
        return 0
    return _stop(args.services)


if __name__ == "__main__":
    sys.exit(main())
