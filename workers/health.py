"""The worker's health endpoint: `GET /health` answers 200 while every supervised loop ticks
in time, 503 naming each stuck loop and why otherwise.

A few lines of HTTP on asyncio in the worker's own event loop, on purpose: an event loop
that is blocked does not answer at all, which a probe counts as unhealthy too. It listens
on loopback by default (WAYLINE_WORKER_HEALTH_HOST / _PORT); probes from outside the pod
or container need 0.0.0.0.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

from workers.supervisor import Supervisor

log = logging.getLogger("wayline.health")
READ_TIMEOUT_SECONDS = 5.0
MAX_REQUEST_BYTES = 8192


def health_report(supervisor: Supervisor) -> tuple[int, dict[str, Any]]:
    """The status code and body: every loop's last tick and failures, and what is stuck."""
    stuck = supervisor.stuck()
    loops = {
        name: {
            "last_tick": _iso(state.last_tick),
            "interval_seconds": state.interval,
            "failures": state.failures,
            "last_error": state.last_error,
        }
        for name, state in supervisor.loops.items()
    }
    body = {"status": "stuck" if stuck else "ok", "stuck": stuck, "loops": loops}
    return (503 if stuck else 200), body


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


class HealthServer:
    """`GET /health` on host:port (port 0: any free port, see `port`)."""

    def __init__(self, supervisor: Supervisor, host: str, port: int) -> None:
        self.supervisor = supervisor
        self.host, self._port = host, port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self._port)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_SECONDS)
            status, body = self._answer(head[:MAX_REQUEST_BYTES])
            writer.write(_response(status, body))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass  # a client that sent no request, or went away
        finally:
            writer.close()

    def _answer(self, head: bytes) -> tuple[int, dict[str, Any]]:
        method, _, rest = head.decode("latin-1").partition(" ")
        path = rest.partition(" ")[0].partition("?")[0]
        if path != "/health":
            return 404, {"detail": "not found; try GET /health"}
        if method not in ("GET", "HEAD"):
            return 405, {"detail": "GET /health"}
        return health_report(self.supervisor)


_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


def _response(status: int, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + payload


async def start_health(supervisor: Supervisor, host: str, port: int) -> HealthServer | None:
    """The worker's health endpoint; off with port 0. A port already taken is logged, like
    the metrics port: the probe then fails, which is how an operator hears of it."""
    if not port:
        return None
    server = HealthServer(supervisor, host, port)
    try:
        await server.start()
    except OSError as exc:
        log.error("worker health not served on %s:%s: %s", host, port, exc)
        return None
    log.info("worker health on http://%s:%s/health", host, server.port)
    return server
