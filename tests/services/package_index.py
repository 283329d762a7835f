"""A local Python package index (PEP 503 "simple" pages over real wheels), so that the audit's
resolution of ranges runs against a real index without the internet.

The wheels are real releases, downloaded once by ``install.sh`` (``python3 -m
tests.services.package_index download``) into the test bed cache; a test serves them, with
any files of its own (a crafted sdist), from a folder of its own on 127.0.0.1.

    python -m tests.services.package_index download   # fetch the wheels (install.sh does)
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.services._common import INSTALL_HINT, ServiceUnavailable, cache_dir

#: The releases the index serves: enough for `requests>=2.18,<2.20` (and 2.20.0 beside it)
#: with every dependency, and setuptools (so an sdist could be built), wheels only.
WHEELS = (
    "requests==2.18.4",
    "requests==2.19.1",
    "requests==2.20.0",
    "urllib3==1.23",
    "idna==2.7",
    "chardet==3.0.4",
    "certifi==2018.8.24",
    # what building an sdist needs: the tests check that resolution never builds one
    "setuptools==75.3.0",
)


def wheel_dir() -> Path:
    """Where install.sh leaves the wheels."""
    return cache_dir() / "pypi-wheels"


def download(dest: Path | None = None) -> list[Path]:
    """Fetch the wheels (pip, wheels only, no dependencies, no pip configuration) unless they
    are there; returns them."""
    folder = dest or wheel_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for spec in WHEELS:
        if not _find(folder, spec):
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--isolated", "--quiet",
                 "--disable-pip-version-check", "--only-binary", ":all:", "--no-deps",
                 "--dest", str(folder), spec],
                check=True,
            )  # fmt: skip
    return wheels(folder)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _find(folder: Path, spec: str) -> Path | None:
    name, version = spec.split("==")
    return next(
        (
            w
            for w in folder.glob("*.whl")
            if _normal(w.name.split("-")[0]) == _normal(name) and w.name.split("-")[1] == version
        ),
        None,
    )


def wheels(folder: Path | None = None) -> list[Path]:
    """The wheels of WHEELS in the cache; ServiceUnavailable when one is missing."""
    where = folder or wheel_dir()
    found = [_find(where, spec) for spec in WHEELS] if where.is_dir() else [None]
    if not all(found):
        raise ServiceUnavailable(
            "package index", f"the test wheels are not in {where} ({INSTALL_HINT})"
        )
    return [w for w in found if w is not None]


def sha256(path: Path) -> str:
    """The sha256 of a file, as a requirements file's ``--hash`` names it (no prefix)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Index:
    """A served index: its simple URL (``UV_INDEX_URL``) and its folder."""

    url: str
    root: Path

    def file(self, name: str) -> Path:
        """A served distribution by file name."""
        return self.root / "files" / name


def lay_out(root: Path, files: Iterable[Path]) -> None:
    """A PEP 503 tree: ``files/<dist>`` and ``simple/<project>/index.html`` linking each
    distribution with its sha256."""
    by_project: dict[str, list[Path]] = {}
    (root / "files").mkdir(parents=True, exist_ok=True)
    for path in files:
        copy = root / "files" / path.name
        shutil.copyfile(path, copy)
        stem = path.name.removesuffix(".tar.gz").removesuffix(".whl")
        by_project.setdefault(_normal(stem.split("-")[0]), []).append(copy)
    for project, dists in by_project.items():
        links = "".join(
            f'<a href="../../files/{d.name}#sha256={sha256(d)}">{d.name}</a><br>\n'
            for d in sorted(dists)
        )
        page = root / "simple" / project / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def package_index(root: Path, extra: Iterable[Path] = ()) -> Iterator[Index]:
    """Serve the test wheels (and `extra` distributions) from `root` on 127.0.0.1."""
    lay_out(root, [*wheels(), *extra])
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Index(f"http://127.0.0.1:{server.server_address[1]}/simple", root)
    finally:
        server.shutdown()
        server.server_close()


def sdist(folder: Path, name: str, version: str, setup_py: str) -> Path:
    """A source distribution whose ``setup.py`` is `setup_py` (building it runs that code)."""
    import io
    import tarfile

    base = f"{name}-{version}"
    members = {
        f"{base}/setup.py": setup_py,
        f"{base}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    }
    path = folder / f"{base}.tar.gz"
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for member, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


if __name__ == "__main__":
    if sys.argv[1:] != ["download"]:
        raise SystemExit("usage: python -m tests.services.package_index download")
    print(f"{len(download())} wheels in {wheel_dir()}")
