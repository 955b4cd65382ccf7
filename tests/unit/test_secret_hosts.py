"""Which hosts a secret may be sent to: the matching rule and the host read from a URL template."""

from __future__ import annotations

import pytest

from core.connectors import host_matches, url_host


@pytest.mark.parametrize(
    ("host", "pattern", "ok"),
    [
        ("api.crm.example", "api.crm.example", True),
        ("API.crm.example.", "api.crm.example", True),
        ("eu.crm.example", "*.crm.example", True),
        ("crm.example", "*.crm.example", False),
        ("evilcrm.example", "*.crm.example", False),
        ("api.crm.example.evil", "api.crm.example", False),
    ],
)
def test_host_matches(host: str, pattern: str, ok: bool) -> None:
    assert host_matches(host, pattern) is ok


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://api.crm.example:8443/u/{{ params.id }}", "api.crm.example"),
        ("https://{{ params.h }}.crm.example/", None),
        ("https://user{{ params.x }}@api.crm.example/", None),
        ("https://api.crm.example{{ params.x }}/", None),
    ],
)
def test_url_host_is_none_when_the_authority_is_templated(url: str, host: str | None) -> None:
    assert url_host(url) == host
