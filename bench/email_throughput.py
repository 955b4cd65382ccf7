"""5,000 templated emails through a campaign to a local SMTP server, beside bare aiosmtplib.

    .venv/bin/python -m bench.email_throughput [--emails 5000] [--rounds 5]
        [--batch-size 500] [--parallel 4] [--pool-size 4] [--keep]

Starts an embedded PostgreSQL and Temporal dev server and the worker (`wayline worker
--no-dispatcher`, SMTP pool of `--pool-size` connections, signing secret set: unsubscribe
headers, tracking pixel and links). Each round starts a local aiosmtpd server in its own
process (`bench/smtp_sink.py`) and runs the campaign once on the `email` channel (subject,
text and HTML parts from Jinja2 templates; rules and ledger as in production; campaign time
from the start call to the run's end), then sends **the very MIME bytes the server
received** again over `--pool-size` aiosmtplib connections, each a plain loop of
`sendmail`, to a fresh server on the same port: the rate of SMTP itself on this machine.
The pair runs back to back, so a change of the machine's speed between rounds (other
tenants) hits both sides of a round alike. Per round: both rates, their ratio and the
cores the processes kept busy; then each part's CPU per email in the median round. Last
line: `ratio=<median over the rounds of campaign emails/s ÷ bare aiosmtplib emails/s>`
(target ≥ 0.7).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path

import aiosmtplib

from bench.campaign_stack import CampaignBench, load_note, say
from bench.stack import wait_listening
from workers.embedded import free_port

TEMPLATE = {
    "subject": "{{ profile.attributes.first_name }}, the spring sale starts today",
    "body": "Hi {{ profile.attributes.first_name }},\n\nEverything is 20% off until Sunday.\n"
    "See https://shop.example.com/sale\n\nUnsubscribe: {{ unsubscribe_url }}\n",
    "html": "<html><body><h1>Hi {{ profile.attributes.first_name }}</h1>"
    "<p>Everything is <b>20% off</b> until Sunday.</p>"
    '<p><a href="https://shop.example.com/sale">See the sale</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>',
}


def read_messages(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out, pos = [], 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        size = int(data[pos:end])
        out.append(data[end + 1 : end + 1 + size])
        pos = end + 1 + size
    return out


async def bare_loop(port: int, messages: list[bytes], connections: int) -> float:
    """The same MIME over `connections` reused aiosmtplib connections: seconds for all."""
    parser = BytesHeaderParser()
    envelopes = []
    for raw in messages:
        headers = parser.parsebytes(raw)
        envelopes.append((headers["From"], [headers["To"]], raw))
    shares = [envelopes[i::connections] for i in range(connections)]

    async def one(share: list[tuple[str, list[str], bytes]]) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await client.connect()
        try:
            for sender, to, raw in share:
                await client.sendmail(sender, to, raw)
        finally:
            await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(one(s) for s in shares))
    return time.perf_counter() - started


@dataclass
class Round:
    """One campaign run and the bare loop right after it, with each side's CPU seconds."""

    campaign_s: float
    bare_s: float
    campaign_cpu: dict[str, float]
    bare_cpu: dict[str, float]
    mime_bytes: float

    @property
    def ratio(self) -> float:
        return self.bare_s / self.campaign_s  # the same emails: rates are inverse times


async def start_sink(bench: CampaignBench, port: int, out: Path) -> None:
    bench.stack.spawn("smtp", "bench.smtp_sink", [str(port), str(out)], bench.env)
    await wait_listening(bench.stack, "smtp", port)


async def one_round(bench: CampaignBench, port: int, args: argparse.Namespace) -> Round:
    """The campaign, then the bare loop with the MIME the campaign delivered.

    Both run back to back with the same fresh sink setup, so a change in the machine's
    speed (other tenants) hits the pair of a round alike; the idle worker keeps running.
    """
    received = bench.stack.root / "received.bin"
    await start_sink(bench, port, received)
    say(load_note())
    before = bench.stack.cpu()
    result, seconds = await bench.run(batch_size=args.batch_size, parallel=args.parallel)
    campaign_cpu = _used(bench, before)
    if result.sent != args.emails:
        raise RuntimeError(f"expected {args.emails} sent, got {result}")
    await asyncio.sleep(0.5)  # the sink's buffered writes reach the file
    bench.stack.stop_proc("smtp")
    messages = read_messages(received)
    received.unlink()
    if len(messages) != args.emails:
        raise RuntimeError(f"the server got {len(messages)} emails, expected {args.emails}")
    await start_sink(bench, port, received)
    before = bench.stack.cpu()
    bare = await bare_loop(port, messages, args.pool_size)
    bare_cpu = _used(bench, before)
    bench.stack.stop_proc("smtp")
    received.unlink()
    size = sum(len(m) for m in messages) / len(messages)
    return Round(seconds, bare, campaign_cpu, bare_cpu, size)


def _used(bench: CampaignBench, before: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in bench.stack.cpu_since(before).items() if k != "other"}


def report(args: argparse.Namespace, rounds: list[Round]) -> None:
    n = args.emails
    print(f"emails              {n} per run (MIME {rounds[0].mime_bytes:.0f} bytes on average)")
    print(f"SMTP connections    {args.pool_size} (worker pool; bare: as many loops)")
    for i, r in enumerate(rounds, 1):
        print(
            f"round {i}   campaign {r.campaign_s:5.1f} s {n / r.campaign_s:6.0f} emails/s   "
            f"bare aiosmtplib {r.bare_s:5.1f} s {n / r.bare_s:6.0f} emails/s   "
            f"ratio {r.ratio:.3f}   cores busy {sum(r.campaign_cpu.values()) / r.campaign_s:.2f}"
            f" / {sum(r.bare_cpu.values()) / r.bare_s:.2f}"
        )
    mid = sorted(rounds, key=lambda r: r.ratio)[len(rounds) // 2]
    for name, cpu in (("campaign", mid.campaign_cpu), ("bare", mid.bare_cpu)):
        each = ", ".join(f"{k} {1000 * v / n:.3f}" for k, v in sorted(cpu.items()) if v >= 0.05)
        print(f"CPU ms per email, {name:8} (median round)  {each}")
    print(f"ratio={statistics.median(r.ratio for r in rounds):.3f}")


async def main(args: argparse.Namespace) -> int:
    port = free_port()
    extra = {
        "WAYLINE_SMTP_HOST": "127.0.0.1",
        "WAYLINE_SMTP_PORT": str(port),
        "WAYLINE_SMTP_POOL_SIZE": str(args.pool_size),
        "WAYLINE_SIGNING_SECRET": "bench-signing-secret",
        "WAYLINE_EMAIL_FROM": "Shop <news@shop.example.com>",
        "WAYLINE_PUBLIC_URL": "https://wayline.example.com",
    }
    bench = await CampaignBench.start(keep=args.keep, pg_fast=args.pg_fast, extra_env=extra)
    try:
        await bench.audience(args.emails)
        await bench.campaign("email", TEMPLATE)
        bench.start_worker()
        await bench.wait_worker()
        rounds = [await one_round(bench, port, args) for _ in range(args.rounds)]
        report(args, rounds)
        return 0
    finally:
        await bench.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--emails", type=int, default=5000)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--parallel", type=int, default=4)
    p.add_argument("--pool-size", type=int, default=4, help="SMTP connections")
    p.add_argument("--rounds", type=int, default=5, help="campaign + bare pairs; median ratio")
    p.add_argument("--pg-fast", action="store_true", help="PostgreSQL without fsync")
    p.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
