"""Prometheus metrics: what Wayline counts, and the Temporal SDK's own worker metrics.

Every process exposes the default prometheus_client registry: the API at `GET /metrics`
(authenticated), the worker on its own small HTTP port (WAYLINE_WORKER_METRICS_PORT).
The worker's loop liveness (`wayline_loop_last_tick_timestamp_seconds`) is here too; its
health endpoint (workers/health.py) reads the same ticks.

The Temporal SDK (its Rust core) records into a MetricBuffer that is drained into this
same registry, rather than serving its own Prometheus endpoint on a second port: one
scrape target per worker process, one place to set up auth and relabelling. Its metrics
keep their names (`temporal_workflow_task_schedule_to_start_latency`, ...).

Counts are of attempts as they happen in this process; exact per-journey figures come
from the Postgres ledgers (an activity retried after a crash may count twice here).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections import Counter as CollectionsCounter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from temporalio.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_HISTOGRAM,
    MetricBuffer,
    MetricBufferDurationFormat,
    Runtime,
    TelemetryConfig,
)

EVENTS_INGESTED = Counter(
    "wayline_events_ingested",
    "Events received by the API, by name and outcome (accepted, duplicate, refused)",
    ["name", "outcome"],
)
EVENTS_ROUTED = Counter(
    "wayline_events_routed",
    "Events the dispatcher routed to journeys (routed) or must retry (failed)",
    ["outcome"],
)
JOURNEY_ENTRIES = Counter(
    "wayline_journey_entries",
    "Entry checks of journeys: entered, refused (re-entry rule, window, cap), or no_key "
    "(a keyed journey's entry event without its key: routed nowhere)",
    ["journey", "outcome"],
)
JOURNEY_EXITS = Counter(
    "wayline_journey_exits",
    "Journeys that ended, by how (completed, exited, errored, timed_out, ...)",
    ["journey", "status"],
)
MESSAGES = Counter(
    "wayline_messages",
    "Message sends by channel and status (sent, skipped, failed, retrying)",
    ["channel", "status"],
)
ACTION_SECONDS = Histogram(
    "wayline_action_duration_seconds",
    "Duration of custom action and data-source HTTP calls",
    ["kind", "name", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
INGEST_THROTTLED = Counter(
    "wayline_ingest_throttled",
    "Bulk ingest requests refused with 429 by backpressure, by route and cause",
    ["route", "cause"],
)
OUTBOX_BACKLOG = Gauge(
    "wayline_outbox_backlog",
    "Events stored and not yet routed, as the API last measured (counted up to the bound)",
)
OUTBOX_LAG = Gauge(
    "wayline_outbox_lag_seconds",
    "Seconds the oldest unrouted event has waited, as the API last measured",
)
LOOP_LAST_TICK = Gauge(
    "wayline_loop_last_tick_timestamp_seconds",
    "Unix time of each supervised worker loop's last successful tick (workers/supervisor.py)",
    ["loop"],
)
LOOP_FAILURES = Counter(
    "wayline_loop_failures",
    "Failed ticks of supervised worker loops; each is retried after a capped backoff",
    ["loop"],
)

# Refused events may be garbage: their name is kept only if it looks like a name.
_MAX_NAME = 100


def count_ingested(names: Sequence[str], ids: Sequence[str], new: set[str]) -> None:
    """After the outbox insert; an id repeated within one batch is a duplicate too."""
    fresh = set(new)
    for name, event_id in zip(names, ids, strict=True):
        outcome = "accepted" if event_id in fresh else "duplicate"
        fresh.discard(event_id)
        EVENTS_INGESTED.labels(name, outcome).inc()


def count_refused(names: Iterable[object]) -> None:
    for name in names:
        label = name if isinstance(name, str) and 0 < len(name) <= _MAX_NAME else ""
        EVENTS_INGESTED.labels(label, "refused").inc()


def refused_names(body: object) -> list[object]:
    """The event names of a refused request body (one event or a batch), as far as readable."""
    if isinstance(body, dict):
        events = body.get("events")
        if isinstance(events, list):
            return [e.get("name") if isinstance(e, dict) else None for e in events] or [None]
        return [body.get("name")]
    return [None]


F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def counted_sends(fn: F) -> F:
    """Wraps the send activity: one count per attempt, by the input's channel and outcome."""

    @functools.wraps(fn)
    async def wrapper(self: Any, inp: Any) -> Any:
        try:
            result = await fn(self, inp)
        except Exception:
            MESSAGES.labels(inp.channel, "retrying").inc()
            raise
        MESSAGES.labels(inp.channel, result.status).inc()
        return result

    return wrapper  # type: ignore[return-value]


