"""`wayline dev`: the whole stack in the foreground, every part a child process, supervised.

Start order: PostgreSQL, Temporal, migrations and the first key, then worker and API.
A child that dies (exits, or a server that stops answering on its port) is restarted
after a backoff, together with the children that use it (`cli/supervision.py` decides);
one that keeps crashing stops the stack with a message naming it and its log.
Ctrl-C or SIGTERM stops them in the reverse order; a second start reuses the data folder,
so journeys in flight carry on where they were.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Protocol

from api.keys import announce_bootstrap_key
from cli import devfile
from cli.supervision import (
    GiveUp,
    Observation,
    Policy,
    after_crash,
    death,
    failed_probes,
    restart_with,
)
from core.settings import Settings
from workers.embedded import (
    EmbeddedPostgres,
    EmbeddedTemporal,
    die_with_parent,
    port_open,
    stop_process,
)
from workers.temporal_setup import ensure_search_attributes_at

# The worker and the API hold connections to both servers: they restart with either.
NEEDS = {"worker": ("postgres", "temporal"), "api": ("postgres", "temporal")}


# The worker's own servers, with the host each listens on and the variable that sets it.
WORKER_PORTS = (
    ("worker_metrics_port", "worker_metrics_host", "WAYLINE_WORKER_METRICS_PORT"),
    ("worker_health_port", "worker_health_host", "WAYLINE_WORKER_HEALTH_PORT"),
)


def run_dev(settings: Settings) -> int:
    settings = with_free_worker_ports(settings)
    mail_port = _mail_port(settings)
    data = settings.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    pg = EmbeddedPostgres(data / "postgres", settings.postgres_port)
    temporal = EmbeddedTemporal(
        data / "temporal",
        settings.temporal_port,
        ui_port=settings.temporal_ui_port,
        namespace=settings.temporal_namespace,
    )
    env = {
        **os.environ,
        "DATABASE_URL": pg.url,
        "TEMPORAL_ADDRESS": temporal.address,
        "WAYLINE_TEMPORAL_UI_URL": os.environ.get(
            "WAYLINE_TEMPORAL_UI_URL", f"http://127.0.0.1:{settings.temporal_ui_port}"
        ),
        **mail_catcher_env(os.environ, data, mail_port),
        **{var: str(getattr(settings, port)) for port, _, var in WORKER_PORTS},
    }
    children: list[Child] = [
        ServerChild("postgres", pg, pg.data_dir / "server.log"),
        ServerChild("temporal", temporal, temporal.data_dir / "temporal.log"),
        CommandChild("mail-catcher", env),
        CommandChild("worker", env),
        CommandChild("api", env),
    ]
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        pg.start()
        temporal.start()
        key = _prepare(settings, pg, temporal)
        held = devfile.write(
            data,
            {
                "WAYLINE_API_URL": f"http://{settings.api_host}:{settings.api_port}",
                "WAYLINE_API_KEY": key,
                "DATABASE_URL": pg.url,
                "TEMPORAL_ADDRESS": temporal.address,
            },
        )
        for child in children[2:]:
            child.start()
        _banner(settings, data, held, mail_port)
        return Supervisor(children, NEEDS, Policy(), lambda: stopping).run()
    finally:
        for child in reversed(children):
            child.stop()
        print("wayline dev stopped", flush=True)


def with_free_worker_ports(settings: Settings) -> Settings:
    """The worker's metrics and health ports for this stack. A default one that is taken (a
    second stack, another exporter on 9464) becomes a free one, which the banner shows: the
    worker would otherwise serve no metrics, and no health, with only a log line saying so.
    A port the environment set is kept, taken or not, since a scraper or probe expects it;
    0 stays off. The worker's restarts reuse the ports chosen here."""
    update: dict[str, int] = {}
    for port_field, host_field, _ in WORKER_PORTS:
        port, host = getattr(settings, port_field), getattr(settings, host_field)
        if port and port_field not in settings.model_fields_set and not _bindable(host, port):
            update[port_field] = _free_port(host, avoid=set(update.values()))
    return settings.model_copy(update=update) if update else settings


