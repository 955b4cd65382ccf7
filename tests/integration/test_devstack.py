"""`wayline dev` as a user runs it: starts everything, stops cleanly, and a journey waiting
across a full restart of the stack still finishes."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from workers.embedded import free_port, port_open

pytestmark = pytest.mark.integration
KEY = "wl_devstack_key_0123456789abcdefghij"
EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "abandoned-cart.yaml"


@pytest.fixture
def dev_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "WAYLINE_DATA_DIR": str(tmp_path / "data"),
        "WAYLINE_API_PORT": str(free_port()),
        "WAYLINE_TEMPORAL_PORT": str(free_port()),
        "WAYLINE_TEMPORAL_UI_PORT": str(free_port()),
        "WAYLINE_POSTGRES_PORT": str(free_port()),
        "WAYLINE_DEV_MAIL_PORT": str(free_port()),
        "WAYLINE_BOOTSTRAP_KEY": KEY,
    }
    for var in ("DATABASE_URL", "TEMPORAL_ADDRESS", "WAYLINE_SMTP_HOST", "WAYLINE_SMTP_PORT"):
        env.pop(var, None)
    yield env


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "dev"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    api = f"http://127.0.0.1:{env['WAYLINE_API_PORT']}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"dev stack not healthy:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes], env: dict[str, str]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(90) == 0
    for port in (
        "WAYLINE_API_PORT",
        "WAYLINE_TEMPORAL_PORT",
        "WAYLINE_TEMPORAL_UI_PORT",
        "WAYLINE_POSTGRES_PORT",
        "WAYLINE_DEV_MAIL_PORT",
    ):
        assert not port_open("127.0.0.1", int(env[port])), f"{port} still open after stop"


def poll(fn: object, limit: float = 60) -> object:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = fn()  # type: ignore[operator]
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError("timed out")


def api_client(dev_env: dict[str, str]) -> httpx.Client:
    """The dev stack's API, authenticated with the bootstrap key the test set."""
    return httpx.Client(
        base_url=f"http://127.0.0.1:{dev_env['WAYLINE_API_PORT']}",
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    )


