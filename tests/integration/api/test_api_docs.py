"""The API's reference pages, Swagger UI at /docs and ReDoc at /redoc, load nothing from
another host: every script, stylesheet and icon they name is served by the API itself, so the
docs work on a machine without internet (issue 20.4)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.integration

CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


class _Assets(HTMLParser):
    """The URLs a page's `<script src>` and `<link href>` make the browser fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def assets(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_only_files_the_api_serves(
    api_client: httpx.AsyncClient, page: str
) -> None:
    resp = await api_client.get(page)  # no key: the docs are public, like /openapi.json
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    urls = assets(resp.text)
    assert any(url.endswith(".js") for url in urls), urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} loads {url} from another host"
        asset = await api_client.get(url)
        assert asset.status_code == 200, (url, asset.status_code)
        suffix = "." + parts.path.rsplit(".", 1)[-1]
        assert CONTENT_TYPES[suffix] in asset.headers["content-type"], (url, asset.headers)
        assert asset.content, url
    assert "/openapi.json" in resp.text
    policy = resp.headers["content-security-policy"]  # what the scripts fetch stays here too
    assert "default-src 'self'" in policy and "http" not in policy
    assert "fonts.googleapis.com" not in resp.text  # ReDoc's default pulls its fonts from there


async def test_docs_assets_are_only_the_packaged_files(api_client: httpx.AsyncClient) -> None:
    assert (await api_client.get("/docs/assets/nope.js")).status_code == 404
    assert (await api_client.get("/docs/assets/../core.py")).status_code == 404
