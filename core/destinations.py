"""Destinations: where an audience is exported, declared once as a resource (issue 17.7).

Three kinds share one spec: `stream_http` (audience entered/exited changes in signed
batches), `file` (a CSV or NDJSON file, gzip, full or incremental, to a local directory
under WAYLINE_EXPORT_DIR, to SFTP or to S3-compatible object storage) and `ad_audience`
(normalised, SHA-256-hashed emails and phones in the customer-list shape advertising
platforms take). Every kind names the
audience it exports and the consent purpose a profile must have agreed to; secrets are
named, read from the environment (`WAYLINE_SECRET_<NAME>`) and never stored or echoed.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from core.connectors import AuthSpec, RetrySpec, url_host
from core.destination_contracts import DestinationRoute
from core.names import destination_task_queue

FIELD_PATTERN = (
    r"^(profile_id|email|phone|timezone|attributes(\.[A-Za-z0-9_-]{1,64}){1,8}"
    r"|entities\.[a-z][a-z0-9_]{0,47})$"
)
IDENTIFIERS = ("profile_id", "email", "phone", "timezone")
SECRET_NAME = r"^[A-Za-z0-9_]{1,64}$"
AD_IDENTIFIERS: tuple[Literal["email", "phone"], ...] = ("email", "phone")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HttpTarget(_Spec):
    url: str = Field(description="The endpoint batches are POSTed to (http or https).")
    signing_secret: str | None = Field(
        None,
        pattern=SECRET_NAME,
        description="Secret name: its value signs each body (`Wayline-Signature`).",
    )
    auth: AuthSpec | None = None
    timeout_seconds: float = Field(10.0, gt=0, le=120)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        """A literal URL (no template: a batch has no params), parsed as pydantic parses
        URLs, so a malformed authority is a 422 here, never an error later."""
        if not re.match(r"^https?://[^/\s{}]+", value):
            raise ValueError("must be an http(s) URL with a host")
        HttpUrl(value)  # raises a ValueError naming the problem
        if url_host(value) is None:
            raise ValueError("must name its host literally")
        return value


class LocalTarget(_Spec):
    type: Literal["local"]
    directory: str = Field(
        "", max_length=300, description="Under the worker's WAYLINE_EXPORT_DIR; no `..`."
    )

    @field_validator("directory")
    @classmethod
    def _relative(cls, value: str) -> str:
        parts = [p for p in value.split("/") if p]
        if value.startswith("/") or any(p in (".", "..") for p in parts):
            raise ValueError("must be a relative path without '.' or '..'")
        return "/".join(parts)


class SftpTarget(_Spec):
    type: Literal["sftp"]
    host: str = Field(min_length=1, max_length=253)
    port: int = Field(22, ge=1, le=65535)
    username: str = Field(min_length=1, max_length=64)
    directory: str = Field(".", max_length=300)
    secret: str = Field(
        pattern=SECRET_NAME, description="Secret name: the password, or a private key (PEM)."
    )
    host_key: str = Field(
        min_length=16,
        description="The server's public host key (`ssh-ed25519 AAAA…`): the connection "
        "is refused if the server shows another.",
    )


class S3Target(_Spec):
    """Any S3-compatible store (AWS S3, MinIO, Ceph, SeaweedFS, R2...): one object per file,
    written as a multipart upload that appears only once complete."""

    type: Literal["s3"]
    endpoint: str = Field(
        description="The service's URL, e.g. `https://s3.eu-west-3.amazonaws.com`.",
    )
    region: str = Field("us-east-1", pattern=r"^[a-z0-9-]{1,32}$")
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    prefix: str = Field("", max_length=300, description="Key prefix (a folder); no `..`.")
    addressing: Literal["path", "virtual"] = Field(
        "path", description="`path` (`endpoint/bucket/key`) or `virtual` (`bucket.endpoint`)."
    )
    secret: str = Field(
        pattern=SECRET_NAME,
        description="Secret name: its value is `ACCESS_KEY_ID:SECRET_ACCESS_KEY`.",
    )

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s{}]+/?$", value):
            raise ValueError("must be an http(s) URL with a host and no path")
        HttpUrl(value)
        if url_host(value) is None:
            raise ValueError("must name its host literally")
        return value.rstrip("/")

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        parts = [p for p in value.split("/") if p]
        if any(p in (".", "..") for p in parts):
            raise ValueError("must not contain '.' or '..' segments")
        return "/".join(parts)

    def host(self) -> str:
        """The host connected to: the bucket's own name under virtual addressing."""
        host = url_host(self.endpoint) or ""
        return f"{self.bucket}.{host}" if self.addressing == "virtual" else host

    def port(self) -> int:
        return urlsplit(self.endpoint).port or (443 if self.endpoint.startswith("https") else 80)

    def key(self, filename: str) -> str:
        return f"{self.prefix}/{filename}" if self.prefix else filename


class FileSpec(_Spec):
    format: Literal["csv", "ndjson"] = "csv"
    gzip: bool = True
    mode: Literal["full", "incremental"] = "full"
    target: Annotated[LocalTarget | SftpTarget | S3Target, Field(discriminator="type")]


class DestinationSpec(_Spec):
    kind: Literal["stream_http", "file", "ad_audience"]
    audience: str = Field(min_length=1, max_length=200, description="The audience exported.")
    purpose: str = Field(
        pattern=r"^[a-z][a-z0-9_-]{0,63}$",
        description="Consent purpose: only profiles subscribed to channel `purpose`, this "
        "topic, are exported.",
    )
    fields: list[Annotated[str, Field(pattern=FIELD_PATTERN)]] = Field(
        default_factory=lambda: ["profile_id", "email"],
        min_length=1,
        max_length=100,
        description="profile_id, email, phone, timezone, attributes.<path> or "
        "entities.<type> (the profile's records of that type, as a JSON array)",
    )
    rate_limit: float | None = Field(
        None, gt=0, le=10_000, description="Requests (batches, files) per second across workers."
    )
    retry: RetrySpec = Field(default_factory=RetrySpec)
    batch_size: int = Field(500, ge=1, le=10_000)
    every: str | None = Field(
        None, description="ISO 8601 duration: a file or advertising upload runs this often."
    )
    http: HttpTarget | None = None
    file: FileSpec | None = None
    identifiers: list[Literal["email", "phone"]] = Field(
        default_factory=lambda: list(AD_IDENTIFIERS), min_length=1, max_length=2
    )


def entity_types(fields: list[str]) -> list[str]:
    """The entity types among the fields, in order (`entities.booking` → `booking`)."""
    return [f.removeprefix("entities.") for f in fields if f.startswith("entities.")]


def attribute_paths(fields: list[str]) -> list[str]:
    """The dotted attribute paths among the fields, in order (`attributes.plan` → `plan`)."""
    return [f.removeprefix("attributes.") for f in fields if f.startswith("attributes.")]


def route_of(name: str, spec: DestinationSpec, base_queue: str) -> DestinationRoute:
    """The queue and retries a destination's activities run with."""
    timeout = spec.http.timeout_seconds if spec.http is not None else 60.0
    return DestinationRoute(
        task_queue=destination_task_queue(base_queue, name),
        max_attempts=spec.retry.max_attempts,
        initial_interval_seconds=spec.retry.initial_interval_seconds,
        backoff=spec.retry.backoff,
        max_interval_seconds=spec.retry.max_interval_seconds,
        timeout_seconds=timeout,
    )
