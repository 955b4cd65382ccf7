"""The SSRF guard's decisions for destinations, checked directly: nothing connects out."""

from __future__ import annotations

import ipaddress
import re

import pytest

from activities.destinations.delivery import Blocked, post_batch
from activities.destinations.sinks import SinkError, _guard
from activities.http_guard import BlockedDestination, GuardedClient, check_addresses
from core.destinations import HttpTarget, SftpTarget

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def sftp(host: str) -> SftpTarget:
    return SftpTarget(type="sftp", host=host, username="u", secret="SFTP_T", host_key=KEY)


def test_internal_addresses_are_refused_public_ones_pass() -> None:
    for internal in ("10.0.0.1", "127.0.0.1", "169.254.169.254", "100.100.100.200", "::1"):
        with pytest.raises(BlockedDestination, match="internal address"):
            check_addresses("h.example", [ipaddress.ip_address(internal)])
    check_addresses("h.example", [ipaddress.ip_address("93.184.215.14")])


async def test_sftp_to_an_internal_address_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WAYLINE_SECRET_SFTP_T", "pw")
    monkeypatch.setenv("WAYLINE_SECRET_SFTP_T_HOSTS", "10.1.2.3,127.0.0.1")
    with pytest.raises(
        BlockedDestination, match=re.escape("10.1.2.3 resolves to internal address")
    ):
        await _guard(sftp("10.1.2.3"), frozenset())
    assert await _guard(sftp("127.0.0.1"), frozenset({"127.0.0.1"})) == "127.0.0.1"


async def test_sftp_secret_must_be_bound_to_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAYLINE_SECRET_SFTP_T", "pw")
    monkeypatch.setenv("WAYLINE_SECRET_SFTP_T_HOSTS", "files.example.com")
    with pytest.raises(SinkError, match=re.escape("may not be sent to 93.184.215.14")):
        await _guard(sftp("93.184.215.14"), frozenset())


async def test_stream_to_the_metadata_address_is_blocked_not_sent() -> None:
    target = HttpTarget(url="http://169.254.169.254/latest/meta-data")
    async with GuardedClient() as http:
        with pytest.raises(
            Blocked, match=re.escape("169.254.169.254 resolves to internal address")
        ):
            await post_batch(http, target, "k", {"changes": []})
