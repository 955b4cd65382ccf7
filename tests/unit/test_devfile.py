"""The dev stack's file: owner-only, found by the CLI when its variables are unset, and a
CLI that cannot reach a server says where it tried and which variable sets it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from cli import devfile
from core.settings import Settings
from workers.embedded import free_port

ROOT = Path(__file__).parent.parent.parent
VALUES = {
    "WAYLINE_API_URL": "http://127.0.0.1:8123",
    "WAYLINE_API_KEY": "wl_key",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5999/wayline",
    "TEMPORAL_ADDRESS": "127.0.0.1:7999",
}


def test_file_is_owner_only_and_keeps_an_earlier_key(tmp_path: Path) -> None:
    devfile.write(tmp_path, dict(VALUES))
    mode = stat.S_IMODE((tmp_path / "dev.json").stat().st_mode)
    assert mode == 0o600
    held = devfile.write(tmp_path, {**VALUES, "WAYLINE_API_KEY": None})  # a second start
    assert held == VALUES
    assert devfile.exports(held) == [
        "export WAYLINE_API_URL=http://127.0.0.1:8123",
        "export WAYLINE_API_KEY=wl_key",
        "export DATABASE_URL=postgresql://postgres@127.0.0.1:5999/wayline",
        "export TEMPORAL_ADDRESS=127.0.0.1:7999",
    ]


def test_apply_fills_only_unset_variables(tmp_path: Path) -> None:
    devfile.write(tmp_path, dict(VALUES))
    settings = Settings(WAYLINE_DATA_DIR=tmp_path)
    found = devfile.apply(settings, {"DATABASE_URL": "postgresql://elsewhere/db"})
    assert (found.api_url, found.api_key) == ("http://127.0.0.1:8123", "wl_key")
    assert found.temporal_address == "127.0.0.1:7999"
    assert found.database_url == settings.database_url  # set in the environment: kept


def test_publish_finds_the_file_and_names_the_address_it_tried(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    devfile.write(tmp_path, {**VALUES, "WAYLINE_API_URL": f"http://127.0.0.1:{port}"})
    env = {k: v for k, v in os.environ.items() if k not in devfile.FIELDS}
    env["WAYLINE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "publish", str(ROOT / "examples/quick-start.yaml")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert f"cannot reach the API at http://127.0.0.1:{port}" in done.stderr
    assert "WAYLINE_API_URL sets the address" in done.stderr
    assert "Traceback" not in done.stderr
