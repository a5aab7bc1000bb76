"""Plan one batch's Redis writes in the consumer: pure, no I/O.

The fold used to run inside Redis as one Lua script per batch; Redis is single
threaded, so every consumer waited on the same core (~33 µs of Lua per event). Now
the consumer does the thinking: ``needs`` lists what of the current state a batch
touches, the sink reads that in one pipelined round trip, and ``plan`` turns the
batch plus that state into a ``Plan``: summed counters, each entity's final state,
last-op-wins set members, capped list pushes, dead letters and offsets. Redis only
checks the plan's guards (nothing it was computed from has changed) and runs its
plain commands, atomically (``streams/commit.lua``).

Semantics are those of a record-at-a-time fold: records at or below their
partition's applied offset are skipped; an ``event_id`` seen within the dedupe
horizon is a duplicate; an entity's state follows its latest event (``occurred_at``,
ties by partition then offset) while fields only an older event carried are kept;
a record whose fold raises is dead-lettered as ``internal`` and changes nothing else.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from marvec.keys import Keys
from streams.values import fmt, num

__all__ = ["FeedRules", "FoldConfig", "Needs", "NeedsBuilder", "Plan", "Planner", "Reads", "fmt", "needs",
           "num", "plan_batch"]

State = dict[str, Any]
Alive = Callable[["FoldConfig", State], Any]


class FeedRules(Protocol):
    """What the planner asks of a feed (``streams.feeds.base.Feed``): the state an event
    needs read, and its fold. The registry is handed in (``streams.sink``), so the shared
    machinery here never imports the feeds that use it."""

    @property
    def needs(self) -> Callable[[dict[str, Any], NeedsBuilder], None]: ...

    @property
    def fold(self) -> Callable[[Planner, dict[str, Any]], str | None]: ...

VERSION = "v"
"""Field of an entity hash counting its writes: the commit's guard that nobody else
changed the entity between this batch's read and its write."""

MAX_ARGS = 1000
"""Values per command at most (Redis's Lua unpacks arguments onto a bounded stack)."""


@dataclass(frozen=True, slots=True)
class FoldConfig:
    now: float
    dedupe_s: float
    retention_s: float
    sla: dict[str, float]
    minute_ttl: int
    hour_ttl: int
    day_ttl: int
    ticker_len: int
    timeline_len: int
    resolutions_len: int


@dataclass(slots=True)
class Needs:
    """What a batch must read first: its partitions, event ids, entity hashes and cells."""

    partitions: list[str]
    ids: dict[str, list[str]]
    hashes: list[str]
    """Entity hashes to read whole (HGETALL)."""
    cells: dict[str, list[str]]
    """Hash key -> fields to read (HMGET)."""


class NeedsBuilder:
    """What a feed module's ``needs`` names: an entity hash, or cells of a hash."""

    __slots__ = ("_cells", "_hashes", "keys")

    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self._hashes: dict[str, None] = {}
        self._cells: dict[str, dict[str, None]] = defaultdict(dict)

    def hash(self, key: str) -> None:
        self._hashes[key] = None

    def cell(self, key: str, fld: str) -> None:
        self._cells[key][fld] = None


@dataclass(slots=True)
class Reads:
    """The state a plan starts from (what the sink read for ``Needs``)."""

    offsets: dict[str, int | None]
    seen: dict[str, set[str]]
    hashes: dict[str, State]
    cells: dict[tuple[str, str], str | None]


@dataclass(slots=True)
class Plan:
    """The writes of one batch and the guards they depend on."""

    commands: list[list[Any]] = field(default_factory=list)
    checked: list[list[Any]] = field(default_factory=list)
    """Counter increments: run one by one; one that would overflow is counted, not fatal."""
    offsets: dict[str, int | None] = field(default_factory=dict)
    """Guard: each batch partition's applied offset as read (``None``: none)."""
    entities: list[tuple[str, str]] = field(default_factory=list)
    """Guard: (entity key, version as read; ``""`` when it did not exist)."""
    cells: list[tuple[str, str, str]] = field(default_factory=list)
    """Guard: (hash key, field, value as read; ``""`` when unset)."""
    unseen: dict[str, list[str]] = field(default_factory=dict)
    """Guard: seen-set key -> event ids that must still be absent."""
    feed_last: dict[str, float] = field(default_factory=dict)
    """Feed key -> newest ``occurred_at`` accepted (kept only if newer than stored)."""
    feed_first: dict[str, float] = field(default_factory=dict)
    """Feed key -> oldest ``occurred_at`` accepted (kept only if older than stored): from
    when the feed has data, so that hours before it read as unknown, not as zero."""
    gauges: bool = False
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0


