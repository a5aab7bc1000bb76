"""The Redis side of the fold: one atomic script call per batch.

``RedisFold.apply`` sends a batch of verdicts to ``apply.lua``, which records the
aggregates, the dead letters (into a per-partition outbox) and the applied
offsets in one transaction. A redelivered batch therefore changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import redis

from marvec.contract import SLA_SECONDS
from marvec.keys import (
    DAY_KEY_TTL,
    HOUR_BUCKET_TTL,
    MINUTE_BUCKET_TTL,
    RESOLUTIONS_LEN,
    TICKER_LEN,
    TIMELINE_LEN,
    Keys,
    lua_templates,
)
from marvec.scripts import load_script
from streams.decode import Verdict
from streams.fold import build_items

log = logging.getLogger(__name__)

APPLY_LUA = load_script("streams", "apply.lua")


class RedisLost(Exception):
    """Redis holds no Marvec picture (restarted empty or flushed): rebuild first."""


class EpochChanged(Exception):
    """Redis was rebuilt since this consumer resumed: re-seek to its offsets."""


# Not faults of a record: Redis down, or its picture lost/rebuilt. The caller handles them.
PASS_THROUGH = (RedisLost, EpochChanged, redis.exceptions.ConnectionError,
                redis.exceptions.TimeoutError)


@dataclass(frozen=True, slots=True)
class FoldResult:
    """What one batch did: counted once each; ``skipped`` were applied before."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0

    def __add__(self, other: FoldResult) -> FoldResult:
        return FoldResult(self.accepted + other.accepted, self.duplicates + other.duplicates,
                          self.rejected + other.rejected, self.skipped + other.skipped)


class RedisFold:
    """Applies batches to Redis through the ``apply.lua`` script."""

    def __init__(self, client: redis.Redis, *, dedupe_hours: int, retention_hours: int,
                 keys: Keys | None = None) -> None:
        self.client = client
        self.keys = keys or Keys()
        self._script = client.register_script(APPLY_LUA)
        self._templates = orjson.dumps(lua_templates(self.keys))
        self._cfg = {
            "dedupe_s": dedupe_hours * 3600, "retention_s": retention_hours * 3600,
            "sla": SLA_SECONDS, "minute_ttl": MINUTE_BUCKET_TTL, "hour_ttl": HOUR_BUCKET_TTL,
            "day_ttl": DAY_KEY_TTL, "ticker_len": TICKER_LEN, "timeline_len": TIMELINE_LEN,
            "resolutions_len": RESOLUTIONS_LEN,
        }

    def _call(self, verdicts: Sequence[Verdict], now: float, epoch: str) -> FoldResult:
        items, raws = build_items(verdicts)
        cfg = orjson.dumps({**self._cfg, "now": now, "epoch": epoch})
        res = [int(x) for x in self._script(keys=[], args=[self._templates, cfg, items, *raws])]
        if res[0] == -1:
            raise RedisLost("Redis holds no Marvec aggregates")
        if res[0] == -2:
            raise EpochChanged("Redis was rebuilt")
        if len(res) > 4 and res[4]:
            log.error("%d counter(s) would pass 64 bits and were left as they were", res[4])
        return FoldResult(*res[:4])

    def apply(self, verdicts: Sequence[Verdict], now: float, epoch: str = "") -> FoldResult:
        """Apply one batch atomically, only onto the Redis picture named ``epoch``
        (``""``: any, for a rebuild). A script failure on the batch falls back to
        record-by-record, so one poison record cannot block its partition."""
        if not verdicts:
            return FoldResult()
        try:
            return self._call(verdicts, now, epoch)
        except PASS_THROUGH:
            raise
        except Exception as exc:  # a fault, not bad input: find the record, park it
            log.error("fold failed for a batch of %d (%r); retrying record by record",
                      len(verdicts), exc)
        total = FoldResult()
        for v in verdicts:
            try:
                total += self._call([v], now, epoch)
            except PASS_THROUGH:
                raise
            except Exception as exc:
                v.event, v.reason = None, "internal"
                v.detail = f"fault while folding this message: {str(exc)[:160]}"
                total += self._call([v], now, epoch)
        return total

    def epoch(self) -> str | None:
        """The current picture's epoch, or None when Redis holds none."""
        raw = self.client.hget(self.keys.meta, "epoch")
        return raw.decode() if isinstance(raw, bytes) else raw

    def claim_epoch(self, candidate: str) -> str:
        """Set the epoch if none is set (a fresh deployment); returns the one in force."""
        self.client.hsetnx(self.keys.meta, "epoch", candidate)
        return self.epoch() or candidate

    def applied_offsets(self) -> dict[str, int]:
        """``topic|partition`` -> last offset applied to Redis."""
        raw = self.client.hgetall(self.keys.offsets)
        return {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in raw.items()}
