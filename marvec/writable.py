"""Whether Redis takes writes now, as ``/healthz`` reports it.

A consumer whose batches Redis refuses (full at ``maxmemory``, a read-only replica, a
disk it cannot persist to) holds them back and retries; it cannot say so through Redis,
which is refusing its writes. The dashboard asks Redis itself, at most every few
seconds: ``INFO`` names each of these states.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import redis

PROBE_EVERY_S = 2.0


def refusal(info: dict[str, Any]) -> str | None:
    """Why Redis would refuse Marvec's writes, from ``INFO`` (memory, replication,
    persistence), or None when it takes them."""
    maxmemory = int(info.get("maxmemory") or 0)
    used = int(info.get("used_memory") or 0)
    policy = str(info.get("maxmemory_policy") or "")
    if maxmemory and used >= maxmemory and policy == "noeviction":
        return (f"full: {used / 2**20:.1f} MiB used of maxmemory {maxmemory / 2**20:.1f} MiB "
                "(noeviction); consumers hold their batches back until there is room")
    if str(info.get("role")) in ("slave", "replica") and str(info.get("slave_read_only", 1)) == "1":
        return "read-only replica: point MARVEC_REDIS_URL at the primary"
    if str(info.get("rdb_last_bgsave_status", "ok")) == "err":
        return "cannot persist (the last background save failed; MISCONF refuses writes)"
    return None


class WriteProbe:
    """``refusal`` of the Redis ``client()`` returns, asked at most every ``every_s``."""

    def __init__(self, client: Callable[[], redis.Redis], every_s: float = PROBE_EVERY_S) -> None:
        self._client = client
        self.every_s = every_s
        self._lock = threading.Lock()
        self._at = -float("inf")
        self._last: str | None = None

    def check(self) -> str | None:
        """The current refusal (None: Redis takes writes, or it did not answer the probe)."""
        now = time.monotonic()
        if now - self._at < self.every_s or not self._lock.acquire(blocking=False):
            return self._last
        try:
            pipe = self._client().pipeline(transaction=False)
            for section in ("memory", "replication", "persistence"):
                pipe.info(section)
            info: dict[str, Any] = {}
            for part in pipe.execute():  # one round trip
                info.update(part)
            self._last = refusal(info)
        except redis.exceptions.RedisError:
            self._last = None  # unreachable: /healthz says so from the snapshot read
        finally:
            self._at = now
            self._lock.release()
        return self._last
