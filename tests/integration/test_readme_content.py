"""The README's Content examples, request by request as the curl lines write them, against an
API and a worker: what the comments say they answer is what they answer."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import eventually
from tests.integration.test_previews import Stack, stack  # noqa: F401  (the fixture)

pytestmark = pytest.mark.integration

README = Path(__file__).parent.parent.parent / "README.md"


def content_requests() -> list[tuple[str, str, Any]]:
    """(method, path, JSON body) of every curl line in the README's Content section."""
    text = README.read_text()
    section = text[text.index("\n## Content\n") : text.index("\n## Campaigns\n")]
    requests = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
        words_all = shlex.split(block, comments=True)
        starts = [i for i, w in enumerate(words_all) if w == "curl"]
        for start, end in zip(starts, [*starts[1:], len(words_all)], strict=True):
            words = words_all[start:end]
            method = words[words.index("-sX") + 1] if "-sX" in words else "GET"
            url = next(w for w in words if w.startswith("localhost:8000"))
            body = json.loads(words[words.index("-d") + 1]) if "-d" in words else None
            requests.append((method, url.removeprefix("localhost:8000"), body))
    return requests


async def test_the_readme_content_examples(stack: Stack, admin_headers: dict[str, str]) -> None:  # noqa: F811
    api, h = stack.api, admin_headers
    profile = {"email": "ada@example.com", "attributes": {"first_name": "Ada"}}
    assert (await api.put("/v1/profiles/ada", json=profile, headers=h)).is_success
    answers = []
    for method, path, body in content_requests():
        resp = await api.request(method, path, json=body, headers=h)
        answers.append((method, path, resp.status_code, resp.json() if resp.content else None))
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
