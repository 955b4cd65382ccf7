"""A file export to S3-compatible object storage (aiobotocore): one object per file.

The bytes go up as a multipart upload of 8 MiB parts (S3's parts are at least 5 MiB but the
last), so memory stays flat whatever the file's size, and the object appears only when the
upload completes: a reader never sees half a file, and a retried run overwrites its own
key. A file smaller than one part is a single PUT. An aborted upload is aborted on the
server too, so no invisible parts are left to bill.

The connection goes to the addresses the guard checked (a resolver pinned to them), the
TLS certificate still being checked against the endpoint's name.
"""

from __future__ import annotations

import socket
from contextlib import AsyncExitStack
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from aiohttp.abc import AbstractResolver, ResolveResult
from botocore.exceptions import BotoCoreError, ClientError

from activities.destinations.target_guard import SinkError, checked_addresses, required_secret
from activities.http_guard import IPAddress
from core.destinations import S3Target

PART_BYTES = 8 << 20


class PinnedResolver(AbstractResolver):
    """Answers the guard's addresses for the one host a client talks to."""

    def __init__(self, addresses: list[IPAddress]) -> None:
        self._addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host=str(a),
                port=port,
                family=socket.AF_INET6 if a.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for a in self._addresses
        ]

    async def close(self) -> None:
        return None


def credentials(target: S3Target) -> tuple[str, str]:
    """`ACCESS_KEY_ID:SECRET_ACCESS_KEY` (neither contains a colon)."""
    access, sep, secret = required_secret(target.secret).partition(":")
    if not sep or not access or not secret:
        raise SinkError(f"secret {target.secret!r} must be ACCESS_KEY_ID:SECRET_ACCESS_KEY")
    return access, secret


class S3Sink:
    def __init__(self, client: Any, stack: AsyncExitStack, target: S3Target, key: str) -> None:
        self._client, self._stack = client, stack
        self._bucket, self._key = target.bucket, key
        self._buffer = bytearray()
        self._upload: str | None = None
        self._parts: list[dict[str, Any]] = []
        self.location = f"s3://{target.bucket}/{key}"

    @classmethod
    async def open(cls, target: S3Target, filename: str, allowed_hosts: frozenset[str]) -> S3Sink:
        addresses = await checked_addresses(
            target.host(), target.port(), target.secret, allowed_hosts
        )
        access, secret = credentials(target)
        config = AioConfig(
            connector_args={"resolver": PinnedResolver(addresses)},
            s3={"addressing_style": target.addressing},
            retries={"max_attempts": 3, "mode": "standard"},
        )
        stack = AsyncExitStack()
        client = await stack.enter_async_context(
            get_session().create_client(
                "s3",
                endpoint_url=target.endpoint,
                region_name=target.region,
                aws_access_key_id=access,
                aws_secret_access_key=secret,
                config=config,
            )
        )
        return cls(client, stack, target, target.key(filename))

    async def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= PART_BYTES:
            await self._send_part(bytes(self._buffer[:PART_BYTES]))
            del self._buffer[:PART_BYTES]

    async def commit(self) -> None:
        try:
            if self._upload is None:
                await self._call("put_object", Body=bytes(self._buffer))
            else:
                if self._buffer:
                    await self._send_part(bytes(self._buffer))
                await self._call(
                    "complete_multipart_upload",
                    UploadId=self._upload,
                    MultipartUpload={"Parts": self._parts},
                )
        finally:
            await self._stack.aclose()

    async def abort(self) -> None:
        try:
            if self._upload is not None:
                await self._call("abort_multipart_upload", UploadId=self._upload)
        except SinkError:
            pass  # the bucket's lifecycle rule is the last resort for parts left behind
        finally:
            await self._stack.aclose()

    async def _send_part(self, body: bytes) -> None:
        if self._upload is None:
            self._upload = (await self._call("create_multipart_upload"))["UploadId"]
        number = len(self._parts) + 1
        answer = await self._call(
            "upload_part", UploadId=self._upload, PartNumber=number, Body=body
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    async def _call(self, operation: str, **args: Any) -> dict[str, Any]:
        """One S3 call on this sink's object; its refusal as a SinkError naming the call."""
        try:
            answer: dict[str, Any] = await getattr(self._client, operation)(
                Bucket=self._bucket, Key=self._key, **args
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise SinkError(
                f"s3 {operation}: {error.get('Code', '?')}: {error.get('Message', '')}"
            ) from exc
        except BotoCoreError as exc:
            raise SinkError(f"s3 {operation}: {exc}") from exc
        return answer
