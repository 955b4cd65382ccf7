"""The benchmarks' processes: embedded servers and children, started in a temporary folder
and stopped in reverse order, with waits that fail at once when a child has exited."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.cpu import busy_seconds, cpu_seconds
from core.converter import data_converter
from core.settings import Settings
from workers.embedded import (
    EmbeddedPostgres,
    EmbeddedTemporal,
    die_with_parent,
    free_port,
    port_open,
)

ROOT = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


@dataclass
class BenchTemporal(EmbeddedTemporal):
    """The embedded dev server, with the SQLite pragmas and dynamic config replaceable."""

    pragmas: list[str] | None = None
    dynamic_config: list[str] = field(default_factory=list)

    def command(self) -> list[str]:
        args = super().command()
        if self.pragmas is not None:
            kept: list[str] = []
            skip = False
            for arg in args:
                if skip:
                    skip = False
                elif arg == "--sqlite-pragma":
                    skip = True
                else:
                    kept.append(arg)
            args = kept + [a for p in self.pragmas for a in ("--sqlite-pragma", p)]
        return args + [a for kv in self.dynamic_config for a in ("--dynamic-config-value", kv)]


@dataclass
class Stack:
    """Everything the benchmark starts, stopped in reverse order by `stop()`."""

    root: Path
    keep: bool
    pg: EmbeddedPostgres | None = None
    temporal: BenchTemporal | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, name: str, module: str, args: Sequence[str], env: dict[str, str]) -> None:
        logfile = self.root / f"{name}.log"
        with open(logfile, "ab") as out:
            # Own session: a Ctrl-C reaches only the benchmark, which stops children in order.
            # PDEATHSIG: a benchmark killed with SIGKILL takes them along.
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", module, *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each part; `bench` is this process (load generator)."""
        roots = {name: proc.pid for name, proc in self.procs.items()}
        for name, server in (("temporal", self.temporal), ("postgres", self.pg)):
            if server is not None and server.proc is not None:
                roots[name] = server.proc.pid
        used = cpu_seconds(roots)
        times = os.times()
        used["bench"] = times.user + times.system
        used["other"] = busy_seconds() - sum(used.values())  # other processes, the kernel
        return used

    def cpu_since(self, before: dict[str, float]) -> dict[str, float]:
        """CPU seconds each part used since `before` (an earlier `cpu()`)."""
        return {k: v - before.get(k, 0.0) for k, v in self.cpu().items()}

    def check(self, prefix: str) -> None:
        """Raise if a process whose name starts with `prefix` has exited."""
        for name, proc in self.procs.items():
            if name.startswith(prefix) and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def spawn_many(
        self, name: str, count: int, module: str, args: Sequence[str], env: dict[str, str]
    ) -> list[str]:
        names = [name if i == 0 else f"{name}-{i + 1}" for i in range(count)]
        for each in names:
            self.spawn(each, module, args, env)
        return names

    def tail(self, name: str, lines: int = 40) -> str:
        try:
            text = (self.root / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_proc(self, name: str, timeout: float = 30.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def stop(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop_proc(name)
        if self.temporal is not None:
            self.temporal.stop()
        if self.pg is not None:
            self.pg.stop()
        if self.keep:
            log(f"data kept in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


async def wait_until(
    what: str,
    check: Callable[[], Awaitable[bool]],
    within: float,
    interval: float = 0.5,
    alive: Callable[[], None] | None = None,
) -> None:
    deadline = time.monotonic() + within
    while True:
        if alive is not None:
            alive()
        if await check():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done within {within:.0f} s")
        await asyncio.sleep(interval)


async def wait_listening(stack: Stack, name: str, port: int, within: float = 30.0) -> None:
    """Until the process `name` accepts connections on `port`; fails at once if it exited."""

    async def listening() -> bool:
        return port_open("127.0.0.1", port)

    await wait_until(
        f"{name} on port {port}", listening, within, interval=0.1, alive=lambda: stack.check(name)
    )


async def has_pollers(client: Client, task_queue: str) -> bool:
    resp = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len(resp.pollers) > 0


@dataclass
class Launched:
    """What a benchmark's children and its own clients need to reach the started stack."""

    env: dict[str, str]
    settings: Settings
    key: str
    api_url: str
    client: Client


async def launch(
    stack: Stack,
    *,
    pg_durable: bool = True,
    pragmas: list[str] | None = None,
    dynamic_config: Sequence[str] = (),
    bytecode: bool = True,
) -> Launched:
    """PostgreSQL (migrated) and the Temporal dev server in the stack's folder, then the API.

    With `bytecode` the children get a bytecode cache in the data folder: the sandbox imports
    the workflow module afresh for every workflow run and, without one, compiles the source
    each time (see bench/README.md); deployments have .pyc files.
    """
    from db.migrate import migrate_url

    pg = stack.pg = EmbeddedPostgres(stack.root / "postgres", free_port(), durable=pg_durable)
    temporal = stack.temporal = BenchTemporal(
        stack.root / "temporal", free_port(), pragmas=pragmas, dynamic_config=list(dynamic_config)
    )
    pg.start()
    temporal.start()
    log(f"temporal: {' '.join(temporal.command()[1:])}")
    await migrate_url(pg.url, create=True)
    key = f"wl_bench_{secrets.token_hex(16)}"
    api_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": pg.url,
        "TEMPORAL_ADDRESS": temporal.address,
        "WAYLINE_API_PORT": str(api_port),
        "WAYLINE_API_URL": f"http://127.0.0.1:{api_port}",
        "WAYLINE_BOOTSTRAP_KEY": key,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(stack.root / "pycache")
    settings = Settings(DATABASE_URL=pg.url, TEMPORAL_ADDRESS=temporal.address)
    client = await Client.connect(temporal.address, data_converter=data_converter)
    stack.spawn("api", "cli.main", ["api"], env)
    return Launched(env, settings, key, f"http://127.0.0.1:{api_port}", client)


async def wait_api(http: httpx.AsyncClient, stack: Stack) -> None:
    """Until the API's /health answers 200; fails at once if the API exited."""

    async def api_up() -> bool:
        try:
            return (await http.get("/health")).status_code == 200
        except httpx.TransportError:
            return False

    await wait_until("API /health", api_up, 60, alive=lambda: stack.check("api"))


def run_in_stack(
    prefix: str, keep: bool, body: Callable[[Stack], Coroutine[Any, Any, None]]
) -> int:
    """Run `body` with a Stack in a fresh temporary folder; stop everything at the end.

    A failure is logged with the last lines of every child's log, and the exit code is 1."""
    stack = Stack(Path(tempfile.mkdtemp(prefix=prefix)), keep=keep)
    try:
        asyncio.run(body(stack))
    except Exception as exc:
        log(f"failed: {type(exc).__name__}: {exc}")
        for name in stack.procs:
            log(f"--- {name} log (last lines):\n{stack.tail(name)}")
        return 1
    finally:
        stack.stop()
    return 0
