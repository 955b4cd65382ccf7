"""Destinations on the real stack: the resource and its validation, a stream to a local
HTTP server (signed, retried under the same key, consent applied), files to a directory
to asyncssh's SFTP server and to a real S3-compatible server (SeaweedFS), and an
advertising upload of hashed identifiers.

Every audience keys on an attribute of its own (`uid`), so no other test's profiles join.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import pytest

from activities.destinations import stream
from activities.destinations.s3 import PART_BYTES, S3Sink
from core.destinations import S3Target
from core.signing import SIGNATURE_HEADER, verify_webhook
from tests.integration.helpers import eventually, uid
from tests.integration.provider import FakeProvider
from tests.integration.s3_server import ACCESS_KEY, SECRET_KEY, S3Server, seaweed
from workers.worker import Runtime

pytestmark = pytest.mark.integration
Headers = dict[str, str]
ADA_SHA256 = "b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72"
PHONE_SHA256 = "42d573cfc315801d4cd8eddd5416b416a0bf298b9b9e12d6b07442c91db42bd8"


async def profile(api: httpx.AsyncClient, h: Headers, pid: str, **fields: Any) -> None:
    resp = await api.put(f"/v1/profiles/{pid}", json=fields, headers=h)
    assert resp.is_success, resp.text


async def consent(api: httpx.AsyncClient, h: Headers, pid: str, purpose: str) -> None:
    body = [{"channel": "purpose", "topic": purpose, "status": "subscribed"}]
    resp = await api.put(f"/v1/profiles/{pid}/subscriptions", json=body, headers=h)
    assert resp.status_code == 200, resp.text


async def audience(api: httpx.AsyncClient, h: Headers, key: str) -> str:
    aid = uid("aud")
    rule = {"attribute": key, "op": "eq", "value": "in"}
    resp = await api.post(
        "/v1/audiences", json={"audience_id": aid, "name": aid, "definition": rule}, headers=h
    )
    assert resp.status_code == 201, resp.text
    return aid


async def put(
    api: httpx.AsyncClient, h: Headers, name: str, spec: dict[str, Any]
) -> httpx.Response:
    return await api.put(f"/v1/destinations/{name}", json=spec, headers=h)


def gunzipped(path: str | Path) -> str:
    """The text of a gzip file (read in a sync helper: the test's loop is not blocked)."""
    return gzip.decompress(Path(path).read_bytes()).decode()


async def finished_run(api: httpx.AsyncClient, h: Headers, name: str) -> dict[str, Any]:
    """Start a run and wait for its ledger row to close."""
    started = await api.post(f"/v1/destinations/{name}/run", headers=h)
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]

    async def closed() -> dict[str, Any] | None:
        items = (await api.get(f"/v1/destinations/{name}/exports", headers=h)).json()["items"]
        runs = [e for e in items if e["export_id"] == run_id and e["status"] != "running"]
        return runs[0] if runs else None

    return await eventually(closed)


