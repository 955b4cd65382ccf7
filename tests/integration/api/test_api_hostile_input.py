"""Hostile input gets a 4xx naming the field, never a 5xx (issue 13, point 4).

Each case was a 500 before: PostgreSQL refuses NUL characters and lone surrogates in text
and JSONB, and `NaN`, `Infinity` and numbers overflowing to infinity in JSONB; integers
past the `integer` column range overflow the bind; JSON or YAML nested a thousand deep
exhausted Python's recursion limit; a duration of a hundred million years overflowed the
date arithmetic.
"""

from __future__ import annotations

import gzip
import json
import uuid

import httpx
import pytest

pytestmark = pytest.mark.integration

JSON = {"Content-Type": "application/json"}


def fields_of(resp: httpx.Response) -> dict[str, str]:
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    body = resp.json()
    assert set(body) == {"error", "message", "fields"}, body
    return {f["field"]: f["message"] for f in body["fields"]}


async def post_raw(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, raw: str
) -> httpx.Response:
    return await client.post(path, content=raw.encode(), headers={**headers, **JSON})


EVENT = '{"name": "e", "profile_id": "p", "properties": %s}'


@pytest.mark.parametrize(
    ("raw", "path", "reason"),
    [
        ('{"name": "a\\u0000b", "profile_id": "p"}', "name", "NUL"),
        (EVENT % '{"a": "x\\u0000"}', "properties.a", "NUL"),
        (EVENT % '{"a\\u0000": 1}', "properties", "NUL"),
        (EVENT % '{"s": "\\ud800"}', "properties.s", "surrogate"),
        (EVENT % '{"n": NaN}', "properties.n", "nan"),
        (EVENT % '{"n": -Infinity}', "properties.n", "-inf"),
        (EVENT % '{"n": [1, 1e400]}', "properties.n[1]", "inf"),
    ],
)
async def test_unstorable_json_values_are_named(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    raw: str,
    path: str,
    reason: str,
) -> None:
    resp = await post_raw(api_client, admin_headers, "/v1/events", raw)
    assert resp.status_code == 422, resp.text
    fields = fields_of(resp)
    assert path in fields, fields
    assert reason in fields[path], fields


