"""A TCP forwarder from a network namespace's loopback to this namespace's loopback.

``python -m tests.services.netns_forward <netns> <port> [<port>...]`` listens on
127.0.0.1:<port> INSIDE ``netns`` and forwards each connection to 127.0.0.1:<port> here (the
namespace "hosts" reach the test bed's registry at the same address as everyone else, so one
image reference works everywhere). The listening sockets are made after ``setns`` into the
namespace; the process then returns to its own namespace for the outgoing connections.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns failed")


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _serve(listener: socket.socket, port: int) -> None:
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            client.close()
            continue
        upstream.settimeout(None)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def listeners(netns: str, ports: list[int]) -> list[socket.socket]:
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{netns}", os.O_RDONLY)
    try:
        _setns(target)
        made = []
        for port in ports:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
            sock.listen(128)
            made.append(sock)
        return made
    finally:
        _setns(home)
        os.close(home)
        os.close(target)


def main(argv: list[str]) -> int:
    netns, ports = argv[0], [int(p) for p in argv[1:]]
    threads = [
        threading.Thread(target=_serve, args=(sock, port), daemon=True)
        for sock, port in zip(listeners(netns, ports), ports, strict=True)
    ]
    for thread in threads:
        thread.start()
    print("forwarding", flush=True)
    for thread in threads:
        thread.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
