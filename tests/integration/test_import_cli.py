"""`wayline import profiles FILE` and `wayline import entities TYPE FILE` run as processes:
counts, errors by line, exit codes, the progress bar."""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from core.settings import Settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent.parent


def wayline(
    settings: Settings,
    *args: str,
    stderr: int | None = subprocess.PIPE,
    dsn: str | None = None,
    stdin: str | None = None,
    what: Sequence[str] = ("profiles",),
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": dsn or settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "import", *what, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        input=stdin,
        text=True,
        timeout=120,
    )


Done = subprocess.CompletedProcess[str]


def on_a_terminal(run: Callable[[int], Done]) -> tuple[Done, bytes]:
    """`run(stderr)` with a terminal as its stderr (tqdm draws its bar only there), and
    what was drawn on it."""
    leader, follower = pty.openpty()
    # 100 columns: on a pty of size 0x0 tqdm draws an empty bar.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        done = run(follower)
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the other end is closed and drained
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    return done, drawn


async def test_csv_with_a_bad_row_imports_the_rest_and_exits_1(
    settings: Settings, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    p = f"cli-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "people.csv"
    path.write_text(f"profile_id,email,plan\n{p}-1,a@example.com,pro\n{p}-2,nope,free\n")
    done = wayline(settings, str(path))
    assert done.returncode == 1, done.stderr
    assert "imported 1 of 2 rows (1 created, 0 updated" in done.stdout
    assert f"{path}:3: email: not an email address" in done.stderr
    attrs = await pool.fetchval("SELECT attributes FROM profiles WHERE profile_id = $1", f"{p}-1")
    assert attrs == {"plan": "pro"}
    assert await pool.fetchval("SELECT 1 FROM profiles WHERE profile_id = $1", f"{p}-2") is None


async def test_gzip_ndjson_with_progress_bar_exits_0(
    settings: Settings, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    p = f"clz-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "people.ndjson.gz"
    rows = (json.dumps({"profile_id": f"{p}-{i}", "rank": i}) for i in range(2_000))
    path.write_bytes(gzip.compress("\n".join(rows).encode()))
    done, bar = on_a_terminal(lambda stderr: wayline(settings, str(path), stderr=stderr))
    assert done.returncode == 0, bar
    assert "imported 2,000 of 2,000 rows (2,000 created" in done.stdout
    assert b"people.ndjson.gz: 100%" in bar
    count = await pool.fetchval("SELECT count(*) FROM profiles WHERE profile_id LIKE $1", f"{p}-%")
    assert count == 2_000


async def test_stdin_needs_a_format(settings: Settings, pool: asyncpg.Pool) -> None:
    p = f"cls-{uuid.uuid4().hex[:8]}"
    data = f'{{"profile_id": "{p}", "plan": "pro"}}\n'
    done = wayline(settings, "-", stdin=data)
    assert done.returncode == 2 and "--format" in done.stderr
    done = wayline(settings, "-", "--format", "ndjson", stdin=data)
    assert done.returncode == 0, done.stderr
    assert "imported 1 of 1 rows" in done.stdout
    assert await pool.fetchval("SELECT attributes FROM profiles WHERE profile_id = $1", p) == {
        "plan": "pro"
    }


def test_unreadable_input_exits_2(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("email,plan\na@example.com,pro\n")
    done = wayline(settings, str(bad))
    assert done.returncode == 2
    assert "failed: the CSV header has no profile_id" in done.stderr
    unknown = tmp_path / "people.xlsx"
    unknown.write_bytes(b"PK")
    done = wayline(settings, str(unknown))
    assert done.returncode == 2 and "--format" in done.stderr
    done = wayline(settings, str(tmp_path / "missing.csv"))
    assert done.returncode == 2 and "No such file" in done.stderr
    nowhere = settings.database_url.rsplit("/", 1)[0] + "/no_such_database"
    done = wayline(settings, str(bad), dsn=nowhere)
    assert done.returncode == 2 and f"cannot connect to the database at {nowhere}" in done.stderr
    assert "DATABASE_URL sets it" in done.stderr and "Traceback" not in done.stderr


Records = Callable[[], Awaitable[list[Any]]]


@pytest.fixture
async def booking(api_client: httpx.AsyncClient, admin_headers: dict[str, str]) -> Any:
    """A new entity type, made through the API, and a reader of its records (the API's)."""
    name = f"clibooking_{uuid.uuid4().hex[:8]}"
    body = {
        "fields": {"booking_id": {"type": "string"}, "nights": {"type": "number"}},
        "primary_key": "booking_id",
        "relations": {"guest": {"to": "profile"}},
    }
    resp = await api_client.put(f"/v1/entity-types/{name}", json=body, headers=admin_headers)
    assert resp.status_code == 201, resp.text

    async def records() -> list[Any]:
        page = await api_client.get(f"/v1/entities/{name}", headers=admin_headers)
        return [item["values"] for item in page.json()["items"]]

    return name, records


async def test_entities_csv_rows_errors_and_a_rerun_that_changes_nothing(
    settings: Settings, booking: tuple[str, Records], tmp_path: Path
) -> None:
    name, records = booking
    path = tmp_path / "bookings.csv"
    path.write_text("booking_id,nights,profile_id\nb1,2,p-1\nb2,lots,p-2\nb3,,p-3\n")
    done = wayline(settings, name, str(path), what=("entities",))
    assert done.returncode == 1, done.stderr
    assert "imported 2 of 3 rows (2 created, 0 updated, 0 unchanged" in done.stdout
    assert f"{path}:3: nights: not a number" in done.stderr
    assert await records() == [
        {"booking_id": "b1", "nights": 2, "guest": "p-1"},
        {"booking_id": "b3", "nights": None, "guest": "p-3"},
    ]
    again = wayline(settings, name, str(path), what=("entities",))
    assert again.returncode == 1, again.stderr
    assert "imported 2 of 3 rows (0 created, 0 updated, 2 unchanged" in again.stdout


async def test_entities_gzip_ndjson_with_progress_bar_and_an_unknown_type(
    settings: Settings, booking: tuple[str, Records], tmp_path: Path
) -> None:
    name, records = booking
    path = tmp_path / "bookings.ndjson.gz"
    rows = (json.dumps({"booking_id": f"k{i:04}", "guest": i, "nights": i}) for i in range(500))
    path.write_bytes(gzip.compress("\n".join(rows).encode()))
    done, bar = on_a_terminal(
        lambda stderr: wayline(settings, name, str(path), stderr=stderr, what=("entities",))
    )
    assert done.returncode == 0, bar
    assert "imported 500 of 500 rows (500 created" in done.stdout
    assert b"bookings.ndjson.gz: 100%" in bar
    first = (await records())[0]
    assert first == {"booking_id": "k0000", "nights": 0, "guest": "0"}
    missing = wayline(settings, "no_such_type", str(path), what=("entities",))
    assert missing.returncode == 2
    assert "entity type 'no_such_type' not found" in missing.stderr
