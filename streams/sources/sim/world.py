"""The simulated city: complaints and markets (incidents are in ``hazards``).

Pure and deterministic for a given ``random.Random``: no clock, no I/O. Each ``step(t)``
returns one event ``(feed, key, ms, body)`` at event time ``t`` (Unix seconds); ``ms`` is
the event time in milliseconds, strictly increasing per entity.

Lifecycles follow real delays (by priority, by hazard) but the number of open complaints
and active incidents is held near a target: when nothing is due and the population is
full, the earliest due entity is advanced early. A fast stream thus compresses
lifecycles instead of piling up entities.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from typing import Any, Generic, TypeVar

from marvec.contract import COMMODITIES, PRIORITIES, SLA_SECONDS, WITA
from streams.sources.sim import data as D

T = TypeVar("T")
Body = dict[str, Any]
Event = tuple[str, str, int, Body]
_COS_LAT = math.cos(math.radians(5.14))


class Picker(Generic[T]):
    """A weighted choice, faster than ``random.choices`` for one draw."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items, self.cum = tuple(items), list(accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> T:
        return self.items[bisect(self.cum, rng.random() * self.total)]


def picker(weights: dict[T, float]) -> Picker[T]:
    """A ``Picker`` from an ``{item: weight}`` mapping."""
    return Picker(list(weights), list(weights.values()))


def hour_activity(t: float) -> float:
    """How busy the city is at ``t`` (by WITA hour), from about 0.2 at night to 1.45."""
    return D.HOUR_ACTIVITY[int((t + 28_800) % 86_400) // 3600]


def feed_mix(t: float) -> Picker[str]:
    """Which feed the next event is on: 45/45/10 over a day, complaints following the hour."""
    act = hour_activity(t)
    calm = 0.5 + 0.5 * act  # markets and incident reports slow down less at night
    return Picker(("complaints", "economy", "disasters"), (0.55 * act, 0.45 * calm, 0.1 * calm))


class Stamp:
    """Milliseconds to RFC 3339 with the WITA offset; the date part is cached per second."""

    def __init__(self) -> None:
        self.sec, self.prefix = -1, ""

    def __call__(self, ms: int) -> str:
        sec, frac = divmod(ms, 1000)
        if sec != self.sec:
            self.sec, self.prefix = sec, datetime.fromtimestamp(sec, WITA).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self.prefix}.{frac:03d}+08:00"


def jitter(rng: random.Random, lat: float, lon: float, radius_m: float) -> dict[str, float]:
    """A point uniformly inside a disc of ``radius_m`` metres around (lat, lon)."""
    r, a = radius_m * math.sqrt(rng.random()) / 111_195.0, rng.random() * math.tau
    return {"lat": round(lat + r * math.sin(a), 6), "lon": round(lon + r * math.cos(a) / _COS_LAT, 6)}


def in_box(rng: random.Random, boxes: Sequence[tuple[float, float, float, float]]) -> dict[str, float]:
    """A random point inside one of ``boxes`` (lat_min, lat_max, lon_min, lon_max)."""
    la0, la1, lo0, lo1 = rng.choice(boxes)
    return {"lat": round(rng.uniform(la0, la1), 5), "lon": round(rng.uniform(lo0, lo1), 5)}


@dataclass(slots=True)
class Entity:
    """A complaint or an incident: its planned statuses and how far it has got."""

    key: str
    kind: str  # complaint category or hazard
    source: str
    where: Body  # location and/or kecamatan, as sent
    plan: tuple[str, ...]
    x: dict[str, Any] = field(default_factory=dict)  # what else the kind needs
    step: int = 0  # index in ``plan`` of the next status to emit
    last_ms: int = 0


