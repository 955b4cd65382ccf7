"""Content on the real stack: a journey's message and a campaign's email render fragments in
the profile's locale variant, the ledger records the variant, and a changed fragment is in
the very next message."""

from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller

from activities.campaign import CampaignActivities
from activities.channels import by_name
from activities.channels.email import EmailChannel, SmtpConfig
from activities.channels.links import Links
from activities.messages import MessageActivities
from core.campaign_contracts import BatchInput, StartRunInput
from services.campaign_client import spec_of
from tests.integration.campaign_helpers import make_audience, make_campaign
from tests.integration.helpers import eventually, uid
from tests.integration.test_abandoned_cart import messages_for
from workers.embedded import free_port

pytestmark = pytest.mark.integration

Api = httpx.AsyncClient
Headers = dict[str, str]


async def put(api: Api, headers: Headers, kind: str, name: str, **body: Any) -> None:
    resp = await api.put(f"/v1/{kind}/{name}", json=body, headers=headers)
    assert resp.is_success, resp.text


async def profile(api: Api, headers: Headers, locale: str | None) -> str:
    pid = uid("p")
    attributes = {"first_name": "Ada"} | ({"locale": locale} if locale else {})
    body = {"email": f"{pid}@example.com", "attributes": attributes}
    resp = await api.put(f"/v1/profiles/{pid}", json=body, headers=headers)
    assert resp.is_success, resp.text
    return pid


async def test_a_journey_message_renders_fragments_in_the_profile_locale(
    api_client: Api, admin_headers: Headers, runtime: object
) -> None:
    api, h = api_client, admin_headers
    greeting, footer, tpl, journey, name = uid("greet"), uid("foot"), uid("tpl"), uid("j"), uid("e")
    await put(api, h, "fragments", greeting, body="Hello", locales={"fr": "Bonjour"})
    await put(
        api, h, "fragments", footer, body="-- Wayline", locales={"fr-CA": "-- Wayline Québec"}
    )
    await put(
        api,
        h,
        "templates",
        tpl,
        channel="log",
        body=f'{{% include "{greeting}" %}} {{{{ profile.attributes.first_name }}}}\n'
        f'{{% include "{footer}" %}}',
        locales={"fr": {"body": f'{{% include "{greeting}" %}} !\n{{% include "{footer}" %}}'}},
    )
    definition = {
        "id": journey,
        "name": journey,
        "entry": {"event": name},
        "start": "hello",
        "nodes": {
            "hello": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
            "done": {"type": "end"},
        },
    }
    resp = await api.put(f"/v1/journeys/{journey}", json=definition, headers=h)
    assert resp.is_success, resp.text
    resp = await api.post(f"/v1/journeys/{journey}/publish", headers=h)
    assert resp.is_success, resp.text

    async def sent(pid: str) -> dict[str, Any]:
        resp = await api.post("/v1/events", json={"name": name, "profile_id": pid}, headers=h)
        assert resp.status_code == 202, resp.text

        async def one() -> list[dict[str, Any]]:
            rows = await messages_for(api, h, pid, journey)
            return [r for r in rows if r["status"] == "sent"]

        [row] = await eventually(one, 60)
        return row

    quebec, paris, berlin = [await profile(api, h, loc) for loc in ("fr-CA", "fr-FR", "de")]
    got = {pid: await sent(pid) for pid in (quebec, paris, berlin)}
    assert (got[quebec]["body"], got[quebec]["locale"]) == ("Bonjour !\n-- Wayline Québec", "fr")
    assert (got[paris]["body"], got[paris]["locale"]) == ("Bonjour !\n-- Wayline", "fr")
    assert (got[berlin]["body"], got[berlin]["locale"]) == ("Hello Ada\n-- Wayline", "default")
    # the fragment changes: the next message shows it
    await put(api, h, "fragments", greeting, body="Hi", locales={"fr": "Salut"})
    later = await sent(await profile(api, h, "fr-CA"))
    assert later["body"] == "Salut !\n-- Wayline Québec"
    stored = await api.get(f"/v1/fragments/{greeting}", headers=h)
    assert stored.json()["version"] == 2
    resp = await api.post(f"/v1/journeys/{journey}/stop", headers=h)
    assert resp.is_success, resp.text


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 Message accepted"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
async def layout(api_client: Api, admin_headers: Headers) -> AsyncIterator[tuple[str, str]]:
    footer, name = uid("footer"), uid("layout")
    await put(
        api_client, admin_headers, "fragments", footer, body="Legal", locales={"fr": "Mentions"}
    )
    await put(
        api_client,
        admin_headers,
        "templates",
        name,
        channel="email",
        body=f'{{{{ content }}}}\n{{% include "{footer}" %}}',
        html=f'<html><body>{{{{ content }}}}<footer>{{% include "{footer}" %}}</footer>'
        "</body></html>",
    )
    yield name, footer


