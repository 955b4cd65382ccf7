"""The SSRF guard of actions: which addresses it refuses, and that it connects to the very
address it checked (one lookup, so a rebinding DNS answer cannot reach an internal host).

No test sends traffic to a non-loopback address: the decision is checked directly, and the
connection tests use a stub resolver, a loopback server and a backend that refuses to open
any other connection."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
import pytest

from activities.http_guard import (
    BlockedDestination,
    GuardedClient,
    IPAddress,
    SocketOption,
    check_addresses,
    forbidden,
)
from tests.integration.provider import FakeProvider

REFUSED = [
    "100.64.0.1",  # carrier-grade NAT
    "100.100.100.200",  # a cloud metadata address inside it
    "::ffff:100.100.100.200",  # the same, IPv4-mapped
    "2002:6464:64c8::1",  # the same, 6to4
    "2002:7f00:1::1",  # loopback, 6to4
    "127.0.0.1",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "fe80::1",
    "fc00::1",
    "0.0.0.0",
    "::",
    "224.0.1.1",  # multicast, though is_global says yes
    "ff0e::1",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.10",  # documentation
    "198.18.0.1",  # benchmarking
    "2001:db8::1",
    "64:ff9b::7f00:1",  # NAT64 of loopback
]
ALLOWED = ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"]


@pytest.mark.parametrize("address", REFUSED)
def test_every_address_that_is_not_global_is_refused(address: str) -> None:
    assert forbidden(ipaddress.ip_address(address))
    with pytest.raises(BlockedDestination, match="internal address"):
        check_addresses("api.example.com", [ipaddress.ip_address("8.8.8.8"), ip(address)])


@pytest.mark.parametrize("address", ALLOWED)
def test_global_addresses_pass(address: str) -> None:
    assert not forbidden(ip(address))
    check_addresses("api.example.com", [ip(address)])


def ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


class Resolver:
    """Answers a scripted sequence, the last answer again once the script is used up."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = [[ip(a) for a in answer] for answer in answers]
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


class LoopbackOnly(httpcore.AnyIOBackend):
    """Records where the guard connects; opens loopback connections only."""

    def __init__(self) -> None:
        self.connected: list[str] = []
        self.server_names: list[str | None] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append(host)
        if not ip(host).is_loopback:
            raise httpcore.ConnectError(f"the test opens no connection to {host}")
        stream = await super().connect_tcp(host, port, timeout, local_address, socket_options)
        return _RecordTls(stream, self.server_names)


class _RecordTls(httpcore.AsyncNetworkStream):
    """A plain stream that notes the TLS server name it is asked for, then fails."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, names: list[str | None]) -> None:
        self.inner, self.names = inner, names

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self.inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self.inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        self.names.append(server_hostname)
        raise httpcore.ConnectError("the loopback provider speaks no TLS")

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


def port_of(provider: FakeProvider) -> int:
    return int(provider.server.server_address[1])


async def test_a_rebinding_answer_never_reaches_the_internal_host() -> None:
    """The first answer is checked and connected to; the second (loopback) is never asked."""
    resolver, backend = Resolver(["8.8.8.8"], ["127.0.0.1"]), LoopbackOnly()
    with FakeProvider() as provider:
        async with GuardedClient(resolver=resolver, backend=backend) as http:
            with pytest.raises(httpx.ConnectError):
                await http.get(f"http://rebind.example:{port_of(provider)}/hook")
    assert resolver.asked == ["rebind.example"], "one lookup, the one that was checked"
    assert backend.connected == ["8.8.8.8"]
    assert provider.requests == []


async def test_a_name_for_an_internal_address_is_refused_at_connect() -> None:
    resolver, backend = Resolver(["8.8.8.8", "127.0.0.1"]), LoopbackOnly()
    with FakeProvider() as provider:
        async with GuardedClient(resolver=resolver, backend=backend) as http:
            with pytest.raises(BlockedDestination, match=r"internal address 127\.0\.0\.1"):
                await http.get(f"http://internal.example:{port_of(provider)}/hook")
    assert backend.connected == [] and provider.requests == []


async def test_an_allowed_host_keeps_its_name_on_the_checked_address() -> None:
    """Allow-listed: connected to the resolved address, the URL's host as Host and SNI."""
    resolver, backend = Resolver(["127.0.0.1"]), LoopbackOnly()
    with FakeProvider() as provider:
        port = port_of(provider)
        allowed = frozenset({"svc.example"})
        async with GuardedClient(allowed, resolver=resolver, backend=backend) as http:
            first = await http.post(f"http://SVC.example:{port}/hook", json={"n": 1})
            second = await http.post(f"http://svc.example:{port}/hook", json={"n": 2})
            with pytest.raises(httpx.ConnectError):
                await http.get(f"https://svc.example:{port}/hook")
    assert first.status_code == second.status_code == 200
    assert [h["Host"] for h in provider.headers] == [f"svc.example:{port}"] * 2
    # One lookup per connection (the provider closes each after its answer).
    assert resolver.asked == ["svc.example"] * 3
    assert backend.connected == ["127.0.0.1"] * 3
    assert backend.server_names == ["svc.example"]


async def test_the_next_checked_address_is_tried_when_one_does_not_answer() -> None:
    resolver, backend = Resolver(["127.0.0.3", "127.0.0.1"]), LoopbackOnly()
    with FakeProvider() as provider:
        allowed = frozenset({"svc.example"})
        async with GuardedClient(allowed, resolver=resolver, backend=backend) as http:
            resp = await http.post(f"http://svc.example:{port_of(provider)}/hook", json={})
    assert resp.status_code == 200 and backend.connected == ["127.0.0.3", "127.0.0.1"]
