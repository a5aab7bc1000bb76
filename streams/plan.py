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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from marvec.keys import Keys

State = dict[str, Any]

OPEN_STATUSES = frozenset({"received", "assigned", "in_progress"})
COMPLAINT_FIELDS = ("cat", "pr", "opd", "k", "lat", "lon", "txt", "src")
INCIDENT_FIELDS = ("hz", "sev", "lat", "lon", "k", "ap", "dp", "inj", "dth", "mag", "dep", "wl", "src")
IMPACT = (("ap", "affected_people"), ("dp", "displaced"), ("inj", "injured"), ("dth", "deaths"))
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
    """What a batch must read first: its partitions, ids, entities and price cells."""

    partitions: list[str]
    ids: dict[str, list[str]]
    complaints: list[str]
    incidents: list[str]
    prices: dict[str, list[str]]
    price_days: dict[tuple[str, str], list[str]]


@dataclass(slots=True)
class Reads:
    """The state a plan starts from (what the sink read for ``Needs``)."""

    offsets: dict[str, int | None]
    seen: dict[str, set[str]]
    complaints: dict[str, State]
    incidents: dict[str, State]
    prices: dict[tuple[str, str], str | None]
    price_days: dict[tuple[str, str, str], str | None]


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
    gauges: bool = False
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0


def fmt(x: Any) -> str:
    """A number as Redis stores it: integers without a fraction, floats round-trip."""
    if isinstance(x, bool):
        return "1" if x else "0"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if x.is_integer() and abs(x) < 1e17:
            return str(int(x))
        return repr(x)
    return str(x)


def num(x: Any) -> Any:
    """A stored value as a number (``None`` stays ``None``)."""
    if x is None or isinstance(x, int | float):
        return x
    try:
        return int(x)
    except ValueError:
        return float(x)


def needs(items: Sequence[dict[str, Any]]) -> Needs:
    """The reads a batch needs; only accepted events ask for state."""
    parts: dict[str, None] = {}
    ids: dict[str, dict[str, None]] = defaultdict(dict)
    complaints: dict[str, None] = {}
    incidents: dict[str, None] = {}
    prices: dict[str, dict[str, None]] = defaultdict(dict)
    price_days: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    for it in items:
        parts[it["tp"]] = None
        if "rej" in it:
            continue
        f = it["f"]
        ids[f][it["id"]] = None
        if f == "complaints":
            complaints[it["cid"]] = None
        elif f == "disasters":
            incidents[it["iid"]] = None
        elif it.get("kind") == "price":
            prices[it["com"]][it["mkt"]] = None
            price_days[(it["com"], it["d"])][it["mkt"]] = None
    return Needs(list(parts), {f: list(v) for f, v in ids.items()}, list(complaints),
                 list(incidents), {c: list(v) for c, v in prices.items()},
                 {k: list(v) for k, v in price_days.items()})


class _Entity:
    """One complaint's or incident's state through the batch."""

    __slots__ = ("cur", "existed", "extra", "key", "open_at_start", "orig")

    def __init__(self, key: str, orig: State, open_at_start: bool, extra: str | None = None) -> None:
        self.key = key
        self.orig = orig
        self.cur = dict(orig)
        self.existed = bool(orig)
        self.open_at_start = open_at_start
        self.extra = extra  # an incident's timeline, sharing its lifetime; None for a complaint


class _Fault(Exception):
    """Folding item ``index`` raised: the batch is planned again with it dead-lettered."""

    def __init__(self, index: int, detail: str) -> None:
        super().__init__(detail)
        self.index = index
        self.detail = detail