def count_messages(channel: str, statuses: Iterable[str]) -> None:
    """Campaign sends, by the outcome each message got in this attempt (a batch retried
    after a crash does not count the messages its first attempt finished)."""
    for status, n in CollectionsCounter(statuses).items():
        MESSAGES.labels(channel, status).inc(n)


@contextlib.contextmanager
def action_timer(kind: str, name: str) -> Iterator[None]:
    """Times one HTTP call of an action or fetch; a retryable failure is `error`."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    except Exception as exc:
        outcome = "failed" if type(exc).__name__ == "CallFailed" else "error"
        raise
    finally:
        ACTION_SECONDS.labels(kind, name, outcome).observe(time.perf_counter() - started)


# Temporal SDK metrics ---------------------------------------------------------------------

_SDK_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_Labels = tuple[tuple[str, str], ...]


class TemporalMetrics(Collector):
    """The SDK's metric buffer, drained into Prometheus samples (counters, gauges, histograms).

    Drained at every scrape and every second in between (a supervised loop of the
    worker), so the buffer (bounded by the SDK) never overflows under load.
    """

    def __init__(self, buffer_size: int = 100_000) -> None:
        self.buffer = MetricBuffer(buffer_size, MetricBufferDurationFormat.SECONDS)
        self.runtime = Runtime(telemetry=TelemetryConfig(metrics=self.buffer))
        self._lock = threading.Lock()
        self._help: dict[str, str] = {}
        self._counters: dict[str, dict[_Labels, float]] = {}
        self._gauges: dict[str, dict[_Labels, float]] = {}
        self._histograms: dict[str, dict[_Labels, list[float]]] = {}  # bucket counts + sum

    def drain(self) -> None:
        with self._lock:
            for update in self.buffer.retrieve_updates():
                metric = update.metric
                name = metric.name
                if not name.startswith("temporal_"):
                    name = f"temporal_{name}"
                if metric.kind == BUFFERED_METRIC_KIND_COUNTER:
                    name = name.removesuffix("_total")
                self._help.setdefault(name, metric.description or name)
                labels = tuple(sorted((k, str(v)) for k, v in update.attributes.items()))
                value = float(update.value)
                if metric.kind == BUFFERED_METRIC_KIND_COUNTER:
                    series = self._counters.setdefault(name, {})
                    series[labels] = series.get(labels, 0.0) + value
                elif metric.kind == BUFFERED_METRIC_KIND_HISTOGRAM:
                    hist = self._histograms.setdefault(name, {})
                    counts = hist.setdefault(labels, [0.0] * (len(_SDK_BUCKETS) + 2))
                    for i, bound in enumerate(_SDK_BUCKETS):
                        if value <= bound:
                            counts[i] += 1
                    counts[-2] += 1  # +Inf (the count)
                    counts[-1] += value  # sum
                else:
                    self._gauges.setdefault(name, {})[labels] = value

    def collect(self) -> Iterator[Metric]:
        self.drain()
        with self._lock:
            for name, series in self._counters.items():
                m = Metric(name, self._help[name], "counter")
                for labels, value in series.items():
                    m.add_sample(f"{name}_total", dict(labels), value)
                yield m
            for name, series in self._gauges.items():
                m = Metric(name, self._help[name], "gauge")
                for labels, value in series.items():
                    m.add_sample(name, dict(labels), value)
                yield m
            for name, hist in self._histograms.items():
                m = Metric(name, self._help[name], "histogram")
                for labels, counts in hist.items():
                    base = dict(labels)
                    for bound, count in zip(_SDK_BUCKETS, counts, strict=False):
                        m.add_sample(f"{name}_bucket", {**base, "le": str(bound)}, count)
                    m.add_sample(f"{name}_bucket", {**base, "le": "+Inf"}, counts[-2])
                    m.add_sample(f"{name}_count", base, counts[-2])
                    m.add_sample(f"{name}_sum", base, counts[-1])
                yield m

    def register(self) -> None:
        REGISTRY.register(self)

    def unregister(self) -> None:
        with contextlib.suppress(KeyError):
            REGISTRY.unregister(self)


class MetricsServer:
    """The worker's `/metrics` (any path answers), a thread of prometheus_client."""

    def __init__(self, host: str, port: int) -> None:
        self.server, self.thread = start_http_server(port, addr=host)

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
