"""SSRF guard for custom actions and data sources: only globally routable addresses, unless
the host is on the server's allow-list (WAYLINE_ACTION_ALLOWED_HOSTS).

The rule is an allow-list of address kinds, not a block-list: an address must be global
(`ipaddress.is_global`: no private, loopback, link-local, carrier-grade NAT `100.64.0.0/10`
such as the cloud metadata address `100.100.100.200`, documentation or benchmark ranges)
and also not multicast, reserved or unspecified. An IPv4 address inside IPv6 (mapped
`::ffff:a.b.c.d`, 6to4 `2002::/16`) is judged by the IPv4 address it carries.

The check happens where the connection is opened: `GuardedClient`'s network backend
resolves the host once, checks every answer and connects to a checked address, while the
URL's host stays the `Host` header and the TLS server name (certificate checked against
it). A DNS answer that changes between check and connect (rebinding) therefore never
reaches an internal host: there is no second lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class BlockedDestination(Exception):
    """A URL whose host resolves to an address journeys must not call."""


def forbidden(addr: IPAddress) -> bool:
    """True for every address that is not globally routable (and the extras above)."""
    if isinstance(addr, ipaddress.IPv6Address):
        carried = addr.ipv4_mapped or addr.sixtofour
        if carried is not None:
            return forbidden(carried)
    return not addr.is_global or addr.is_multicast or addr.is_reserved or addr.is_unspecified


def check_url(url: str) -> None:
    """Only http(s) URLs with a host go out (the address is checked at connect)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedDestination(f"{url!r} is not an http(s) URL with a host")


def check_addresses(host: str, addresses: Iterable[IPAddress]) -> None:
    """Refuse the host if any of its addresses is internal."""
    bad = sorted({str(a) for a in addresses if forbidden(a)})
    if bad:
        raise BlockedDestination(
            f"{host} resolves to internal address {', '.join(bad)}; add the host to "
            "WAYLINE_ACTION_ALLOWED_HOSTS to allow it"
        )


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The host's addresses (a literal address is its own answer)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise BlockedDestination(f"cannot resolve {host}: {exc}") from exc
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves once, checks, and connects to the checked address itself."""

    def __init__(
        self,
        allowed_hosts: frozenset[str],
        resolver: Resolver = resolve,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allowed_hosts = allowed_hosts
        self.resolver = resolver
        self.backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.resolver(host, port)
        if host.lower() not in self.allowed_hosts:
            check_addresses(host, addresses)
        if not addresses:
            raise BlockedDestination(f"cannot resolve {host}: no address")
        for addr in addresses[:-1]:  # the first that answers, in DNS order
            with contextlib.suppress(httpcore.ConnectError, httpcore.ConnectTimeout):
                return await self._connect(addr, port, timeout, local_address, socket_options)
        return await self._connect(addresses[-1], port, timeout, local_address, socket_options)

    async def _connect(
        self,
        addr: IPAddress,
        port: int,
        timeout: float | None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None,
        socket_options: Iterable[SocketOption] | None,
    ) -> httpcore.AsyncNetworkStream:
        return await self.backend.connect_tcp(
            str(addr), port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedDestination("actions do not call Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class GuardedClient(httpx.AsyncClient):
    """The HTTP client of actions and data sources: every connection passes the guard.

    It ignores the proxy variables of the environment (`trust_env=False`): through a proxy
    the guard would check the proxy, not the destination.
    """

    def __init__(
        self,
        allowed_hosts: frozenset[str] = frozenset(),
        *,
        resolver: Resolver = resolve,
        backend: httpcore.AsyncNetworkBackend | None = None,
        **kwargs: Any,
    ) -> None:
        guard = GuardedBackend(allowed_hosts, resolver, backend)
        super().__init__(transport=_GuardedTransport(guard), trust_env=False, **kwargs)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on a connection pool with the guarded network backend (httpx takes
    no backend argument, so the pool it built is replaced by one that has it)."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        super().__init__(trust_env=False)
        limits = httpx.Limits()  # httpx's defaults
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )
