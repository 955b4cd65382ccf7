"""Typing for code that runs queries on either the pool or one of its connections."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import asyncpg

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Executor: TypeAlias = asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]
    Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]
else:
    Executor: TypeAlias = object
    Connection: TypeAlias = object
