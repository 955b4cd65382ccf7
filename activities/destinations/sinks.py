"""Where a file export's bytes go: a local directory (under WAYLINE_EXPORT_DIR), an SFTP
server (asyncssh) or S3-compatible object storage (s3.py). The first two write to
`<file>.part` and rename when complete, S3 completes a multipart upload, so a reader never
takes a half-written file for a whole one, and a retried run overwrites its own file."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Protocol

import asyncssh

from activities.destinations.s3 import S3Sink
from activities.destinations.target_guard import SinkError, checked_addresses, required_secret
from core.destinations import LocalTarget, S3Target, SftpTarget

__all__ = ["LocalSink", "S3Sink", "SftpSink", "Sink", "SinkError", "open_sink"]


class Sink(Protocol):
    location: str

    async def write(self, data: bytes) -> None: ...
    async def commit(self) -> None: ...
    async def abort(self) -> None: ...


class LocalSink:
    def __init__(self, root: Path | None, target: LocalTarget, filename: str) -> None:
        if root is None:
            raise SinkError("local file destinations need WAYLINE_EXPORT_DIR on the worker")
        folder = root / target.directory
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / filename
        self.location = str(self.path)
        self._part = self.path.with_name(filename + ".part")
        self._file = self._part.open("wb")

    async def write(self, data: bytes) -> None:
        self._file.write(data)

    async def commit(self) -> None:
        self._file.close()
        os.replace(self._part, self.path)

    async def abort(self) -> None:
        self._file.close()
        self._part.unlink(missing_ok=True)


class SftpSink:
    """One SSH connection per file; the server must show the pinned host key."""

    def __init__(
        self,
        conn: asyncssh.SSHClientConnection,
        sftp: asyncssh.SFTPClient,
        remote: asyncssh.SFTPClientFile,
        path: str,
        location: str,
    ) -> None:
        self._conn, self._sftp, self._remote = conn, sftp, remote
        self._path = path
        self.location = location

    @classmethod
    async def open(
        cls, target: SftpTarget, filename: str, allowed_hosts: frozenset[str]
    ) -> SftpSink:
        address = await _guard(target, allowed_hosts)
        conn = await asyncssh.connect(
            address,
            target.port,
            username=target.username,
            known_hosts=_known_hosts(target, address),
            **_credentials(target),
        )
        try:
            sftp = await conn.start_sftp_client()
            path = f"{target.directory.rstrip('/')}/{filename}"
            remote = await sftp.open(path + ".part", "wb")
        except (asyncssh.Error, OSError):
            conn.close()
            raise
        location = f"sftp://{target.username}@{target.host}:{target.port}/{path.lstrip('/')}"
        return cls(conn, sftp, remote, path, location)

    async def write(self, data: bytes) -> None:
        await self._remote.write(data)

    async def commit(self) -> None:
        await self._remote.close()
        await self._sftp.posix_rename(self._path + ".part", self._path)
        self._close()

    async def abort(self) -> None:
        try:
            await self._remote.close()
        finally:
            self._close()

    def _close(self) -> None:
        self._sftp.exit()
        self._conn.close()


async def _guard(target: SftpTarget, allowed_hosts: frozenset[str]) -> str:
    """The checked address to connect to (target_guard.py says why it is checked here)."""
    addresses = await checked_addresses(target.host, target.port, target.secret, allowed_hosts)
    return str(addresses[0])


def _known_hosts(target: SftpTarget, address: str) -> asyncssh.SSHKnownHosts:
    """Only the pinned key is accepted, for the name and for the address connected to."""
    key = asyncssh.import_public_key(target.host_key).export_public_key().decode().strip()
    names = ",".join(dict.fromkeys([target.host, address]))
    if target.port != 22:
        names = ",".join(f"[{n}]:{target.port}" for n in dict.fromkeys([target.host, address]))
    return asyncssh.import_known_hosts(f"{names} {key}\n")


def _credentials(target: SftpTarget) -> dict[str, object]:
    value = required_secret(target.secret)
    if "PRIVATE KEY" in value:
        return {"client_keys": [asyncssh.import_private_key(value)], "password": None}
    return {"password": value, "client_keys": None}


async def open_sink(
    target: LocalTarget | SftpTarget | S3Target,
    filename: str,
    export_dir: Path | None,
    allowed_hosts: frozenset[str],
) -> Sink:
    if isinstance(target, LocalTarget):
        return await asyncio.to_thread(LocalSink, export_dir, target, filename)
    if isinstance(target, S3Target):
        return await S3Sink.open(target, filename, allowed_hosts)
    return await SftpSink.open(target, filename, allowed_hosts)
