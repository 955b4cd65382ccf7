"""Whether a file target may be connected to, decided again at run time (the environment
may have changed since the destination was saved): the SSRF rule of actions (decision 19)
and the secret's host binding. The caller connects to the addresses answered here, so a
DNS answer that changes in between cannot reach an internal host."""

from __future__ import annotations

from activities.http_guard import IPAddress, check_addresses, resolve
from core.connectors import secret_refusal, secret_value


class SinkError(Exception):
    """The target refused (bad configuration, unreachable): retried by Temporal."""


async def checked_addresses(
    host: str, port: int, secret: str, allowed_hosts: frozenset[str]
) -> list[IPAddress]:
    """The host's addresses once the secret may go there and none of them is internal
    (unless the host is one the operator allowed)."""
    refusal = secret_refusal(secret, host)
    if refusal is not None:
        raise SinkError(f"refused: {refusal}")
    addresses = await resolve(host, port)
    if host.lower() not in allowed_hosts:
        check_addresses(host, addresses)
    if not addresses:
        raise SinkError(f"cannot resolve {host}")
    return addresses


def required_secret(name: str) -> str:
    value = secret_value(name)
    if value is None:
        raise SinkError(f"secret {name!r} is not set (WAYLINE_SECRET_{name.upper()})")
    return value
