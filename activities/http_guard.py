"""SSRF guard: custom actions may not reach private, loopback or link-local addresses
unless the host is on the server's allow-list (WAYLINE_ACTION_ALLOWED_HOSTS)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class BlockedDestination(Exception):
    """A URL whose host resolves to an address journeys must not call."""


def _forbidden(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    )


async def check_destination(url: str, allowed_hosts: frozenset[str]) -> None:
    """Resolve the host and refuse if any address is internal; allow-listed hosts pass."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedDestination(f"{url!r} is not an http(s) URL with a host")
    host = parts.hostname.lower()
    if host in allowed_hosts:
        return
    try:
        literal = ipaddress.ip_address(host)
        addresses = [literal]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            raise BlockedDestination(f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    bad = sorted({str(a) for a in addresses if _forbidden(a)})
    if bad:
        raise BlockedDestination(
            f"{host} resolves to internal address {', '.join(bad)}; add the host to "
            "WAYLINE_ACTION_ALLOWED_HOSTS to allow it"
        )
