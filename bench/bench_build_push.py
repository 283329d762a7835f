"""Benchmark of the build-push action: cold build + push, rebuild of an unchanged context, and
one platform against two.

Usage: ``python bench/bench_build_push.py [--size-mb N] [--repeat N]``

Method: the test bed's dockerd (buildx, docker driver), QEMU for arm64 and a registry with
htpasswd auth are started (``tests/services``; run ``bash tests/services/install.sh`` first),
and the multi-arch busybox base image is pushed to it. Each scenario runs the action as a
process (``python -m shipyard.build_push``, as the bootstrap runs it, minus the bootstrap) on
a push to main, wall time around the process. The sample app ``COPY``s a nonce and then
``RUN``s work standing in for a small compile (``--size-mb`` MB from /dev/urandom, then
``--rounds`` checksums of it: about 10 s natively here, 2.5x that for arm64 under QEMU), so:

* **cold**: a new nonce, so no layer of the app is in the engine's cache, pushed to a new
  repository (every blob is uploaded);
* **rebuild**: the same context again: every step is cached; the action still inspects the
  builder, checks the registry, builds (cached), pushes the new config/manifest (the
  ``created`` label changes) and moves the tags. Target: <= 10% of cold.

Rows report the median over ``--repeat`` runs (min-max when more than one).

``--dry-run-only``: no Docker at all; the start-up and the whole dry run of the action
(``python -I -m shipyard.build_push --dry-run`` on a tag push with the semver and match rules,
two platforms, two registries) against ``python -I -c pass``, with PATH lacking docker.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from tests.services import base_images, dockerd, qemu  # noqa: E402
from tests.services import registry as registry_service  # noqa: E402

TARGET_REBUILD_RATIO = 0.10
DOCKERFILE = """\
FROM {base}
COPY nonce /nonce
RUN dd if=/dev/urandom of=/data bs=1M count={size} 2>/dev/null \\
 && for i in $(seq {rounds}); do sha256sum /data > /data.sha256; done