class Desk:
    """Entities with lifecycles, the earliest due first, their number held near a target."""

    feed = ""

    def __init__(self, rng: random.Random, tag: str) -> None:
        self.rng, self.tag, self.created, self._seq = rng, tag, 0, 0
        self.heap: list[tuple[float, int, Entity]] = []

    @property
    def active(self) -> int:
        """How many entities are open (complaints) or active (incidents)."""
        return len(self.heap)

    def step(self, t: float) -> Event:
        """The next event at ``t``: an update of an existing entity, or a new entity."""
        heap = self.heap
        if heap and (heap[0][0] <= t or len(heap) >= self.target(t)):
            return self.emit(heapq.heappop(heap)[2], t, queue=True)
        return self.emit(self.new(t), t, queue=True)

    def emit(self, e: Entity, t: float, *, queue: bool) -> Event:
        """``e``'s next status at ``t``; with ``queue``, schedule the one after."""
        body = self.body(e)
        e.last_ms = ms = max(int(t * 1000), e.last_ms + 1)
        e.step += 1
        if queue and e.step < len(e.plan):
            self._push(self.due(e, t), e)
        return self.feed, e.key, ms, body

    def _push(self, due: float, e: Entity) -> None:
        self._seq += 1
        heapq.heappush(self.heap, (due, self._seq, e))

    def backlog(self, start: float, n: int, mean_age: float) -> list[Event]:
        """History before ``start``: ``n`` entities born in the past, played forward to it."""
        events: list[Event] = []
        for _ in range(n):
            t = start - min(20 * 86_400.0, self.rng.expovariate(1 / mean_age))
            e = self.new(t, age=start - t)
            while t < start and e.step < len(e.plan):
                events.append(self.emit(e, t, queue=False))
                t = self.due(e, t) if e.step < len(e.plan) else t
            if e.step < len(e.plan):
                self._push(t, e)
        return events

    def sample(self, t: float) -> Event:
        """The first event of a fresh entity that is not tracked (for invalid messages)."""
        return self.emit(self.new(t, sample=True), t, queue=False)

    # Each kind of desk defines its population target, new entities, delays and bodies.
    def target(self, t: float) -> float: raise NotImplementedError
    def new(self, t: float, *, age: float = 0.0, sample: bool = False) -> Entity: raise NotImplementedError
    def due(self, e: Entity, t: float) -> float: raise NotImplementedError
    def body(self, e: Entity) -> Body: raise NotImplementedError


_PLACES = Picker(D.PLACES, [p.weight for p in D.PLACES])
_FLOOD_PLACES = picker({p: p.weight for p in D.PLACES if "flood" in p.tags})
_CATEGORY, _CHANNEL = picker(D.CATEGORY_WEIGHTS), picker(D.CHANNELS)
_OPD = {cat: picker(w) for cat, w in D.CATEGORY_OPD.items()}
_PRIORITY = {cat: Picker(PRIORITIES, D.PRIORITY_WEIGHTS.get(cat, D.PRIORITY_WEIGHTS["default"]))
             for cat in D.CATEGORY_WEIGHTS}
_PLANS = Picker([("received", "assigned", "in_progress", "resolved"),
                 ("received", "assigned", "in_progress", "in_progress", "resolved"),
                 ("received", "assigned", "resolved"), ("received", "rejected"),
                 ("received", "assigned", "rejected")], [0.78, 0.08, 0.05, 0.06, 0.03])


class ComplaintDesk(Desk):
    """Complaints at places: received -> assigned (opd) -> in_progress -> resolved/rejected.

    Each step waits a share of the priority's SLA; a few complaints get stuck past it.
    """

    feed = "complaints"

    def __init__(self, rng: random.Random, tag: str, target_open: int = 600) -> None:
        super().__init__(rng, tag)
        self.target_open, self.stuck = target_open, 0

    def target(self, t: float) -> float:
        return self.target_open * (0.75 + 0.25 * hour_activity(t))

    def new(self, t: float, *, age: float = 0.0, sample: bool = False) -> Entity:
        rng = self.rng
        self.created += 1
        cat = _CATEGORY(rng)
        place = _FLOOD_PLACES(rng) if cat == "drainage" and rng.random() < 0.4 else _PLACES(rng)
        src = _CHANNEL(rng)
        e = Entity(f"ADU-{self.tag}-{self.created:07d}", cat, src, self._where(place, src),
                   _PLANS(rng), {"place": place.name, "pr": _PRIORITY[cat](rng), "opd": _OPD[cat](rng)})
        # Still open after days: the older a complaint in the backlog, the likelier it is stuck.
        stuck_p = 0.0 if sample else min(0.6, 0.04 + age / 864_000)
        if rng.random() < stuck_p and self.stuck < 0.1 * self.target_open and len(e.plan) > 2:
            self.stuck += 1
            e.x.update(hold=t + SLA_SECONDS[e.x["pr"]] * rng.uniform(1.2, 3.0), stuck_at=rng.randint(1, 2))
        return e

    def _where(self, place: D.Place, source: str) -> Body:
        rng = self.rng
        if source == "walkin" and rng.random() < 0.5:  # filed at the kantor camat: district only
            return {"kecamatan": place.kecamatan}
        where: Body = {"location": jitter(rng, place.lat, place.lon, place.radius_m)}
        if rng.random() < 0.3 or "island" in place.tags:  # islanders name their kecamatan
            where["kecamatan"] = place.kecamatan
        return where

    def due(self, e: Entity, t: float) -> float:
        due = t + SLA_SECONDS[e.x["pr"]] * self.rng.uniform(0.03, 0.3)
        return max(due, e.x["hold"]) if e.x.get("stuck_at") == e.step else due

    def body(self, e: Entity) -> Body:
        rng, status = self.rng, e.plan[e.step]
        b: Body = {"source": e.source, "complaint_id": e.key, "status": status, "priority": e.x["pr"]}
        b.update(e.where)
        if status == "received":
            text = rng.choice(D.COMPLAINT_TEXTS[e.kind]).format(place=e.x["place"])
            if e.source == "sosmed":
                text = rng.choice(D.SOSMED_WRAPS).format(text=text)
            b.update(category=e.kind, text=text)
            return b
        if e.x.get("stuck_at") == e.step:
            self.stuck -= 1
        if e.plan[1] == "assigned":
            b["opd"] = e.x["opd"]
        if rng.random() < 0.5:  # later events may omit the category
            b["category"] = e.kind
        if rng.random() < 0.5:
            b["text"] = rng.choice(D.STATUS_TEXTS[status]).format(opd=e.x["opd"])
        return b


