"""A local SMTP server for the email benchmark: accepts everything, appends each message.

    python -m bench.smtp_sink PORT OUTFILE

Each accepted message is appended to OUTFILE as `<length>\\n<bytes>`, so the benchmark
can send the very same MIME again in its bare aiosmtplib loop. Runs in its own process,
so neither side of the comparison shares its CPU with the server's Python code.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any, BinaryIO

from aiosmtpd.smtp import SMTP, Envelope, Session


class Sink:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        self.out.write(b"%d\n" % len(data) + data)
        return "250 OK"


async def serve(port: int, out: BinaryIO) -> None:
    sink = Sink(out)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.local", data_size_limit=None),
        "127.0.0.1",
        port,
    )
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("listening", flush=True)
    try:
        await stop.wait()
    finally:
        server.close()


if __name__ == "__main__":
    with open(sys.argv[2], "ab", buffering=1 << 20) as out:
        asyncio.run(serve(int(sys.argv[1]), out))
