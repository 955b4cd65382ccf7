"""The in-app inbox: `in_app` sends land in the profile's inbox (atomically with the ledger
row), read and marked by the app with a profile-scoped token."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from activities.channels import by_name
from activities.messages import MessageActivities
from api.app import create_app
from core.contracts import SendInput
from core.settings import Settings
from core.signing import sign_token
from tests.integration import helpers
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration

SECRET = "inbox-secret"
Api = httpx.AsyncClient
Headers = dict[str, str]


@pytest.fixture
async def signed_api(settings: Settings, migrated: None) -> AsyncIterator[Api]:
    app = create_app(settings.model_copy(update={"signing_secret": SecretStr(SECRET)}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wayline") as client:
            yield client


@pytest.fixture
async def acts(pool: asyncpg.Pool) -> AsyncIterator[MessageActivities]:
    yield MessageActivities(pool, by_name())


def send_input(template: str, profile: str) -> SendInput:
    return helpers.send_input("in_app", template, profile, journey="inbox", n=1)


async def template(api: Api, headers: Headers) -> str:
    name = uid("inapp")
    body = {"channel": "in_app", "subject": "News #{{ event.properties.n }}", "body": "Hello"}
    resp = await api.put(f"/v1/templates/{name}", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return name


async def inbox_token(api: Api, headers: Headers, profile: str) -> Headers:
    resp = await api.post(f"/v1/profiles/{profile}/inbox/token", headers=headers)
    assert resp.status_code == 201, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


async def test_sends_land_in_the_inbox_once_and_obey_consent(
    api_client: Api, admin_headers: Headers, acts: MessageActivities, pool: asyncpg.Pool
) -> None:
    profile, tpl = uid("p"), await template(api_client, admin_headers)
    inp = send_input(tpl, profile)
    assert (await acts.send_message(inp)).status == "sent"
    assert (await acts.send_message(inp)).status == "sent"  # a retry: no second item
    rows = await pool.fetch("SELECT title, body, status FROM inbox WHERE profile_id = $1", profile)
    assert [tuple(r) for r in rows] == [("News #1", "Hello", "unread")]
    unsub = [{"channel": "in_app", "topic": None, "status": "unsubscribed"}]
    resp = await api_client.put(
        f"/v1/profiles/{profile}/subscriptions", json=unsub, headers=admin_headers
    )
    assert resp.status_code == 200
    skipped = await acts.send_message(send_input(tpl, profile))
    assert skipped.status == "skipped" and skipped.reason == "unsubscribed from in_app"
    assert await pool.fetchval("SELECT count(*) FROM inbox WHERE profile_id = $1", profile) == 1


async def test_app_reads_and_marks_its_inbox_with_a_profile_token(
    api_client: Api,
    admin_headers: Headers,
    signed_api: Api,
    acts: MessageActivities,
) -> None:
    profile, other, tpl = uid("p"), uid("p"), await template(api_client, admin_headers)
    sent = [send_input(tpl, profile) for _ in range(5)]
    for inp in sent:
        assert (await acts.send_message(inp)).status == "sent"
    await acts.send_message(send_input(tpl, other))
    mine = await inbox_token(signed_api, admin_headers, profile)
    url = f"/v1/profiles/{profile}/inbox"

    seen: list[str] = []
    before = None
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"before": before} if before else {})}
        page = (await signed_api.get(url, params=params, headers=mine)).json()
        assert page["unread"] == 5
        seen += [item["message_id"] for item in page["items"]]
        before = page["next_before"]
        if before is None:
            break
    assert sorted(seen) == sorted(i.message_id for i in sent) and len(seen) == 5

    first, second = seen[0], seen[1]
    resp = await signed_api.patch(f"{url}/{first}", json={"status": "read"}, headers=mine)
    assert resp.status_code == 200 and resp.json()["read_at"] is not None
    resp = await signed_api.patch(f"{url}/{second}", json={"status": "archived"}, headers=mine)
    assert resp.status_code == 200
    page = (await signed_api.get(url, headers=mine)).json()
    assert page["unread"] == 3 and second not in [i["message_id"] for i in page["items"]]
    archived = (await signed_api.get(url, params={"status": "archived"}, headers=mine)).json()
    assert [i["message_id"] for i in archived["items"]] == [second]
    unread = (await signed_api.get(url, params={"status": "unread"}, headers=mine)).json()
    assert len(unread["items"]) == 3

    # the token opens this profile's inbox and nothing else
    other_url = f"/v1/profiles/{other}/inbox"
    assert (await signed_api.get(other_url, headers=mine)).status_code == 403
    assert (await signed_api.get("/v1/messages", headers=mine)).status_code == 401
    assert (await signed_api.get(other_url, headers=admin_headers)).status_code == 200
    expired = "wli_" + sign_token(SECRET, "inbox", [profile, int(time.time()) - 1])
    resp = await signed_api.get(url, headers={"Authorization": f"Bearer {expired}"})
    assert resp.status_code == 401 and "expired" in resp.json()["message"]
    forged = "wli_" + sign_token("other-secret", "inbox", [profile, int(time.time()) + 60])
    resp = await signed_api.get(url, headers={"Authorization": f"Bearer {forged}"})
    assert resp.status_code == 401
    assert (await signed_api.get(url)).status_code == 401
    missing = await signed_api.patch(f"{url}/nope", json={"status": "read"}, headers=mine)
    assert missing.status_code == 404