async def test_deep_json_is_refused_naming_the_body(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    deep = "[" * 1000 + "]" * 1000
    raw = f'{{"name": "e", "profile_id": "p", "properties": {{"d": {deep}}}}}'
    resp = await post_raw(api_client, admin_headers, "/v1/events", raw)
    assert resp.status_code == 400, resp.text
    assert "nested" in fields_of(resp)["body"]


async def test_nul_in_a_batch_names_the_event(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    events = [{"name": "ok", "profile_id": "p"}, {"name": "ok", "profile_id": "p\x00"}]
    resp = await api_client.post("/v1/events/batch", json={"events": events}, headers=admin_headers)
    assert "events[1].profile_id" in fields_of(resp)


async def test_nul_in_a_segment_batch_is_a_4xx_the_client_drops(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    call = {"type": "track", "userId": "u\x00", "event": "Signed Up", "messageId": "m-1"}
    resp = await api_client.post("/v1/segment/batch", json={"batch": [call]}, headers=admin_headers)
    assert resp.status_code == 422, resp.text  # the stock clients retry 5xx and 429, drop 4xx
    assert "batch[0].userId" in fields_of(resp)


async def test_nul_in_a_gzipped_segment_batch(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    call = {"type": "track", "userId": "u", "event": "Signed\x00Up", "messageId": "m-2"}
    resp = await api_client.post(
        "/v1/segment/batch",
        content=gzip.compress(json.dumps({"batch": [call]}).encode()),
        headers={**admin_headers, **JSON, "Content-Encoding": "gzip"},
    )
    assert resp.status_code == 422, resp.text
    assert "NUL" in fields_of(resp)["batch[0].event"]


async def test_nul_in_profile_attributes(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.put(
        f"/v1/profiles/p-{uuid.uuid4().hex[:8]}",
        json={"attributes": {"plan": "pro\x00"}},
        headers=admin_headers,
    )
    assert "attributes.plan" in fields_of(resp)


async def test_nul_in_a_template(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.put(
        "/v1/templates/t-nul", json={"channel": "log", "body": "hi\x00"}, headers=admin_headers
    )
    assert "body" in fields_of(resp)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/v1/profiles/a%00b", "profile_id"),
        ("/v1/messages?profile_id=a%00b", "profile_id"),
        ("/v1/journeys/j%00/report", "journey_id"),
    ],
)
async def test_nul_in_path_and_query_parameters(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], url: str, name: str
) -> None:
    resp = await api_client.get(url, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert "NUL" in fields_of(resp)[name]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/v1/journeys/x/versions/2147483648", "version"),
        ("/v1/journeys/x/report?version=2147483648", "version"),
    ],
)
async def test_integers_past_the_column_range(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], url: str, name: str
) -> None:
    resp = await api_client.get(url, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert name in fields_of(resp)


async def test_deep_yaml_definition_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    deep = "[" * 1000 + "]" * 1000
    resp = await api_client.put(
        "/v1/journeys/deep-yaml",
        content=f"id: deep-yaml\nstart: a\nnodes: {deep}\n".encode(),
        headers={**admin_headers, "Content-Type": "application/yaml"},
    )
    assert resp.status_code == 400, resp.text
    assert "nested" in fields_of(resp)["body"]


async def test_nul_in_a_yaml_definition_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    text = 'id: nul-yaml\nname: "a\\0b"\nstart: done\nnodes: {done: {type: end}}\n'
    resp = await api_client.put(
        "/v1/journeys/nul-yaml",
        content=text.encode(),
        headers={**admin_headers, "Content-Type": "application/yaml"},
    )
    assert resp.status_code == 422, resp.text
    assert "NUL" in fields_of(resp)["name"]


async def test_a_hundred_million_years_is_not_a_timeout(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    definition = {
        "id": "ages",
        "entry": {"event": "e"},
        "timeout": "P99999999Y",
        "start": "done",
        "nodes": {"done": {"type": "end"}},
    }
    resp = await api_client.put(
        "/v1/journeys/ages", content=json.dumps(definition), headers={**admin_headers, **JSON}
    )
    assert resp.status_code == 422, resp.text
    assert "timeout" in fields_of(resp)


# Issue 13 point 9: no surprises at the edges.

ANCIENT_OR_FAR = ["0", '"0594-01-01T00:00:00Z"', '"9999-12-31T23:59:59Z"', '"1999-12-31T23:59:59Z"']


@pytest.mark.parametrize("stamp", ANCIENT_OR_FAR)
async def test_an_event_timestamp_far_from_now_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], stamp: str
) -> None:
    raw = f'{{"name": "e", "profile_id": "p-time", "timestamp": {stamp}}}'
    resp = await post_raw(api_client, admin_headers, "/v1/events", raw)
    assert resp.status_code == 422, resp.text
    assert "2000-01-01" in fields_of(resp)["timestamp"]


async def test_a_batch_names_the_event_whose_timestamp_is_in_the_future(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    events = [
        {"name": "e", "profile_id": "p-time", "timestamp": "2024-05-01T00:00:00Z"},
        {"name": "e", "profile_id": "p-time", "timestamp": "9999-01-01T00:00:00Z"},
    ]
    resp = await api_client.post("/v1/events/batch", json={"events": events}, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert list(fields_of(resp)) == ["events[1].timestamp"]


async def test_a_past_timestamp_since_2000_is_accepted(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    event = {"name": "e", "profile_id": "p-time", "timestamp": "2000-01-01T00:00:00Z"}
    resp = await api_client.post("/v1/events", json=event, headers=admin_headers)
    assert resp.status_code == 202, resp.text


@pytest.mark.parametrize("kind", ["track", "page", "screen", "identify"])
async def test_a_segment_call_with_a_far_timestamp_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], kind: str
) -> None:
    call = {"userId": "u-time", "event": "Signed Up", "timestamp": "0594-01-01T00:00:00Z"}
    resp = await api_client.post(f"/v1/segment/{kind}", json=call, headers=admin_headers)
    assert resp.status_code == 422, resp.text
    assert "2000-01-01" in fields_of(resp)["timestamp"]


async def test_a_segment_batch_lists_the_item_with_a_far_timestamp(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    good = {"type": "track", "userId": "u-time", "event": "Ok", "messageId": uuid.uuid4().hex}
    bad = {**good, "messageId": uuid.uuid4().hex, "timestamp": "9999-12-31T00:00:00Z"}
    resp = await api_client.post(
        "/v1/segment/batch", json={"batch": [good, bad]}, headers=admin_headers
    )
    assert resp.status_code == 200, resp.text  # a batch reports its bad items, as before
    body = resp.json()
    assert (body["accepted"], body["rejected"]) == (1, 1), body
    assert [e["field"] for e in body["errors"]] == ["batch[1].timestamp"]


NOT_UTF8 = b'{"name": "\xff", "profile_id": "p"}'


@pytest.mark.parametrize(
    ("method", "path", "media"),
    [
        ("POST", "/v1/events", "application/json"),
        ("POST", "/v1/events/batch", "application/json"),
        ("PUT", "/v1/profiles/p-utf8", "application/json"),
        ("POST", "/v1/segment/track", "application/json"),
        ("POST", "/v1/segment/batch", "text/plain"),
        ("PUT", "/v1/journeys/not-utf8", "application/yaml"),
        ("PUT", "/v1/journeys/not-utf8", "application/json"),
        ("PUT", "/v1/templates/not-utf8", "application/json"),
    ],
)
async def test_a_body_that_is_not_utf8_is_a_400_naming_the_body(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    method: str,
    path: str,
    media: str,
) -> None:
    headers = {**admin_headers, "Content-Type": media}
    resp = await api_client.request(method, path, content=NOT_UTF8, headers=headers)
    assert resp.status_code == 400, resp.text
    assert "UTF-8" in fields_of(resp)["body"]


async def test_a_gzipped_segment_body_that_is_not_utf8_names_the_body(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    resp = await api_client.post(
        "/v1/segment/batch",
        content=gzip.compress(b'{"batch": [{"type": "track", "event": "\xff"}]}'),
        headers={**admin_headers, **JSON, "Content-Encoding": "gzip"},
    )
    assert resp.status_code == 400, resp.text
    assert "UTF-8" in fields_of(resp)["body"]


@pytest.mark.parametrize(
    "number", ["9007199254740993", "-9007199254740993", "100000000000000000000000000000"]
)
async def test_an_integer_past_2_53_in_event_properties_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], number: str
) -> None:
    raw = EVENT % f'{{"n": {{"deep": [1, {number}]}}}}'
    resp = await post_raw(api_client, admin_headers, "/v1/events", raw)
    assert resp.status_code == 422, resp.text
    assert "2^53" in fields_of(resp)["properties.n.deep[1]"]


async def test_an_integer_past_2_53_in_profile_attributes_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    raw = '{"attributes": {"account": 9007199254740993}}'
    resp = await api_client.put(
        f"/v1/profiles/p-{uuid.uuid4().hex[:8]}",
        content=raw.encode(),
        headers={**admin_headers, **JSON},
    )
    assert resp.status_code == 422, resp.text
    assert "2^53" in fields_of(resp)["attributes.account"]


async def test_an_integer_of_five_thousand_digits_is_a_4xx(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    raw = EVENT % f'{{"n": {"9" * 5000}}}'
    resp = await post_raw(api_client, admin_headers, "/v1/events", raw)
    fields_of(resp)  # a 4xx with the error body (Python's JSON refuses > 4,300 digits)


async def test_the_largest_exact_integers_are_kept(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    profile = f"p-{uuid.uuid4().hex[:8]}"
    raw = '{"attributes": {"max": 9007199254740991, "min": -9007199254740991}}'
    resp = await api_client.put(
        f"/v1/profiles/{profile}", content=raw.encode(), headers={**admin_headers, **JSON}
    )
    assert resp.status_code < 300, resp.text
    got = (await api_client.get(f"/v1/profiles/{profile}", headers=admin_headers)).json()
    assert got["attributes"] == {"max": 2**53 - 1, "min": -(2**53 - 1)}


async def test_an_integer_past_2_53_in_segment_traits_is_refused(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    raw = '{"batch": [{"type": "identify", "userId": "u-big", "traits": {"n": 9007199254740993}}]}'
    resp = await post_raw(api_client, admin_headers, "/v1/segment/batch", raw)
    assert resp.status_code == 422, resp.text  # like a NUL: the whole batch, dropped by clients
    assert "2^53" in fields_of(resp)["batch[0].traits.n"]


async def test_a_segment_user_id_past_2_53_is_kept_exact_as_text(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    raw = '{"userId": 9007199254740993, "event": "Big Id", "messageId": 9007199254740995}'
    resp = await post_raw(api_client, admin_headers, "/v1/segment/track", raw)
    assert resp.status_code == 200, resp.text
    assert resp.json()["event_ids"] == ["9007199254740995"]
