"""Shared machinery of the campaign benchmarks: servers, a worker, a campaign over N profiles.

Everything runs in a temporary folder and is stopped at the end (bench.stack.Stack);
the worker is `python -m cli.main worker --no-dispatcher`, as in production.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client

from bench.stack import BenchTemporal, Stack, log
from core.campaign_contracts import CampaignProgress, CampaignRunInput
from core.converter import data_converter
from db.migrate import migrate_url
from db.pool import create_pool
from services.campaign_client import new_run_id, spec_of, start_run
from workers.embedded import EmbeddedPostgres, free_port

QUEUE = "wayline"


@dataclass
class CampaignBench:
    stack: Stack
    pool: asyncpg.Pool
    client: Client
    env: dict[str, str]

    @classmethod
    async def start(cls, *, keep: bool, pg_fast: bool, extra_env: dict[str, str]) -> CampaignBench:
        root = Path(tempfile.mkdtemp(prefix="wayline-campaign-bench-"))
        stack = Stack(root=root, keep=keep)
        stack.pg = EmbeddedPostgres(root / "pg", free_port(), durable=not pg_fast)
        stack.temporal = BenchTemporal(root / "temporal", free_port())
        stack.pg.start()
        stack.temporal.start()
        await migrate_url(stack.pg.url, create=True)
        env = {
            **os.environ,
            "DATABASE_URL": stack.pg.url,
            "TEMPORAL_ADDRESS": stack.temporal.address,
            "WAYLINE_TASK_QUEUE": QUEUE,
            **extra_env,
        }
        pool = await create_pool(stack.pg.url)
        client = await Client.connect(stack.temporal.address, data_converter=data_converter)
        return cls(stack, pool, client, env)

    def start_worker(self) -> None:
        self.stack.spawn("worker", "cli.main", ["worker", "--no-dispatcher"], self.env)

    async def stop(self) -> None:
        await self.pool.close()
        self.stack.stop()

    async def audience(self, n: int, *, email_domain: str = "example.com") -> str:
        """N profiles with an email address and a first name, all members of one audience."""
        async with self.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO profiles (profile_id, email, attributes) "
                "SELECT 'p' || lpad(i::text, 7, '0'), 'p' || lpad(i::text, 7, '0') || '@' || $2, "
                "jsonb_build_object('first_name', 'Ada' || i) FROM generate_series(0, $1 - 1) i",
                n,
                email_domain,
            )
            await conn.execute(
                "INSERT INTO audiences (audience_id, name, definition) "
                "VALUES ('bench', 'bench', '{}')"
            )
            await conn.execute(
                "INSERT INTO audience_members (audience_id, profile_id) "
                "SELECT 'bench', profile_id FROM profiles"
            )
            await conn.execute("ANALYZE profiles; ANALYZE audience_members")
        return "bench"

    async def campaign(self, channel: str, template: dict[str, Any]) -> str:
        await self.pool.execute(
            "INSERT INTO templates (name, channel, subject, body, html) "
            "VALUES ('bench', $1, $2, $3, $4)",
            channel,
            template.get("subject"),
            template["body"],
            template.get("html"),
        )
        await self.pool.execute(
            "INSERT INTO campaigns (campaign_id, name, audience_id, channel, template) "
            "VALUES ('bench', 'Benchmark', 'bench', $1, 'bench')",
            channel,
        )
        return "bench"

    async def run(self, *, batch_size: int, parallel: int) -> tuple[CampaignProgress, float]:
        """One run of the campaign: (its result, seconds from the start call to the end)."""
        row = await self.pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = 'bench'")
        assert row is not None, "campaign() first"
        started = time.perf_counter()
        handle = await start_run(
            self.client,
            QUEUE,
            CampaignRunInput(
                spec=spec_of(row), run_id=new_run_id(), batch_size=batch_size, parallel=parallel
            ),
        )
        result = CampaignProgress.model_validate(await handle.result())
        return result, time.perf_counter() - started

    async def wait_worker(self) -> None:
        """Until the worker polls (its imports take a few seconds on a busy machine)."""
        for _ in range(600):
            self.stack.check("worker")
            if "worker running" in self.stack.tail("worker", 200):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError("the worker did not start")


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def say(msg: str) -> None:
    log(msg)
