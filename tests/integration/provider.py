"""A local HTTP provider for channel tests: records requests, dedupes by Idempotency-Key."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeProvider:
    """Holds the first request open on demand, so a test can kill a worker mid-send."""

    def __init__(self) -> None:
        self.requests: list[tuple[str | None, dict[str, Any]]] = []
        self.hold_first = threading.Event()
        self.release = threading.Event()
        self.received = threading.Event()
        self.status = 200
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                first = not provider.requests
                provider.requests.append((self.headers.get("Idempotency-Key"), body))
                provider.received.set()
                if first and provider.hold_first.is_set():
                    provider.release.wait(60)
                try:
                    self.send_response(provider.status)
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def delivered(self) -> dict[str, dict[str, Any]]:
        """What the profile received: one message per idempotency key, as a provider keeps it."""
        return {key or "": body for key, body in self.requests}

    def __enter__(self) -> FakeProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