def _bindable(host: str, port: int) -> bool:
    """Whether a server could listen there now (with SO_REUSEADDR, as the worker's do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _free_port(host: str, avoid: set[int]) -> int:
    """A port the system has free now, other than one this stack chose already."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port


def mail_catcher_env(environ: Mapping[str, str], data: Path, port: int) -> dict[str, str]:
    """The catcher's folder for it and the API; the email channel points at the catcher
    unless the environment names an SMTP server of its own."""
    env = {"WAYLINE_DEV_MAIL_DIR": str(data / "mail"), "WAYLINE_DEV_MAIL_PORT": str(port)}
    if "WAYLINE_SMTP_HOST" not in environ:
        env |= {"WAYLINE_SMTP_HOST": "127.0.0.1", "WAYLINE_SMTP_PORT": str(port)}
    return env


def _mail_port(settings: Settings) -> int:
    """The catcher's port: the configured one, or a free one when it is taken (not one of
    the worker's, chosen just before and not listening yet)."""
    port = settings.dev_mail_port
    if _bindable("127.0.0.1", port):
        return port
    chosen = {getattr(settings, port_field) for port_field, _, _ in WORKER_PORTS}
    return _free_port("127.0.0.1", avoid=chosen)


def _prepare(settings: Settings, pg: EmbeddedPostgres, temporal: EmbeddedTemporal) -> str | None:
    """Search attributes, migrations and the first key, before any client starts; the key
    when it is known (set, or created now)."""
    from db.migrate import migrate_url

    # The dev server registers them for its namespaces on the command line; this also
    # covers a data folder first started by an older Wayline with fewer of them.
    asyncio.run(ensure_search_attributes_at(temporal.address, settings.temporal_namespace))
    dev_settings = settings.model_copy(
        update={"database_url": pg.url, "temporal_address": temporal.address}
    )
    asyncio.run(migrate_url(pg.url, create=True))
    created = asyncio.run(announce_bootstrap_key(dev_settings))
    return settings.bootstrap_key or created


class Child(Protocol):
    """One supervised part of the stack."""

    name: str

    @property
    def log(self) -> str: ...

    def start(self) -> None: ...

    def observe(self) -> Observation: ...

    def stop(self) -> None: ...


@dataclass
class ServerChild:
    """PostgreSQL or Temporal: `start` returns once it listens; its port is probed."""

    name: str
    server: EmbeddedPostgres | EmbeddedTemporal
    log_file: Path

    @property
    def log(self) -> str:
        return str(self.log_file)

    def start(self) -> None:
        self.server.start()

    def observe(self) -> Observation:
        proc = self.server.proc
        code = proc.poll() if proc is not None else None
        if code is not None:
            return Observation(code)
        return Observation(None, answering=port_open("127.0.0.1", self.server.port))

    def stop(self) -> None:
        self.server.stop()  # also reaps a killed one, so no zombie is left behind


@dataclass
class CommandChild:
    """`wayline worker` or `wayline api` in a subprocess, its output on the launcher's."""

    name: str
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def log(self) -> str:
        return f"the `{self.name}` lines above"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", self.name],
            env=self.env,
            preexec_fn=die_with_parent,
        )

    def observe(self) -> Observation:
        return Observation(self.proc.poll() if self.proc is not None else None)

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGTERM, 20)


