"""The report card's history for the screens: ``marvec.history`` read through a small
per-process cache (one read per ``REFRESH_S`` at most, whatever the number of screens).

The history changes by the hour, not the second, and a read covers 13 months of days
(about 800 hashes in one pipelined round trip), so it is not part of the snapshot every
screen reads several times a second. When Redis does not answer, the last history read
is kept and the next call after ``REFRESH_S`` tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

from marvec.history import History, read_history
from marvec.keys import Keys
from marvec.snapshot import Snapshot
from marvec.timeutil import parse_iso

log = logging.getLogger(__name__)

REFRESH_S = 60.0


def feed_since(snapshot: Snapshot | None, feed: str) -> float | None:
    """Unix time of the feed's first event, ``None`` when it has none (or no snapshot)."""
    stats = snapshot.feeds.get(feed) if snapshot is not None else None
    return parse_iso(stats.first_event_at) if stats is not None else None


class HistorySource:
    def __init__(self, client: Callable[[], redis.Redis], keys: Keys,
                 clock: Callable[[], float] = time.time) -> None:
        self._client, self._keys, self._clock = client, keys, clock
        self._lock = threading.Lock()
        self._last: History | None = None
        self._at = -REFRESH_S
        self._since: tuple[float | None, float | None] = (None, None)

    def get(self, snapshot: Snapshot | None) -> History | None:
        """The history as of at most ``REFRESH_S`` ago (sooner when the data's start moved)."""
        since = (feed_since(snapshot, "complaints"), feed_since(snapshot, "publicinfo"))
        now = self._clock()
        with self._lock:
            if self._last is not None and now - self._at < REFRESH_S and since == self._since:
                return self._last
            try:
                self._last = read_history(self._client(), self._keys, now, *since)
            except redis.RedisError as exc:
                log.warning("report card history not read (%s); showing the last one", exc)
            self._at, self._since = now, since
            return self._last
