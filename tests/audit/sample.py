"""The audit tests' sample repository, made fresh in a temporary folder for each test.

Its secrets are generated when it is made (a random AWS-style key id, a real RSA private key),
so no secret is committed to this repository.
"""

from __future__ import annotations

import random
import shutil
import string
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OSV_DB = ROOT / "tests" / "data" / "osv-pypi"
PINS = {"requests": "2.19.0", "django": "3.2.0"}

APP = '''"""A small app with a shell injection that bandit finds."""
import subprocess


def run(command: str) -> int:
    return subprocess.call(command, shell=True)
'''

DOCKERFILE = """FROM python:3.12-slim
COPY . /app
RUN pip install -r /app/requirements.txt
CMD ["python", "/app/app.py"]
"""


def aws_key_id(seed: int) -> str:
    rng = random.Random(seed)
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


@dataclass(frozen=True)
class Sample:
    root: Path
    aws_key: str
    allowed_key: str
    history_key: str

    def git(self, *args: str, input: str | None = None) -> str:
        return subprocess.run(
            ["git", "-C", str(self.root), *args],
            check=True,
            capture_output=True,
            text=True,
            input=input,
        ).stdout

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


def make_sample(root: Path, *, git: bool = True) -> Sample:
    """requirements pinning requests 2.19.0 and django 3.2.0, a bandit finding, an AWS key id
    and a private key committed, one more key for the allow-list, a Dockerfile running as root,
    and (with git) a key that was committed once and removed since."""
    root.mkdir(parents=True, exist_ok=True)
    sample = Sample(root, aws_key_id(1), aws_key_id(2), aws_key_id(3))
    sample.write("requirements.txt", "".join(f"{n}=={v}\n" for n, v in PINS.items()))
    sample.write("app.py", APP)
    sample.write("config/aws.ini", f"[default]\naws_access_key_id = {sample.aws_key}\n")
    sample.write("deploy/id_rsa", private_key_pem())
    sample.write("fixtures/aws.ini", f"[test]\naws_access_key_id = {sample.allowed_key}\n")
    sample.write("Dockerfile", DOCKERFILE)
    if git:
        sample.git("init", "-q", "-b", "main")
        sample.git("config", "user.email", "dev@example.com")
        sample.git("config", "user.name", "dev")
        sample.write("old/creds.ini", f"[old]\naws_access_key_id = {sample.history_key}\n")
        sample.git("add", "-A")
        sample.git("commit", "-q", "-m", "sample")
        shutil.rmtree(root / "old")
        sample.git("add", "-A")
        sample.git("commit", "-q", "-m", "remove the old credentials")
    return sample


def image_archive(path: Path, files: dict[str, str]) -> Path:
    """A one-layer image in `docker save` format holding `files`, made without docker."""
    import hashlib
    import io
    import json
    import tarfile

    def tar_bytes(members: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    layer = tar_bytes({name: text.encode() for name, text in files.items()})
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    manifest = [{"Config": "config.json", "RepoTags": ["sample:1"], "Layers": ["layer.tar"]}]
    path.write_bytes(
        tar_bytes(
            {
                "manifest.json": json.dumps(manifest).encode(),
                "config.json": json.dumps(config).encode(),
                "layer.tar": layer,
            }
        )
    )
    return path
