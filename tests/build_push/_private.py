"""The pieces of a private build test: a private "git server" (a test-bed sshd that RUN steps
reach on the docker bridge's address), an ssh client for a busybox image, and a Dockerfile
that needs both a build secret and the SSH agent."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.services import sshd

#: Needs a build secret (``npm``) and the SSH agent: reads a file of the private server.
#: ``{check}`` is a shell test the secret must pass (written into the image otherwise).
DOCKERFILE = """\
FROM {base}
COPY sshclient/ /
COPY known_hosts /etc/private_known_hosts
RUN chmod 0755 /usr/bin/ssh /usr/bin/ssh-add /lib64/ld-linux-*
RUN --mount=type=secret,id=npm,required=true \\
    sha256sum /run/secrets/npm | cut -d' ' -f1 > /secret.sha256{check}
RUN --mount=type=ssh,required=true ssh-add -l > /agent-keys && \\
    ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \\
      -o UserKnownHostsFile=/etc/private_known_hosts -p {port} {user}@{host} \\
      cat {repo_file} > /from-private-server{grep}
CMD ["cat", "/from-private-server"]
"""


@dataclass(frozen=True)
class PrivateServer:
    """A running sshd serving ``repo_file`` (holding ``marker``) to ``key``'s holder."""

    server: sshd.SshServer
    repo_file: Path
    marker: str

    @property
    def key(self) -> str:
        return self.server.client_key.read_text()

    def dockerfile(self, base: str, *, secret_sha256: str = "") -> str:
        """The Dockerfile; with ``secret_sha256`` the build itself fails unless the secret
        and the private file arrived (for runs whose image is not pushed)."""
        return DOCKERFILE.format(
            base=base,
            port=self.server.port,
            user=self.server.user,
            host=self.server.host,
            repo_file=self.repo_file,
            check=f' && grep -qx "{secret_sha256}" /secret.sha256' if secret_sha256 else "",
            grep=f" && grep -qx {self.marker} /from-private-server" if secret_sha256 else "",
        )

    def context_files(self) -> dict[str, bytes]:
        """The build context's extra files: the ssh client and the server's host key."""
        files = ssh_client_files()
        files["known_hosts"] = self.server.known_hosts.read_bytes()
        return files


def bridge_address(docker: str) -> str:
    """The address of the docker bridge's interface on this machine (RUN steps reach it)."""
    bridge = subprocess.run(
        [
            docker,
            "network",
            "inspect",
            "bridge",
            "--format",
            '{{index .Options "com.docker.network.bridge.name"}}',
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    shown = subprocess.run(
        ["ip", "-4", "-o", "addr", "show", "dev", bridge], capture_output=True, text=True
    ).stdout.split()
    return shown[shown.index("inet") + 1].split("/")[0]


def start_private_server(directory: Path, docker: str, marker: str) -> PrivateServer:
    """Raise ServiceUnavailable when sshd cannot start."""
    server = sshd.start(directory, name="private-git", listen=bridge_address(docker))
    repo_file = directory / "repo.txt"
    repo_file.write_text(marker + "\n")
    return PrivateServer(server, repo_file, marker)


def ssh_client_files() -> dict[str, bytes]:
    """``sshclient/<path>`` -> content: ssh and ssh-add and the shared libraries they load,
    at the same paths (busybox has no ssh client)."""
    files: dict[str, bytes] = {}
    for binary in ("/usr/bin/ssh", "/usr/bin/ssh-add"):
        libraries = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True)
        paths = [binary] + [word for word in libraries.stdout.split() if word.startswith("/")]
        for path in paths:
            files[f"sshclient/{path.lstrip('/')}"] = Path(path).resolve().read_bytes()
    return files
