"""The ``marvec consume`` command: settings checked at start, then the loop with progress."""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
from typing import Any

from marvec import datameta
from marvec.settings import Settings
from marvec.topics import check_redis, ensure_topics
from streams.consumer import Consumer

log = logging.getLogger("marvec.consume")
PROGRESS_EVERY_S = 10.0
SHUTDOWN_BUDGET_S = 5.0
"""After SIGINT/SIGTERM the consumer finishes its batch, commits and leaves the group; what
is still running after this long (an apply on a slow Redis, a broker not answering the
leave) is cut short by exiting. Safe at any point: Redis holds the applied offsets in
the same transaction as the aggregates, so the next consumer resumes right after them."""


def install_stop_signals(stop: threading.Event, budget_s: float = SHUTDOWN_BUDGET_S) -> None:
    """SIGINT and SIGTERM set ``stop`` so the loop finishes its batch and leaves the group,
    within ``budget_s`` seconds; a second signal exits at once."""
    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            _exit_now(f"second {signal.Signals(signum).name}")
        stop.set()
        threading.Thread(target=_exit_after, args=(budget_s,), name="shutdown-watchdog",
                         daemon=True).start()
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _exit_after(budget_s: float) -> None:
    time.sleep(budget_s)
    _exit_now(f"still stopping after {budget_s:g} s")


def _exit_now(why: str) -> None:
    log.warning("%s: exiting now (Redis holds the applied offsets: nothing is lost)", why)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(0)


class Progress:
    """Prints one line every ``every`` seconds: events/s and the running totals."""

    def __init__(self, every: float = PROGRESS_EVERY_S) -> None:
        self.every = every
        self.last = time.monotonic()
        self.last_polled = 0

    def __call__(self, worker: Consumer) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        s = worker.stats
        rate = (s.polled - self.last_polled) / (now - self.last)
        r = s.result
        log.info("consumed %d (%.0f/s): accepted %d, rejected %d, duplicates %d, "
                 "already applied %d, dead letters sent %d, last batch %.0f ms",
                 s.polled, rate, r.accepted, r.rejected, r.duplicates, r.skipped,
                 s.dead_letters, s.last_batch_s * 1000)
        self.last, self.last_polled = now, s.polled
        if worker.metrics is not None:
            worker.metrics.update_lag(worker.kafka)


def _freeze_startup_heap() -> None:
    """Take what the start built (modules, boundaries, clients: ~95,000 objects) out of the
    cyclic collector's reach: each full collection walked them all again (~28 ms here), and
    each batch's planning promotes enough objects to set off full collections: 5-7 us of
    CPU per event on the entities mix (docs/performance.md). Nothing of it is garbage."""
    gc.collect()
    gc.freeze()


def consume(settings: Settings, stop: threading.Event | None = None) -> None:
    """Check every setting (one clear line on error), then consume until stopped."""
    from geodata import load_boundaries

    settings.require_services()
    boundaries = load_boundaries(settings.boundaries, settings.boundaries_field)
    client = check_redis(settings.redis_url or "")
    datameta.claim_or_check(client, boundaries, allow_switch=False)  # only a rebuild switches
    ensure_topics(settings)
    stop = stop or threading.Event()
    install_stop_signals(stop)
    worker = Consumer(settings, boundaries, client)
    _freeze_startup_heap()
    if settings.metrics_port:
        from streams.metrics import ConsumerMetrics

        worker.metrics = ConsumerMetrics()
        worker.metrics.serve(settings.metrics_port)
    log.info("consuming %s as group %r into %s (%d kecamatan from %s)",
             ", ".join(settings.topics.values()), settings.consumer_group,
             (settings.redis_url or "").split("@")[-1], len(boundaries.names), boundaries.source)
    alerts = _alert_service(settings, boundaries, worker.metrics)
    try:
        worker.run(stop, on_batch=Progress())
    finally:
        alerts.stop()
    log.info("stopped after %d events", worker.stats.polled)


def _alert_service(settings: Settings, boundaries: Any, metrics: Any) -> Any:
    """This consumer's part in alert evaluation (contract 6): it evaluates while it holds
    the lease, reading the snapshot itself (no dashboard needed)."""
    from marvec.alerts.service import AlertService
    from marvec.store import SnapshotReader

    client = check_redis(settings.redis_url or "")
    reader = SnapshotReader(client)
    names = [str(n) for n in boundaries.names]
    registry = metrics.registry if metrics is not None else None
    return AlertService(settings, client, lambda: reader.read(names), registry=registry).start()
