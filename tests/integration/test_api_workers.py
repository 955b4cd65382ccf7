"""`wayline api --workers 2`: two processes serve one port, each with its own app."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.integration.helpers import eventually
from workers.embedded import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture
def two_workers(
    settings: Settings, migrated: None
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "WAYLINE_BOOTSTRAP_KEY": ADMIN_KEY,
        "WAYLINE_API_PORT": str(port),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "api", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc, port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_two_worker_processes_answer_authenticated_calls(
    two_workers: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = two_workers
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as api:

        async def up() -> bool:
            try:
                return (await api.get("/health")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(up, limit=60)
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        answers = [(await api.get("/v1/me", headers=headers)).status_code for _ in range(20)]
        assert answers == [200] * 20
        refused = await api.get("/v1/me")
        assert refused.status_code == 401
    # uvicorn's supervisor runs two spawned workers (and multiprocessing's resource tracker).
    workers = [p for p in _children(proc.pid) if b"spawn_main" in _cmdline(p)]
    assert len(workers) == 2


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