def needs(items: Sequence[dict[str, Any]], feeds: Mapping[str, FeedRules], keys: Keys | None = None) -> Needs:
    """The reads a batch needs; only accepted events ask for state."""
    parts: dict[str, None] = {}
    ids: dict[str, dict[str, None]] = defaultdict(dict)
    builder = NeedsBuilder(keys or Keys())
    for it in items:
        parts[it["tp"]] = None
        if "rej" in it:
            continue
        f = it["f"]
        ids[f][it["id"]] = None
        feeds[f].needs(it, builder)
    return Needs(list(parts), {f: list(v) for f, v in ids.items()}, list(builder._hashes),
                 {k: list(v) for k, v in builder._cells.items()})


class _Entity:
    """One entity's state through the batch (a complaint, an incident...)."""

    __slots__ = ("alive", "cur", "existed", "extra", "key", "live", "open_at_start", "orig")

    def __init__(self, key: str, orig: State, alive: Alive, live: Any,
                 extra: str | None = None) -> None:
        self.key = key
        self.orig = orig
        self.cur = dict(orig)
        self.existed = bool(orig)
        self.alive = alive  # a module function: no reference back to the planner
        self.open_at_start = live is not None
        self.live = live
        """``alive(cfg, cur)`` as of the fold's last change of ``cur``: a fold handler that
        changes ``cur`` stores what ``alive`` says of it afterwards (saves calling it again)."""
        self.extra = extra  # a key sharing the entity's lifetime (an incident's timeline)


class _Fault(Exception):
    """Folding item ``index`` raised: the batch is planned again with it dead-lettered."""

    def __init__(self, index: int, detail: str) -> None:
        super().__init__(detail)
        self.index = index
        self.detail = detail


