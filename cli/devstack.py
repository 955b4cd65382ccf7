"""`wayline dev`: the whole stack in the foreground, every part a child process.

Start order: PostgreSQL, Temporal, migrations and the first key, then worker and API.
Ctrl-C or SIGTERM stops them in the reverse order; a second start reuses the data folder,
so journeys in flight carry on where they were.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from api.keys import announce_bootstrap_key
from core.settings import Settings
from workers.embedded import EmbeddedPostgres, EmbeddedTemporal, die_with_parent, stop_process
from workers.temporal_setup import ensure_search_attributes_at


def run_dev(settings: Settings) -> int:
    data = settings.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    pg = EmbeddedPostgres(data / "postgres", settings.postgres_port)
    temporal = EmbeddedTemporal(
        data / "temporal",
        settings.temporal_port,
        ui_port=settings.temporal_ui_port,
        namespace=settings.temporal_namespace,
    )
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        pg.start()
        temporal.start()
        # The dev server registers them for its namespaces on the command line; this also
        # covers a data folder first started by an older Wayline with fewer of them.
        asyncio.run(ensure_search_attributes_at(temporal.address, settings.temporal_namespace))
        env = {**os.environ, "DATABASE_URL": pg.url, "TEMPORAL_ADDRESS": temporal.address}
        dev_settings = settings.model_copy(
            update={"database_url": pg.url, "temporal_address": temporal.address}
        )
        from db.migrate import migrate_url

        asyncio.run(migrate_url(pg.url, create=True))
        asyncio.run(announce_bootstrap_key(dev_settings))
        for component in ("worker", "api"):
            children.append(
                subprocess.Popen(
                    [sys.executable, "-m", "cli.main", component],
                    env=env,
                    preexec_fn=die_with_parent,
                )
            )
        _banner(settings, data)
        return _supervise(children, lambda: stopping)
    finally:
        for child in reversed(children):
            stop_process(child, signal.SIGTERM, 20)
        temporal.stop()
        pg.stop()
        print("wayline dev stopped", flush=True)


def _supervise(children: list[subprocess.Popen[bytes]], stopping: object) -> int:
    while not stopping():  # type: ignore[operator]
        for child in children:
            if child.poll() is not None:
                print(f"a component exited with {child.returncode}; stopping", file=sys.stderr)
                return 1
        time.sleep(0.2)
    return 0


def _banner(settings: Settings, data: object) -> None:
    api = f"http://{settings.api_host}:{settings.api_port}"
    print(
        "\nWayline dev stack is running (Ctrl-C stops it)\n"
        f"  API          {api}\n"
        f"  API docs     {api}/docs\n"
        f"  Temporal UI  http://127.0.0.1:{settings.temporal_ui_port}\n"
        f"  Metrics      {api}/metrics (Bearer key), worker"
        f" http://{settings.worker_metrics_host}:{settings.worker_metrics_port}/metrics\n"
        f"  Temporal     127.0.0.1:{settings.temporal_port}"
        f" (namespace {settings.temporal_namespace})\n"
        f"  PostgreSQL   postgresql://postgres@127.0.0.1:{settings.postgres_port}/wayline\n"
        f"  Data         {data}\n",
        flush=True,
    )
