"""`wayline keys mint-admin --name NAME`: a new admin API key, for when the one printed once
at the first start is lost.

Every other way to make a key is an API call that needs an admin key already, so without one
the database is the only way in: whoever holds DATABASE_URL may mint a key. The key is on
stdout alone (`KEY=$(wayline keys mint-admin --name ops)`) and shown this once; only its hash
is stored. The lost key keeps working until revoked with the new one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from cli.database import connect
from core.settings import Settings

EXIT_FAILED = 1
EXIT_USAGE = 2
NAME_MAX = 200  # as for keys made over the API (api/schemas/api_keys.py)


def add_parser(sub: Any) -> None:
    k = sub.add_parser("keys", help="manage API keys straight in DATABASE_URL")
    k_sub = k.add_subparsers(dest="keys_command", required=True)
    m = k_sub.add_parser(
        "mint-admin", help="create an admin API key and print it once (a lost key's way back)"
    )
    m.add_argument("--name", required=True, help="what the key is for, shown in key listings")


def run(settings: Settings, args: argparse.Namespace) -> int:
    name = args.name.strip()
    if not name or len(name) > NAME_MAX:
        print(f"error: --name must have 1 to {NAME_MAX} characters", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(_mint_admin(settings, name))


async def _mint_admin(settings: Settings, name: str) -> int:
    import asyncpg

    from api.keys import ADMIN, insert_key

    conn = await connect(settings)
    if conn is None:
        return EXIT_FAILED
    try:
        row, key = await insert_key(conn, name=name, scopes=[ADMIN])
    except asyncpg.UndefinedTableError as exc:
        print(f"{exc}: run `wayline migrate` first", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await conn.close()
    print(
        f"Created admin API key {name!r} (id {row['id']}, prefix {row['prefix']}); shown once,"
        " keep it. Revoke the lost one with DELETE /v1/api-keys/{id} (GET /v1/api-keys lists"
        " them).",
        file=sys.stderr,
    )
    print(key, flush=True)
    return 0
