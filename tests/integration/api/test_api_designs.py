"""Designs: the designer's text (valid or not) and node positions, stored beside the draft
as sent, read back, refused field by field, and guarded by scopes."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import ValidationError

from api.schemas.designs import DesignUpdate
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration

Api = httpx.AsyncClient
Headers = dict[str, str]

SOURCE = """# Work in progress: the condition has no branch yet.
id: {id}
entry: {{event: cart.updated}}
start: wait_order
nodes:
  wait_order: {{type: wait, duration: PT1H, next: big_cart}} # an hour first
  big_cart: {{type: condition}}
"""


def design(journey_id: str, **changes: Any) -> dict[str, Any]:
    body = {
        "source": SOURCE.format(id=journey_id),
        "format": "yaml",
        "positions": {"wait_order": {"x": 10, "y": -20.5}, "big_cart": {"x": 0, "y": 150}},
    }
    return {**body, **changes}


async def test_stored_as_sent_and_read_back(
    api_client: Api, pool: asyncpg.Pool, make_key: Any
) -> None:
    journey_id = uid("design")
    writer = await make_key("journeys:write", "read", name="designer-tests")
    resp = await api_client.put(
        f"/v1/journeys/{journey_id}/design", json=design(journey_id), headers=writer
    )
    assert resp.status_code == 201, resp.text
    row = await pool.fetchrow(
        "SELECT source, format, positions, updated_by FROM journey_designs WHERE journey_id = $1",
        journey_id,
    )
    assert row is not None
    assert dict(row) == {
        "source": SOURCE.format(id=journey_id),
        "format": "yaml",
        "positions": {"wait_order": {"x": 10.0, "y": -20.5}, "big_cart": {"x": 0.0, "y": 150.0}},
        "updated_by": "designer-tests",
    }
    got = (await api_client.get(f"/v1/journeys/{journey_id}/design", headers=writer)).json()
    assert got["source"].startswith("# Work in progress: the condition has no branch yet.\n")
    assert (got["journey_id"], got["format"], got["updated_by"]) == (
        journey_id,
        "yaml",
        "designer-tests",
    )
    assert got["positions"] == {
        "wait_order": {"x": 10.0, "y": -20.5},
        "big_cart": {"x": 0.0, "y": 150.0},
    }
    # an invalid design leaves the journey as it was: here, not created at all
    assert (await api_client.get(f"/v1/journeys/{journey_id}", headers=writer)).status_code == 404


async def test_replaced_by_a_second_save(api_client: Api, admin_headers: Headers) -> None:
    journey_id = uid("design")
    url = f"/v1/journeys/{journey_id}/design"
    assert (await api_client.get(url, headers=admin_headers)).status_code == 404
    first = await api_client.put(url, json=design(journey_id), headers=admin_headers)
    assert first.status_code == 201, first.text
    second = await api_client.put(
        url,
        json={"source": '{"id": "x"}', "format": "json", "positions": {}},
        headers=admin_headers,
    )
    assert second.status_code == 200, second.text
    got = (await api_client.get(url, headers=admin_headers)).json()
    assert (got["source"], got["format"], got["positions"]) == ('{"id": "x"}', "json", {})
    assert got["updated_at"] >= first.json()["updated_at"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"format": "toml"}, "format"),
        ({"positions": {"a": {"x": "1", "y": 2}}}, "positions.a.x"),
        ({"positions": {"a": {"x": 1}}}, "positions.a.y"),
        ({"positions": {"a": {"x": 1, "y": 2, "z": 3}}}, "positions.a.z"),
        ({"source": 7}, "source"),
    ],
)
async def test_refused_naming_the_field(
    api_client: Api, admin_headers: Headers, changes: dict[str, Any], field: str
) -> None:
    journey_id = uid("design")
    resp = await api_client.put(
        f"/v1/journeys/{journey_id}/design",
        json=design(journey_id, **changes),
        headers=admin_headers,
    )
    assert resp.status_code == 422, resp.text
    assert [f["field"] for f in resp.json()["fields"]] == [field]
    assert (
        await api_client.get(f"/v1/journeys/{journey_id}/design", headers=admin_headers)
    ).status_code == 404


async def test_a_source_over_a_mebibyte_is_refused(api_client: Api, admin_headers: Headers) -> None:
    journey_id = uid("design")
    body = design(journey_id, source="a" * 1_048_577)
    resp = await api_client.put(
        f"/v1/journeys/{journey_id}/design", json=body, headers=admin_headers
    )
    assert resp.status_code == 413, resp.text  # the body limit comes first
    with pytest.raises(ValidationError) as refused:  # and holds behind a larger body limit
        DesignUpdate.model_validate(body)
    assert [e["loc"] for e in refused.value.errors()] == [("source",)]
    assert "at most 1 MiB" in refused.value.errors()[0]["msg"]


async def test_read_scope_reads_journeys_write_saves(api_client: Api, make_key: Any) -> None:
    journey_id = uid("design")
    url = f"/v1/journeys/{journey_id}/design"
    reader = await make_key("read")
    assert (await api_client.put(url, json=design(journey_id), headers=reader)).status_code == 403
    assert (await api_client.put(url, json=design(journey_id))).status_code == 401
    writer = await make_key("journeys:write")
    assert (await api_client.put(url, json=design(journey_id), headers=writer)).status_code == 201
    assert (await api_client.get(url, headers=writer)).status_code == 403
    assert (await api_client.get(url, headers=reader)).status_code == 200
