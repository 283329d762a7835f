"""Images the act tests build: the docker driver keeps what it builds in the engine's store, so
each test's images are removed after it (the ``remove_local_images`` fixture of plugin_act.py).

``track(name)`` registers an image name (as ``docker image ls`` lists its repository) and
returns it; helpers that make image names call it, so tests need not know.
"""

from __future__ import annotations

import shutil

from tests.services._common import run

_CREATED: list[str] = []


def track(image: str) -> str:
    """Remove ``image``'s local copies (every tag) once the running test ends."""
    _CREATED.append(image)
    return image


def remove_tracked() -> None:
    """Remove the local images of every tracked name, and forget the names."""
    docker = shutil.which("docker")
    names, _CREATED[:] = list(_CREATED), []
    if docker is None or not names:
        return
    listed = run([docker, "image", "ls", "--format", "{{.Repository}} {{.ID}}"], timeout=60)
    refs = sorted(
        {line.split()[1] for line in listed.stdout.splitlines() if line.split()[0] in names}
    )
    if refs:
        run([docker, "image", "rm", "--force", *refs], timeout=120)
