"""A consumer's clock against the broker's: skew, ``future_time`` rejects, a warning.

A consumer whose clock runs 15 minutes slow sees every live event more than 10 minutes
in the future and dead-letters it as ``future_time``. Every batch, ``ClockWatch``
compares this host's clock with the records' broker timestamps: the smallest
``now - timestamp`` of a batch is the skew bound (a record is never consumed before
it was produced, so a clock in step gives >= 0; lag only makes it larger). A negative
skew means this host's clock is behind by at least that much. The timestamps are the
topic's (``CreateTime``, the producer's clock, unless the topic says ``LogAppendTime``,
the broker's): with NTP on every host either is a fair reference. It exports
``marvec_consumer_clock_skew_seconds`` and ``marvec_consumer_future_time_rejects_total``
(when metrics are on), writes the skew to Redis (``Keys.clocks``, which ``/healthz``
shows), and warns in the log at most once a minute. See docs/deploy.md (hosts need NTP).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import orjson
import redis

from marvec.keys import Keys

log = logging.getLogger("marvec.consume")

SKEW_WARN_S = 60.0
"""A clock behind the broker's by more than this is warned about."""
WARN_EVERY_S = 60.0
WRITE_EVERY_S = 5.0
REPORT_MAX_AGE_S = 300.0
"""``/healthz`` ignores a consumer's report older than this (the consumer is gone)."""


class ClockWatch:
    """Per-consumer clock bookkeeping (see the module docstring)."""

    def __init__(self, client: redis.Redis, consumer_id: str, keys: Keys | None = None,
                 metrics: Any = None) -> None:
        self.client = client
        self.consumer_id = consumer_id
        self.keys = keys or Keys()
        self.metrics = metrics
        self.skew_s: float | None = None
        self.future_time_rejects = 0
        self._warned = -1e18
        self._written = -1e18
        self._rejects_warned = 0

    def observe(self, timestamps_ms: Sequence[int | None], future_time: int, now: float) -> None:
        """One batch: its records' broker timestamps (ms) and how many were ``future_time``."""
        stamps = [t for t in timestamps_ms if t is not None and t > 0]
        if stamps:
            self.skew_s = round(now - max(stamps) / 1000.0, 3)
        self.future_time_rejects += future_time
        if self.metrics is not None:
            if self.skew_s is not None:
                self.metrics.clock_skew.set(self.skew_s)
            if future_time:
                self.metrics.future_time.inc(future_time)
        mono = time.monotonic()
        behind = self.skew_s is not None and self.skew_s < -SKEW_WARN_S
        new_rejects = self.future_time_rejects - self._rejects_warned
        if (behind or new_rejects) and mono - self._warned >= WARN_EVERY_S:
            log.warning("clock: this host's clock is %s the broker's record timestamps; %d event(s) "
                        "refused as future_time since the last warning. Is NTP running on this "
                        "host? (docs/deploy.md)",
                        "not compared with" if self.skew_s is None else
                        f"{-self.skew_s:.0f} s behind" if self.skew_s < 0 else
                        f"{self.skew_s:.0f} s ahead of (or lagging)",
                        new_rejects)
            self._warned = mono
            self._rejects_warned = self.future_time_rejects
        if mono - self._written >= WRITE_EVERY_S:
            self._written = mono
            self.write(now)

    def write(self, now: float) -> None:
        """This consumer's report into Redis (best effort: never stops consuming)."""
        report = {"skew_s": self.skew_s, "future_time_rejects": self.future_time_rejects,
                  "at": round(now, 3)}
        try:
            self.client.hset(self.keys.clocks, self.consumer_id, orjson.dumps(report))
        except redis.RedisError as exc:
            log.debug("clock report not written: %s", exc)


def clock_health(reports: dict[str, str], now: float) -> dict[str, Any]:
    """``/healthz``'s ``clock``: each live consumer's report and the worst skew."""
    consumers: dict[str, Any] = {}
    for cid, raw in reports.items():
        try:
            report = orjson.loads(raw)
            # "at" is the consumer's own clock, wrong by its skew: corrected, it is the
            # broker's time of the report.
            at = float(report["at"]) - float(report.get("skew_s") or 0.0)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        if abs(now - at) > REPORT_MAX_AGE_S:
            continue
        consumers[cid] = report
    skews = [r["skew_s"] for r in consumers.values() if isinstance(r.get("skew_s"), int | float)]
    worst = min(skews) if skews else None
    return {
        "consumers": consumers,
        "min_skew_s": worst,
        "behind": worst is not None and worst < -SKEW_WARN_S,
        "future_time_rejects": sum(int(r.get("future_time_rejects") or 0) for r in consumers.values()),
    }