class Planner:
    """Builds the ``Plan`` of one batch from its items and what was read.

    The machinery every feed shares: counters (``inc``), trend buckets (``trend``),
    entities with latest-wins state (``entity``, ``follow``), sorted-set and set
    members (``zsets``, ``sets``), guarded hash cells (``cell``, ``set_cell``), capped
    lists, the ticker and expiries. Each feed's fold handler (``streams.feeds``) calls
    these; the planner knows no feed by name."""

    def __init__(self, keys: Keys, cfg: FoldConfig, reads: Reads, feeds: Mapping[str, FeedRules],
                 faults: dict[int, str] | None = None) -> None:
        self.k = keys
        self.folds = {name: feed.fold for name, feed in feeds.items()}
        self.faults = faults or {}
        self.cfg = cfg
        self.reads = reads
        self.min_floor = math.floor(cfg.now / 60) - 1500  # minute buckets are kept 25 h
        self.plan = Plan(offsets=dict(reads.offsets))
        self.hincr: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.expire_at: dict[str, int] = {}
        self.zsets: dict[str, dict[str, float | None]] = defaultdict(dict)
        self.sets: dict[str, dict[str, bool]] = defaultdict(dict)
        self.pushes: dict[tuple[str, str], list[Any]] = defaultdict(list)
        self.caps: dict[tuple[str, str], int] = {}
        self.ticker: list[dict[str, Any]] = []
        self.seen_add: dict[str, list[Any]] = defaultdict(list)
        self.seen_now: dict[str, set[str]] = {f: set(s) for f, s in reads.seen.items()}
        self.applied: dict[str, int] = {}
        self.entities: dict[str, _Entity] = {}
        self.cell_cur: dict[tuple[str, str], str | None] = {}
        self.cell_set: dict[str, dict[str, str]] = defaultdict(dict)
        self._minute: dict[int, dict[str, int]] = {}
        self._hour: dict[int, dict[str, int]] = {}
        self._feed: dict[str, str] = {}
        self._kfield: dict[tuple[str, str], str] = {}
        self._ticker_key, self._offsets_key = keys.ticker, keys.offsets

    # -- the batch --------------------------------------------------------------------
    def run(self, items: Iterable[dict[str, Any]], raws: Sequence[bytes]) -> Plan:
        done = self.reads.offsets
        applied = self.applied
        for index, it in enumerate(items):
            tp, o = it["tp"], it["o"]
            stored = done.get(tp)
            if stored is not None and o <= stored:
                self.plan.skipped += 1
                continue
            if index in self.faults:
                self._reject(it, raws, "internal", self.faults[index])
            else:
                try:
                    self._handle(it, raws)
                except Exception as exc:  # a fault in the fold: re-plan with this record parked
                    raise _Fault(index, f"fault while folding this message: {str(exc)[:200]}") from exc
            if applied.get(tp, -1) < o:
                applied[tp] = o
        return self._finish()

    # -- the machinery the feeds' fold handlers use -------------------------------------
    def inc(self, key: str, fld: str, n: int) -> None:
        """Add ``n`` to a counter (summed over the batch, one HINCRBY each)."""
        if n:
            self.hincr[key][fld] += n

    def expire_at_least(self, key: str, at: float) -> None:
        """Let ``key`` expire no earlier than ``at`` (Unix time)."""
        at = math.floor(at)
        if self.expire_at.get(key, -math.inf) < at:
            self.expire_at[key] = at

    def trend(self, e: dict[str, Any], fld: str, n: int, minutes: bool = True) -> None:
        """Count ``n`` in the minute (kept 25 h) and hour trend buckets of the event's time;
        ``minutes=False``: in the hour bucket only (the replay's per-kecamatan counts)."""
        m, h = e["m"], e["h"]
        if minutes and m >= self.min_floor:
            mb = self._minute.get(m)
            if mb is None:
                mb = self._minute[m] = self._bucket(self.k.minute_bucket(m), m * 60 + self.cfg.minute_ttl)
            mb[fld] += n
        hb = self._hour.get(h)
        if hb is None:
            hb = self._hour[h] = self._bucket(self.k.hour_bucket(h), h * 3600 + self.cfg.hour_ttl)
        hb[fld] += n

    def entity(self, key: str, alive: Alive, extra: str | None = None) -> _Entity:
        """The entity hash ``key`` as this batch leaves it (its first look records its guard).
        ``alive`` says what it contributes while live; ``extra`` shares its lifetime."""
        ent = self.entities.get(key)
        if ent is None:
            orig = self.reads.hashes.get(key) or {}
            ent = self.entities[key] = _Entity(key, orig, alive, alive(self.cfg, orig), extra)
            self.plan.entities.append((key, str(orig.get(VERSION, "")) if orig else ""))
        return ent

    def cell(self, key: str, fld: str) -> str | None:
        """A hash cell's value as this batch left it; the first look records its guard."""
        c = (key, fld)
        if c not in self.cell_cur:
            read = self.reads.cells.get(c)
            self.cell_cur[c] = read
            self.plan.cells.append((key, fld, read or ""))
        return self.cell_cur[c]

    def set_cell(self, key: str, fld: str, val: str) -> None:
        self.cell_cur[(key, fld)] = val
        self.cell_set[key][fld] = val

    def push_capped(self, key: str, value: Any, cap: int) -> None:
        """Push onto a list kept newest first, at most ``cap`` long."""
        self.pushes[("lpush", key)].append(value)
        self.caps[("lpush", key)] = cap

    def append_capped(self, key: str, value: Any, cap: int) -> None:
        """Append to a list kept in time order, at most the ``cap`` newest."""
        self.pushes[("rpush", key)].append(value)
        self.caps[("rpush", key)] = cap

    def tick(self, tick: dict[str, Any]) -> None:
        self.ticker.append(tick)  # only the newest ticker_len are encoded, in _finish

    @staticmethod
    def _is_newer(s: State, e: dict[str, Any]) -> bool:
        if s.get("t") is None:
            return True
        st = num(s["t"])
        if e["t"] != st:
            return bool(e["t"] > st)
        sp, so = num(s.get("p", -1)), num(s.get("o", -1))
        if e["p"] != sp:
            return bool(e["p"] > sp)
        return bool(e["o"] > so)

    @staticmethod
    def follow(s: State, e: dict[str, Any], fields: tuple[str, ...]) -> bool:
        """Latest wins: a newer event sets the status and every field it carries, an older
        one only fields the state lacks; ``first`` keeps the earliest time. Whether newer."""
        et = e["t"]
        if s.get("t") is None:  # a new entity: the event is newer, it carries the first time
            s["st"], s["t"], s["p"], s["o"] = e["st"], et, e["p"], e["o"]
            eget = e.get
            for name in fields:
                v = eget(name)
                if v is not None:
                    s[name] = v
            first = num(s.get("first"))
            if first is None or et < first:
                s["first"] = et
            return True
        newer = Planner._is_newer(s, e)
        if newer:
            s["st"], s["t"], s["p"], s["o"] = e["st"], et, e["p"], e["o"]
        for name in fields:
            v = e.get(name)
            if v is not None and (newer or s.get(name) is None):
                s[name] = v
        first = num(s.get("first"))
        if first is None or et < first:
            s["first"] = et
        return newer

    # -- one record ---------------------------------------------------------------------
    def _feed_key(self, feed: str) -> str:
        fk = self._feed.get(feed)
        if fk is None:
            fk = self._feed[feed] = self.k.feed(feed)
        return fk

    def _bucket(self, key: str, expire_at: int) -> dict[str, int]:
        """A trend bucket's counters for this batch (its expiry follows from its time)."""
        self.expire_at.setdefault(key, expire_at)
        return self.hincr[key]

    def _reject(self, it: dict[str, Any], raws: Sequence[bytes], reason: str, detail: str | None) -> None:
        self.inc(self._feed_key(it["f"]), "rejected", 1)
        tp = it["tp"]
        head = orjson.dumps({"reason": reason, "detail": detail, "topic": tp.rsplit("|", 1)[0],
                             "partition": it["p"], "offset": it["o"]})
        out = self.pushes[("outbox", self.k.outbox(tp))]
        out.append(head)
        out.append(raws[it["raw"] - 1])
        self.plan.rejected += 1

    def _handle(self, it: dict[str, Any], raws: Sequence[bytes]) -> None:
        if "rej" in it:
            self._reject(it, raws, it["rej"], it.get("det"))
            return
        f = it["f"]
        eid = it["id"]
        seen = self.seen_now.get(f)
        if seen is None:
            seen = self.seen_now[f] = set()
        if eid in seen:
            self.inc(self._feed_key(f), "duplicates", 1)
            self.plan.duplicates += 1
            return
        why = self.folds[f](self, it)
        if why is not None:  # refused before any write
            self._reject(it, raws, "schema", why)
            return
        fk = self._feed_key(f)
        self.hincr[fk]["accepted"] += 1
        k = it.get("k")
        if k is None:
            self.trend(it, f, 1)
        else:  # the feed's and its kecamatan's trend counters: one bucket lookup for both
            kf = self._kfield.get((f, k))
            if kf is None:
                kf = self._kfield[(f, k)] = f"{f}:k:{k}"
            self._trend_two(it, f, kf)
        seen.add(eid)
        t = it["t"]
        self.seen_add[f].extend((repr(t) if type(t) is float else fmt(t), eid))
        plan = self.plan
        if t > plan.feed_last.get(fk, -math.inf):
            plan.feed_last[fk] = t
        if t < plan.feed_first.get(fk, math.inf):
            plan.feed_first[fk] = t
        plan.accepted += 1

    def _trend_two(self, e: dict[str, Any], f1: str, f2: str) -> None:
        """``trend(e, f1, 1)`` then ``trend(e, f2, 1)``."""
        m, h = e["m"], e["h"]
        if m >= self.min_floor:
            mb = self._minute.get(m)
            if mb is None:
                mb = self._minute[m] = self._bucket(self.k.minute_bucket(m), m * 60 + self.cfg.minute_ttl)
            mb[f1] += 1
            mb[f2] += 1
        hb = self._hour.get(h)
        if hb is None:
            hb = self._hour[h] = self._bucket(self.k.hour_bucket(h), h * 3600 + self.cfg.hour_ttl)
        hb[f1] += 1
        hb[f2] += 1

    # -- the writes ---------------------------------------------------------------------
    def _finish(self) -> Plan:
        plan = self.plan
        cmds = plan.commands
        self._list_writes(cmds)  # before the entities: a timeline must exist to expire
        for ent in self.entities.values():
            self._entity_writes(ent, cmds)
        for key, members in self.zsets.items():
            adds = [x for m, sc in members.items() if sc is not None for x in (fmt(sc), m)]
            rems = [m for m, sc in members.items() if sc is None]
            _chunked(cmds, ["ZADD", key], adds, 2)
            _chunked(cmds, ["ZREM", key], rems, 1)
        for key, present in self.sets.items():
            _chunked(cmds, ["SADD", key], [m for m, p in present.items() if p], 1)
            _chunked(cmds, ["SREM", key], [m for m, p in present.items() if not p], 1)
        for key, cells in self.cell_set.items():
            _chunked(cmds, ["HSET", key], [x for kv in cells.items() for x in kv], 2)
        for feed, pairs in self.seen_add.items():
            sk = self.k.seen(feed)
            _chunked(cmds, ["ZADD", sk], pairs, 2)
            plan.unseen[sk] = pairs[1::2]
        for feed in self.seen_now:
            cmds.append(["ZREMRANGEBYSCORE", self.k.seen(feed), "-inf", f"({fmt(self.cfg.now - self.cfg.dedupe_s)}"])
        for key, fields in self.hincr.items():
            for fld, n in fields.items():
                if n:
                    plan.checked.append(["HINCRBY", key, fld, str(n) if isinstance(n, int) else f"{n:.0f}"])
        for key, at in self.expire_at.items():
            cmds.append(["EXPIREAT", key, str(at)])
        if self.applied:
            offs = self._offsets_key
            cmds.append(["HSET", offs, *[x for tp, o in self.applied.items() for x in (tp, str(o))]])
        if self.ticker:
            newest = [orjson.dumps({k: v for k, v in tick.items() if v is not None})
                      for tick in self.ticker[-self.cfg.ticker_len:]]
            cmds.append(["LPUSH", self._ticker_key, *newest])
            cmds.append(["LTRIM", self._ticker_key, "0", str(self.cfg.ticker_len - 1)])
        plan.gauges = plan.accepted > 0
        return plan

    def _entity_writes(self, ent: _Entity, cmds: list[list[Any]]) -> None:
        s, orig = ent.cur, ent.orig
        changed: list[str] = []
        add = changed.extend
        items = iter(s.items())
        # ``cur`` began as a copy of ``orig`` and folds do not delete fields, so its first
        # fields are the stored ones, in their order; then the fields new in this batch
        for (oname, o), (name, v) in zip(orig.items(), items, strict=False):
            if v is o and name is oname:  # still the stored text, as read
                continue
            if name is not oname:  # a field was deleted after all: compare by name
                self._entity_writes_by_name(ent, cmds)
                return
            t = type(v)
            if t is str:
                text = v
            elif t is float:
                text = str(int(v)) if v.is_integer() and abs(v) < 1e17 else repr(v)
            elif t is int:
                text = str(v)
            else:
                text = fmt(v)
            if o != text and name != VERSION:
                add((name, text))
        for name, v in items:
            t = type(v)
            if t is str:
                text = v
            elif t is float:
                text = str(int(v)) if v.is_integer() and abs(v) < 1e17 else repr(v)
            elif t is int:
                text = str(v)
            else:
                text = fmt(v)
            if name != VERSION:
                add((name, text))
        self._entity_commands(ent, changed, cmds)

    def _entity_writes_by_name(self, ent: _Entity, cmds: list[list[Any]]) -> None:
        s, orig = ent.cur, ent.orig
        changed = [x for name, v in s.items() if name != VERSION and orig.get(name) != (text := fmt(v))
                   for x in (name, text)]
        self._entity_commands(ent, changed, cmds)

    def _entity_commands(self, ent: _Entity, changed: list[str], cmds: list[list[Any]]) -> None:
        s, orig = ent.cur, ent.orig
        if changed:
            version = str((num(orig.get(VERSION)) or 0) + 1)
            cmds.append(["HSET", ent.key, *changed, VERSION, version])
        elif not ent.existed:
            return
        keys = [ent.key] if ent.extra is None else [ent.key, ent.extra]
        if ent.live is not None:
            if ent.existed and not ent.open_at_start:
                cmds.extend(["PERSIST", k] for k in keys)
        else:
            at = str(math.floor(num(s["t"]) + self.cfg.retention_s))
            cmds.extend(["EXPIREAT", k, at] for k in keys)

    def _list_writes(self, cmds: list[list[Any]]) -> None:
        for (kind, key), values in self.pushes.items():
            if kind == "outbox":
                _chunked(cmds, ["RPUSH", key], values, 2)
                continue
            cap = self.caps[(kind, key)]
            if kind == "lpush":  # newest first
                cmds.append(["LPUSH", key, *values[-cap:]])
                cmds.append(["LTRIM", key, "0", str(cap - 1)])
            else:  # in time order, the newest kept
                cmds.append(["RPUSH", key, *values[-cap:]])
                cmds.append(["LTRIM", key, str(-cap), "-1"])


def _chunked(cmds: list[list[Any]], head: list[Any], values: list[Any], step: int) -> None:
    """``head + values`` as commands of at most ``MAX_ARGS`` values (whole groups of ``step``)."""
    size = MAX_ARGS - MAX_ARGS % step
    for i in range(0, len(values), size):
        cmds.append([*head, *values[i:i + size]])


def plan_batch(items: Sequence[dict[str, Any]], raws: Sequence[bytes], reads: Reads,
               cfg: FoldConfig, keys: Keys, feeds: Mapping[str, FeedRules]) -> Plan:
    """The writes of one batch (see the module docstring). A record whose fold raises is
    dead-lettered as ``internal`` and the batch planned again without its effects."""
    faults: dict[int, str] = {}
    while True:
        try:
            return Planner(keys, cfg, reads, feeds, faults).run(items, raws)
        except _Fault as fault:
            faults[fault.index] = fault.detail
