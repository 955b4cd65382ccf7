"""One API process: its telemetry and its app, the same whether `wayline api` serves it in
its own process or as one of `--workers N` (uvicorn spawns those and calls `worker_app`)."""

from __future__ import annotations

import atexit

from fastapi import FastAPI

from api.app import create_app
from core.logs import configure_logging
from core.settings import Settings
from core.telemetry import Telemetry, configure

FACTORY = f"{__name__}:worker_app"


def build(settings: Settings) -> tuple[FastAPI, Telemetry]:
    """The app, traced as `wayline-api` when telemetry is configured."""
    telemetry = configure(settings, "wayline-api")
    return create_app(settings, telemetry), telemetry


def worker_app() -> FastAPI:
    """The app of a spawned worker process: nothing is inherited but the environment."""
    settings = Settings()
    configure_logging(settings)
    app, telemetry = build(settings)
    atexit.register(telemetry.shutdown)
    return app
