"""The Redis side of the fold: read what a batch touches, plan in Python, commit.

``RedisFold.apply`` prepares the batch (``streams.prepare``), reads the state it touches
in one pipelined round trip, plans its writes (``streams.plan``, pure) and commits
them with ``commit.lua``: one atomic script that first checks that nothing the plan
was computed from has moved (the epoch, each partition's applied offset, each
entity's version, each price cell, each new event id) and then runs plain commands.
When something moved (another consumer took over a partition, or two partitions
carry one entity), the batch is read and planned again. A redelivered batch changes
nothing: its offsets are at or below what Redis recorded.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import msgspec
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
)
from streams.decode import Verdict
from streams.feeds import FEEDS
from streams.plan import FoldConfig, Needs, Plan, Reads, fmt, needs, plan_batch
from streams.prepare import build_items

log = logging.getLogger(__name__)

COMMIT_LUA = resources.files("streams").joinpath("commit.lua").read_text(encoding="utf-8")
MAX_ATTEMPTS = 20
"""Re-plans of one batch whose state keeps moving before it gives up and re-seeks."""
CHUNK = 1000


class RedisLost(Exception):
    """Redis holds no Marvec picture (restarted empty or flushed): rebuild first."""


class EpochChanged(Exception):
    """Redis was rebuilt since this consumer resumed: re-seek to its offsets."""


class WritesRefused(Exception):
    """Redis refused the batch as a whole (full at maxmemory, a read-only replica, a disk it
    cannot persist to, a key of another type under Marvec's prefix): nothing of it was
    written. The batch stays unapplied and its offsets uncommitted until Redis takes it.
    ``cause`` is a short code for metrics and health (``full``, ``readonly``, ...)."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(detail)
        self.cause = cause
        self.detail = detail


# Redis error prefixes that refuse a write as a whole, before the script changed anything.
REFUSALS = {"OOM": "full", "READONLY": "readonly", "MISCONF": "cannot_persist",
            "NOREPLICAS": "no_replicas", "MASTERDOWN": "master_down", "LOADING": "loading",
            "BUSY": "busy", "TRYAGAIN": "busy", "CLUSTERDOWN": "cluster_down",
            "WRONGTYPE": "wrong_type"}

_REFUSAL_CLASSES = ((redis.exceptions.OutOfMemoryError, "full"),
                    (redis.exceptions.ReadOnlyError, "readonly"),
                    (redis.exceptions.TryAgainError, "busy"),
                    (redis.exceptions.ClusterDownError, "cluster_down"),
                    (redis.exceptions.MasterDownError, "master_down"))
_CODE = {"full": "OOM", "readonly": "READONLY", "busy": "TRYAGAIN", "cluster_down": "CLUSTERDOWN",
         "master_down": "MASTERDOWN"}

# Not faults of a record: Redis down, refusing writes, or its picture lost/rebuilt. The
# caller handles them.
PASS_THROUGH = (RedisLost, EpochChanged, WritesRefused, redis.exceptions.ConnectionError,
                redis.exceptions.TimeoutError)


def refusal(exc: redis.exceptions.ResponseError) -> WritesRefused | None:
    """The refusal a Redis error stands for, or None for any other error."""
    text = str(exc)
    for cls, cause in _REFUSAL_CLASSES:  # redis-py strips these codes off the message
        if isinstance(exc, cls):
            return WritesRefused(cause, f"{_CODE[cause]} {text.split('script:', 1)[0].strip()}"[:240])
    # a pipeline's error reads "Command # 3 (HGETALL mv:c:id:x) of pipeline caused error: ...";
    # a write refused inside a script, on Redis 7: "Error running script (call to f_...):
    # @user_script:125: @user_script: 125: -OOM command not allowed ..."
    head = text.rsplit("caused error: ", 1)[-1]
    for m in _CODE_AT.finditer(head):
        code = REFUSALS.get(m.group(1))
        if code is not None:
            return WritesRefused(code, head[m.start(1):].split(" script:", 1)[0].strip()[:240])
    return None


_CODE_AT = re.compile(r"(?:^|:\s|\s-)([A-Z]{3,12})\b")
"""An error code where Redis puts one: first, after ": ", or as "-CODE" inside a script error."""


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
    """Applies batches to Redis: read, plan in Python, guarded commit."""

    def __init__(self, client: redis.Redis, *, dedupe_hours: int, retention_hours: int,
                 keys: Keys | None = None) -> None:
        self.client = client
        self.keys = keys or Keys()
        self._script = client.register_script(COMMIT_LUA)
        self._dedupe_s = dedupe_hours * 3600
        self._retention_s = retention_hours * 3600
        self.conflicts = 0

    def _config(self, now: float) -> FoldConfig:
        return FoldConfig(now=now, dedupe_s=self._dedupe_s, retention_s=self._retention_s,
                          sla=dict(SLA_SECONDS), minute_ttl=MINUTE_BUCKET_TTL,
                          hour_ttl=HOUR_BUCKET_TTL, day_ttl=DAY_KEY_TTL, ticker_len=TICKER_LEN,
                          timeline_len=TIMELINE_LEN, resolutions_len=RESOLUTIONS_LEN)

    def _call(self, verdicts: Sequence[Verdict], now: float, epoch: str) -> FoldResult:
        items, raws = build_items(verdicts)
        need = needs(items, FEEDS, self.keys)
        cfg = self._config(now)
        for _ in range(MAX_ATTEMPTS):
            plan = plan_batch(items, raws, self.read(need), cfg, self.keys, FEEDS)
            status, overflow = self._commit(plan, now, epoch)
            if status == -1:
                raise RedisLost("Redis holds no Marvec aggregates")
            if status == -2:
                raise EpochChanged("Redis was rebuilt")
            if status == 0:
                if overflow:
                    log.error("%d counter(s) would pass 64 bits and were left as they were", overflow)
                return FoldResult(plan.accepted, plan.duplicates, plan.rejected, plan.skipped)
            self.conflicts += 1
            log.info("the state of a batch moved before its commit (another consumer on the same "
                     "partition or entity); planning it again")
        raise EpochChanged(f"the state of a batch kept moving over {MAX_ATTEMPTS} attempts")

    def read(self, need: Needs) -> Reads:
        """Everything ``need`` names, in one pipelined round trip."""
        k = self.keys
        cmds: list[tuple[Any, ...]] = []
        if need.partitions:
            cmds.append(("HMGET", k.offsets, *need.partitions))
        seen_chunks: list[tuple[str, list[str]]] = []
        for feed, ids in need.ids.items():
            for i in range(0, len(ids), CHUNK):
                chunk = ids[i:i + CHUNK]
                seen_chunks.append((feed, chunk))
                cmds.append(("ZMSCORE", k.seen(feed), *chunk))
        cmds.extend(("HGETALL", key) for key in need.hashes)
        cmds.extend(("HMGET", key, *flds) for key, flds in need.cells.items())
        try:
            res = iter(self._pipelined(cmds))
        except redis.exceptions.ResponseError as exc:
            refused = refusal(exc)
            if refused is None:
                raise
            raise self._named(refused, getattr(exc, "command", None)) from None
        offsets: dict[str, int | None] = {}
        if need.partitions:
            offsets = {tp: (int(v) if v is not None else None)
                       for tp, v in zip(need.partitions, next(res), strict=True)}
        seen: dict[str, set[str]] = {feed: set() for feed in need.ids}
        for feed, chunk in seen_chunks:
            seen[feed].update(i for i, score in zip(chunk, next(res), strict=True) if score is not None)
        hashes = {key: _flat_hash(next(res)) for key in need.hashes}
        cells: dict[tuple[str, str], str | None] = {}
        for key, flds in need.cells.items():
            cells.update(((key, f), _text(v)) for f, v in zip(flds, next(res), strict=True))
        return Reads(offsets, seen, hashes, cells)

    def _named(self, refused: WritesRefused, cmd: tuple[Any, ...] | None) -> WritesRefused:
        """A read refused for a key of another type names the key, as the commit does."""
        kind = {"HGETALL": "hash", "HMGET": "hash", "ZMSCORE": "zset"}.get(cmd[0]) if cmd else None
        if refused.cause != "wrong_type" or cmd is None or kind is None:
            return refused
        try:
            held = _text(self.client.type(cmd[1])) or "?"
        except redis.exceptions.RedisError:
            held = "another type"
        return WritesRefused("wrong_type", f"key {cmd[1]} is a {held} where Marvec keeps a {kind}")

    def _pipelined(self, cmds: list[tuple[Any, ...]]) -> list[Any]:
        """``cmds`` sent at once on one connection; their replies as Redis sent them (no
        response callbacks: redis-py's pipeline spent ~10 us of Python per HGETALL, this
        ~5). An error reply is raised once every reply is read (the connection stays in
        step); a lost or timed-out connection is dropped and raised."""
        pool = self.client.connection_pool
        try:
            conn = pool.get_connection()
        except TypeError:  # redis-py < 5.3 wants a command name
            conn = pool.get_connection("HGETALL")
        try:
            conn.send_packed_command(conn.pack_commands(cmds))
            replies: list[Any] = []
            error: redis.exceptions.ResponseError | None = None
            read = conn.read_response
            for _ in cmds:
                try:
                    replies.append(read())
                except redis.exceptions.ResponseError as exc:
                    if error is None:
                        exc.command = cmds[len(replies)]  # which one failed (named in read)
                        error = exc
                    replies.append(None)
        except BaseException:
            conn.disconnect()
            raise
        finally:
            pool.release(conn)
        if error is not None:
            raise error
        return replies

    def _commit(self, plan: Plan, now: float, epoch: str) -> tuple[int, int]:
        k = self.keys
        now_min, now_hour = math.floor(now / 60), math.floor(now / 3600)
        keys = [k.meta, k.offsets, k.complaint_totals, k.disaster_totals, k.due,
                k.gauge_minute(now_min), k.gauge_hour(now_hour)]
        args: list[Any] = [epoch, fmt(now), "1" if plan.gauges else "0",
                           str(now_min * 60 + MINUTE_BUCKET_TTL), str(now_hour * 3600 + HOUR_BUCKET_TTL)]
        plain: list[list[Any]] = []
        for cmd in plan.commands:
            if bytes in map(type, cmd):  # a word that is bytes (C speed: once per command word)
                args.append(len(cmd))
                args += cmd
            else:
                plain.append(cmd)
        args.insert(5, msgspec.msgpack.encode((
            [(tp, "" if o is None else str(o)) for tp, o in plan.offsets.items()],
            plan.entities, plan.cells, list(plan.unseen.items()),
            [(fk, fmt(t), fmt(plan.feed_first[fk])) for fk, t in plan.feed_last.items()],
            [cmd[1:] for cmd in plan.checked], plain)))
        try:
            res = self._script(keys=keys, args=args)
        except redis.exceptions.ResponseError as exc:
            refused = refusal(exc)
            if refused is None:
                raise
            raise refused from None
        if int(res[0]) == -4:
            why = res[1].decode() if isinstance(res[1], bytes) else str(res[1])
            raise WritesRefused("wrong_type", why)
        return int(res[0]), int(res[1])

    def apply(self, verdicts: Sequence[Verdict], now: float, epoch: str = "") -> FoldResult:
        """Apply one batch atomically, only onto the Redis picture named ``epoch``
        (``""``: any, for a rebuild). A failure on the batch falls back to record by
        record, so one poison record cannot block its partition."""
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
        # From now on this writer keeps day keys DAY_KEY_TTL (older ones may be gone).
        self.client.hsetnx(self.keys.meta, "days_kept_from", repr(time.time()))
        return self.epoch() or candidate

    def applied_offsets(self) -> dict[str, int]:
        """``topic|partition`` -> last offset applied to Redis."""
        raw = self.client.hgetall(self.keys.offsets)
        return {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in raw.items()}


def _text(v: bytes | str | None) -> str | None:
    return v.decode() if isinstance(v, bytes) else v


def _flat_hash(raw: Any) -> dict[str, str]:
    """An HGETALL reply as text: a flat ``[field, value, ...]`` list (RESP2) or a map."""
    if isinstance(raw, dict):
        return _text_hash(raw)
    if raw and type(raw[0]) is bytes:
        raw = [x.decode() for x in raw]
    it = iter(raw)
    return dict(zip(it, it, strict=True))


def _text_hash(raw: dict[Any, Any]) -> dict[str, str]:
    return {(key.decode() if isinstance(key, bytes) else key): (val.decode() if isinstance(val, bytes) else val)
            for key, val in raw.items()}
