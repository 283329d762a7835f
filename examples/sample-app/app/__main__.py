"""``python -m app``: serve until SIGTERM or SIGINT."""

from __future__ import annotations

import os
import signal
import sys
import threading

from app.server import Config, serve


def main() -> int:
    config = Config.from_env(os.environ)
    server = serve(config)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"sample-app {config.version} listening on :{config.port}", flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