def test_dev_stack_restart_keeps_journeys(dev_env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "dev.log"
    proc = start(dev_env, log)
    api = api_client(dev_env)
    try:
        assert port_open("127.0.0.1", int(dev_env["WAYLINE_TEMPORAL_UI_PORT"]))
        text = log.read_text()
        assert "Temporal UI" in text and "/docs" in text
        jid, profile = f"restart-{uuid.uuid4().hex[:6]}", "p-restart"
        assert api.put("/v1/templates/bye", json={"channel": "log", "body": "bye"}).is_success
        defn = {
            "id": jid,
            "name": "restart",
            "entry": {"event": "go"},
            "start": "pause",
            "nodes": {
                "pause": {"type": "wait", "duration": "PT8S", "next": "bye"},
                "bye": {"type": "message", "channel": "log", "template": "bye", "next": "done"},
                "done": {"type": "end"},
            },
        }
        assert api.put(f"/v1/journeys/{jid}", json=defn).is_success
        assert api.post(f"/v1/journeys/{jid}/publish").is_success
        assert api.post("/v1/events", json={"name": "go", "profile_id": profile}).status_code == 202
        for tpl in ("cart-reminder", "coupon-sms"):
            assert api.put(f"/v1/templates/{tpl}", json={"channel": "log", "body": "x"}).is_success
        found = Path(dev_env["WAYLINE_DATA_DIR"]) / "dev.json"
        assert stat.S_IMODE(found.stat().st_mode) == 0o600
        assert f"export WAYLINE_API_KEY={KEY}" in text
        # No WAYLINE_API_URL / WAYLINE_API_KEY: publish finds the running stack by its file.
        published = subprocess.run(
            [sys.executable, "-m", "cli.main", "publish", str(EXAMPLE)],
            env={k: v for k, v in dev_env.items() if k not in ("WAYLINE_BOOTSTRAP_KEY",)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert published.returncode == 0, published.stderr
        assert "published abandoned-cart version 1" in published.stdout

        def waiting() -> bool:
            rows = api.get(f"/v1/profiles/{profile}/journeys").json()
            rows = rows["items"] if isinstance(rows, dict) else rows
            return any(r.get("current_node") == "pause" for r in rows)

        poll(waiting, 30)
        mailed(api)
        stop(proc, dev_env)
        proc = start(dev_env, log)

        def sent() -> list[object]:
            body = api.get("/v1/messages", params={"profile_id": profile}).json()
            return body["items"] if isinstance(body, dict) else body

        messages = poll(sent, 60)
        assert len(messages) == 1  # type: ignore[arg-type]
    finally:
        api.close()
        stop(proc, dev_env)


def mailed(api: httpx.Client) -> None:
    """With no SMTP server configured, a journey's email lands in the dev mail catcher."""
    jid, profile = f"mail-{uuid.uuid4().hex[:6]}", f"p-mail-{uuid.uuid4().hex[:6]}"
    tpl = {"channel": "email", "subject": "Hello {{ profile.attributes.name }}", "body": "Hi"}
    assert api.put("/v1/templates/hello-mail", json=tpl).is_success
    defn = {
        "id": jid,
        "name": "mail",
        "entry": {"event": f"{jid}.go"},
        "start": "hello",
        "nodes": {
            "hello": {
                "type": "message",
                "channel": "email",
                "template": "hello-mail",
                "next": "done",
            },
            "done": {"type": "end"},
        },
    }
    assert api.put(f"/v1/journeys/{jid}", json=defn).is_success
    assert api.post(f"/v1/journeys/{jid}/publish").is_success
    person = {"email": f"{profile}@example.com", "attributes": {"name": "Ada"}}
    assert api.put(f"/v1/profiles/{profile}", json=person).is_success
    assert api.post("/v1/events", json={"name": f"{jid}.go", "profile_id": profile}).is_success

    def caught() -> list[dict[str, object]]:
        items = api.get("/v1/dev/mail").json()["items"]
        return [m for m in items if m["recipients"] == [f"{profile}@example.com"]]

    [mail] = poll(caught, 60)  # type: ignore[misc]
    assert mail["subject"] == "Hello Ada"


def child_pid(launcher: int, name: str) -> int:
    """The pid of the launcher's child `name`, from /proc (the test sees what a user would)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) != launcher:
            continue
        args = [a.decode(errors="replace") for a in argv if a]
        found = {
            "worker": args[1:4] == ["-m", "cli.main", "worker"],
            "api": args[1:4] == ["-m", "cli.main", "api"],
            "temporal": "start-dev" in args,
            "postgres": bool(args) and args[0].endswith("/postgres"),
        }
        if found[name]:
            return int(entry.name)
    raise AssertionError(f"no {name} child of {launcher}")


def serves(api: httpx.Client, profile: str) -> None:
    """An event for `profile` is accepted and its journey's message sent, within two minutes."""
    accepted = False

    def delivered() -> bool:
        nonlocal accepted
        try:
            if not accepted:
                event = {"event_id": f"ev-{profile}", "name": "ping", "profile_id": profile}
                accepted = api.post("/v1/events", json=event).status_code == 202
            body = api.get("/v1/messages", params={"profile_id": profile}).json()
        except (httpx.HTTPError, ValueError):
            return False
        return accepted and bool(body["items"] if isinstance(body, dict) else body)

    poll(delivered, 120)


def test_dev_stack_restarts_a_killed_child(dev_env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "dev.log"
    proc = start(dev_env, log)
    api = api_client(dev_env)
    try:
        jid = f"ping-{uuid.uuid4().hex[:6]}"
        assert api.put("/v1/templates/pong", json={"channel": "log", "body": "pong"}).is_success
        defn = {
            "id": jid,
            "name": "ping",
            "entry": {"event": "ping"},
            "start": "pong",
            "nodes": {
                "pong": {"type": "message", "channel": "log", "template": "pong", "next": "done"},
                "done": {"type": "end"},
            },
        }
        assert api.put(f"/v1/journeys/{jid}", json=defn).is_success
        assert api.post(f"/v1/journeys/{jid}/publish").is_success
        serves(api, "p-before")
        for name in ("worker", "api", "temporal", "postgres"):
            os.kill(child_pid(proc.pid, name), signal.SIGKILL)
            poll(lambda name=name: f"wayline dev: {name} restarted" in log.read_text(), 90)
            assert proc.poll() is None, log.read_text()
            serves(api, f"p-after-{name}")
        text = log.read_text()
        assert "worker exited with signal 9 (SIGKILL); restarting it in 1 s" in text
        assert "postgres exited with signal 9 (SIGKILL); restarting it with worker, api" in text
    finally:
        api.close()
        stop(proc, dev_env)


def test_worker_ports_taken_by_another_process_are_chosen_free(
    dev_env: dict[str, str], tmp_path: Path
) -> None:
    """Another exporter on 9464 (or a second dev stack) must not cost the worker its metrics
    and health: the stack picks free ports and its banner says which (issue 20.7)."""
    for var in ("WAYLINE_WORKER_METRICS_PORT", "WAYLINE_WORKER_HEALTH_PORT"):
        dev_env.pop(var, None)
    held = []
    for port in (9464, 9465):  # the defaults (core/settings.py)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            pass  # held by someone else already: as good for this test
        held.append(sock)
    log = tmp_path / "dev.log"
    proc = start(dev_env, log)
    try:
        text = log.read_text()
        metrics = re.search(r"worker http://127\.0\.0\.1:(\d+)/metrics", text)
        health = re.search(r"Worker +http://127\.0\.0\.1:(\d+)/health", text)
        assert metrics and health, text
        assert int(metrics[1]) != 9464 and int(health[1]) != 9465
        got = poll(lambda: _answer(f"http://127.0.0.1:{metrics[1]}/metrics"))
        assert "temporal" in str(got) or "wayline" in str(got)
        assert poll(lambda: _answer(f"http://127.0.0.1:{health[1]}/health"))
    finally:
        stop(proc, dev_env)
        for sock in held:
            sock.close()


def _answer(url: str) -> str | None:
    try:
        resp = httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None
    return resp.text if resp.status_code == 200 else None
