"""Run real consumers in-process for tests, and compare snapshots without wall-clock noise."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import redis
from helpers import FAST_GROUP_OPTIONS, wait_for

from geodata import load_boundaries
from marvec.settings import Settings
from marvec.snapshot import Snapshot
from marvec.store import read_snapshot
from marvec.store_build import GAUGE_SERIES
from streams.consumer import Consumer

_BOUNDARIES = None


def boundaries() -> Any:
    """The bundled boundaries, loaded once per test session."""
    global _BOUNDARIES
    if _BOUNDARIES is None:
        _BOUNDARIES = load_boundaries()
    return _BOUNDARIES


@contextlib.contextmanager
def running_consumer(settings: Settings, client: redis.Redis | None = None) -> Iterator[Consumer]:
    """A real consumer on its own thread until the block ends."""
    client = client or redis.Redis.from_url(settings.redis_url or "")
    worker = Consumer(settings, boundaries(), client, kafka_overrides=FAST_GROUP_OPTIONS)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        thread.join(timeout=30)


def wait_consumed(workers: list[Consumer], n: int, timeout: float = 60) -> None:
    """Until the workers together polled at least ``n`` records."""
    wait_for(lambda: sum(w.stats.polled for w in workers) >= n, timeout=timeout,
             message=f"consumers did not poll {n} records in {timeout} s")


def snap(client: redis.Redis, now: float | None = None) -> Snapshot:
    return read_snapshot(client, boundaries().names, now)


def comparable(s: Snapshot) -> dict[str, Any]:
    """Snapshot fields that depend only on the events, not on when batches were applied."""
    d = s.model_dump()
    # ops: the war room's state (alerts fire, log entries are written, at wall-clock times
    # by whichever process evaluates): not a function of the events.
    for name in ("generated_at", "ticker", "yesterday", "ops"):
        d.pop(name)
    for feed in d["feeds"].values():
        feed.pop("last_applied_at")
        feed.pop("silent_for_s")
        feed.pop("receiving_since")
    trends = d.pop("trends")
    gauges = set(GAUGE_SERIES.values())
    d["flows"] = {k: v for k, v in trends["hours"].items() if k not in gauges}
    return d


_FEED_OF = {f"t.{f}": f for f in ("complaints", "economy", "disasters", "publicinfo")}
_fold_offsets = iter(range(10**9))


def fold_events(client: redis.Redis, feed: str, events: list[dict[str, Any]], now: float) -> Any:
    """Decode ``events`` of ``feed`` as records of topic ``t.<feed>`` (fresh offsets) and
    apply them with the consumers' own fold, as one batch, at ``now``: the write path
    without a broker. Returns the fold's result (accepted, duplicates, rejected)."""
    import orjson

    from streams.decode import Record, decode_batch
    from streams.sink import RedisFold

    recs = [Record(f"t.{feed}", 0, next(_fold_offsets), orjson.dumps(e)) for e in events]
    fold = RedisFold(client, dedupe_hours=168, retention_hours=168)
    fold.claim_epoch("test")
    return fold.apply(decode_batch(recs, _FEED_OF, now, boundaries()), now, "test")