async def test_resource_reports_every_problem_and_never_echoes_secrets(
    api_client: httpx.AsyncClient, admin_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, name = admin_headers, uid("dest")
    bad = {"kind": "file", "audience": "", "purpose": "Ads!", "fields": ["attributes", "email"]}
    resp = await put(api_client, h, name, bad)
    assert resp.status_code == 422
    assert {f["field"] for f in resp.json()["fields"]} == {"audience", "purpose", "fields[0]"}
    resp = await put(
        api_client,
        h,
        name,
        {
            "kind": "stream_http",
            "audience": uid("missing"),
            "purpose": "ads",
            "every": "PT1H",
            "http": {
                "url": "https://hooks.example/x",
                "auth": {"type": "bearer", "secret": "NOPE"},
            },
        },
    )
    assert resp.status_code == 422
    assert {f["field"] for f in resp.json()["fields"]} == {"every", "http.auth.secret", "audience"}
    key = uid("k")
    aid = await audience(api_client, h, key)
    spec = {
        "kind": "file",
        "audience": aid,
        "purpose": "analytics",
        "file": {
            "target": {
                "type": "sftp",
                "host": "files.example",
                "username": "u",
                "secret": "SFTP_X",
                "host_key": "ssh-ed25519 AAAAC3Nz",
            }
        },
    }
    monkeypatch.setenv("WAYLINE_SECRET_SFTP_X", "hunter2")
    monkeypatch.setenv("WAYLINE_SECRET_SFTP_X_HOSTS", "files.example")
    created = await put(api_client, h, name, spec)
    assert created.status_code == 201, created.text
    assert "hunter2" not in created.text
    got = (await api_client.get(f"/v1/destinations/{name}", headers=h)).json()
    assert got["kind"] == "file" and got["spec"]["file"]["target"]["secret"] == "SFTP_X"
    assert got["spec"]["fields"] == ["profile_id", "email"] and got["spec"]["rate_limit"] is None
    listed = (await api_client.get("/v1/destinations", headers=h)).json()["items"]
    assert name in [d["name"] for d in listed]
    assert (await api_client.get(f"/v1/destinations/{name}/exports", headers=h)).json() == {
        "items": [],
        "count": 0,
    }
    assert (await api_client.delete(f"/v1/destinations/{name}", headers=h)).status_code == 204
    assert (await api_client.get(f"/v1/destinations/{name}", headers=h)).status_code == 404
    s3 = {"type": "s3", "endpoint": "https://s3.example/x", "bucket": "B", "secret": "S3_X"}
    resp = await put(api_client, h, name, {**spec, "file": {"target": s3}})
    assert resp.status_code == 422
    assert {f["field"] for f in resp.json()["fields"]} == {
        "file.target.s3.endpoint",
        "file.target.s3.bucket",
    }
    s3 |= {"endpoint": "https://s3.example", "bucket": "exports", "addressing": "virtual"}
    resp = await put(api_client, h, name, {**spec, "file": {"target": s3}})
    assert resp.status_code == 422
    assert resp.json()["fields"] == [
        {
            "field": "file.target.secret",
            "message": "secret 'S3_X' may not be sent to exports.s3.example: it declares no "
            "hosts (WAYLINE_SECRET_S3_X_HOSTS)",
        }
    ]


async def test_stream_signs_retries_under_one_key_and_keeps_to_consent(
    api_client: httpx.AsyncClient,
    admin_headers: Headers,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, name, key, purpose = admin_headers, uid("stream"), uid("k"), uid("ads")
    secret = uid("sig").upper().replace("-", "_")
    monkeypatch.setenv(f"WAYLINE_SECRET_{secret}", "whsec-test")
    yes, no = uid("p-yes"), uid("p-no")
    for pid in (yes, no):
        await profile(api_client, h, pid, email=f"{pid}@example.com", attributes={"plan": "pro"})
    await consent(api_client, h, yes, purpose)
    aid = await audience(api_client, h, key)
    with FakeProvider() as provider:
        provider.statuses = [500]  # the first batch fails once
        spec = {
            "kind": "stream_http",
            "audience": aid,
            "purpose": purpose,
            "fields": ["profile_id", "email", "attributes.plan"],
            "retry": {"initial_interval_seconds": 0.2, "max_attempts": 5},
            "http": {"url": provider.url, "signing_secret": secret},
        }
        assert (await put(api_client, h, name, spec)).status_code == 201
        for pid in (yes, no):
            await profile(
                api_client,
                h,
                pid,
                email=f"{pid}@example.com",
                attributes={"plan": "pro", key: "in"},
            )

        async def twice() -> bool:
            return len(provider.requests) >= 2

        await eventually(twice)
        await profile(api_client, h, yes, email=f"{yes}@example.com", attributes={"plan": "pro"})

        async def exited() -> bool:
            return len(provider.requests) >= 3

        await eventually(exited)
        await api_client.delete(f"/v1/destinations/{name}", headers=h)
    (k1, first), (k2, again), (k3, later) = provider.requests[:3]
    assert k1 == k2 == first["batch_id"] and first == again, "a retry sends the same batch"
    assert k3 != k1
    for raw, headers in zip(provider.bodies, provider.headers, strict=True):
        assert verify_webhook("whsec-test", headers[SIGNATURE_HEADER], raw)
    assert [(c["change"], c["profile"]) for c in first["changes"]] == [
        ("entered", {"profile_id": yes, "email": f"{yes}@example.com", "attributes.plan": "pro"})
    ]
    assert [c["change"] for c in later["changes"]] == ["exited"]
    assert first["destination"] == name


async def test_file_export_full_then_incremental_ndjson_gzip(
    api_client: httpx.AsyncClient, admin_headers: Headers, runtime: Runtime
) -> None:
    h, name, key, purpose = admin_headers, uid("file"), uid("k"), uid("crm")
    a, b, c = sorted(uid("p") for _ in range(3))
    for pid, plan in ((a, "pro"), (b, "free")):
        await profile(
            api_client,
            h,
            pid,
            email=f"{pid}@example.com",
            attributes={key: "in", "plan": plan, "n": 2},
        )
        await consent(api_client, h, pid, purpose)
    aid = await audience(api_client, h, key)
    spec = {
        "kind": "file",
        "audience": aid,
        "purpose": purpose,
        "fields": ["profile_id", "email", "attributes.plan", "attributes.n"],
        "file": {
            "format": "ndjson",
            "mode": "incremental",
            "target": {"type": "local", "directory": f"t/{name}"},
        },
    }
    assert (await put(api_client, h, name, spec)).status_code == 201
    run = await finished_run(api_client, h, name)
    assert run["status"] == "succeeded" and run["rows"] == 2, run
    text = await asyncio.to_thread(gunzipped, run["location"])
    assert text == (
        f'{{"change":"entered","profile_id":"{a}","email":"{a}@example.com","attributes.plan":"pro","attributes.n":2}}\n'
        f'{{"change":"entered","profile_id":"{b}","email":"{b}@example.com","attributes.plan":"free","attributes.n":2}}\n'
    )
    assert run["bytes"] == (await asyncio.to_thread(Path(run["location"]).stat)).st_size
    await profile(api_client, h, b, email=f"{b}@example.com", attributes={"plan": "free"})
    await profile(api_client, h, c, email=f"{c}@example.com", attributes={key: "in"})
    await consent(api_client, h, c, purpose)

    async def moved() -> bool:
        rows = await runtime.pool.fetch(
            "SELECT 1 FROM audience_changes WHERE audience_id = $1", aid
        )
        return len(rows) == 4  # the two entries at creation, an exit and an entry

    await eventually(moved)
    second = await finished_run(api_client, h, name)
    text = await asyncio.to_thread(gunzipped, second["location"])
    assert sorted(text.splitlines()) == sorted(
        [
            f'{{"change":"exited","profile_id":"{b}","email":"{b}@example.com","attributes.plan":"free","attributes.n":null}}',
            f'{{"change":"entered","profile_id":"{c}","email":"{c}@example.com","attributes.plan":null,"attributes.n":null}}',
        ]
    )


async def booking_type(api: httpx.AsyncClient, h: Headers) -> str:
    name = uid("bk").replace("-", "_")
    definition = {
        "fields": {
            "booking_id": {"type": "string"},
            "nights": {"type": "number"},
            "departs": {"type": "timestamp"},
        },
        "primary_key": "booking_id",
        "relations": {"guest": {"to": "profile"}},
    }
    resp = await api.put(f"/v1/entity-types/{name}", json=definition, headers=h)
    assert resp.status_code == 201, resp.text
    return name


async def test_entity_fields_export_each_profiles_records(
    api_client: httpx.AsyncClient, admin_headers: Headers, runtime: Runtime
) -> None:
    """`entities.<type>`: a JSON array of the profile's records, in key order, `[]` for none;
    NDJSON nests it, CSV carries it in one cell."""
    h, name, key, purpose = admin_headers, uid("ent"), uid("k"), uid("crm")
    booking = await booking_type(api_client, h)
    a, b = sorted(uid("p") for _ in range(2))
    for pid in (a, b):
        await profile(api_client, h, pid, email=f"{pid}@example.com", attributes={key: "in"})
        await consent(api_client, h, pid, purpose)
    records = [
        {"booking_id": "b2", "nights": 1, "departs": "2026-12-24T09:30:00Z", "guest": a},
        {"booking_id": "b1", "nights": 3.5, "guest": a},
    ]
    resp = await api_client.post(
        f"/v1/entities/{booking}/batch", json={"records": records}, headers=h
    )
    assert resp.is_success, resp.text
    aid = await audience(api_client, h, key)
    fields = ["profile_id", f"entities.{booking}"]
    target = {"type": "local", "directory": f"t/{name}"}
    spec = {"kind": "file", "audience": aid, "purpose": purpose, "fields": fields}
    spec["file"] = {"format": "ndjson", "target": target}
    assert (await put(api_client, h, name, spec)).status_code == 201
    run = await finished_run(api_client, h, name)
    assert run["status"] == "succeeded", run
    ada = (
        '[{"guest": "A", "nights": 3.5, "departs": null, "booking_id": "b1"}, '
        '{"guest": "A", "nights": 1, "departs": "2026-12-24T09:30:00+00:00", "booking_id": "b2"}]'
    ).replace('"A"', f'"{a}"')
    assert await asyncio.to_thread(gunzipped, run["location"]) == (
        f'{{"profile_id":"{a}","entities.{booking}":{ada}}}\n'
        f'{{"profile_id":"{b}","entities.{booking}":[]}}\n'
    )
    spec["file"] = {"format": "csv", "gzip": False, "target": target}
    assert (await put(api_client, h, name, spec)).status_code == 200
    run = await finished_run(api_client, h, name)
    text = await asyncio.to_thread(Path(run["location"]).read_text)
    cell = ada.replace('"', '""')
    assert text == f'profile_id,entities.{booking}\n{a},"{cell}"\n{b},[]\n'


async def test_entity_fields_need_a_type_related_to_profiles(
    api_client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    h = admin_headers
    aid = await audience(api_client, h, uid("k"))
    fields = ["profile_id", "entities.nothing_here", "entities.Bad"]
    spec = {"kind": "stream_http", "audience": aid, "purpose": "crm", "fields": fields}
    spec["http"] = {"url": "https://hooks.example/x"}
    resp = await put(api_client, h, uid("ent"), spec)
    assert resp.status_code == 422
    assert [f["field"] for f in resp.json()["fields"]] == ["fields[2]"]
    resp = await put(api_client, h, uid("ent"), {**spec, "fields": fields[:2]})
    assert resp.status_code == 422
    [problem] = resp.json()["fields"]
    assert problem["field"] == "fields[1]"
    assert problem["message"].startswith("entity type 'nothing_here' not found; known: ")


async def test_an_exported_entity_type_cannot_be_deleted(
    api_client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    h, name = admin_headers, uid("ent")
    booking = await booking_type(api_client, h)
    aid = await audience(api_client, h, uid("k"))
    spec = {"kind": "file", "audience": aid, "purpose": "crm"}
    spec |= {"fields": [f"entities.{booking}"], "file": {"target": {"type": "local"}}}
    assert (await put(api_client, h, name, spec)).status_code == 201
    resp = await api_client.delete(f"/v1/entity-types/{booking}", headers=h)
    assert resp.status_code == 409
    assert resp.json()["message"] == (
        f"entity type {booking!r} is exported by destination {name!r}"
    )
    assert (await api_client.delete(f"/v1/destinations/{name}", headers=h)).status_code == 204
    assert (await api_client.delete(f"/v1/entity-types/{booking}", headers=h)).status_code == 204


@pytest.fixture
async def sftp_server(tmp_path: Path) -> AsyncIterator[tuple[int, str, Path]]:
    """asyncssh's own SFTP server on 127.0.0.1, chrooted to a temp dir, one password."""

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, username: str, password: str) -> bool:
            return username == "exporter" and password == "sftp-pw"

    key = asyncssh.generate_private_key("ssh-ed25519")
    (tmp_path / "upload").mkdir()
    server = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[key],
        server_factory=Server,
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(tmp_path).encode()),
    )
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, key.export_public_key().decode().strip(), tmp_path
    finally:
        server.close()
        await server.wait_closed()


async def test_file_export_to_sftp_csv_gzip(
    api_client: httpx.AsyncClient,
    admin_headers: Headers,
    runtime: Runtime,
    sftp_server: tuple[int, str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, host_key, root = sftp_server
    h, name, key, purpose = admin_headers, uid("sftp"), uid("k"), uid("crm")
    monkeypatch.setenv("WAYLINE_SECRET_SFTP_TEST", "sftp-pw")
    monkeypatch.setenv("WAYLINE_SECRET_SFTP_TEST_HOSTS", "127.0.0.1")
    a, b = sorted(uid("p") for _ in range(2))
    await profile(
        api_client, h, a, email=f"{a}@example.com", attributes={key: "in", "city": "Lyon, FR"}
    )
    await profile(api_client, h, b, phone="+33612345678", attributes={key: "in"})
    for pid in (a, b):
        await consent(api_client, h, pid, purpose)
    aid = await audience(api_client, h, key)
    target = {
        "type": "sftp",
        "host": "127.0.0.1",
        "port": port,
        "username": "exporter",
        "directory": "/upload",
        "secret": "SFTP_TEST",
        "host_key": host_key,
    }
    spec = {
        "kind": "file",
        "audience": aid,
        "purpose": purpose,
        "fields": ["profile_id", "email", "phone", "attributes.city"],
        "file": {"format": "csv", "target": target},
    }
    assert (await put(api_client, h, name, spec)).status_code == 201
    run = await finished_run(api_client, h, name)
    assert run["status"] == "succeeded", run
    suffix = run["export_id"].rsplit(":", 1)[-1]
    assert run["location"] == f"sftp://exporter@127.0.0.1:{port}/upload/{name}-{suffix}.csv.gz"
    written = root / "upload" / f"{name}-{suffix}.csv.gz"
    assert await asyncio.to_thread(gunzipped, written) == (
        "profile_id,email,phone,attributes.city\n"
        f'{a},{a}@example.com,,"Lyon, FR"\n'
        f"{b},,+33612345678,\n"
    )
    assert sorted(p.name for p in (root / "upload").iterdir()) == [written.name]


@pytest.fixture(scope="module")
async def s3_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[S3Server]:
    async with seaweed(tmp_path_factory.mktemp("s3"), "exports") as server:
        yield server


def s3_target(server: S3Server, prefix: str) -> dict[str, Any]:
    return {
        "type": "s3",
        "endpoint": server.endpoint,
        "bucket": "exports",
        "prefix": prefix,
        "secret": "S3_TEST",
    }


async def s3_object(server: S3Server, key: str) -> bytes:
    async with server.client() as s3:
        answer = await s3.get_object(Bucket="exports", Key=key)
        async with answer["Body"] as body:
            data: bytes = await body.read()
            return data


async def test_file_export_to_s3_ndjson_gzip(
    api_client: httpx.AsyncClient,
    admin_headers: Headers,
    runtime: Runtime,
    s3_server: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, name, key, purpose = admin_headers, uid("s3"), uid("k"), uid("crm")
    monkeypatch.setenv("WAYLINE_SECRET_S3_TEST", f"{ACCESS_KEY}:{SECRET_KEY}")
    monkeypatch.setenv("WAYLINE_SECRET_S3_TEST_HOSTS", "127.0.0.1")
    a = uid("p")
    await profile(api_client, h, a, email=f"{a}@example.com", attributes={key: "in"})
    await consent(api_client, h, a, purpose)
    aid = await audience(api_client, h, key)
    spec = {
        "kind": "file",
        "audience": aid,
        "purpose": purpose,
        "fields": ["profile_id", "email"],
        "file": {"format": "ndjson", "target": s3_target(s3_server, "/crm/daily/")},
    }
    assert (await put(api_client, h, name, spec)).status_code == 201
    run = await finished_run(api_client, h, name)
    assert run["status"] == "succeeded", run
    suffix = run["export_id"].rsplit(":", 1)[-1]
    assert run["location"] == f"s3://exports/crm/daily/{name}-{suffix}.ndjson.gz"
    data = await s3_object(s3_server, f"crm/daily/{name}-{suffix}.ndjson.gz")
    assert gzip.decompress(data).decode() == (f'{{"profile_id":"{a}","email":"{a}@example.com"}}\n')


def sink_target(server: S3Server, prefix: str) -> S3Target:
    return S3Target.model_validate(s3_target(server, prefix))


async def test_s3_multipart_appears_whole_and_an_abort_leaves_nothing(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLINE_SECRET_S3_TEST", f"{ACCESS_KEY}:{SECRET_KEY}")
    monkeypatch.setenv("WAYLINE_SECRET_S3_TEST_HOSTS", "127.0.0.1")
    prefix, allowed = uid("big"), frozenset({"127.0.0.1"})
    chunks = [bytes([n]) * (1 << 20) for n in range(PART_BYTES // (1 << 20) + 2)]
    sink = await S3Sink.open(sink_target(s3_server, prefix), "big.bin", allowed)
    for chunk in chunks:
        await sink.write(chunk)
    await sink.commit()
    assert await s3_object(s3_server, f"{prefix}/big.bin") == b"".join(chunks)
    failed = await S3Sink.open(sink_target(s3_server, prefix), "failed.bin", allowed)
    for chunk in chunks:
        await failed.write(chunk)
    await failed.abort()
    async with s3_server.client() as s3:
        listed = await s3.list_objects_v2(Bucket="exports", Prefix=prefix)
        uploads = await s3.list_multipart_uploads(Bucket="exports", Prefix=prefix)
    assert [o["Key"] for o in listed["Contents"]] == [f"{prefix}/big.bin"]
    assert uploads.get("Uploads", []) == []


async def test_ad_audience_sends_hashed_identifiers_in_batches(
    api_client: httpx.AsyncClient, admin_headers: Headers, runtime: Runtime
) -> None:
    h, name, key, purpose = admin_headers, uid("ads"), uid("k"), uid("advertising")
    a, b, c = sorted(uid("p") for _ in range(3))
    await profile(api_client, h, a, email="Ada@Example.com", attributes={key: "in"})
    await profile(api_client, h, b, phone="+33 6 12 34 56 78", attributes={key: "in"})
    await profile(api_client, h, c, email="no-consent@example.com", attributes={key: "in"})
    for pid in (a, b):
        await consent(api_client, h, pid, purpose)
    aid = await audience(api_client, h, key)
    with FakeProvider() as provider:
        spec = {
            "kind": "ad_audience",
            "audience": aid,
            "purpose": purpose,
            "batch_size": 1,
            "http": {"url": provider.url},
        }
        assert (await put(api_client, h, name, spec)).status_code == 201
        run = await finished_run(api_client, h, name)
    assert run["status"] == "succeeded" and run["rows"] == 2, run
    assert [body for _, body in provider.requests] == [
        {"schema": ["EMAIL_SHA256", "PHONE_SHA256"], "data": [[ADA_SHA256, None]]},
        {"schema": ["EMAIL_SHA256", "PHONE_SHA256"], "data": [[None, PHONE_SHA256]]},
    ]
    assert [k for k, _ in provider.requests] == [f"{run['export_id']}:0", f"{run['export_id']}:1"]
    items = (await api_client.get(f"/v1/destinations/{name}/exports", headers=h)).json()["items"]
    batches = sorted(
        (e["export_id"], e["rows"], e["status"]) for e in items if e["kind"] == "batch"
    )
    assert batches == [
        (f"{run['export_id']}:0", 1, "succeeded"),
        (f"{run['export_id']}:1", 1, "succeeded"),
    ]
    assert json.dumps(provider.requests).count("@") == 0, "no address leaves in clear"


async def test_a_change_committed_late_is_streamed_not_skipped(
    api_client: httpx.AsyncClient, admin_headers: Headers, runtime: Runtime
) -> None:
    """Change ids are taken before commit: the change of a transaction still open gets a
    lower id than one committed after it. The cursor waits for the open transaction (the
    snapshot's horizon) and then streams both, in (txid, id) order; an id cursor would have
    passed the first one by."""
    h, name, key, purpose = admin_headers, uid("late"), uid("k"), uid("crm")
    early, late = uid("p-early"), uid("p-late")
    for pid in (early, late):
        await profile(api_client, h, pid)
        await consent(api_client, h, pid, purpose)
    aid = await audience(api_client, h, key)
    spec = {
        "kind": "stream_http",
        "audience": aid,
        "purpose": purpose,
        "http": {"url": "https://hooks.example/never-called"},
    }
    pool = runtime.pool
    # the row alone (no workflow): this test claims the batches itself
    await pool.execute(
        "INSERT INTO destinations (name, kind, spec) VALUES ($1, 'stream_http', $2)", name, spec
    )
    insert = (
        "INSERT INTO audience_changes (audience_id, profile_id, change) "
        "VALUES ($1, $2, 'entered') RETURNING id"
    )
    async with pool.acquire() as open_conn:
        tx = open_conn.transaction()
        await tx.start()
        first_id = await open_conn.fetchval(insert, aid, early)
        second_id = await pool.fetchval(insert, aid, late)
        assert first_id < second_id
        assert await stream.claim(pool, name) is None, "nothing below the horizon yet"
        await tx.commit()
    batch = await stream.claim(pool, name)
    assert isinstance(batch, stream.Batch)
    body, rows = await stream.payload(pool, name, batch)
    assert [(c["change"], c["profile"]["profile_id"]) for c in body["changes"]] == [
        ("entered", early),
        ("entered", late),
    ]
    again = await stream.claim(pool, name)
    assert isinstance(again, stream.Batch) and again.export_id == batch.export_id, "still open"
    await stream.delivered(pool, name, batch, rows, 10)
    assert await stream.claim(pool, name) is None
    ledger = await pool.fetch(
        "SELECT status, rows, bytes FROM destination_exports WHERE destination = $1", name
    )
    assert [tuple(r) for r in ledger] == [("succeeded", 2, 10)]
    await pool.execute("DELETE FROM destinations WHERE name = $1", name)


async def test_a_stream_restarted_mid_send_resends_its_open_batch(
    api_client: httpx.AsyncClient, admin_headers: Headers, runtime: Runtime
) -> None:
    """Saving the destination again restarts its workflow while the first send hangs: the
    new run sends the open batch again, same changes, same key, and the stream goes on."""
    h, name, key, purpose = admin_headers, uid("restart"), uid("k"), uid("crm")
    pids = sorted(uid("p") for _ in range(2))
    for pid in pids:
        await profile(api_client, h, pid)
        await consent(api_client, h, pid, purpose)
    aid = await audience(api_client, h, key)
    with FakeProvider() as provider:
        provider.hold_first.set()
        spec: dict[str, Any] = {
            "kind": "stream_http",
            "audience": aid,
            "purpose": purpose,
            "http": {"url": provider.url, "timeout_seconds": 60},
        }
        assert (await put(api_client, h, name, spec)).status_code == 201
        await profile(api_client, h, pids[0], attributes={key: "in"})
        assert await asyncio.to_thread(provider.received.wait, 45), "the first send arrived"
        spec["batch_size"] = 100
        assert (await put(api_client, h, name, spec)).status_code == 200  # restarts the stream

        async def resent() -> bool:
            return len(provider.requests) >= 2

        await eventually(resent)
        provider.release.set()
        await profile(api_client, h, pids[1], attributes={key: "in"})

        async def went_on() -> bool:
            return len({k for k, _ in provider.requests}) >= 2

        await eventually(went_on)
        await api_client.delete(f"/v1/destinations/{name}", headers=h)
    (k1, held), (k2, again) = provider.requests[:2]
    assert k1 == k2 and held == again
    assert [c["profile"]["profile_id"] for c in held["changes"]] == [pids[0]]
    later = [body for k, body in provider.requests if k != k1]
    assert {c["profile"]["profile_id"] for b in later for c in b["changes"]} == {pids[1]}


async def test_a_purpose_needs_its_name(
    api_client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    pid = uid("p")
    resp = await api_client.put(
        f"/v1/profiles/{pid}/subscriptions",
        json=[{"channel": "purpose", "status": "subscribed"}],
        headers=admin_headers,
    )
    assert resp.status_code == 422
    assert resp.json()["fields"][0]["message"] == "a consent purpose needs its name in `topic`"
