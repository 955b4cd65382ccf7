"""Fragments: saved and versioned, checked like templates, usage listed, deletion and
cycles refused."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.integration.helpers import uid

pytestmark = pytest.mark.integration

Api = httpx.AsyncClient
Headers = dict[str, str]


async def put(api: Api, headers: Headers, kind: str, name: str, **body: Any) -> httpx.Response:
    return await api.put(f"/v1/{kind}/{name}", json=body, headers=headers)


async def test_put_versions_get_list(api_client: Api, admin_headers: Headers) -> None:
    name = uid("frag")
    resp = await put(api_client, admin_headers, "fragments", name, body="Hello", description="hi")
    assert resp.status_code == 201, resp.text
    assert resp.json()["version"] == 1 and resp.json()["locales"] == {}
    resp = await put(
        api_client, admin_headers, "fragments", name, body="Hello!", locales={"fr": "Bonjour !"}
    )
    assert resp.status_code == 200, resp.text
    got = (await api_client.get(f"/v1/fragments/{name}", headers=admin_headers)).json()
    assert (got["version"], got["body"], got["locales"]) == (2, "Hello!", {"fr": "Bonjour !"})
    assert got["description"] is None
    versions = (
        await api_client.get(f"/v1/fragments/{name}/versions", headers=admin_headers)
    ).json()
    assert [(v["version"], v["body"]) for v in versions["items"]] == [(2, "Hello!"), (1, "Hello")]
    listed = (await api_client.get("/v1/fragments", headers=admin_headers)).json()["items"]
    assert name in [f["name"] for f in listed]


async def test_checked_at_save_naming_the_field(api_client: Api, admin_headers: Headers) -> None:
    name = uid("frag")
    resp = await put(
        api_client,
        admin_headers,
        "fragments",
        name,
        body="{{ oops",
        locales={"fr": '{% include "no-such-fragment" %}', "de": "ok"},
    )
    assert resp.status_code == 422, resp.text
    fields = {f["field"]: f["message"] for f in resp.json()["fields"]}
    assert set(fields) == {"body", "locales.fr"}
    assert fields["locales.fr"] == "unknown fragment 'no-such-fragment'"
    resp = await put(api_client, admin_headers, "fragments", name, body="x", locales={"fr_CA": "x"})
    assert resp.status_code == 422 and resp.json()["fields"][0]["field"] == "locales"
    resp = await put(api_client, admin_headers, "fragments", name, body="{% include which %}")
    assert resp.status_code == 422, resp.text
    assert "literal string" in resp.json()["fields"][0]["message"]
    assert (await api_client.get(f"/v1/fragments/{name}", headers=admin_headers)).status_code == 404


async def test_a_template_including_an_unknown_fragment_is_refused(
    api_client: Api, admin_headers: Headers
) -> None:
    tpl = uid("tpl")
    resp = await put(
        api_client,
        admin_headers,
        "templates",
        tpl,
        channel="log",
        body="ok",
        locales={"fr": {"body": '{% include "nowhere" %}'}},
    )
    assert resp.status_code == 422, resp.text
    [problem] = resp.json()["fields"]
    assert problem == {"field": "locales.fr.body", "message": "unknown fragment 'nowhere'"}


async def test_usage_and_delete_refused_while_used(api_client: Api, admin_headers: Headers) -> None:
    legal, footer, tpl = uid("legal"), uid("footer"), uid("tpl")
    assert (await put(api_client, admin_headers, "fragments", legal, body="(c)")).status_code == 201
    resp = await put(
        api_client, admin_headers, "fragments", footer, body=f'-- {{% include "{legal}" %}}'
    )
    assert resp.status_code == 201, resp.text
    resp = await put(
        api_client,
        admin_headers,
        "templates",
        tpl,
        channel="log",
        body=f'Hi{{% include "{footer}" %}}',
        html=f'<p>{{% include "{legal}" %}}</p>',
    )
    assert resp.status_code == 201, resp.text
    usage = (await api_client.get(f"/v1/fragments/{legal}/usage", headers=admin_headers)).json()
    assert usage == {"templates": [tpl], "fragments": [footer]}
    resp = await api_client.delete(f"/v1/fragments/{legal}", headers=admin_headers)
    assert resp.status_code == 409, resp.text
    assert resp.json()["message"] == (
        f"fragment {legal!r} is used by template {tpl!r}, fragment {footer!r}"
    )
    # the template stops using it, then the footer goes: the legal text may go
    resp = await put(api_client, admin_headers, "templates", tpl, channel="log", body="Hi")
    assert resp.status_code == 200, resp.text
    assert (
        await api_client.delete(f"/v1/fragments/{footer}", headers=admin_headers)
    ).status_code == 204
    usage = (await api_client.get(f"/v1/fragments/{legal}/usage", headers=admin_headers)).json()
    assert usage == {"templates": [], "fragments": []}
    assert (
        await api_client.delete(f"/v1/fragments/{legal}", headers=admin_headers)
    ).status_code == 204
    assert (
        await api_client.delete(f"/v1/fragments/{legal}", headers=admin_headers)
    ).status_code == 404
    resp = await api_client.get(f"/v1/fragments/{legal}/usage", headers=admin_headers)
    assert resp.status_code == 404


async def test_deleting_a_template_releases_its_fragments(
    api_client: Api, admin_headers: Headers
) -> None:
    frag, tpl = uid("frag"), uid("tpl")
    await put(api_client, admin_headers, "fragments", frag, body="x")
    body = f'{{% include "{frag}" %}}'
    assert (
        await put(api_client, admin_headers, "templates", tpl, channel="log", body=body)
    ).status_code == 201
    assert (
        await api_client.delete(f"/v1/fragments/{frag}", headers=admin_headers)
    ).status_code == 409
    assert (
        await api_client.delete(f"/v1/templates/{tpl}", headers=admin_headers)
    ).status_code == 204
    assert (
        await api_client.delete(f"/v1/fragments/{frag}", headers=admin_headers)
    ).status_code == 204


async def test_a_cycle_is_refused_with_its_path(api_client: Api, admin_headers: Headers) -> None:
    a, b, c = uid("a"), uid("b"), uid("c")
    assert (await put(api_client, admin_headers, "fragments", c, body="end")).status_code == 201
    inc = '{{% include "{}" %}}'.format
    assert (await put(api_client, admin_headers, "fragments", b, body=inc(c))).status_code == 201
    assert (await put(api_client, admin_headers, "fragments", a, body=inc(b))).status_code == 201
    resp = await put(api_client, admin_headers, "fragments", c, body="x", locales={"fr": inc(a)})
    assert resp.status_code == 422, resp.text
    [problem] = resp.json()["fields"]
    assert problem == {"field": "body", "message": f"include cycle: {c} -> {a} -> {b} -> {c}"}
    resp = await put(api_client, admin_headers, "fragments", a, body=inc(a))
    assert resp.json()["fields"][0]["message"] == f"include cycle: {a} -> {a}"
    got = (await api_client.get(f"/v1/fragments/{c}", headers=admin_headers)).json()
    assert (got["body"], got["version"]) == ("end", 1)


async def test_scopes(api_client: Api, admin_headers: Headers, make_key: Any) -> None:
    reader = await make_key("read")
    name = uid("frag")
    assert (await put(api_client, reader, "fragments", name, body="x")).status_code == 403
    assert (await api_client.get("/v1/fragments", headers=reader)).status_code == 200
    assert (await api_client.get("/v1/fragments")).status_code == 401


async def test_two_saves_at_once_cannot_close_a_cycle(
    api_client: Api, admin_headers: Headers
) -> None:
    """Each save checks the graph under one lock: of a -> b and b -> a saved together, one
    is refused naming the cycle."""
    a, b = uid("a"), uid("b")
    for name in (a, b):
        assert (
            await put(api_client, admin_headers, "fragments", name, body="x")
        ).status_code == 201
    first, second = await asyncio.gather(
        put(api_client, admin_headers, "fragments", a, body=f'{{% include "{b}" %}}'),
        put(api_client, admin_headers, "fragments", b, body=f'{{% include "{a}" %}}'),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 422]
    refused = first if first.status_code == 422 else second
    assert refused.json()["fields"][0]["message"].startswith("include cycle: ")
