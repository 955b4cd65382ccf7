"""`wayline dev` gives its worker free metrics and health ports when the defaults are taken
(a second stack, another exporter on 9464), and keeps a port the environment set (issue 20.7)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from cli.devstack import with_free_worker_ports
from core.settings import Settings

VARIABLES = ("WAYLINE_WORKER_METRICS_PORT", "WAYLINE_WORKER_HEALTH_PORT")


@contextmanager
def taken(port: int) -> Iterator[None]:
    """The port held by a listener for the block (or already held by someone else)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError:
        pass  # taken already: just as good
    try:
        yield
    finally:
        sock.close()


def listening_port() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_taken_default_ports_are_replaced_by_free_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in VARIABLES:
        monkeypatch.delenv(var, raising=False)
    defaults = Settings()
    metrics, health = defaults.worker_metrics_port, defaults.worker_health_port
    with taken(metrics), taken(health):
        chosen = with_free_worker_ports(defaults)
        assert chosen.worker_metrics_port not in (0, metrics)
        assert chosen.worker_health_port not in (0, health, chosen.worker_metrics_port)
        assert bindable(chosen.worker_metrics_port) and bindable(chosen.worker_health_port)


def test_free_default_ports_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in VARIABLES:
        monkeypatch.delenv(var, raising=False)
    defaults = Settings()
    if not (bindable(defaults.worker_metrics_port) and bindable(defaults.worker_health_port)):
        pytest.skip("another process holds a default worker port")
    chosen = with_free_worker_ports(defaults)
    assert chosen.worker_metrics_port == defaults.worker_metrics_port
    assert chosen.worker_health_port == defaults.worker_health_port


def test_ports_the_environment_sets_are_kept_taken_or_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = listening_port()
    try:
        port = held.getsockname()[1]
        monkeypatch.setenv("WAYLINE_WORKER_METRICS_PORT", str(port))  # a scraper expects it
        monkeypatch.setenv("WAYLINE_WORKER_HEALTH_PORT", "0")  # off stays off
        chosen = with_free_worker_ports(Settings())
        assert (chosen.worker_metrics_port, chosen.worker_health_port) == (port, 0)
    finally:
        held.close()