async def test_a_campaign_email_renders_fragments_and_records_the_locale(
    api_client: Api,
    admin_headers: Headers,
    pool: asyncpg.Pool,
    inbox: tuple[Inbox, int],
    layout: tuple[str, str],
) -> None:
    api, h = api_client, admin_headers
    card, tpl = uid("card"), uid("tpl")
    await put(api, h, "fragments", card, body="<b>{{ profile.attributes.product }}</b>")
    await put(
        api,
        h,
        "templates",
        tpl,
        channel="email",
        subject="News",
        body="Our pick: {{ profile.attributes.product }} ({{ profile.locale }})",
        html=f'<p>Our pick: {{% include "{card}" %}}</p>',
        locales={
            "fr": {
                "subject": "Nouvelles",
                "body": "Notre choix : {{ profile.attributes.product }}",
                "html": f'<p>Notre choix : {{% include "{card}" %}}</p>',
            }
        },
    )
    french, other = uid("p"), uid("p")
    audience = await make_audience(pool, [french, other])
    await pool.execute(
        "UPDATE profiles SET attributes = jsonb_build_object('product', 'Tea & <cake>', "
        "'locale', CASE WHEN profile_id = $1 THEN 'fr-BE' ELSE 'en' END) "
        "WHERE profile_id = ANY($2::text[])",
        french,
        [french, other],
    )
    campaign = await make_campaign(pool, audience, tpl, channel="email")
    box, port = inbox
    channel = EmailChannel(
        SmtpConfig(port=port, sender="Shop <shop@wayline.test>"),
        links=Links(None, "http://wayline"),
        layout=layout[0],
    )
    acts = CampaignActivities(pool, MessageActivities(pool, by_name(channel)))
    try:
        row = await pool.fetchrow("SELECT * FROM campaigns WHERE campaign_id = $1", campaign)
        spec, now = spec_of(row), datetime.now(UTC)
        await acts.start_run(StartRunInput(spec=spec, run_id="r1", workflow_id="w", now=now))
        batch = BatchInput(spec=spec, run_id="r1", workflow_id="w", first_seq=0, end_seq=2, now=now)
        result = await acts.send_batch(batch)
    finally:
        await channel.close()
    assert result.sent == 2, result
    mails = {str(m["To"]).split("@")[0]: m for m in box.messages}
    fr_text, fr_html = (p.get_content().replace("\r\n", "\n") for p in mails[french].iter_parts())
    assert mails[french]["Subject"] == "Nouvelles"
    assert fr_text == "Notre choix : Tea & <cake>\nMentions"
    assert fr_html == (
        "<html><body><p>Notre choix : <b>Tea &amp; &lt;cake&gt;</b></p>"
        "<footer>Mentions</footer></body></html>"
    )
    en_text = next(mails[other].iter_parts()).get_content().replace("\r\n", "\n")
    assert (mails[other]["Subject"], en_text) == ("News", "Our pick: Tea & <cake> (en)\nLegal")
    locales = dict(
        await pool.fetch("SELECT profile_id, locale FROM messages WHERE campaign_id = $1", campaign)
    )
    assert locales == {french: "fr", other: "default"}


async def test_test_mode_renders_fragments_in_the_profile_locale(
    api_client: Api, admin_headers: Headers
) -> None:
    api, h = api_client, admin_headers
    sign, tpl, journey = uid("sign"), uid("tpl"), uid("j")
    await put(api, h, "fragments", sign, body="Bye", locales={"fr": "Salut"})
    inc = f'{{% include "{sign}" %}}'
    await put(
        api,
        h,
        "templates",
        tpl,
        channel="log",
        body="Hi. " + inc,
        locales={"fr": {"subject": "Coucou", "body": "Coucou. " + inc}},
    )
    definition = {
        "id": journey,
        "name": journey,
        "entry": {"event": "go"},
        "start": "hello",
        "nodes": {
            "hello": {"type": "message", "channel": "log", "template": tpl, "next": "done"},
            "done": {"type": "end"},
        },
    }
    assert (await api.put(f"/v1/journeys/{journey}", json=definition, headers=h)).is_success
    steps = {}
    for locale in ("fr-CA", "de"):
        body = {"profile": {"attributes": {"locale": locale}}}
        resp = await api.post(f"/v1/journeys/{journey}/test", json=body, headers=h)
        assert resp.status_code == 200, resp.text
        [steps[locale]] = resp.json()["steps"]
    fr, de = steps["fr-CA"], steps["de"]
    assert (fr["subject"], fr["body"], fr["locale"]) == ("Coucou", "Coucou. Salut", "fr")
    assert (de["subject"], de["body"], de["locale"]) == (None, "Hi. Bye", "default")
