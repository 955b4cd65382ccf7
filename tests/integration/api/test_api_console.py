"""What the web console stands on: `GET /v1/me`, the journeys overview, and the built files
served at /console with the app's routes falling back to index.html."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx
import pytest

from api.app import create_app
from core.settings import Settings
from tests.integration.conftest import KeyMaker
from tests.integration.helpers import uid

pytestmark = pytest.mark.integration


async def test_me_tells_each_key_its_scopes_and_grants(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], make_key: KeyMaker
) -> None:
    reader = await make_key("read", name="console-reader")
    resp = await api_client.get("/v1/me", headers=reader)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["name"], body["scopes"], body["grants"]) == ("console-reader", ["read"], ["read"])

    ingest = await make_key("events:write")  # no `read`: may still ask who it is
    resp = await api_client.get("/v1/me", headers=ingest)
    assert resp.json()["grants"] == ["events:write"]

    assert resp.json()["temporal_workflows"] == (
        "http://127.0.0.1:8233/namespaces/default/workflows"
    )

    resp = await api_client.get("/v1/me", headers=admin_headers)
    assert resp.json()["scopes"] == ["admin"]
    assert resp.json()["grants"] == [
        "admin",
        "campaigns:approve",
        "campaigns:write",
        "events:write",
        "journeys:approve",
        "journeys:write",
        "profiles:write",
        "read",
    ]


async def test_me_refuses_a_missing_or_unknown_key(api_client: httpx.AsyncClient) -> None:
    assert (await api_client.get("/v1/me")).status_code == 401
    resp = await api_client.get("/v1/me", headers={"Authorization": "Bearer wl_nope_nope"})
    assert resp.status_code == 401
    assert resp.json()["message"] == "invalid or revoked API key"


async def test_me_is_documented(api_client: httpx.AsyncClient) -> None:
    spec = (await api_client.get("/openapi.json")).json()
    assert "get" in spec["paths"]["/v1/me"]
    assert spec["paths"]["/v1/me"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "get" in spec["paths"]["/v1/reports/journeys"]
    assert not any(p.startswith("/console") for p in spec["paths"])


async def _journey(pool: asyncpg.Pool, jid: str) -> None:
    await pool.execute(
        "INSERT INTO journeys (journey_id, name, status, live_version) VALUES ($1, $2, 'live', 3)",
        jid,
        f"Name of {jid}",
    )


async def _run(
    pool: asyncpg.Pool, jid: str, n: int, entered: str, ended: str | None, st: str
) -> None:
    await pool.execute(
        "INSERT INTO journey_entries (run_id, workflow_id, journey_id, version, profile_id,"
        " entered_at, ended_at, status)"
        " VALUES ($1, $1, $2, 3, $1, now() - $3::text::interval, now() - $4::text::interval, $5)",
        f"{jid}-run-{n}",
        jid,
        entered,
        ended,
        st,
    )


async def test_overview_counts_inside_entries_exits_errors_and_alerts(
    api_client: httpx.AsyncClient, make_key: KeyMaker, pool: asyncpg.Pool
) -> None:
    jid, quiet = uid("overview"), uid("overview-quiet")
    await _journey(pool, jid)
    await _journey(pool, quiet)
    await _run(pool, jid, 1, "10 minutes", None, "active")
    await _run(pool, jid, 2, "3 days", None, "active")  # inside, entered before the window
    await _run(pool, jid, 3, "2 hours", "1 hour", "completed")
    await _run(pool, jid, 4, "2 hours", "30 minutes", "errored")
    await _run(pool, jid, 5, "20 days", "10 days", "errored")  # ended before the window
    await pool.execute(
        # Marked delivered (opening and any later resolution), so the session's alert loop
        # and test_alerts' webhook never post this hand-made alert.
        "INSERT INTO alerts (kind, scope, value, peak, last_value, threshold, failures, samples,"
        " window_seconds, notified_open_at, notified_resolved_at)"
        " VALUES ('profile_error_rate', $1, 0.5, 0.5, 0.5, 0.1, 1, 2, 300, now(), now())",
        f"journey:{jid}",
    )
    reader = await make_key("read")
    resp = await api_client.get("/v1/reports/journeys", headers=reader)
    assert resp.status_code == 200, resp.text
    assert resp.json()["window"] == "PT24H"
    found = {j["journey_id"]: j for j in resp.json()["items"]}
    assert found[jid] == {
        "journey_id": jid,
        "name": f"Name of {jid}",
        "status": "live",
        "live_version": 3,
        "updated_at": found[jid]["updated_at"],
        "inside": 2,
        "entries": 3,
        "exits": 2,
        "errored": 1,
        "error_rate": 0.5,
        "open_alerts": 1,
    }
    assert (found[quiet]["inside"], found[quiet]["exits"], found[quiet]["error_rate"]) == (
        0,
        0,
        None,
    )
    week = await api_client.get("/v1/reports/journeys?window=P30D", headers=reader)
    mine = next(j for j in week.json()["items"] if j["journey_id"] == jid)
    assert (mine["entries"], mine["exits"], mine["errored"]) == (5, 3, 2)


@pytest.mark.parametrize(
    ("window", "message"),
    [("soon", "is not an ISO 8601 duration"), ("P2Y", "between PT1S and P366D")],
)
async def test_overview_refuses_a_bad_window_naming_it(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], window: str, message: str
) -> None:
    resp = await api_client.get(f"/v1/reports/journeys?window={window}", headers=admin_headers)
    assert resp.status_code == 422, resp.text
    [problem] = resp.json()["fields"]
    assert problem["field"] == "window"
    assert message in problem["message"]


async def test_overview_needs_the_read_scope(
    api_client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    resp = await api_client.get("/v1/reports/journeys", headers=await make_key("events:write"))
    assert resp.status_code == 403


def _console_app(settings: Settings, root: Path) -> httpx.AsyncClient:
    app = create_app(settings.model_copy(update={"console_dir": root}))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://wayline")


async def test_console_files_and_the_spa_fallback(settings: Settings, tmp_path: Path) -> None:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<html>console</html>")
    (root / "assets" / "index-abc.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("not for the web")
    async with _console_app(settings, root) as client:
        home = await client.get("/")
        assert (home.status_code, home.headers["location"]) == (307, "/console/")
        page = await client.get("/console/")
        assert (page.status_code, page.text) == (200, "<html>console</html>")
        assert page.headers["cache-control"] == "no-cache"
        asset = await client.get("/console/assets/index-abc.js")
        assert asset.text == "console.log(1)"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        route = await client.get("/console/journeys/abandoned-cart")
        assert (route.status_code, route.text) == (200, "<html>console</html>")
        escape = await client.get("/console/%2e%2e/secret.txt")
        assert escape.text != "not for the web"
        bare = await client.get("/console")
        assert bare.headers["location"] == "/console/"


async def test_console_not_built_says_how_to_build_it(settings: Settings, tmp_path: Path) -> None:
    async with _console_app(settings, tmp_path / "missing") as client:
        resp = await client.get("/console/")
    assert resp.status_code == 404
    assert "npm ci && npm run build" in resp.text
