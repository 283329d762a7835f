"""``python -m app``: serve until SIGTERM or SIGINT."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable

from app.server import Config, serve


def run(config: Config, stop: threading.Event, announce: Callable[[str], None] = print) -> None:
    """Serve ``config`` until ``stop`` is set, then close the socket."""
    server = serve(config)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    announce(f"sample-app {config.version} listening on :{server.server_address[1]}")
    stop.wait()
    server.shutdown()
    server.server_close()


def main() -> int:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run(Config.from_env(os.environ), stop, lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
