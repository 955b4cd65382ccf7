"""The commands' connection to Wayline's database, and what they say when there is none."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from core.settings import Settings

if TYPE_CHECKING:
    import asyncpg


def address(url: str) -> str:
    """The database URL without its password, to say where a connection was tried."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


async def connect(settings: Settings) -> asyncpg.Connection | None:
    """A connection, or None after saying on stderr which address failed and what sets it."""
    import asyncpg

    try:
        return await asyncpg.connect(settings.database_url)
    except (OSError, asyncpg.PostgresError) as exc:
        print(
            f"cannot connect to the database at {address(settings.database_url)} ({exc}); "
            "DATABASE_URL sets it (a running `wayline dev` is found by itself)",
            file=sys.stderr,
        )
        return None
