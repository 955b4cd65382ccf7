"""OpenTelemetry tracing for every Wayline process (architecture decision 10).

One trace follows an event from `POST /v1/events` (FastAPI instrumentation) through the
outbox (the request's W3C `traceparent` is stored with the event and the dispatcher
continues it), the Temporal client (signal-with-start), the workflow and its activities
(temporalio's TracingInterceptor) to the provider call (httpx instrumentation).

Nothing is set up, and nothing exported, unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set: the
interceptors and instrumentations then cost nothing. Tests pass their own TracerProvider
(with an in-memory exporter) instead of the process-wide one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from temporalio.client import Interceptor

    from core.settings import Settings

_W3C = TraceContextTextMapPropagator()
# Probes and scrapes would be most of the spans and say nothing.
EXCLUDED_URLS = "/health,/metrics"


class Telemetry:
    """The tracing of one process: a provider and what it instruments, or nothing."""

    def __init__(self, tracer_provider: TracerProvider | None = None) -> None:
        self.tracer_provider = tracer_provider

    @property
    def enabled(self) -> bool:
        return self.tracer_provider is not None

    @classmethod
    def from_settings(
        cls, settings: Settings, service: str, *, install_global: bool = True
    ) -> Telemetry:
        """An OTLP/HTTP exporter when an endpoint is configured; `service` names the process.

        The provider also becomes OpenTelemetry's global one, for libraries that use it.
        """
        if not settings.otlp_endpoint:
            return cls()
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(
            resource=Resource.create({"service.name": settings.otel_service_name or service})
        )
        endpoint = settings.otlp_endpoint.rstrip("/")
        if not endpoint.endswith("/v1/traces"):
            endpoint += "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        if install_global:
            trace.set_tracer_provider(provider)
        return cls(provider)

    def tracer(self, name: str) -> trace.Tracer:
        if self.tracer_provider is None:
            return trace.NoOpTracer()
        return self.tracer_provider.get_tracer(name)

    def temporal_interceptors(self) -> list[Interceptor]:
        """For `Client.connect`: client calls, and the workers built on that client."""
        if self.tracer_provider is None:
            return []
        from temporalio.contrib.opentelemetry import TracingInterceptor

        return [TracingInterceptor(self.tracer("temporalio"))]

    def instrument_app(self, app: FastAPI) -> None:
        if self.tracer_provider is None:
            return
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.tracer_provider,
            excluded_urls=EXCLUDED_URLS,
            exclude_spans=["receive", "send"],
        )

    def instrument_http(self, client: httpx.AsyncClient) -> None:
        """Provider and action calls become client spans (and carry `traceparent`)."""
        if self.tracer_provider is None:
            return
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=self.tracer_provider)

    def shutdown(self) -> None:
        """Flushes what the batch processor holds (at process exit)."""
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()

    @contextlib.contextmanager
    def continue_trace(
        self, traceparent: str | None, name: str, attributes: dict[str, Any]
    ) -> Iterator[None]:
        """A span child of the stored `traceparent`, current while the block runs.

        Used across the outbox: the dispatcher routes an event in the trace of the request
        that ingested it, minutes later or in another process.
        """
        if self.tracer_provider is None or not traceparent:
            yield
            return
        parent = _W3C.extract({"traceparent": traceparent})
        span = self.tracer("wayline.dispatcher").start_span(
            name, context=parent, kind=trace.SpanKind.CONSUMER, attributes=attributes
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            yield
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(trace.StatusCode.ERROR, str(exc))
            raise
        finally:
            otel_context.detach(token)
            span.end()


def current_traceparent() -> str | None:
    """The W3C traceparent of the active span, to store with what crosses the outbox."""
    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


_process = Telemetry()


def configure(settings: Settings, service: str) -> Telemetry:
    """The process-wide set-up, done once by the `wayline api` / `wayline worker` commands."""
    global _process
    _process = Telemetry.from_settings(settings, service)
    return _process


def current() -> Telemetry:
    """What `configure` set up; disabled in a process that did not call it (tests)."""
    return _process
