"""Segment-compatible ingest against Wayline's own batch endpoint, in the same run.

Starts a throwaway embedded PostgreSQL, serves the API in-process (httpx ASGI transport, no
Temporal needed: nothing is dispatched), and times, in alternation:

- `POST /v1/events/batch` (the baseline) and `POST /v1/segment/batch` with the same events,
  `--batch` per request;
- `PATCH /v1/profiles/{id}` (baseline) and Segment `identify` with traits, one per request;
- Segment `identify` carrying an `anonymousId` that has `--history` events: a merge each.

    .venv/bin/python -m bench.segment_ingest [--events 20000] [--batch 100] [--merges 500]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable
from pathlib import Path

import httpx

from api.app import create_app
from api.keys import ADMIN
from core.settings import Settings
from db.migrate import migrate_url
from workers.embedded import EmbeddedPostgres, free_port

KEY = "wl_bench000_" + "x" * 43


async def timed(label: str, n: int, run: Awaitable[None]) -> float:
    start = time.perf_counter()
    await run
    rate = n / (time.perf_counter() - start)
    print(f"  {label:<46} {rate:10.0f} /s")
    return rate


async def bench(args: argparse.Namespace, settings: Settings) -> None:
    from api.keys import insert_key
    from db.pool import create_pool

    pool = await create_pool(settings.database_url)
    await insert_key(pool, name="bench", scopes=[ADMIN], value=KEY)
    await pool.close()
    app = create_app(settings)
    auth = {"Authorization": f"Bearer {KEY}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=auth
        ) as api,
    ):
        run = uuid.uuid4().hex[:6]

        async def native(round_: int) -> None:
            for b in range(args.events // args.batch):
                events = [
                    {
                        "name": "bench.ev",
                        "profile_id": f"n{run}{round_}-{(b * args.batch + i) % 997}",
                        "properties": {"i": i},
                    }
                    for i in range(args.batch)
                ]
                resp = await api.post("/v1/events/batch", json={"events": events})
                assert resp.status_code == 202, resp.text

        async def segment(round_: int) -> None:
            for b in range(args.events // args.batch):
                calls = [
                    {
                        "type": "track",
                        "event": "bench.ev",
                        "userId": f"s{run}{round_}-{(b * args.batch + i) % 997}",
                        "messageId": uuid.uuid4().hex,
                        "properties": {"i": i},
                    }
                    for i in range(args.batch)
                ]
                resp = await api.post("/v1/segment/v1/batch", json={"batch": calls})
                assert resp.status_code == 200 and resp.json()["success"], resp.text

        async def patch(round_: int) -> None:
            for i in range(args.merges):
                resp = await api.patch(
                    f"/v1/profiles/p{run}{round_}-{i}",
                    json={"email": f"{i}@example.com", "attributes": {"plan": "pro"}},
                )
                assert resp.status_code in (200, 201), resp.text

        async def identify(round_: int) -> None:
            for i in range(args.merges):
                resp = await api.post(
                    "/v1/segment/identify",
                    json={
                        "userId": f"i{run}{round_}-{i}",
                        "traits": {"email": f"{i}@example.com", "plan": "pro"},
                    },
                )
                assert resp.status_code == 200, resp.text

        async def merges(round_: int) -> None:
            history = [
                {"type": "track", "event": "bench.anon", "anonymousId": f"a{run}{round_}-{i}"}
                for i in range(args.merges)
                for _ in range(args.history)
            ]
            for start in range(0, len(history), 500):
                resp = await api.post(
                    "/v1/segment/batch", json={"batch": history[start : start + 500]}
                )
                assert resp.status_code == 200, resp.text

            async def go() -> None:
                for i in range(args.merges):
                    resp = await api.post(
                        "/v1/segment/identify",
                        json={
                            "userId": f"m{run}{round_}-{i}",
                            "anonymousId": f"a{run}{round_}-{i}",
                            "traits": {"plan": "pro"},
                        },
                    )
                    assert resp.status_code == 200, resp.text

            await timed(f"identify + merge ({args.history} events each)", args.merges, go())

        for r in range(args.rounds):
            # Alternate which side goes first: the table grows and the machine is shared.
            print(f"round {r + 1}")
            if r % 2:
                seg = await timed("POST /v1/segment/v1/batch (events)", args.events, segment(r))
                base = await timed("POST /v1/events/batch (events)", args.events, native(r))
            else:
                base = await timed("POST /v1/events/batch (events)", args.events, native(r))
                seg = await timed("POST /v1/segment/v1/batch (events)", args.events, segment(r))
            print(f"  ratio segment / native batch ingest: {seg / base:.2f}")
            p = await timed("PATCH /v1/profiles/{id}", args.merges, patch(r))
            i = await timed("POST /v1/segment/identify (no merge)", args.merges, identify(r))
            print(f"  ratio identify / PATCH: {i / p:.2f}")
            await merges(r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--merges", type=int, default=500)
    parser.add_argument("--history", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wayline-bench-segment-"))
    pg = EmbeddedPostgres(root / "pg", free_port(), durable=False)
    pg.start()
    try:
        url = pg.url.rsplit("/", 1)[0] + "/bench_segment"
        asyncio.run(migrate_url(url, create=True))
        settings = Settings(
            DATABASE_URL=url,
            TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",  # never reached: nothing dispatches
            WAYLINE_DATA_DIR=root,
            # Nothing routes here, so the outbox only grows: no backpressure bound.
            WAYLINE_BACKPRESSURE_BACKLOG=None,
        )
        asyncio.run(bench(args, settings))
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
