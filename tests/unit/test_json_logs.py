"""WAYLINE_LOG_FORMAT=json: one JSON object per line, with the active span's ids."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from core.logs import JsonFormatter, configure_logging
from core.settings import Settings


@pytest.fixture
def root_handlers() -> Iterator[None]:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    yield
    root.handlers[:] = saved
    root.setLevel(level)


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("wayline.test", logging.WARNING, __file__, 1, msg, args, None)
    rec.__dict__.update(extra)
    return rec


def test_a_line_is_one_json_object_with_trace_ids_inside_a_span() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        line = JsonFormatter().format(record("routed %s", "e-1", event_id="e-1"))
    ctx = span.get_span_context()
    assert "\n" not in line
    out = json.loads(line)
    assert out["message"] == "routed e-1"
    assert out["level"] == "warning" and out["logger"] == "wayline.test"
    assert out["trace_id"] == f"{ctx.trace_id:032x}" and len(out["trace_id"]) == 32
    assert out["span_id"] == f"{ctx.span_id:016x}"
    assert out["event_id"] == "e-1", "extra= fields are kept"
    assert out["time"].endswith("+00:00")


def test_no_trace_ids_outside_a_span_and_exceptions_stay_on_one_line() -> None:
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        import sys

        rec = record("failed")
        rec.exc_info = sys.exc_info()
    line = JsonFormatter().format(rec)
    assert "\n" not in line
    out = json.loads(line)
    assert "trace_id" not in out and "span_id" not in out
    assert "ValueError: bad\nthing" in out["exception"]


def test_configure_logging_json_and_text(
    root_handlers: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(Settings(WAYLINE_LOG_FORMAT="json", WAYLINE_LOG_LEVEL="debug"))
    logging.getLogger("wayline.x").debug("hello %d", 1)
    [line] = capsys.readouterr().err.splitlines()
    assert json.loads(line)["message"] == "hello 1"

    configure_logging(Settings(WAYLINE_LOG_FORMAT="text"))
    logging.getLogger("wayline.x").debug("hidden at INFO")
    logging.getLogger("wayline.x").info("plain")
    err = capsys.readouterr().err
    assert "hidden" not in err
    assert err.rstrip().endswith("INFO wayline.x plain")


def test_log_format_is_checked() -> None:
    with pytest.raises(ValueError, match="WAYLINE_LOG_FORMAT"):
        Settings(WAYLINE_LOG_FORMAT="xml")