ARG BUILD_VERSION=dev
LABEL app.version=$BUILD_VERSION
CMD ["cat", "/data.sha256"]
"""


def run_action(
    context: Path, image: str, platforms: str, registry: registry_service.Registry
) -> float:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GITHUB_", "RUNNER_", "SHIPYARD_INPUT_", "INPUT_", "ACTIONS_"))
    }
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": "your-org/app",
            "GITHUB_SHA": secrets.token_hex(20),
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_RUN_NUMBER": "1",
            "GITHUB_WORKSPACE": str(context),
            "PYTHONPATH": str(REPO / "src"),
            "SHIPYARD_INPUT_IMAGES": image,
            "SHIPYARD_INPUT_PLATFORMS": platforms,
            "SHIPYARD_INPUT_REGISTRY_USERNAME": registry.username,
            "SHIPYARD_INPUT_REGISTRY_PASSWORD": registry.password,
        }
    )
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "shipyard.build_push"],
        env=env,
        cwd=context,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"build-push failed ({result.returncode}):\n{result.stdout[-3000:]}")
    return elapsed


def scenario(
    root: Path,
    registry: registry_service.Registry,
    base: str,
    platforms: str,
    size: int,
    rounds: int,
) -> tuple[float, float]:
    """(cold, rebuild) seconds for one fresh context and repository."""
    context = root / f"ctx-{secrets.token_hex(4)}"
    context.mkdir()
    (context / "Dockerfile").write_text(DOCKERFILE.format(base=base, size=size, rounds=rounds))
    (context / "nonce").write_text(secrets.token_hex(16))
    image = f"{registry.address}/bench/app-{secrets.token_hex(4)}"
    cold = run_action(context, image, platforms, registry)
    rebuild = run_action(context, image, platforms, registry)
    return cold, rebuild


def remove_local_images(docker: str, prefix: str) -> None:
    """The docker driver keeps what it builds in the engine's store: remove the bench's."""
    listed = subprocess.run(
        [docker, "image", "ls", "--format", "{{.Repository}} {{.ID}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    refs = sorted(
        {line.split()[1] for line in listed.stdout.splitlines() if line.startswith(prefix)}
    )
    if refs:
        subprocess.run([docker, "image", "rm", "--force", *refs], capture_output=True, check=False)


def show(values: list[float]) -> str:
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:6.2f} s"
    return f"{median:6.2f} s ({min(values):.2f}-{max(values):.2f})"


def bench_dry_run(repeat: int) -> int:
    """The dry run's wall time (start-up included) against the bare interpreter's."""
    with tempfile.TemporaryDirectory(prefix="bench-build-push-dry-") as tmp:
        root = Path(tmp)
        (root / "app").mkdir()
        (root / "app" / "Dockerfile").write_text("FROM busybox\n")
        (root / "bin").mkdir()
        env = {
            "PATH": str(root / "bin"),
            "HOME": str(root),
            "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
            "GITHUB_REF": "refs/tags/v1.2.3",
            "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_WORKSPACE": str(root / "app"),
            "GITHUB_OUTPUT": str(root / "output"),
            "SHIPYARD_SUMMARY_FILE": str(root / "summary.md"),
            "SHIPYARD_INPUT_TAGS": "type=semver,pattern={{version}}\n"
            "type=semver,pattern={{major}}.{{minor}}\ntype=match,pattern=v(\\d+),group=1",
        }
        action = [
            sys.executable,
            "-m",
            "shipyard.build_push",
            "--dry-run",
            "--images",
            "ghcr.io/acme/app\ndocker.io/acme/app",
            "--platforms",
            "linux/amd64,linux/arm64",
        ]
        bare = [sys.executable, "-I", "-c", "pass"]

        def timed(argv: list[str]) -> float:
            started = time.perf_counter()
            done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"{argv[:3]} failed:\n{done.stdout}{done.stderr}")
            return elapsed

        dry = [timed(action) for _ in range(repeat)]
        python = [timed(bare) for _ in range(repeat)]
    print(f"build-push dry run, {repeat} runs each (median, min-max), no docker on PATH:")
    print(f"  python -I -c pass:                 {show(python)}")
    print(f"  python -m shipyard.build_push --dry-run: {show(dry)}")
    extra = statistics.median(dry) - statistics.median(python)
    print(f"  the action over the interpreter:   {extra:.3f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mb", type=int, default=32, help="data the RUN step makes (MB)")
    parser.add_argument("--rounds", type=int, default=40, help="checksums of it (CPU work)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario")
    parser.add_argument(
        "--dry-run-only", action="store_true", help="time the dry run only (no Docker needed)"
    )
    args = parser.parse_args(argv)
    if args.dry_run_only:
        return bench_dry_run(max(args.repeat, 10))

    engine = dockerd.ensure()
    buildx = dockerd.ensure_buildx(engine)
    qemu.ensure()
    with tempfile.TemporaryDirectory(prefix="bench-build-push-") as tmp:
        root = Path(tmp)
        registry = registry_service.start(root / "registry", engine.docker)
        try:
            base = base_images.build_and_push(registry, root / "base", engine.docker)
            print(
                f"build-push benchmark: dockerd {engine.server_version}, {buildx.version}, "
                f"{buildx.driver} driver, {os.cpu_count()} CPUs, RUN step: {args.size_mb} MB x "
                f"{args.rounds} checksums"
            )
            results: dict[str, tuple[list[float], list[float]]] = {}
            for label, platforms in (
                ("1 platform (linux/amd64)", "linux/amd64"),
                ("2 platforms (amd64 + arm64/QEMU)", "linux/amd64,linux/arm64"),
            ):
                colds, rebuilds = [], []
                for _ in range(args.repeat):
                    cold, rebuild = scenario(
                        root, registry, base.ref, platforms, args.size_mb, args.rounds
                    )
                    colds.append(cold)
                    rebuilds.append(rebuild)
                results[label] = (colds, rebuilds)
        finally:
            registry_service.stop(registry)
            remove_local_images(engine.docker, f"{registry.address}/")

    print()
    print(f"{'scenario':34} {'cold build+push':>18} {'rebuild, unchanged':>20} {'ratio':>7}")
    for label, (colds, rebuilds) in results.items():
        ratio = statistics.median(rebuilds) / statistics.median(colds)
        verdict = "ok" if ratio <= TARGET_REBUILD_RATIO else "over target"
        print(f"{label:34} {show(colds):>18} {show(rebuilds):>20} {ratio:6.1%}  {verdict}")
    one = statistics.median(next(iter(results.values()))[0])
    two = statistics.median(list(results.values())[1][0])
    print()
    print(f"one vs two platforms (cold): {one:.2f} s vs {two:.2f} s ({two / one:.1f}x)")
    print(f"target: rebuild <= {TARGET_REBUILD_RATIO:.0%} of cold")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
