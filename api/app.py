"""The FastAPI application: `create_app(settings)` builds it; the CLI serves it."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from temporalio.client import Client

from api import console
from api.docs import install_docs
from api.errors import BodyLimitMiddleware, install_error_handlers
from api.keys import KeyVerifier
from api.routes import (
    alerts,
    api_keys,
    audiences,
    backtest,
    campaigns,
    connectors,
    consent,
    decisions,
    designs,
    destinations,
    dev_mail,
    entities,
    events,
    fragments,
    health,
    imports,
    inbox,
    journeys,
    me,
    messages,
    metrics,
    migrations,
    offers,
    placements,
    previews,
    profiles,
    reports,
    schemas,
    segment,
    send_time,
    sms,
    templates,
    timeline,
    tracking,
    unsubscribe,
)
from api.storable import StorableBodyMiddleware, storable_parameters
from core.converter import data_converter
from core.settings import Settings, get_settings
from core.telemetry import Telemetry
from core.telemetry import current as current_telemetry
from db.pool import create_pool
from services.backpressure import Limits, OutboxGauge

VERSION = "0.1.0"

DESCRIPTION = """\
Wayline's HTTP API: send events and profile changes, manage journey definitions
and templates, read what happened to a profile.

Every endpoint except `GET /health`, `/v1/unsubscribe`, `/v1/t/*` and `/v1/sms/status`
(authenticated by the signed token of the link) needs `Authorization: Bearer <API key>`;
`GET /v1/me` tells a key its scopes. The web console is served at `/console`, this reference
at `/docs` (Swagger UI) and `/redoc`, both from the API itself: no CDN, they work offline.
Errors share one shape: `{"error", "message", "fields": [{"field", "message"}]}`.
"""


def _operation_id(route: APIRoute) -> str:
    """Readable operation ids for generated clients: `journeys-publish_journey`."""
    tag = route.tags[0] if route.tags else "wayline"
    return f"{tag}-{route.name}"


def create_app(settings: Settings | None = None, telemetry: Telemetry | None = None) -> FastAPI:
    """Build the API for these settings (the environment's when None)."""
    settings = settings or get_settings()
    telemetry = telemetry or current_telemetry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(settings.database_url)
        try:
            # Lazy: the API starts (and ingests) while Temporal is unreachable; only the
            # state queries need it.
            app.state.temporal = await Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=data_converter,
                lazy=True,
                interceptors=telemetry.temporal_interceptors(),
            )
            app.state.pool = pool
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title="Wayline",
        version=VERSION,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # api/docs.py serves /docs and /redoc without a CDN
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        dependencies=[Depends(storable_parameters)],
        # Spans come from core/telemetry.py's instrumentation when it is configured; FastAPI's
        # own would look up the global providers on every request (5% of a decision's CPU).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.keys = KeyVerifier()
    app.state.outbox = OutboxGauge(Limits.of(settings))
    install_error_handlers(app)
    app.add_middleware(StorableBodyMiddleware)  # inside the body limit, which buffers the body
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.max_body_bytes, streamed=imports.streamed
    )

    app.include_router(health.router)
    # Routes are matched one after another in this order, a regular expression each (a fifth
    # of a real-time decision's CPU when propose came last): the calls made per visitor
    # or per event by machines come first, the console's and operators' after.
    for hot in (events.router, decisions.router, tracking.router, segment.router):
        app.include_router(hot, prefix="/v1")
    modules = (
        profiles,
        journeys,
        designs,
        backtest,
        templates,
        fragments,
        messages,
        schemas,
        api_keys,
        me,
    )
    for module in modules:
        app.include_router(module.router, prefix="/v1")
    app.include_router(connectors.actions, prefix="/v1")
    app.include_router(connectors.data_sources, prefix="/v1")
    app.include_router(destinations.router, prefix="/v1")
    for router in (consent.subscriptions, consent.suppressions, consent.frequency_caps):
        app.include_router(router, prefix="/v1")
    app.include_router(unsubscribe.router, prefix="/v1")
    app.include_router(sms.router, prefix="/v1")
    app.include_router(inbox.router, prefix="/v1")
    app.include_router(timeline.router, prefix="/v1")
    app.include_router(send_time.router, prefix="/v1")
    app.include_router(entities.types, prefix="/v1")
    app.include_router(entities.records, prefix="/v1")
    app.include_router(metrics.router)
    app.include_router(previews.router, prefix="/v1")
    _count_refused_events(app)
    telemetry.instrument_app(app)
    app.include_router(audiences.router, prefix="/v1")
    app.include_router(imports.router, prefix="/v1")
    app.include_router(imports.entity_router, prefix="/v1")
    app.include_router(reports.router, prefix="/v1")
    app.include_router(alerts.router, prefix="/v1")
    app.include_router(campaigns.router, prefix="/v1")
    app.include_router(dev_mail.router, prefix="/v1")
    app.include_router(migrations.router, prefix="/v1")
    for module in (placements, offers):
        app.include_router(module.router, prefix="/v1")
    app.include_router(console.router)
    install_docs(app)
    return app


def _count_refused_events(app: FastAPI) -> None:
    """Events refused by validation never reach their handler: count them on the way out."""
    handler = app.exception_handlers[RequestValidationError]

    async def counting(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        metrics.count_refused_events(request, exc.body)
        answer = handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(RequestValidationError, counting)
