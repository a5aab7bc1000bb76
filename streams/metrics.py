"""Prometheus metrics of a consumer process (served when MARVEC_METRICS_PORT is set)."""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from marvec.keys import partition_id
from streams.sink import FoldResult

log = logging.getLogger("marvec.consume")


class ConsumerMetrics:
    """Events by feed and outcome, batch latency, and lag per partition."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events = Counter("marvec_consumer_events", "Records applied, by outcome",
                              ["outcome"], registry=r)
        self.batch_seconds = Histogram(
            "marvec_consumer_batch_seconds", "Decode + fold + dead-letter + commit time per batch",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=r)
        self.batch_records = Histogram("marvec_consumer_batch_records", "Records per batch",
                                       buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000), registry=r)
        self.lag = Gauge("marvec_consumer_lag_records", "End offset minus position",
                         ["partition"], registry=r)
        self.dead_letters = Counter("marvec_consumer_dead_letters",
                                    "Dead letters produced to the dead-letter topic", registry=r)
        self.refusals = Counter("marvec_consumer_write_refusals",
                                "Batches Redis refused as a whole (held back and retried), by cause",
                                ["cause"], registry=r)
        self.refused = Gauge("marvec_consumer_writes_refused",
                             "1 while Redis refuses this consumer's writes", registry=r)
        self.clock_skew = Gauge(
            "marvec_consumer_clock_skew_seconds",
            "This host's clock minus the newest broker record timestamp of the last batch "
            "(negative: this clock is behind; positive: ahead, or lag)", registry=r)
        self.future_time = Counter(
            "marvec_consumer_future_time_rejects",
            "Events refused as future_time (more than 10 min ahead of this host's clock)",
            registry=r)
        self.expired_total = Counter(
            "marvec_consumer_expired",
            "Removed by the expiry sweep run in this process: market prices silent past "
            "MARVEC_SILENT_RETENTION_DAYS, OPDs with nothing open or resolved in it",
            ["kind"], registry=r)
        for kind in ("market", "opd"):
            self.expired_total.labels(kind)

    def serve(self, port: int) -> None:
        start_http_server(port, registry=self.registry)
        log.info("metrics on http://0.0.0.0:%d/metrics", port)

    def batch(self, result: FoldResult, records: int, seconds: float, dead: int) -> None:
        for outcome in ("accepted", "rejected", "duplicates", "skipped"):
            n = getattr(result, outcome)
            if n:
                self.events.labels(outcome).inc(n)
        self.batch_seconds.observe(seconds)
        self.batch_records.observe(records)
        if dead:
            self.dead_letters.inc(dead)

    def expired(self, markets: int, opds: int) -> None:
        """What one run of the expiry sweep removed."""
        if markets:
            self.expired_total.labels("market").inc(markets)
        if opds:
            self.expired_total.labels("opd").inc(opds)

    def writes_refused(self, cause: str | None) -> None:
        """A refused batch (``cause``), or None once Redis takes writes again."""
        if cause is None:
            self.refused.set(0)
            return
        self.refusals.labels(cause).inc()
        self.refused.set(1)

    def update_lag(self, kafka: Any) -> None:
        """Lag per assigned partition (end offsets from the broker; best effort)."""
        parts = list(kafka.assignment())
        if not parts:
            return
        try:
            ends = kafka.end_offsets(parts)
        except Exception as exc:  # lag is advisory: never stop consuming for it
            log.debug("end offsets unavailable: %s", exc)
            return
        for tp in parts:
            position = kafka.position(tp)
            self.lag.labels(partition_id(tp.topic, tp.partition)).set(
                max(0, ends.get(tp, position) - position))