class Supervisor:
    """The I/O loop: observe each child, carry out `cli/supervision.py`'s verdicts."""

    def __init__(
        self,
        children: Sequence[Child],
        needs: Mapping[str, Sequence[str]],
        policy: Policy,
        stopping: Callable[[], bool],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.children = {child.name: child for child in children}
        self.needs, self.policy, self.stopping = needs, policy, stopping
        self.clock, self.sleep = clock, sleep
        self.crashes: dict[str, tuple[float, ...]] = {name: () for name in self.children}
        self.probes: dict[str, int] = dict.fromkeys(self.children, 0)
        self.due: dict[str, float] = {}  # stopped children and when to start them again

    def run(self) -> int:
        """0 once asked to stop; 1 when a child keeps crashing."""
        while not self.stopping():
            if not self.tick():
                return 1
            self.sleep(self.policy.tick)
        return 0

    def tick(self) -> bool:
        """One look at every running child, then the restarts that are due; False: give up."""
        for name, child in self.children.items():
            if name in self.due:
                continue
            seen = child.observe()
            self.probes[name] = failed_probes(self.probes[name], seen)
            reason = death(seen, self.probes[name], self.policy)
            if reason is not None and self.stopping():
                return True  # Ctrl-C reaches the worker and the API too: not a crash
            if reason is not None and not self.crashed(name, reason):
                return False
        return self.restart_due()

    def crashed(self, name: str, reason: str) -> bool:
        verdict = after_crash(self.crashes[name], self.clock(), self.policy)
        log = self.children[name].log
        if isinstance(verdict, GiveUp):
            _say(
                f"{name} {reason}; it crashed {verdict.crashes} times within "
                f"{verdict.within:.0f} s, giving up and stopping the stack (see {log})"
            )
            return False
        self.crashes[name] = verdict.crashes
        group = restart_with(name, list(self.children), self.needs)
        others = [each for each in group if each != name]
        with_others = f" with {', '.join(others)}" if others else ""
        _say(f"{name} {reason}; restarting it{with_others} in {verdict.delay:.0f} s (see {log})")
        for each in reversed(group):
            self.children[each].stop()
            self.probes[each] = 0
            self.due[each] = self.clock() + verdict.delay
        return True

    def restart_due(self) -> bool:
        for name, child in self.children.items():  # start order: servers before clients
            if name not in self.due or self.due[name] > self.clock() or self.stopping():
                continue
            if any(dep in self.due for dep in self.needs.get(name, ())):
                continue  # its server is down still: it starts after it
            del self.due[name]
            try:
                child.start()
            except (OSError, RuntimeError, TimeoutError) as exc:
                if not self.crashed(name, f"failed to start: {exc}"):
                    return False
                continue
            _say(f"{name} restarted")
        return True


def _say(message: str) -> None:
    print(f"wayline dev: {message}", file=sys.stderr, flush=True)


def _banner(settings: Settings, data: Path, held: dict[str, str], mail_port: int) -> None:
    api = f"http://{settings.api_host}:{settings.api_port}"
    print(
        "\nWayline dev stack is running (Ctrl-C stops it)\n"
        f"  API          {api}\n"
        f"  API docs     {api}/docs\n"
        f"  Temporal UI  http://127.0.0.1:{settings.temporal_ui_port}\n"
        f"  Metrics      {api}/metrics (Bearer key), worker"
        f" http://{settings.worker_metrics_host}:{settings.worker_metrics_port}/metrics\n"
        f"  Worker       http://{settings.worker_health_host}:{settings.worker_health_port}"
        "/health\n"
        f"  Temporal     127.0.0.1:{settings.temporal_port}"
        f" (namespace {settings.temporal_namespace})\n"
        f"  PostgreSQL   postgresql://postgres@127.0.0.1:{settings.postgres_port}/wayline\n"
        f"  Mail         caught on smtp://127.0.0.1:{mail_port},"
        f" read at {api}/v1/dev/mail\n"
        f"  Data         {data}\n"
        f"\n`wayline publish`, `validate`, `import` and `backtest` find this stack by themselves"
        f" ({data / devfile.NAME}); for other tools:\n"
        + "".join(f"  {line}\n" for line in devfile.exports(held)),
        flush=True,
    )
