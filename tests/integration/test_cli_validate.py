"""`wayline validate FILE --server` asks the API, which knows what the file names: a
template or an entity type that does not exist is a problem with its path there, while
the offline check (the language alone) finds the same file valid."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ADMIN_KEY
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def journey(template: str, entity: str) -> dict[str, object]:
    remind = {"type": "message", "channel": "log", "template": template, "next": "done"}
    return {
        "id": uid("checked"),
        "name": "Checked",
        "entry": {"event": "trip.planned"},
        "start": "remind",
        "nodes": {"remind": {**remind, "per": {"entity": entity}}, "done": {"type": "end"}},
    }


async def validate(path: Path, api_url: str, *flags: str) -> tuple[int, str, str]:
    env = {**os.environ, "WAYLINE_API_URL": api_url, "WAYLINE_API_KEY": ADMIN_KEY}
    env["WAYLINE_DATA_DIR"] = str(path.parent)  # no dev stack's file to find
    proc = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "cli.main", "validate", str(path), *flags],
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_the_server_check_finds_what_the_file_names(api_url: str, tmp_path: Path) -> None:
    template, entity = uid("missing-tpl"), uid("kind").replace("-", "_")
    path = tmp_path / "journey.yaml"
    path.write_text(yaml.safe_dump(journey(template, entity)))
    assert await validate(path, api_url) == (0, f"{path}: valid\n", "")
    code, out, err = await validate(path, api_url, "--server")
    assert (code, out) == (1, ""), err
    assert f"{path}: nodes.remind.per.entity: " in err and entity in err
    assert f"{path}: nodes.remind.template: " in err and template in err


async def test_the_server_check_names_the_address_it_could_not_reach(tmp_path: Path) -> None:
    path = tmp_path / "journey.yaml"
    path.write_text(yaml.safe_dump(journey("t", "booking")))
    code, _, err = await validate(path, "http://127.0.0.1:9", "--server")
    assert code == 1 and "cannot reach the API at http://127.0.0.1:9" in err
    assert "Traceback" not in err
