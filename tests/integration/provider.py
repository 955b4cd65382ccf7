"""A local HTTP provider for channel and action tests: records requests (with their arrival
time), dedupes by Idempotency-Key."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeProvider:
    """Holds the first request open on demand, so a test can kill a worker mid-send."""

    def __init__(self) -> None:
        self.requests: list[tuple[str | None, dict[str, Any]]] = []
        self.hold_first = threading.Event()
        self.release = threading.Event()
        self.received = threading.Event()
        self.lock = threading.Lock()
        self.status = 200
        self.response: dict[str, Any] = {}
        self.headers: list[dict[str, str]] = []
        self.statuses: list[int] = []  # answered first, one each, before `status`
        self.times: list[float] = []  # time.monotonic() of each request's arrival
        self.paths: list[str] = []  # method and path of each request, e.g. "GET /hook?u=1"
        self.bodies: list[bytes] = []  # each request's body as sent (to check a signature)
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                body = json.loads(raw or b"{}")
                with provider.lock:  # the lists stay aligned under concurrent requests
                    first = not provider.requests
                    provider.times.append(time.monotonic())
                    provider.paths.append(f"{self.command} {self.path}")
                    provider.requests.append((self.headers.get("Idempotency-Key"), body))
                    provider.headers.append(dict(self.headers))
                    provider.bodies.append(raw)
                provider.received.set()
                if first and provider.hold_first.is_set():
                    provider.release.wait(60)
                with provider.lock:
                    status = provider.statuses.pop(0) if provider.statuses else provider.status
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(json.dumps(provider.response).encode())
                except OSError:
                    pass

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

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
