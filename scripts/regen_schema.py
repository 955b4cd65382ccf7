"""Regenerate db/schema.sql from the migrations, on a throwaway embedded PostgreSQL.

Run after adding a migration: `.venv/bin/python scripts/regen_schema.py`.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from db.migrate import migrate_url
from db.schema import dump_schema
from workers.embedded import EmbeddedPostgres, free_port

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pg = EmbeddedPostgres(Path(tmp), port=free_port(), durable=False)
        pg.start()
        try:
            url = pg.url.rsplit("/", 1)[0] + "/schema_regen"
            asyncio.run(migrate_url(url, create=True))
            (ROOT / "db" / "schema.sql").write_text(dump_schema(url))
        finally:
            pg.stop()


if __name__ == "__main__":
    main()
