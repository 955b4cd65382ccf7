"""API-triggered transactional campaign: request → provider call latency at 100 requests/s.

    .venv/bin/python -m bench.trigger_latency [--rate 100] [--seconds 20] [--keep]

Starts the embedded servers, `wayline api` and `wayline worker` as subprocesses, and a
webhook receiver in this process standing in for the provider. A transactional,
API-triggered campaign on the `webhook` channel is created over the API; then requests
`POST /v1/campaigns/{id}/trigger` (one profile each, with `vars`) go out open-loop at
`--rate` per second. Latency is from just before a request is sent to the moment the
provider receives that profile's message (one monotonic clock, same process). Prints
p50/p95/p99/max; the last line is `p99_ms=<value>` (target < 200 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import httpx

from bench.campaign_stack import CampaignBench, load_note, say
from bench.stack import wait_listening
from bench.stats import percentile
from workers.embedded import free_port

KEY = "wl_benchkey_0123456789abcdefghijklmnopqrstuv"


class Receiver:
    """A minimal HTTP/1.1 server (keep-alive) recording when each profile's message arrives."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                now = time.monotonic()
                profile = json.loads(body).get("profile_id")
                if profile is not None:
                    self.arrived.setdefault(profile, now)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


async def main(args: argparse.Namespace) -> int:
    receiver = Receiver()
    hook_port, api_port = free_port(), free_port()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", hook_port)
    extra = {
        "WAYLINE_WEBHOOK_URL": f"http://127.0.0.1:{hook_port}/hook",
        "WAYLINE_API_PORT": str(api_port),
        "WAYLINE_BOOTSTRAP_KEY": KEY,
    }
    bench = await CampaignBench.start(keep=args.keep, pg_fast=args.pg_fast, extra_env=extra)
    try:
        n = int(args.rate * args.seconds)
        await bench.audience(n + args.warmup)  # the profiles (the audience is unused)
        bench.stack.spawn("api", "cli.main", ["api"], bench.env)
        bench.start_worker()
        await bench.wait_worker()
        await wait_listening(bench.stack, "api", api_port, within=60)
        headers = {"Authorization": f"Bearer {KEY}"}
        base = f"http://127.0.0.1:{api_port}/v1"
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as api:
            tpl = {
                "channel": "webhook",
                "body": "Your code is {{ vars.code }}",
                "transactional": True,
            }
            resp = await api.put("/templates/otp", json=tpl)
            resp.raise_for_status()
            resp = await api.post(
                "/campaigns",
                json={
                    "id": "otp",
                    "name": "One-time code",
                    "kind": "triggered",
                    "channel": "webhook",
                    "template": "otp",
                    "transactional": True,
                },
            )
            resp.raise_for_status()
            sent: dict[str, float] = {}
            accepted: list[float] = []

            async def one(i: int) -> None:
                profile = f"p{i:07d}"
                sent[profile] = time.monotonic()
                r = await api.post(
                    "/campaigns/otp/trigger",
                    json={"profile_ids": [profile], "vars": {"code": f"{i:06d}"}},
                )
                accepted.append(time.monotonic() - sent[profile])
                r.raise_for_status()

            async def load(first: int, count: int, rate: float) -> None:
                tasks = []
                start = time.monotonic()
                for k in range(count):
                    delay = start + k / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(one(first + k)))
                await asyncio.gather(*tasks)

            say(f"warm-up: {args.warmup} requests")
            await load(0, args.warmup, min(args.rate, 20))
            await asyncio.sleep(2)
            say(load_note())
            say(f"{n} requests at {args.rate}/s")
            accepted.clear()
            cpu_before = bench.stack.cpu()
            started = time.monotonic()
            await load(args.warmup, n, args.rate)
            took = time.monotonic() - started
            cpu = bench.stack.cpu_since(cpu_before)
            wanted = [f"p{i:07d}" for i in range(args.warmup, args.warmup + n)]
            for _ in range(600):  # up to 2 minutes for the stragglers
                if all(p in receiver.arrived for p in wanted):
                    break
                await asyncio.sleep(0.2)
            missing = [p for p in wanted if p not in receiver.arrived]
            if missing:
                raise RuntimeError(f"{len(missing)} messages never reached the provider")
            lat = [(receiver.arrived[p] - sent[p]) * 1000 for p in wanted]
            acc = [a * 1000 for a in accepted]
            say(load_note())
            print(f"requests            {n} at {n / took:.1f}/s (asked {args.rate}/s)")
            print(
                f"request → 202       p50 {percentile(acc, 50):6.1f} ms   "
                f"p99 {percentile(acc, 99):6.1f} ms"
            )
            print(
                f"request → provider  p50 {percentile(lat, 50):6.1f} ms   "
                f"p95 {percentile(lat, 95):6.1f} ms   p99 {percentile(lat, 99):6.1f} ms   "
                f"max {max(lat):6.1f} ms"
            )
            busy = ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items()))
            print(f"CPU seconds while sending: {busy}")
            print(f"p99_ms={percentile(lat, 99):.1f}")
        return 0
    finally:
        server.close()
        await bench.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rate", type=float, default=100.0, help="requests per second")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--warmup", type=int, default=40)
    p.add_argument("--pg-fast", action="store_true", help="PostgreSQL without fsync")
    p.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
