"""The Content page's examples (docs/content.md), request by request as the curl lines
write them, against an API and a worker: what the comments say they answer is what they answer."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from tests.integration.docs_examples import RUNNABLE, Command, commands, matches, section
from tests.integration.helpers import eventually
from tests.integration.test_previews import Stack, stack  # noqa: F401  (the fixture)

pytestmark = pytest.mark.integration

CONTENT_PAGE = Path(__file__).parent.parent.parent / "docs" / "content.md"


def content_requests() -> list[tuple[Command, str, str, Any]]:
    """(command, method, path, JSON body) of every curl line of the Content page,
    read by the docs-example harness (docs_examples.py) that runs the whole guide too."""
    requests = []
    for block in section(CONTENT_PAGE).blocks:
        for cmd in commands(block) if block.lang in RUNNABLE else []:
            words = shlex.split(cmd.text, comments=True)
            if words[0] != "curl":
                continue
            method = words[words.index("-sX") + 1] if "-sX" in words else "GET"
            url = next(w for w in words if w.startswith("localhost:8000"))
            body = json.loads(words[words.index("-d") + 1]) if "-d" in words else None
            requests.append((cmd, method, url.removeprefix("localhost:8000"), body))
    return requests


async def test_the_readme_content_examples(stack: Stack, admin_headers: dict[str, str]) -> None:  # noqa: F811
    api, h = stack.api, admin_headers
    profile = {"email": "ada@example.com", "attributes": {"first_name": "Ada"}}
    assert (await api.put("/v1/profiles/ada", json=profile, headers=h)).is_success
    answers = []
    for cmd, method, path, body in content_requests():
        resp = await api.request(method, path, json=body, headers=h)
        got: Any = resp.json() if resp.content else None
        assert cmd.answer is None or matches(cmd.answer, got), (cmd.line, cmd.answer, got)
        answers.append((method, path, resp.status_code, got))
    by = {(m, p): (status, got) for m, p, status, got in answers}
    assert [status for *_, status, _ in answers if status >= 300] == [409], answers
    assert by[("GET", "/v1/fragments/legal/usage")][1] == {"templates": [], "fragments": ["footer"]}
    assert by[("GET", "/v1/fragments/footer/usage")][1] == {
        "templates": ["welcome"],
        "fragments": [],
    }
    assert by[("DELETE", "/v1/fragments/footer")][1]["message"] == (
        "fragment 'footer' is used by template 'welcome'"
    )
    previews = [got for m, p, s, got in answers if p.endswith("/preview")]
    assert previews[1]["locale"] == "fr" and previews[1]["subject"] == "Bienvenue Zoé"
    assert previews[1]["body"] == "Bonjour Zoé !\n-- The Shop team\n(c) 2026 Boutique inc."
    assert previews[0]["body"] == "Hello Ada!\n-- The Shop team\n(c) 2026 Shop Inc."
    status, proofs = by[("POST", "/v1/templates/welcome/proofs")]
    assert status == 202 and [m["to"] for m in proofs["messages"]] == [
        "qa@example.com",
        "marketing@example.com",
    ]

    async def sent() -> int:
        rows = (await api.get("/v1/messages?profile_id=ada", headers=h)).json()["items"]
        return sum(r["proof"] and r["status"] == "sent" for r in rows)

    assert await eventually(sent, 60) >= 2
