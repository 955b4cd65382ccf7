"""Traces leave the process over OTLP/HTTP only when an endpoint is configured."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from core.settings import Settings
from core.telemetry import Telemetry


class Collector:
    """A local OTLP/HTTP receiver that keeps what it is sent."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                collector.received.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.server.shutdown()
    c.server.server_close()


def test_spans_are_exported_with_the_process_service_name(collector: Collector) -> None:
    settings = Settings(OTEL_EXPORTER_OTLP_ENDPOINT=collector.url)
    telemetry = Telemetry.from_settings(settings, "wayline-worker", install_global=False)
    assert telemetry.enabled and telemetry.temporal_interceptors()
    with telemetry.tracer("test").start_as_current_span("route cart.updated"):
        pass
    telemetry.shutdown()  # flushes the batch processor
    [(path, body)] = collector.received
    assert path == "/v1/traces"
    request = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = request.resource_spans
    attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert attrs["service.name"] == "wayline-worker"
    [scope] = resource_spans.scope_spans
    assert [s.name for s in scope.spans] == ["route cart.updated"]


def test_service_name_from_otel_service_name(collector: Collector) -> None:
    settings = Settings(OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, OTEL_SERVICE_NAME="api-eu")
    telemetry = Telemetry.from_settings(settings, "wayline-api", install_global=False)
    with telemetry.tracer("test").start_as_current_span("x"):
        pass
    telemetry.shutdown()
    [(_, body)] = collector.received
    [resource_spans] = ExportTraceServiceRequest.FromString(body).resource_spans
    attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert attrs["service.name"] == "api-eu"


def test_nothing_is_set_up_without_an_endpoint() -> None:
    telemetry = Telemetry.from_settings(Settings(OTEL_EXPORTER_OTLP_ENDPOINT=None), "wayline-api")
    assert not telemetry.enabled
    assert telemetry.temporal_interceptors() == []
    with telemetry.continue_trace("00-" + "1" * 32 + "-" + "2" * 16 + "-01", "route x", {}):
        pass  # a no-op, without a provider
    assert not telemetry.tracer("t").start_span("s").get_span_context().is_valid
