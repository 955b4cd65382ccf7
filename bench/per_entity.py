"""A per-booking campaign through `log` (issue 17.4), beside a bare SQL baseline.

    .venv/bin/python -m bench.per_entity [--messages 100000] [--per-profile 3]
        [--batch-size 1000] [--parallel 4] [--pg-fast] [--keep]

Starts an embedded PostgreSQL and Temporal dev server in a temporary folder, defines
`hotel` and `booking` entity types (a booking belongs to a profile and points at a hotel),
writes N / per-profile profiles in one audience with `per-profile` confirmed bookings each
(and one held booking each, which the campaign's `where` leaves out), then runs an action
campaign with `per: {entity: booking, where: [status = confirmed]}` on the `log` channel:
the worker (`wayline worker --no-dispatcher`) reads each chunk's bookings and hotels in one
query, renders a Jinja2 template per booking, judges the rules, writes the ledger. It
reports the time from the start call to the run's end, then the baseline: one INSERT ...
SELECT writing the same rows (the same join, the body built by SQL string concatenation)
into an empty table shaped like `messages`, the rate PostgreSQL alone does the whole job
set-based. Last line: `ratio=<campaign messages/s ÷ bare SQL rows/s>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from bench.campaign_stack import CampaignBench, load_note, say
from entities.model import Definition
from services import entities

BODY = (
    "Booking {{ entity.key }}: {{ entity.fields.nights }} nights in {{ entity.related.hotel.city }}"
)
HOTEL = {"fields": {"code": {"type": "string"}, "city": {"type": "string"}}, "primary_key": "code"}
BOOKING = {
    "fields": {
        "booking_id": {"type": "string"},
        "nights": {"type": "number"},
        "status": {"type": "enum", "values": ["held", "confirmed"]},
    },
    "primary_key": "booking_id",
    "relations": {"guest": {"to": "profile"}, "hotel": {"to": "hotel"}},
}
PER = {"entity": "booking", "where": [{"field": "status", "op": "eq", "value": "confirmed"}]}


async def setup(bench: CampaignBench, profiles: int, per_profile: int) -> None:
    await bench.audience(profiles)
    await entities.save_type(bench.pool, "hotel", Definition.model_validate(HOTEL))
    await entities.save_type(bench.pool, "booking", Definition.model_validate(BOOKING))
    async with bench.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO entities.e_hotel (code, city) "
            "SELECT 'h' || i, 'City ' || i FROM generate_series(0, 99) i"
        )
        await conn.execute(
            "INSERT INTO entities.e_booking (booking_id, nights, status, guest, hotel) "
            "SELECT p.profile_id || '-' || k, k + 1, "
            "CASE WHEN k < $1 THEN 'confirmed' ELSE 'held' END, p.profile_id, "
            "'h' || (abs(hashtext(p.profile_id)) % 100) "
            "FROM profiles p CROSS JOIN generate_series(0, $1) k",
            per_profile,
        )
        await conn.execute("ANALYZE entities.e_booking; ANALYZE entities.e_hotel")
    await bench.campaign("log", {"body": BODY})
    await bench.pool.execute(
        "UPDATE campaigns SET per = $1 WHERE campaign_id = 'bench'", json.loads(json.dumps(PER))
    )


async def bare_sql(bench: CampaignBench) -> tuple[int, float]:
    """The same ledger rows written set-based by one statement: (rows, seconds)."""
    async with bench.pool.acquire() as conn:
        await conn.execute("CREATE TABLE bench_bare (LIKE messages INCLUDING ALL)")
        started = time.perf_counter()
        status = await conn.execute(
            "INSERT INTO bench_bare (message_id, profile_id, workflow_id, channel, template, "
            "campaign_id, campaign_run, status, body, attempts, entity_type, entity_key) "
            "SELECT md5(m.profile_id || b.booking_id), m.profile_id, 'w', 'log', 'bench', "
            "'bench', 'bare', 'sent', 'Booking ' || b.booking_id || ': ' || b.nights || "
            "' nights in ' || h.city, 1, 'booking', b.booking_id "
            "FROM audience_members m JOIN entities.e_booking b ON b.guest = m.profile_id "
            "LEFT JOIN entities.e_hotel h ON h.code = b.hotel "
            "WHERE m.audience_id = 'bench' AND b.status = 'confirmed'"
        )
        return int(status.rsplit(" ", 1)[-1]), time.perf_counter() - started


async def main(args: argparse.Namespace) -> int:
    profiles = max(1, -(-args.messages // args.per_profile))  # at least N messages
    messages = profiles * args.per_profile
    bench = await CampaignBench.start(keep=args.keep, pg_fast=args.pg_fast, extra_env={})
    try:
        say(f"{profiles} profiles, {args.per_profile} confirmed bookings each (+1 held)")
        await setup(bench, profiles, args.per_profile)
        bench.start_worker()
        await bench.wait_worker()
        say(load_note())
        result, seconds = await bench.run(batch_size=args.batch_size, parallel=args.parallel)
        sent = await bench.pool.fetchval(
            "SELECT count(*) FROM messages WHERE campaign_id = 'bench' AND status = 'sent' "
            "AND entity_type = 'booking'"
        )
        if result.sent != messages or sent != messages:
            raise RuntimeError(f"expected {messages} sent, got {result.sent} / {sent}")
        say(load_note())
        rows, bare_seconds = await bare_sql(bench)
        if rows != messages:
            raise RuntimeError(f"the baseline wrote {rows} rows, not {messages}")
        rate, bare_rate = messages / seconds, rows / bare_seconds
        print(f"messages            {messages} ({profiles} profiles x {args.per_profile})")
        print(f"batch size          {args.batch_size} profiles x {args.parallel} in flight")
        print(f"campaign            {seconds:8.1f} s  {rate:10.0f} messages/s")
        print(f"bare SQL            {bare_seconds:8.1f} s  {bare_rate:10.0f} rows/s")
        met = "met" if messages >= 100_000 and seconds < 60 else "not shown at this N"
        print(f"target              100,000 messages in < 60 s: {met}")
        print(f"ratio={rate / bare_rate:.3f}")
        return 0
    finally:
        await bench.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--per-profile", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--parallel", type=int, default=4)
    p.add_argument("--pg-fast", action="store_true", help="PostgreSQL without fsync")
    p.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
