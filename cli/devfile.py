"""The file a running `wayline dev` leaves in its data folder for the other commands.

`wayline publish`, `validate`, `import` and `backtest` read it when their variables are not
set, so they find the dev stack (its API URL and key, its database, its Temporal) with
nothing exported. It holds the admin key, so it is readable by its owner only (0600).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.settings import Settings

NAME = "dev.json"
# The variable each value stands for, and the settings field it fills.
FIELDS = {
    "WAYLINE_API_URL": "api_url",
    "WAYLINE_API_KEY": "api_key",
    "DATABASE_URL": "database_url",
    "TEMPORAL_ADDRESS": "temporal_address",
}


def write(data_dir: Path, values: dict[str, str | None]) -> dict[str, str]:
    """Writes the stack's addresses; a key not known now (printed at an earlier start) is
    kept from the file as it was. Returns what the file holds."""
    path = data_dir / NAME
    held = {**read(data_dir), **{k: v for k, v in values.items() if v}}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file existed with wider permissions
    with os.fdopen(fd, "w") as out:
        json.dump(held, out, indent=2)
    return held


def read(data_dir: Path) -> dict[str, str]:
    try:
        found = json.loads((data_dir / NAME).read_text())
    except (OSError, ValueError):
        return {}
    return {k: str(v) for k, v in found.items() if k in FIELDS} if isinstance(found, dict) else {}


def apply(settings: Settings, environ: dict[str, str] | None = None) -> Settings:
    """The settings with the dev stack's values for every variable the environment lacks."""
    env = os.environ if environ is None else environ
    found = read(settings.data_dir)
    update = {FIELDS[var]: value for var, value in found.items() if var not in env}
    return settings.model_copy(update=update) if update else settings


def exports(held: dict[str, str]) -> list[str]:
    """Ready-to-copy `export` lines for other tools (the temporal CLI, scripts)."""
    return [f"export {var}={held[var]}" for var in FIELDS if var in held]
