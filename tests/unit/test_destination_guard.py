"""The SSRF guard's decisions for destinations, checked directly: nothing connects out."""

from __future__ import annotations

import ipaddress
import re

import pytest

from activities.destinations.delivery import Blocked, post_batch
from activities.destinations.s3 import PinnedResolver, S3Sink, credentials
from activities.destinations.sinks import SinkError, _guard
from activities.http_guard import BlockedDestination, GuardedClient, check_addresses
from core.destinations import HttpTarget, S3Target, SftpTarget

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


def s3(endpoint: str, addressing: str = "path") -> S3Target:
    return S3Target.model_validate(
        {
            "type": "s3",
            "endpoint": endpoint,
            "bucket": "exports",
            "addressing": addressing,
            "secret": "S3_T",
        }
    )


async def test_s3_to_an_internal_address_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WAYLINE_SECRET_S3_T", "AKIA:secret")
    monkeypatch.setenv("WAYLINE_SECRET_S3_T_HOSTS", "169.254.169.254")
    with pytest.raises(BlockedDestination, match=re.escape("169.254.169.254 resolves to")):
        await S3Sink.open(s3("http://169.254.169.254"), "f.csv", frozenset())


async def test_s3_secret_is_bound_to_the_host_connected_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under virtual addressing the bucket's own host is the one the secret goes to."""
    monkeypatch.setenv("WAYLINE_SECRET_S3_T", "AKIA:secret")
    monkeypatch.setenv("WAYLINE_SECRET_S3_T_HOSTS", "s3.example.com")
    target = s3("https://s3.example.com", addressing="virtual")
    assert (target.host(), target.port()) == ("exports.s3.example.com", 443)
    with pytest.raises(SinkError, match=re.escape("may not be sent to exports.s3.example.com")):
        await S3Sink.open(target, "f.csv", frozenset())


def test_s3_credentials_are_an_access_key_and_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAYLINE_SECRET_S3_T", "AKIAEXAMPLE:wJalr/K7MDENG+bPxRfi")
    assert credentials(s3("https://s3.example.com")) == ("AKIAEXAMPLE", "wJalr/K7MDENG+bPxRfi")
    monkeypatch.setenv("WAYLINE_SECRET_S3_T", "no-colon")
    with pytest.raises(SinkError, match="must be ACCESS_KEY_ID:SECRET_ACCESS_KEY"):
        credentials(s3("https://s3.example.com"))


async def test_the_pinned_resolver_answers_only_the_checked_address() -> None:
    resolver = PinnedResolver([ipaddress.ip_address("93.184.215.14")])
    answers = await resolver.resolve("exports.s3.example.com", 443)
    assert [(a["hostname"], a["host"], a["port"]) for a in answers] == [
        ("exports.s3.example.com", "93.184.215.14", 443)
    ]


def test_s3_target_fields_are_checked() -> None:
    with pytest.raises(ValueError, match="no path"):
        s3("https://s3.example.com/bucket")
    with pytest.raises(ValueError, match=re.escape("'..'")):
        S3Target.model_validate(
            {
                "type": "s3",
                "endpoint": "https://s3.example.com",
                "bucket": "b1x",
                "prefix": "a/../b",
                "secret": "S",
            }
        )
    target = S3Target.model_validate(
        {
            "type": "s3",
            "endpoint": "http://127.0.0.1:9000/",
            "bucket": "b1x",
            "prefix": "/crm//daily/",
            "secret": "S",
        }
    )
    assert (target.endpoint, target.key("f.csv"), target.port()) == (
        "http://127.0.0.1:9000",
        "crm/daily/f.csv",
        9000,
    )
