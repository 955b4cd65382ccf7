"""`wayline keys mint-admin` run as a process: when the once-printed admin key is lost, whoever
holds DATABASE_URL mints a new one, printed once, that the API accepts (issue 20.7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.keys import hash_key
from core.settings import Settings
from tests.integration.conftest import bearer
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent.parent


def wayline(
    settings: Settings, *args: str, dsn: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": dsn or settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "keys", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_mint_admin_prints_a_new_admin_key_once_that_authenticates(
    settings: Settings, pool: asyncpg.Pool, api_client: httpx.AsyncClient
) -> None:
    name = uid("recovered")
    done = wayline(settings, "mint-admin", "--name", name)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()  # the key alone on stdout: `KEY=$(wayline keys mint-admin ...)`
    assert key.startswith("wl_") and "\n" not in key, done.stdout
    assert "shown once" in done.stderr and name in done.stderr
    row = await pool.fetchrow(
        "SELECT name, scopes, revoked_at FROM api_keys WHERE key_hash = $1", hash_key(key)
    )
    assert row is not None and (row["name"], row["scopes"]) == (name, ["admin"])
    assert row["revoked_at"] is None

    me = await api_client.get("/v1/me", headers=bearer(key))
    assert me.status_code == 200, me.text
    assert (me.json()["name"], me.json()["scopes"]) == (name, ["admin"])
    listed = await api_client.get("/v1/api-keys", headers=bearer(key))  # admin: may list keys
    assert listed.status_code == 200, listed.text

    again = wayline(settings, "mint-admin", "--name", name)  # each run mints another key
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() != key


def test_mint_admin_needs_a_name_and_a_reachable_database(settings: Settings) -> None:
    missing = wayline(settings, "mint-admin")
    assert missing.returncode == 2 and "--name" in missing.stderr
    blank = wayline(settings, "mint-admin", "--name", "  ")
    assert blank.returncode == 2 and "name" in blank.stderr, blank.stderr
    down = wayline(
        settings, "mint-admin", "--name", "x", dsn="postgresql://nobody@127.0.0.1:1/none"
    )
    assert down.returncode == 1, down.stderr
    said = "cannot connect to the database at postgresql://nobody@127.0.0.1:1/none ("
    assert said in down.stderr and "DATABASE_URL sets it" in down.stderr, down.stderr
    assert down.stdout == ""