_MARKETS = Picker(D.MARKETS, [m.weight for m in D.MARKETS])
_MARKET_LOC = {m.name: {"lat": m.lat, "lon": m.lon} for m in D.MARKETS}
_KECAMATAN, _MERCHANT = picker(D.KECAMATAN_ECONOMY), picker(D.MERCHANT_CATEGORIES)
_REVERT = math.log(2) / 2.0  # a price shock halves in 2 days
_SPIKE_FADE = math.log(2) / 0.125  # a spike halves in 3 hours


class Economy:
    """Staple prices per market (mean-reverting, with spikes) and QRIS transaction reports."""

    feed = "economy"

    def __init__(self, rng: random.Random, tag: str, start: float) -> None:
        self.rng, self.tag, self.reports = rng, tag, 0
        self.state = {c: [0.0, 0.0, start] for c in COMMODITIES}  # shock, spike, as of

    def step(self, t: float) -> Event:
        """A price observation (55%) or a transactions report at ``t``."""
        return self.price(t) if self.rng.random() < 0.55 else self.transactions(t)

    def level(self, commodity: str, t: float) -> float:
        """The city-wide log deviation of ``commodity`` from its base price at ``t``."""
        s, spec, rng = self.state[commodity], D.COMMODITY_SPECS[commodity], self.rng
        dt = (t - s[2]) / 86_400
        if dt > 0:  # an Ornstein-Uhlenbeck step with the commodity's daily volatility
            decay = math.exp(-_REVERT * dt)
            noise = spec.daily_vol * math.sqrt((1 - decay * decay) / (2 * _REVERT)) * rng.gauss(0, 1)
            s[0] = max(-0.6, min(0.6, s[0] * decay + noise))
            s[1] *= math.exp(-_SPIKE_FADE * dt)
            if rng.random() < 1 - math.exp(-spec.spikes_per_day * dt):
                s[1] += math.log(rng.uniform(1.15, 1.5))
            s[2] = t
        return s[0] + s[1]

    def price(self, t: float) -> Event:
        """One trader's price for one commodity at one market, in steps of Rp 500."""
        rng, m = self.rng, _MARKETS(self.rng)
        c = COMMODITIES[int(rng.random() * len(COMMODITIES))]
        spec = D.COMMODITY_SPECS[c]
        idr = spec.base_idr * math.exp(self.level(c, t) + m.bias + rng.gauss(0, 0.012))
        body = {"source": "pasar", "kind": "price", "market": m.name, "commodity": c, "unit": spec.unit,
                "price_idr": max(500, round(idr / 500) * 500), "location": _MARKET_LOC[m.name],
                "kecamatan": m.kecamatan}
        return "economy", m.name, int(t * 1000), body

    def transactions(self, t: float) -> Event:
        """A 5-minute QRIS report for one merchant category in one kecamatan."""
        rng = self.rng
        self.reports += 1
        rid, cat = f"QRIS-{self.tag}-{self.reports:08d}", _MERCHANT(rng)
        per_5min, ticket = D.MERCHANT_PROFILE[cat]
        count = int(per_5min * hour_activity(t) * rng.lognormvariate(0, 0.5))
        amount = int(count * ticket * rng.lognormvariate(0, 0.25)) // 100 * 100
        body = {"source": "qris", "kind": "transactions", "report_id": rid, "merchant_category": cat,
                "count": count, "amount_idr": amount, "kecamatan": _KECAMATAN(rng)}
        return "economy", rid, int(t * 1000), body