class Planner:
    """Builds the ``Plan`` of one batch from its items and what was read."""

    def __init__(self, keys: Keys, cfg: FoldConfig, reads: Reads,
                 faults: dict[int, str] | None = None) -> None:
        self.k = keys
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
        self.ticker: list[dict[str, Any]] = []
        self.seen_add: dict[str, list[Any]] = defaultdict(list)
        self.seen_now: dict[str, set[str]] = {f: set(s) for f, s in reads.seen.items()}
        self.applied: dict[str, int] = {}
        self.entities: dict[str, _Entity] = {}
        self.price_cur: dict[tuple[str, str], str | None] = {}
        self.price_set: dict[str, dict[str, str]] = defaultdict(dict)
        self._minute: dict[int, dict[str, int]] = {}
        self._hour: dict[int, dict[str, int]] = {}
        self._feed: dict[str, str] = {}
        self._static = {name: getattr(keys, name) for name in (
            "complaint_totals", "open_by_kecamatan", "open_by_category", "open_by_opd",
            "open_by_kecamatan_category", "due", "latest_open", "opds", "active_incidents",
            "disaster_totals", "active_by_hazard", "active_by_kecamatan", "ticker", "offsets")}

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

    # -- helpers ----------------------------------------------------------------------
    def _inc(self, key: str, fld: str, n: int) -> None:
        if n:
            self.hincr[key][fld] += n

    def _expat(self, key: str, at: float) -> None:
        at = math.floor(at)
        if self.expire_at.get(key, -math.inf) < at:
            self.expire_at[key] = at

    def _feed_key(self, feed: str) -> str:
        fk = self._feed.get(feed)
        if fk is None:
            fk = self._feed[feed] = self.k.feed(feed)
        return fk

    def _trend(self, e: dict[str, Any], fld: str, n: int) -> None:
        m, h = e["m"], e["h"]
        if m >= self.min_floor:
            mb = self._minute.get(m)
            if mb is None:
                mb = self._minute[m] = self._bucket(self.k.minute_bucket(m), m * 60 + self.cfg.minute_ttl)
            mb[fld] += n
        hb = self._hour.get(h)
        if hb is None:
            hb = self._hour[h] = self._bucket(self.k.hour_bucket(h), h * 3600 + self.cfg.hour_ttl)
        hb[fld] += n

    def _bucket(self, key: str, expire_at: int) -> dict[str, int]:
        """A trend bucket's counters for this batch (its expiry follows from its time)."""
        self.expire_at.setdefault(key, expire_at)
        return self.hincr[key]

    def _entity(self, key: str, orig: State, contrib: Any, extra: str | None = None) -> _Entity:
        ent = self.entities.get(key)
        if ent is None:
            ent = self.entities[key] = _Entity(key, orig, contrib(orig) is not None, extra)
            self.plan.entities.append((key, str(orig.get(VERSION, "")) if orig else ""))
        return ent

    def _tick(self, tick: dict[str, Any]) -> None:
        self.ticker.append(tick)  # only the newest ticker_len are encoded, in _finish

    def _reject(self, it: dict[str, Any], raws: Sequence[bytes], reason: str, detail: str | None) -> None:
        self._inc(self._feed_key(it["f"]), "rejected", 1)
        tp = it["tp"]
        head = orjson.dumps({"reason": reason, "detail": detail, "topic": tp.rsplit("|", 1)[0],
                             "partition": it["p"], "offset": it["o"]})
        out = self.pushes[("outbox", self.k.outbox(tp))]
        out.append(head)
        out.append(raws[it["raw"] - 1])
        self.plan.rejected += 1

    # -- one record ---------------------------------------------------------------------
    def _handle(self, it: dict[str, Any], raws: Sequence[bytes]) -> None:
        if "rej" in it:
            self._reject(it, raws, it["rej"], it.get("det"))
            return
        f = it["f"]
        eid = it["id"]
        seen = self.seen_now.setdefault(f, set())
        if eid in seen:
            self._inc(self._feed_key(f), "duplicates", 1)
            self.plan.duplicates += 1
            return
        why = self._accept(it)
        if why is not None:  # refused before any write
            self._reject(it, raws, "schema", why)
            return
        seen.add(eid)
        t = it["t"]
        self.seen_add[f].extend((repr(t) if isinstance(t, float) else fmt(t), eid))
        fk = self._feed_key(f)
        if t > self.plan.feed_last.get(fk, -math.inf):
            self.plan.feed_last[fk] = t
        self.plan.accepted += 1

    def _accept(self, e: dict[str, Any]) -> str | None:
        f = e["f"]
        if f == "disasters":
            why = self._incident(e)
            if why is not None:
                return why
        elif f == "complaints":
            self._complaint(e)
        elif e.get("kind") == "price":
            self._price(e)
        else:
            self._transactions(e)
        self._inc(self._feed_key(f), "accepted", 1)
        self._trend(e, f, 1)
        if e.get("k") is not None:
            self._trend(e, f"{f}:k:{e['k']}", 1)
        return None

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

    @classmethod
    def _follow(cls, s: State, e: dict[str, Any], fields: tuple[str, ...]) -> bool:
        """Latest wins: a newer event sets the status and every field it carries, an older
        one only fields the state lacks; ``first`` keeps the earliest time. Whether newer."""
        newer = cls._is_newer(s, e)
        if newer:
            s["st"], s["t"], s["p"], s["o"] = e["st"], e["t"], e["p"], e["o"]
        for name in fields:
            v = e.get(name)
            if v is not None and (newer or s.get(name) is None):
                s[name] = v
        first = num(s.get("first"))
        if first is None or e["t"] < first:
            s["first"] = e["t"]
        return newer

    # -- complaints -------------------------------------------------------------------
    def _complaint_contrib(self, s: State) -> tuple[str, str, Any, float] | None:
        if s.get("st") not in OPEN_STATUSES:
            return None
        base = num(s.get("rcv"))
        if base is None:
            base = num(s.get("first"))
        return (s.get("k") or "?", s.get("cat") or "unknown", s.get("opd"),
                base + self.cfg.sla[s.get("pr") or "normal"])

    def _open_counts(self, c: tuple[str, str, Any, float], sign: int) -> None:
        k, cat, opd, _ = c
        st = self._static
        self._inc(st["complaint_totals"], "open", sign)
        self._inc(st["open_by_kecamatan"], k, sign)
        self._inc(st["open_by_category"], cat, sign)
        self._inc(st["open_by_kecamatan_category"], f"{k}|{cat}", sign)
        if opd:
            self._inc(st["open_by_opd"], opd, sign)

    def _complaint(self, e: dict[str, Any]) -> None:
        cid = e["cid"]
        key = self.k.complaint(cid)
        ent = self._entity(key, self.reads.complaints.get(cid) or {}, self._complaint_contrib)
        s = ent.cur
        old = self._complaint_contrib(s)
        newer = self._follow(s, e, COMPLAINT_FIELDS)
        day_key = self.k.complaint_day(e["d"])
        resolved = False
        if e["st"] == "received":
            r = num(s.get("rcv"))
            if r is None:
                self._inc(day_key, "received", 1)
                self._trend(e, "c:received", 1)
                self._trend(e, "c:cat:" + (e.get("cat") or s.get("cat") or "unknown"), 1)
            if r is None or e["t"] < r:
                s["rcv"] = e["t"]
        if e["st"] == "resolved" and s.get("res") is None:
            s["res"] = e["t"]
            self._inc(day_key, "resolved", 1)
            self._trend(e, "c:resolved", 1)
            resolved = True
        if resolved:
            self._resolution(s)
        self._expat(day_key, e["de"] + self.cfg.day_ttl)
        new = self._complaint_contrib(s)
        if old:
            self._open_counts(old, -1)
        st = self._static
        zs = self.zsets
        if new:
            self._open_counts(new, 1)
            same_due = old is not None and old[3] == new[3]
            if not same_due:
                zs[st["due"]][cid] = new[3]
            if newer:
                zs[st["latest_open"]][cid] = num(s["t"])
            if new[2] and not (same_due and old is not None and old[2] == new[2]):
                zs[self.k.due_by_opd(new[2])][cid] = new[3]
                self.sets[st["opds"]][new[2]] = True
        elif old:
            zs[st["due"]][cid] = None
            zs[st["latest_open"]][cid] = None
        if old and old[2] and (new is None or new[2] != old[2]):
            zs[self.k.due_by_opd(old[2])][cid] = None
        if newer:
            self._tick({"feed": "complaints", "at": e["t"], "kind": e["st"],
                             "title": s.get("cat") or "unknown", "text": s.get("txt"),
                             "k": s.get("k"), "id": cid})

    def _resolution(self, s: State) -> None:
        base = num(s.get("rcv"))
        if base is None:
            base = num(s.get("first"))
        res = num(s["res"])
        within = 1 if res <= base + self.cfg.sla[s.get("pr") or "normal"] else 0
        self.pushes[("resolutions", self.k.resolutions(s.get("opd") or "-"))].append(
            f"{fmt(res - base)}|{within}|{fmt(res)}")

    # -- economy ----------------------------------------------------------------------
    def _price_cell(self, key: str, mkt: str, read: str | None) -> str | None:
        """A price cell's value as this batch left it; the first look records its guard."""
        cell = (key, mkt)
        if cell not in self.price_cur:
            self.price_cur[cell] = read
            self.plan.cells.append((key, mkt, read or ""))
        return self.price_cur[cell]

    def _set_price(self, key: str, mkt: str, val: str) -> None:
        self.price_cur[(key, mkt)] = val
        self.price_set[key][mkt] = val

    def _price(self, e: dict[str, Any]) -> None:
        com, mkt, t, day = e["com"], e["mkt"], e["t"], e["d"]
        val = f"{fmt(t)}|{fmt(e['price'])}|{e['unit']}"
        key = self.k.price(com)
        cur = self._price_cell(key, mkt, self.reads.prices.get((com, mkt)))
        if cur is None or t >= float(cur.split("|", 1)[0]):
            self._set_price(key, mkt, val)
            self._tick({"feed": "economy", "at": t, "kind": "price", "title": com, "text": mkt,
                        "k": e.get("k"), "value": e["price"]})
        dk = self.k.price_day(com, day)
        dcur = self._price_cell(dk, mkt, self.reads.price_days.get((com, day, mkt)))
        if dcur is None or t >= float(dcur.split("|", 1)[0]):
            self._set_price(dk, mkt, val)
        self._expat(dk, e["de"] + self.cfg.day_ttl)

    def _transactions(self, e: dict[str, Any]) -> None:
        dk = self.k.tx_day(e["d"])
        k, n, amt = e["k"], e["n"], e["amt"]
        inc = self._inc
        inc(dk, "count", n)
        inc(dk, "amount", amt)
        inc(dk, f"k:{k}", amt)
        inc(dk, f"kc:{k}", n)
        inc(dk, f"m:{e['mc']}", amt)
        self._expat(dk, e["de"] + self.cfg.day_ttl)
        self._trend(e, "e:tx_count", n)
        self._trend(e, "e:tx_amount", amt)
        self._tick({"feed": "economy", "at": e["t"], "kind": "transactions", "title": e["mc"],
                    "k": k, "value": amt})

    # -- disasters ----------------------------------------------------------------------
    @staticmethod
    def _incident_contrib(s: State) -> tuple[Any, Any, int, int, int, int] | None:
        st = s.get("st")
        if st is None or st == "closed":
            return None
        return (s.get("hz"), s.get("k"), num(s.get("ap")) or 0, num(s.get("dp")) or 0,
                num(s.get("inj")) or 0, num(s.get("dth")) or 0)

    def _incident_counts(self, c: tuple[Any, Any, int, int, int, int], sign: int) -> None:
        tk = self._static["disaster_totals"]
        self._inc(tk, "active", sign)
        for (_, name), n in zip(IMPACT, c[2:], strict=True):
            self._inc(tk, name, sign * n)
        self._inc(self._static["active_by_hazard"], c[0], sign)
        if c[1]:
            self._inc(self._static["active_by_kecamatan"], c[1], sign)

    def _incident(self, e: dict[str, Any]) -> str | None:
        iid = e["iid"]
        key = self.k.incident(iid)
        ent = self._entity(key, self.reads.incidents.get(iid) or {}, self._incident_contrib,
                           extra=self.k.timeline(iid))
        s = ent.cur
        exists = bool(s)
        if not exists and (e.get("hz") is None or e.get("sev") is None):
            return f"hazard and severity are required on the first event of incident {iid}"
        old = self._incident_contrib(s)
        newer = self._follow(s, e, INCIDENT_FIELDS)
        if not exists:
            self._trend(e, "d:new", 1)
        new = self._incident_contrib(s)
        if old:
            self._incident_counts(old, -1)
        active = self._static["active_incidents"]
        if new:
            self._incident_counts(new, 1)
            self.sets[active][iid] = True
        elif old:
            self.sets[active][iid] = False
        sev = e.get("sev") if e.get("sev") is not None else s.get("sev")
        self.pushes[("timeline", ent.extra or "")].append(
            f"{fmt(e['t'])}|{e['st']}|{fmt(sev) if sev is not None else ''}")
        if newer:
            self._tick({"feed": "disasters", "at": e["t"], "kind": e["st"], "title": s.get("hz"),
                        "k": s.get("k"), "id": iid, "value": num(s.get("sev"))})
        return None

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
        for key, cells in self.price_set.items():
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
            offs = self._static["offsets"]
            cmds.append(["HSET", offs, *[x for tp, o in self.applied.items() for x in (tp, str(o))]])
        if self.ticker:
            newest = [orjson.dumps({k: v for k, v in tick.items() if v is not None})
                      for tick in self.ticker[-self.cfg.ticker_len:]]
            cmds.append(["LPUSH", self._static["ticker"], *newest])
            cmds.append(["LTRIM", self._static["ticker"], "0", str(self.cfg.ticker_len - 1)])
        plan.gauges = plan.accepted > 0
        return plan

    def _entity_writes(self, ent: _Entity, cmds: list[list[Any]]) -> None:
        s, orig = ent.cur, ent.orig
        changed = [x for name, v in s.items() if name != VERSION and orig.get(name) != (text := fmt(v))
                   for x in (name, text)]
        if changed:
            version = str((num(orig.get(VERSION)) or 0) + 1)
            cmds.append(["HSET", ent.key, *changed, VERSION, version])
        elif not ent.existed:
            return
        keys = [ent.key] if ent.extra is None else [ent.key, ent.extra]
        contrib = self._complaint_contrib if ent.extra is None else self._incident_contrib
        if contrib(s) is not None:
            if ent.existed and not ent.open_at_start:
                cmds.extend(["PERSIST", k] for k in keys)
        else:
            at = str(math.floor(num(s["t"]) + self.cfg.retention_s))
            cmds.extend(["EXPIREAT", k, at] for k in keys)

    def _list_writes(self, cmds: list[list[Any]]) -> None:
        cfg = self.cfg
        for (kind, key), values in self.pushes.items():
            if kind == "outbox":
                _chunked(cmds, ["RPUSH", key], values, 2)
            elif kind == "resolutions":
                cmds.append(["LPUSH", key, *values[-cfg.resolutions_len:]])
                cmds.append(["LTRIM", key, "0", str(cfg.resolutions_len - 1)])
            else:  # an incident's timeline
                cmds.append(["RPUSH", key, *values[-cfg.timeline_len:]])
                cmds.append(["LTRIM", key, str(-cfg.timeline_len), "-1"])


def _chunked(cmds: list[list[Any]], head: list[Any], values: list[Any], step: int) -> None:
    """``head + values`` as commands of at most ``MAX_ARGS`` values (whole groups of ``step``)."""
    size = MAX_ARGS - MAX_ARGS % step
    for i in range(0, len(values), size):
        cmds.append([*head, *values[i:i + size]])


def plan_batch(items: Sequence[dict[str, Any]], raws: Sequence[bytes], reads: Reads,
               cfg: FoldConfig, keys: Keys) -> Plan:
    """The writes of one batch (see the module docstring). A record whose fold raises is
    dead-lettered as ``internal`` and the batch planned again without its effects."""
    faults: dict[int, str] = {}
    while True:
        try:
            return Planner(keys, cfg, reads, faults).run(items, raws)
        except _Fault as fault:
            faults[fault.index] = fault.detail
