"""Property-based fuzzing of the OpenAPI document against the real app (issue 13, point 4).

Schemathesis generates requests for every operation from `/openapi.json`, valid and invalid,
and checks each answer: never a 5xx, a documented status code and content type, a body and
headers that match the documented schema; a method an operation lacks gets 405 with an
`Allow` header, and a request without its key is refused (`unsupported_method`,
`ignored_auth`). The app runs in a real uvicorn server on a
loopback port, in a thread with its own event loop and pool (schemathesis calls it
synchronously; the session's asyncpg pool belongs to another loop), over its own database
and task queue on the session's servers, so what the fuzzer creates (frequency caps,
suppressions, published journeys, campaign runs) cannot reach the other tests.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import schemathesis
import uvicorn
from pydantic import SecretStr
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api.app import create_app
from api.keys import ensure_bootstrap_key
from core.settings import Settings
from db.migrate import migrate_url
from db.pool import create_pool
from tests.conftest import ADMIN_KEY
from workers.embedded import free_port

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 8
"""Fuzzing examples per operation, on top of the explicit coverage cases; 83 operations."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,
    ignored_auth,
]


@dataclass
class Tally:
    """What the fuzzer sent and what came back, printed at the end of the module."""

    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        errors = sum(n for status, n in self.statuses.items() if status >= 500)
        lines = [f"schema fuzz: {self.cases} cases, {errors} server errors"]
        lines.append(
            "  statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        )
        return "\n".join(lines + [f"  {f}" for f in sorted(set(self.failures))])


TALLY = Tally()


def _own_database(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/wayline_fuzz"))


@pytest.fixture(scope="module")
async def fuzz_settings(settings: Settings) -> Settings:
    """The session's servers, but a database and a task queue of the fuzzer's own."""
    own = settings.model_copy(
        update={
            "database_url": _own_database(settings.database_url),
            "task_queue": "wayline-fuzz",
            "signing_secret": SecretStr("fuzz-signing-secret-0123456789"),
            "metrics_token": SecretStr("fuzz-metrics-token"),
        }
    )
    await migrate_url(own.database_url, create=True)
    pool = await create_pool(own.database_url, min_size=1, max_size=1)
    try:
        await ensure_bootstrap_key(pool, own)  # ADMIN_KEY, as in the session's database
    finally:
        await pool.close()
    return own


@pytest.fixture(scope="module")
def base_url(fuzz_settings: Settings) -> Iterator[str]:
    """The app in uvicorn on a free loopback port, in a thread with its own event loop."""
    port = free_port()
    config = uvicorn.Config(
        create_app(fuzz_settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fuzz-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def _document() -> dict[str, object]:
    """The app's OpenAPI document, the one it serves at `/openapi.json` (checked below)."""
    return create_app(Settings()).openapi()


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: object, value: object) -> bytes:
    """The import body is documented as a string (a stream of lines): send it as it is.

    Without this serializer schemathesis skips every NDJSON case of `/v1/profiles/import`;
    a negative case's non-string value goes as its JSON text, a line the import must refuse.
    """
    if isinstance(value, bytes):
        return value
    text = value if isinstance(value, str) else json.dumps(value)
    return text.encode("utf-8", "surrogatepass")


CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)
# Loaded at import, not from a fixture: pytest collects one test per operation from it
# (schemathesis' lazy `from_fixture` does not run on pytest 9).
schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="module", autouse=True)
def _summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + TALLY.summary())


def test_the_fuzzed_document_is_the_served_one(base_url: str) -> None:
    assert httpx.get(f"{base_url}/openapi.json").json() == _document()


@schema.parametrize()
def test_no_input_gets_a_server_error_or_an_undocumented_answer(case: Case, base_url: str) -> None:
    response = case.call(base_url=base_url, headers=AUTH, timeout=30)
    TALLY.cases += 1
    TALLY.statuses[response.status_code] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=AUTH)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        TALLY.failures.append(f"{case.operation.label} {response.status_code}: {first}")
        raise
