"""The web console's built files at `/console` (same origin as the API), with `/` leading
there. The pages are public, like any sign-in page: every call they make needs a key."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response

router = APIRouter(include_in_schema=False)

BUILT = Path(__file__).resolve().parent.parent / "console" / "dist"  # a source checkout's

NOT_BUILT = (
    "The console is not built: run `npm ci && npm run build` in console/ "
    "(scripts/dev.sh does), or point WAYLINE_CONSOLE_DIR at a built copy.\n"
)


def console_file(root: Path, path: str) -> Path | None:
    """The built file for a path under /console, or index.html for the app's own routes
    (SPA fallback); None when nothing is built. Never a file outside `root`."""
    index = root / "index.html"
    if not index.is_file():
        return None
    wanted = (root / path).resolve()
    if path and wanted.is_relative_to(root.resolve()) and wanted.is_file():
        return wanted
    return index


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=307)


@router.get("/console")
async def console_root() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=307)


@router.get("/console/{path:path}")
async def console(path: str, request: Request) -> Response:
    found = console_file(request.app.state.settings.console_dir or BUILT, path)
    if found is None:
        return PlainTextResponse(NOT_BUILT, status_code=404)
    hashed = found.parent.name == "assets"  # Vite names them by content hash
    cache = "public, max-age=31536000, immutable" if hashed else "no-cache"
    return FileResponse(found, headers={"Cache-Control": cache})
