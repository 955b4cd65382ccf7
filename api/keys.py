"""API keys: generation, storage as hashes, verification with a short in-memory cache.

A key looks like `wl_<8 hex prefix>_<43 urlsafe chars>`. The prefix is kept in clear to
tell keys apart in listings; the whole key is stored only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

import asyncpg

from core.settings import Settings
from db.sql import q
from db.types import Executor

Scope = Literal[
    "events:write",
    "journeys:write",
    "profiles:write",
    "read",
    "admin",
    "campaigns:write",
    "campaigns:approve",
    "journeys:approve",
]
SCOPES: frozenset[str] = frozenset(get_args(Scope))
ADMIN = "admin"

CACHE_SECONDS = 5.0
_CACHE_MAX = 10_000


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified key's id, name and scopes."""

    key_id: uuid.UUID
    name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        """`admin` implies every scope."""
        return ADMIN in self.scopes or scope in self.scopes


def generate_key() -> str:
    """A fresh key: 8 hex chars to recognise it, then 256 bits of secret."""
    return f"wl_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"


def hash_key(key: str) -> str:
    """SHA-256 hex of the key.

    A fast, unsalted hash is right here: keys are generated with 256 bits of entropy, so
    there is nothing for a slow password hash (bcrypt, argon2) to protect against, and a
    fast one keeps verification cheap on the ingest path. It also lets the hash be the
    lookup key (a unique index) instead of scanning candidates.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_prefix(key: str) -> str:
    """The part shown in listings: `wl_` and the 8 hex chars of a generated key."""
    return key[:11]


async def insert_key(
    conn: Executor,
    *,
    name: str,
    scopes: Iterable[str],
    value: str | None = None,
) -> tuple[asyncpg.Record, str]:
    """Store a key (a fresh one unless `value` is given); returns its row and its value."""
    key = value or generate_key()
    row = await conn.fetchrow(
        q("insert_api_key"),
        uuid.uuid4(),
        name,
        key_prefix(key),
        hash_key(key),
        sorted(set(scopes)),
    )
    assert row is not None
    return row, key


async def ensure_bootstrap_key(pool: asyncpg.Pool, settings: Settings) -> str | None:
    """On a fresh database, create the first admin key and return its value (shown once).

    The value is `settings.bootstrap_key` when set, else a random key. When any key
    exists already (even revoked), nothing happens and None is returned.
    """
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("lock_api_keys_bootstrap"))
        if await conn.fetchval(q("any_api_key")):
            return None
        _, key = await insert_key(
            conn, name="bootstrap", scopes=[ADMIN], value=settings.bootstrap_key or None
        )
        return key


async def announce_bootstrap_key(settings: Settings) -> str | None:
    """Run at `wayline api` and `wayline dev` start: on a fresh database the first admin key
    is created and printed once, since no other way to call the API exists yet. Returns the
    key when this call created it."""
    from db.pool import create_pool

    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        key = await ensure_bootstrap_key(pool, settings)
    finally:
        await pool.close()
    if key and not settings.bootstrap_key:
        print(f"\nCreated the first admin API key (shown once, keep it):\n  {key}\n", flush=True)
    return key


class KeyVerifier:
    """Checks bearer keys against the table, remembering good ones for a few seconds.

    The cache spares ingest a database round trip per request; a revoked key stops
    working at once in this process (`forget`) and within `CACHE_SECONDS` elsewhere.
    Unknown keys are never cached, so guessing cannot fill memory.
    """

    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Principal]] = {}

    async def verify(self, pool: asyncpg.Pool, key: str) -> Principal | None:
        digest = hash_key(key)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = await pool.fetchrow(q("find_api_key"), digest)
        if row is None:
            self._cache.pop(digest, None)
            return None
        principal = Principal(row["id"], row["name"], frozenset(row["scopes"]))
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[digest] = (now + self.ttl, principal)
        return principal

    def forget(self, key_id: uuid.UUID) -> None:
        for digest, (_, principal) in list(self._cache.items()):
            if principal.key_id == key_id:
                del self._cache[digest]
