"""Custom actions and data sources: HTTP endpoints declared once, called from journey nodes.

The specs are stored as JSON and validated by these models in the API and the workers.
Secrets are referenced by name and read from the environment (`WAYLINE_SECRET_<NAME>`),
never stored in the database. Each secret is bound to the hosts it may be sent to
(`WAYLINE_SECRET_<NAME>_HOSTS`, comma-separated, `*.example.com` for subdomains): otherwise
anyone who may define an action could send it to a host of their choosing.
"""

from __future__ import annotations

import os
import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuthSpec(_Spec):
    type: Literal["bearer", "basic"]
    secret: str = Field(
        pattern=r"^[A-Za-z0-9_]{1,64}$",
        description="Secret name; its value is in WAYLINE_SECRET_<NAME> "
        "(for basic: 'user:password').",
    )


class RetrySpec(_Spec):
    max_attempts: int = Field(3, ge=1, le=20)
    initial_interval_seconds: float = Field(1.0, gt=0, le=600)
    backoff: float = Field(2.0, ge=1, le=10)
    max_interval_seconds: float = Field(60.0, gt=0, le=3600)


class HttpSpec(_Spec):
    url: str = Field(
        description="Jinja2 template over `params`, e.g. "
        "https://crm.example.com/users/{{ params.user_id }}"
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Jinja2 templates")
    auth: AuthSpec | None = None
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    retry: RetrySpec = Field(default_factory=RetrySpec)
    response_fields: list[str] | None = Field(
        None, description="Dotted paths of the response kept in vars; all when absent."
    )

    @field_validator("url")
    @classmethod
    def _absolute_http(cls, value: str) -> str:
        probe = re.sub(r"\{\{.*?\}\}", "x", value)
        HttpUrl(probe)  # raises a ValueError naming the problem
        if not probe.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value


class ActionSpec(HttpSpec):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    body: str | None = Field(None, description="Jinja2 template over `params` giving JSON")
    rate_limit: float | None = Field(
        None,
        gt=0,
        le=10_000,
        description="Calls per second across all workers (a Temporal task-queue limit).",
    )


class DataSourceSpec(HttpSpec):
    ttl_seconds: int = Field(300, ge=0, le=86_400, description="How long a response is reused")


def secret_value(name: str) -> str | None:
    return os.environ.get(f"WAYLINE_SECRET_{name.upper()}")


def secret_hosts(name: str) -> tuple[str, ...]:
    """The hosts a secret may be sent to; none declared means none at all."""
    raw = os.environ.get(f"WAYLINE_SECRET_{name.upper()}_HOSTS", "")
    return tuple(h.strip().lower() for h in raw.split(",") if h.strip())


def host_matches(host: str, pattern: str) -> bool:
    """`api.crm.example` matches itself; `*.crm.example` matches its subdomains, not itself."""
    host = host.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def secret_refusal(name: str, host: str | None) -> str | None:
    """Why secret `name` may not be sent to `host`, or None when it may."""
    hosts = secret_hosts(name)
    env = f"WAYLINE_SECRET_{name.upper()}_HOSTS"
    if host is None:
        return f"secret {name!r} needs a literal host in url, not a template"
    if not hosts:
        return f"secret {name!r} may not be sent to {host}: it declares no hosts ({env})"
    if any(host_matches(host, p) for p in hosts):
        return None
    return f"secret {name!r} may not be sent to {host}: its hosts ({env}) are {', '.join(hosts)}"


def url_host(url: str) -> str | None:
    """The host of a URL template, or None when its authority (user, host, port) is templated."""
    parts = urlsplit(url)
    if parts.hostname is None or "{" in parts.netloc or "%" in parts.netloc:
        return None
    return parts.hostname


def action_task_queue(base: str, action: str) -> str:
    """A rate-limited action gets a queue of its own so its limit holds across workers."""
    return f"{base}.action.{action}"
