"""`wayline import profiles FILE` run as a process: counts, errors by line, exit codes, bar."""

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
from pathlib import Path

import asyncpg
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
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": dsn or settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "import", "profiles", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        input=stdin,
        text=True,
        timeout=120,
    )


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
    leader, follower = pty.openpty()  # a terminal on stderr: tqdm draws its bar there
    # 100 columns: on a pty of size 0x0 tqdm draws an empty bar.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        done = wayline(settings, str(path), stderr=follower)
        os.close(follower)
        bar = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the other end is closed and drained
                break
            if not chunk:
                break
            bar += chunk
    finally:
        os.close(leader)
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
