"""Prometheus metrics of the dashboard web server (the consumers export their own).

All metrics live on one module registry, named ``marvec_dashboard_*``. With several
gunicorn workers each worker counts for itself; set ``PROMETHEUS_MULTIPROC_DIR`` (an
empty, writable directory, before the workers start) and ``/metrics`` then sums
the workers, as prometheus-client's multiprocess mode does.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "marvec_dashboard_http_requests_total",
    "HTTP requests answered, by route (the URL rule, not the raw path), method and status.",
    ["endpoint", "method", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "marvec_dashboard_http_request_duration_seconds",
    "Time to answer an HTTP request, by route.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
SNAPSHOT_READS = Counter(
    "marvec_dashboard_snapshot_reads_total",
    "Snapshot reads from Redis (at most one per refresh interval per process), by result.",
    ["result"],
    registry=REGISTRY,
)
SNAPSHOT_READ_SECONDS = Histogram(
    "marvec_dashboard_snapshot_read_duration_seconds",
    "Time one snapshot read from Redis took, failures included.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
SNAPSHOT_AGE = Gauge(
    "marvec_dashboard_snapshot_age_seconds",
    "Seconds since the snapshot being served was read from Redis (-1: none yet).",
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
REDIS_UP = Gauge(
    "marvec_dashboard_redis_up",
    "1 when the last snapshot read reached Redis, 0 when it did not.",
    multiprocess_mode="livemin",
    registry=REGISTRY,
)
BAD_KEYS = Gauge(
    "marvec_dashboard_bad_keys",
    "Redis keys the last snapshot read could not read (a key of the wrong type): served empty.",
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
LOGINS = Counter(
    "marvec_dashboard_logins_total",
    "Login attempts by outcome: ok, bad_credentials, rate_limited, bad_form, bad_token.",
    ["result"],
    registry=REGISTRY,
)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type, summed over workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_worker_dead(pid: int) -> None:
    """Gunicorn ``child_exit`` hook: drop a dead worker's live gauges in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)
