"""5,000 templated emails through a campaign to a local SMTP server, beside bare aiosmtplib.

    .venv/bin/python bench/email_throughput.py [--emails 5000] [--batch-size 500]
        [--parallel 4] [--pool-size 4] [--keep]

Starts an embedded PostgreSQL and Temporal dev server, a local aiosmtpd server in its own
process (`bench/smtp_sink.py`) and the worker (`wayline worker --no-dispatcher`, SMTP pool
of `--pool-size` connections, signing secret set: unsubscribe headers, tracking pixel and
links), then one run of an action campaign on the `email` channel (subject, text and HTML
parts from Jinja2 templates; rules and ledger as in production). Campaign time runs from
the start call to the run's end. The baseline then sends **the very MIME bytes the server
received** again over `--pool-size` aiosmtplib connections, each a plain loop of
`sendmail`, to the same server: the rate of SMTP itself on this machine. Last line:
`ratio=<campaign emails/s ÷ bare aiosmtplib emails/s>` (target ≥ 0.7).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from email.parser import BytesHeaderParser
from pathlib import Path

import aiosmtplib

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on sys.path, the repo root is not
    sys.path.insert(0, str(ROOT))

from bench.campaign_stack import CampaignBench, load_note, say  # noqa: E402
from workers.embedded import free_port, port_open  # noqa: E402

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
        received = bench.stack.root / "received.bin"
        bench.stack.spawn("smtp", "bench.smtp_sink", [str(port), str(received)], bench.env)
        for _ in range(300):
            if port_open("127.0.0.1", port):
                break
            await asyncio.sleep(0.1)
        await bench.audience(args.emails)
        await bench.campaign("email", TEMPLATE)
        bench.start_worker()
        await bench.wait_worker()
        say(load_note())
        before = bench.stack.cpu()
        result, seconds = await bench.run(batch_size=args.batch_size, parallel=args.parallel)
        campaign_cpu = {k: v - before.get(k, 0.0) for k, v in bench.stack.cpu().items()}
        if result.sent != args.emails:
            raise RuntimeError(f"expected {args.emails} sent, got {result}")
        await asyncio.sleep(0.5)  # the sink's buffered writes reach the file
        bench.stack.stop_proc("smtp")
        messages = read_messages(received)
        if len(messages) != args.emails:
            raise RuntimeError(f"the server got {len(messages)} emails, expected {args.emails}")
        bench.stack.stop_proc("worker")  # the baseline gets the CPU the worker had
        received.unlink()
        bench.stack.spawn("smtp", "bench.smtp_sink", [str(port), str(received)], bench.env)
        for _ in range(300):
            if port_open("127.0.0.1", port):
                break
            await asyncio.sleep(0.1)
        say(load_note())
        before = bench.stack.cpu()
        bare = await bare_loop(port, messages, args.pool_size)
        bare_cpu = {k: v - before.get(k, 0.0) for k, v in bench.stack.cpu().items()}
        campaign_rate = args.emails / seconds
        bare_rate = args.emails / bare
        size = sum(len(m) for m in messages) / len(messages)
        print(f"emails              {args.emails} (MIME {size:.0f} bytes on average)")
        print(f"SMTP connections    {args.pool_size} (worker pool; bare: as many loops)")
        print(f"campaign            {seconds:8.1f} s  {campaign_rate:8.0f} emails/s")
        print(f"bare aiosmtplib     {bare:8.1f} s  {bare_rate:8.0f} emails/s")
        for name, cpu in (("campaign", campaign_cpu), ("bare", bare_cpu)):
            busy = ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items()))
            print(f"CPU seconds, {name:8}  {busy}")
        print(f"ratio={campaign_rate / bare_rate:.3f}")
        return 0
    finally:
        await bench.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--emails", type=int, default=5000)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--parallel", type=int, default=4)
    p.add_argument("--pool-size", type=int, default=4, help="SMTP connections")
    p.add_argument("--pg-fast", action="store_true", help="PostgreSQL without fsync")
    p.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
