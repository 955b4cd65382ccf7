"""Session-wide real servers: one embedded PostgreSQL and one Temporal dev server per run.

Integration tests never mock Temporal or Postgres (architecture decision 7); they share
these servers and keep apart by using fresh journey and profile ids.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.settings import Settings
from workers.embedded import EmbeddedPostgres, EmbeddedTemporal, free_port

ADMIN_KEY = "wl_test_admin_key_0123456789abcdef"


@dataclass
class Servers:
    postgres: EmbeddedPostgres
    temporal: EmbeddedTemporal
    root: Path


@contextmanager
def embedded_servers(prefix: str) -> Iterator[Servers]:
    """A PostgreSQL and a Temporal dev server of their own, on free ports, in a fresh folder
    (kept when WAYLINE_KEEP_TEST_DATA is set)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    pg = EmbeddedPostgres(root / "pg", free_port(), durable=False)
    temporal = EmbeddedTemporal(root / "temporal", free_port())
    pg.start()
    temporal.start()
    try:
        yield Servers(pg, temporal, root)
    finally:
        temporal.stop()
        pg.stop()
        if not os.environ.get("WAYLINE_KEEP_TEST_DATA"):
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with embedded_servers("wayline-test-") as started:
        yield started


@pytest.fixture(scope="session")
def settings(servers: Servers) -> Settings:
    return Settings(
        DATABASE_URL=servers.postgres.url,
        TEMPORAL_ADDRESS=servers.temporal.address,
        WAYLINE_BOOTSTRAP_KEY=ADMIN_KEY,
        WAYLINE_DATA_DIR=servers.root,
        WAYLINE_DISPATCH_SWEEP_SECONDS=1.0,
        # A batch stuck on a call that never answers gives its profiles back after 16 s,
        # well inside the 45 s a test waits for a journey to react.
        WAYLINE_DISPATCH_LEASE_SECONDS=20.0,
        WAYLINE_SEND_TIMEOUT_SECONDS=5.0,
        WAYLINE_WEBHOOK_TIMEOUT_SECONDS=5.0,
        # The FakeProvider of action tests listens on 127.0.0.1, which the SSRF guard
        # refuses unless allow-listed; `localhost` stays refused (test_palette.py).
        WAYLINE_ACTION_ALLOWED_HOSTS="127.0.0.1",
        WAYLINE_TEMPORAL_UI_URL="http://127.0.0.1:8233/",
        WAYLINE_EXPORT_DIR=servers.root / "exports",
    )


@pytest.fixture(scope="session")
async def migrated(settings: Settings) -> None:
    from db.migrate import migrate_url

    await migrate_url(settings.database_url, create=True)


@pytest.fixture(scope="session")
async def pool(settings: Settings, migrated: None) -> AsyncIterator[object]:
    from db.pool import create_pool

    p = await create_pool(settings.database_url)
    try:
        yield p
    finally:
        await p.close()


@pytest.fixture(scope="session")
async def temporal_client(settings: Settings) -> object:
    from temporalio.client import Client

    from core.converter import data_converter

    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter,
    )
