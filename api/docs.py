"""The API's reference pages, Swagger UI at /docs and ReDoc at /redoc, with their scripts,
styles and icon served by the API itself from the files of the `fastapi-offline` package.
FastAPI's own pages load them from a CDN, so on a machine or network without internet (an
air-gapped install, a laptop on a train) they render blank. The pages are public, like
/openapi.json: they hold no data, and trying a call in Swagger UI needs a key."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
ASSETS_URL = "/docs/assets"

# swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js and favicon.png, nothing else.
ASSETS = Path(str(files("fastapi_offline") / "static"))

# Swagger UI asks validator.swagger.io for a badge of every spec not served from localhost:
# a request to the internet from each docs page, and the spec's URL sent to a third party.
SWAGGER_PARAMETERS = {"validatorUrl": None}

# The pages may load and call only their own origin. That also covers what the scripts would
# fetch from elsewhere, such as the Redocly logo ReDoc takes from its CDN (a refused image is
# hidden). Inline scripts and styles stay allowed: the page's set-up and the UIs' styling.
POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
    )
)


def install_docs(app: FastAPI) -> None:
    """Add /docs, /redoc and their assets to an app built with `docs_url=redoc_url=None`."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )
        return _confined(page)

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} API",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,  # fonts.googleapis.com is another host; system fonts do
        )
        return _confined(page)


def _confined(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = POLICY
    return page


def _root(request: Request) -> str:
    """The prefix a proxy serves the API under (uvicorn's --root-path), so links stay inside."""
    return str(request.scope.get("root_path", "")).rstrip("/")
