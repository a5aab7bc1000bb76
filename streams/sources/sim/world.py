"""The simulated city: complaints, markets and public information (incidents: ``hazards``).

Pure and deterministic for a given ``random.Random``: no clock, no I/O. Everything happens
on a ``Timeline`` in event time (Unix seconds): arrivals are Poisson processes whose rates
follow the hour of the day, and each entity's lifecycle is planned when it is born (the
time of every status); a status is emitted only when its time comes. An event is
``(feed, key, ms, body)``; ``ms`` is the event time in milliseconds, strictly increasing
per entity. docs/sources/simulator.md gives the rates and where they come from.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import accumulate
from typing import Any, Generic, TypeVar

from marvec.contract import CHANNELS, COMMODITIES, PRIORITIES, WITA
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
    """Load mode: which feed the next extra event is on, 45/45/10 over a day (plus 1% public
    information), complaints following the hour."""
    act = hour_activity(t)
    calm = 0.5 + 0.5 * act  # markets and incident reports slow down less at night
    return Picker(("complaints", "economy", "disasters", "publicinfo"),
                  (0.55 * act, 0.45 * calm, 0.1 * calm, 0.01 * calm))


def wita_hour(t: float) -> float:
    """The WITA hour of the day at ``t``, 0 <= h < 24."""
    return ((t + 28_800) % 86_400) / 3600


def office_hours(rng: random.Random, t: float) -> float:
    """``t``, or when it falls outside 08:00-17:00 WITA, a time early the next working morning."""
    h = wita_hour(t)
    if 8 <= h < 17:
        return t
    ahead = (24 - h + 8) if h >= 17 else (8 - h)
    return t + ahead * 3600 + rng.uniform(0, 2.5 * 3600)


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


class Timeline:
    """Timers in event time: ``at(t, fn)`` calls ``fn(t)``, which returns events (and may
    schedule more), once the timeline is run past ``t``."""

    def __init__(self) -> None:
        self.heap: list[tuple[float, int, Callable[[float], list[Event]]]] = []
        self._seq = 0

    def at(self, t: float, fn: Callable[[float], list[Event]]) -> None:
        self._seq += 1
        heapq.heappush(self.heap, (t, self._seq, fn))

    def until(self, end: float) -> list[Event]:
        """Every event at or before ``end``, in time order."""
        out: list[Event] = []
        heap = self.heap
        while heap and heap[0][0] <= end:
            t, _, fn = heapq.heappop(heap)
            out += fn(t)
        return out


def poisson(timeline: Timeline, rng: random.Random, t0: float, rate: Callable[[float], float],
            peak: float, fire: Callable[[float], list[Event]]) -> None:
    """A Poisson process of intensity ``rate(t)`` (per second, at most ``peak``) from ``t0``,
    by thinning: ``fire(t)`` at each arrival."""

    def candidate(t: float) -> list[Event]:
        timeline.at(t + rng.expovariate(peak), candidate)
        return fire(t) if rng.random() * peak < rate(t) else []

    timeline.at(t0 + rng.expovariate(peak), candidate)


@dataclass(slots=True)
class Entity:
    """A complaint, an incident or a post: its planned statuses, their times, how far it got."""

    key: str
    kind: str  # complaint category, hazard or channel
    source: str
    where: Body  # location and/or kecamatan, as sent
    plan: tuple[str, ...]
    times: tuple[float, ...]  # when each status of ``plan`` happens
    x: dict[str, Any] = field(default_factory=dict)  # what else the kind needs
    step: int = 0  # index in ``plan`` of the next status to emit
    last_ms: int = 0

    @property
    def done(self) -> bool:
        return self.step >= len(self.plan)


class Desk:
    """Entities whose statuses are emitted when due, on a shared ``Timeline``."""

    feed = ""
    repeatable: frozenset[str] = frozenset()  # statuses a load-mode re-report may repeat

    def __init__(self, rng: random.Random, tag: str, timeline: Timeline) -> None:
        self.rng, self.tag, self.timeline, self.created = rng, tag, timeline, 0
        self.open: dict[str, Entity] = {}
        self._pool: list[Entity] = []  # the open ones, and some just closed (dropped lazily)

    @property
    def active(self) -> int:
        """How many entities are open (complaints) or active (incidents)."""
        return len(self.open)

    def start(self, e: Entity) -> Event:
        """Emit a new entity's first status now and plan the rest."""
        ev = self.emit(e, e.times[0])
        self._track(e)
        return ev

    def _track(self, e: Entity) -> None:
        if e.done:
            return
        self.open[e.key] = e
        self._pool.append(e)
        self.timeline.at(e.times[e.step], partial(self._due, e))

    def _due(self, e: Entity, t: float) -> list[Event]:
        ev = self.emit(e, t)
        if e.done:
            self.open.pop(e.key, None)
        else:
            self.timeline.at(e.times[e.step], partial(self._due, e))
        return [ev]

    def emit(self, e: Entity, t: float, status: str | None = None) -> Event:
        """``e``'s next status at ``t`` (or, with ``status``, a repeat of its current one)."""
        body = self.body(e, t, status or e.plan[e.step])
        e.last_ms = ms = max(int(t * 1000), e.last_ms + 1)
        if status is None:
            e.step += 1
        return self.feed, e.key, ms, body

    def backlog(self, start: float, days: float, rate: Callable[[float], float]) -> list[Event]:
        """What is still open at ``start`` of the entities born in the ``days`` before it (at
        ``rate`` per second): their events before ``start``; the rest are planned."""
        rng, events, t = self.rng, [], start - days * 86_400
        peak = max(rate(start - h * 3600) for h in range(24)) * 1.01
        while True:
            t += rng.expovariate(peak)
            if t >= start:
                break
            if rng.random() * peak >= rate(t):
                continue
            e = self.new(t)
            if e.times[-1] < start:  # closed before the stream begins: nothing to show
                continue
            while not e.done and e.times[e.step] < start:
                events.append(self.emit(e, e.times[e.step]))
            self._track(e)
        return events

    def repeat(self, t: float) -> Event | None:
        """Load mode: a status report that repeats an open entity's current status at ``t``
        (a field team's hourly report, an agency's progress note), or None."""
        pool, rng = self._pool, self.rng
        for _ in range(16):
            if not pool:
                return None
            i = int(rng.random() * len(pool))
            e = pool[i]
            if e.done or e.key not in self.open:
                pool[i] = pool[-1]
                pool.pop()
                continue
            if e.step and e.plan[e.step - 1] in self.repeatable and e.times[e.step] > t:
                return self.emit(e, max(t, e.last_ms / 1000 + 0.001), e.plan[e.step - 1])
        return None

    def sample(self, t: float) -> Event:
        """The first event of a fresh entity that is not tracked (for invalid messages)."""
        return self.emit(self.new(t, sample=True), t)

    # Each kind of desk defines its new entities (with their plans) and bodies.
    def new(self, t: float, *, sample: bool = False) -> Entity: raise NotImplementedError
    def body(self, e: Entity, t: float, status: str) -> Body: raise NotImplementedError


_PLACES = Picker(D.PLACES, [p.weight for p in D.PLACES])
_FLOOD_PLACES = picker({p: p.weight for p in D.PLACES if "flood" in p.tags})
_CATEGORY, _CHANNEL = picker(D.CATEGORY_WEIGHTS), picker(D.CHANNELS)
_OPD = {cat: picker(w) for cat, w in D.CATEGORY_OPD.items()}
_PRIORITY = {cat: Picker(PRIORITIES, D.PRIORITY_WEIGHTS.get(cat, D.PRIORITY_WEIGHTS["default"]))
             for cat in D.CATEGORY_WEIGHTS}
# Planned statuses and when each happens, as a share of the time to resolve.
_PLANS = Picker([(("received", "assigned", "in_progress", "resolved"), (0.0, 0.12, 0.45, 1.0)),
                 (("received", "assigned", "in_progress", "in_progress", "resolved"),
                  (0.0, 0.1, 0.35, 0.7, 1.0)),
                 (("received", "assigned", "resolved"), (0.0, 0.2, 1.0)),
                 (("received", "rejected"), (0.0, 1.0)),
                 (("received", "assigned", "rejected"), (0.0, 0.4, 1.0))],
                [0.78, 0.08, 0.05, 0.06, 0.03])
_DAY_SUM = sum(D.HOUR_ACTIVITY)


class ComplaintDesk(Desk):
    """Complaints at places: received -> assigned (opd) -> in_progress -> resolved/rejected.

    ``per_day`` complaints arrive a day, by the hour of the day. The time to resolve is
    lognormal around the priority's median (``data.RESOLVE_MEDIAN_H``) times the agency's
    pace (``data.OPD_PACE``); agencies act in office hours except on urgent complaints and
    for the emergency services.
    """

    feed = "complaints"
    repeatable = frozenset({"assigned", "in_progress"})

    def __init__(self, rng: random.Random, tag: str, timeline: Timeline,
                 per_day: float = D.COMPLAINTS_PER_DAY) -> None:
        super().__init__(rng, tag, timeline)
        self.per_day = per_day

    def rate(self, t: float) -> float:
        """Arrivals per second at ``t``."""
        return self.per_day * hour_activity(t) / _DAY_SUM / 3600

    def arrive(self, t0: float) -> None:
        """Start the arrivals from ``t0``."""
        peak = self.per_day * max(D.HOUR_ACTIVITY) / _DAY_SUM / 3600
        poisson(self.timeline, self.rng, t0, self.rate, peak, lambda t: [self.start(self.new(t))])

    def new(self, t: float, *, sample: bool = False) -> Entity:
        rng = self.rng
        self.created += 1
        cat = _CATEGORY(rng)
        place = _FLOOD_PLACES(rng) if cat == "drainage" and rng.random() < 0.4 else _PLACES(rng)
        src, pr, opd = _CHANNEL(rng), _PRIORITY[cat](rng), _OPD[cat](rng)
        plan, shares = _PLANS(rng)
        if plan[-1] == "rejected":  # checked and turned down within a day or so
            span = 3600 * D.REJECT_MEDIAN_H * rng.lognormvariate(0, 0.6)
        else:
            span = 3600 * D.RESOLVE_MEDIAN_H[pr] * D.OPD_PACE.get(opd, 1.0) * rng.lognormvariate(0, 0.8)
        anytime = pr == "urgent" or opd in D.ROUND_THE_CLOCK
        times = [t]
        for share in shares[1:]:
            at = t + span * share
            at = at if anytime else office_hours(rng, at)
            times.append(max(at, times[-1] + rng.uniform(60, 600)))
        return Entity(f"ADU-{self.tag}-{self.created:07d}", cat, src, self._where(place, src), plan,
                      tuple(times), {"place": place.name, "pr": pr, "opd": opd})

    def _where(self, place: D.Place, source: str) -> Body:
        rng = self.rng
        if source == "walkin" and rng.random() < 0.5:  # filed at the kantor camat: district only
            return {"kecamatan": place.kecamatan}
        where: Body = {"location": jitter(rng, place.lat, place.lon, place.radius_m)}
        if rng.random() < 0.3 or "island" in place.tags:  # islanders name their kecamatan
            where["kecamatan"] = place.kecamatan
        return where

    def body(self, e: Entity, t: float, status: str) -> Body:
        rng = self.rng
        b: Body = {"source": e.source, "complaint_id": e.key, "status": status, "priority": e.x["pr"]}
        b.update(e.where)
        if status == "received":
            text = rng.choice(D.COMPLAINT_TEXTS[e.kind]).format(place=e.x["place"])
            if e.source == "sosmed":
                text = rng.choice(D.SOSMED_WRAPS).format(text=text)
            b.update(category=e.kind, text=text)
            return b
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
_KEC_MEAN = sum(D.KECAMATAN_ECONOMY.values()) / len(D.KECAMATAN_ECONOMY)
_REVERT = math.log(2) / 2.0  # a price shock halves in 2 days
_SPIKE_FADE = math.log(2) / 0.5  # a spike halves in 12 hours
QRIS_PERIOD_S = 300.0


class Economy:
    """Staple prices per market (mean-reverting, with spikes) and QRIS transaction reports.

    Each market's price collector does ``data.PRICE_ROUNDS`` a day, recording every
    commodity; the QRIS aggregator reports every 5 minutes per kecamatan and merchant
    category."""

    feed = "economy"

    def __init__(self, rng: random.Random, tag: str, start: float, timeline: Timeline) -> None:
        self.rng, self.tag, self.reports, self.timeline = rng, tag, 0, timeline
        self.state = {c: [0.0, 0.0, start] for c in COMMODITIES}  # shock, spike, as of

    def arrive(self, t0: float) -> None:
        """Start the price rounds and the 5-minute QRIS reports from ``t0``."""
        rng, day0 = self.rng, t0 - (t0 + 28_800) % 86_400  # WITA midnight
        for m in D.MARKETS:
            for h in D.PRICE_ROUNDS:  # the first of each round after t0; each plans the next day's
                at = day0 + (h + rng.uniform(-0.4, 0.4)) * 3600
                self.timeline.at(at if at > t0 else at + 86_400, partial(self._round, m, h))
        first = (t0 // QRIS_PERIOD_S + 1) * QRIS_PERIOD_S
        self.timeline.at(first, self._qris)

    def _round(self, m: D.Market, hour: float, t: float) -> list[Event]:
        rng = self.rng
        self.timeline.at(t - (t + 28_800) % 86_400 + 86_400 + (hour + rng.uniform(-0.4, 0.4)) * 3600,
                         partial(self._round, m, hour))
        events, at = [], t
        for c in COMMODITIES:
            events.append(self.price(at, m, c))
            at += rng.uniform(20, 120)
        return events

    def _qris(self, t: float) -> list[Event]:
        self.timeline.at(t + QRIS_PERIOD_S, self._qris)
        return [self.transactions(t, kec, cat) for kec in D.KECAMATAN_ECONOMY for cat in D.MERCHANT_CATEGORIES]

    def step(self, t: float) -> Event:
        """Load mode: a price observation (55%) or a transactions report at ``t``."""
        rng = self.rng
        if rng.random() < 0.55:
            return self.price(t, _MARKETS(rng), COMMODITIES[int(rng.random() * len(COMMODITIES))])
        return self.transactions(t, _KECAMATAN(rng), _MERCHANT(rng))

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
                s[1] += math.log(rng.uniform(1.15, 1.4))
            s[2] = t
        return s[0] + s[1]

    def price(self, t: float, m: D.Market, c: str) -> Event:
        """One trader's price for ``c`` at market ``m``, in steps of Rp 500."""
        spec = D.COMMODITY_SPECS[c]
        idr = spec.base_idr * math.exp(self.level(c, t) + m.bias + self.rng.gauss(0, 0.012))
        body = {"source": "pasar", "kind": "price", "market": m.name, "commodity": c, "unit": spec.unit,
                "price_idr": max(500, round(idr / 500) * 500), "location": _MARKET_LOC[m.name],
                "kecamatan": m.kecamatan}
        return "economy", m.name, int(t * 1000), body

    def transactions(self, t: float, kec: str, cat: str) -> Event:
        """A 5-minute QRIS report for merchant category ``cat`` in ``kec``."""
        rng = self.rng
        self.reports += 1
        rid = f"QRIS-{self.tag}-{self.reports:08d}"
        per_5min, ticket = D.MERCHANT_PROFILE[cat]
        mean = per_5min * hour_activity(t) * D.KECAMATAN_ECONOMY[kec] / _KEC_MEAN
        count = int(mean * rng.lognormvariate(0, 0.35))
        amount = int(count * ticket * rng.lognormvariate(0, 0.2)) // 100 * 100
        body = {"source": "qris", "kind": "transactions", "report_id": rid, "merchant_category": cat,
                "count": count, "amount_idr": amount, "kecamatan": kec}
        return "economy", rid, int(t * 1000), body


_POSTING_OPD = picker(D.POSTING_OPDS)
_TOPIC = picker({topic: w for topic, (w, _) in D.SURVEY_TOPICS.items()})


class PublicInfo:
    """What the OPDs post (``data.POSTS_PER_DAY`` per channel, in daytime, with reach that
    grows over a day: the post, then updates after ~3 h and ~24 h) and awareness surveys by
    RT/RW heads (``data.SURVEY_ROUNDS_PER_DAY``: a round covers every kecamatan)."""

    feed = "publicinfo"

    def __init__(self, rng: random.Random, tag: str, timeline: Timeline) -> None:
        self.rng, self.tag, self.timeline, self.posts, self.surveys = rng, tag, timeline, 0, 0

    def arrive(self, t0: float) -> None:
        for ch in CHANNELS:
            per_day = D.POSTS_PER_DAY[ch]
            poisson(self.timeline, self.rng, t0, partial(_post_rate, per_day), per_day / _DAYTIME_SUM / 3600,
                    partial(self._post_new, ch))
        peak = D.SURVEY_ROUNDS_PER_DAY / 9 / 3600  # rounds start 08-17 WITA
        poisson(self.timeline, self.rng, t0, lambda t: peak if 8 <= wita_hour(t) < 17 else 0.0, peak,
                self.survey_round)

    def post(self, t: float, channel: str | None = None) -> list[Event]:
        """A new post now; its reach is updated twice later."""
        rng = self.rng
        self.posts += 1
        channel = channel or CHANNELS[int(rng.random() * len(CHANNELS))]
        opd, pid = _POSTING_OPD(rng), f"POST-{self.tag}-{self.posts:06d}"
        final = int(D.REACH_MEDIAN[channel] * rng.lognormvariate(0, 0.9))
        rate = rng.uniform(0.02, 0.07)
        first = self._post(t, opd, channel, pid, int(final * rng.uniform(0.05, 0.2)), rate)
        for delay, share in ((rng.uniform(2, 4), rng.uniform(0.5, 0.8)), (rng.uniform(20, 28), 1.0)):
            self.timeline.at(t + delay * 3600, partial(self._post_update, opd, channel, pid,
                                                       int(final * share), rate))
        return [first]

    def _post_new(self, channel: str, t: float) -> list[Event]:
        return self.post(t, channel)

    def _post_update(self, opd: str, channel: str, pid: str, reach: int, rate: float, t: float) -> list[Event]:
        return [self._post(t, opd, channel, pid, reach, rate)]

    def _post(self, t: float, opd: str, channel: str, pid: str, reach: int, rate: float) -> Event:
        body = {"source": "medsos" if channel != "website" else "website", "kind": "post", "opd": opd,
                "channel": channel, "post_id": pid, "reach": reach, "engagements": int(reach * rate)}
        return "publicinfo", pid, int(t * 1000), body

    def survey_round(self, t: float) -> list[Event]:
        """One topic asked in every kecamatan (RT/RW heads as surveyors), over a few hours."""
        rng = self.rng
        topic = _TOPIC(rng)
        shares = D.SURVEY_TOPICS[topic][1]
        for kec in D.KECAMATAN:
            n = rng.randint(15, 60) if kec == "Kepulauan Sangkarrang" else rng.randint(60, 240)
            weights = [max(0.01, s * rng.lognormvariate(0, 0.3)) for s in shares]
            total = sum(weights)
            aware = round(n * weights[0] / total)
            want = min(n - aware, round(n * weights[1] / total))
            self.surveys += 1
            sid = f"SURVEI-{self.tag}-{self.surveys:05d}"
            body = {"source": "rtrw", "kind": "survey", "survey_id": sid, "topic": topic, "kecamatan": kec,
                    "respondents": n, "aware": aware, "want_to_know": want, "not_interested": n - aware - want}
            at = t + rng.uniform(0, 4 * 3600)
            self.timeline.at(at, partial(_survey_event, sid, body))
        return []


def _survey_event(sid: str, body: Body, t: float) -> list[Event]:
    return [("publicinfo", sid, int(t * 1000), body)]


def _post_rate(per_day: float, t: float) -> float:
    return per_day * _daytime(t) / _DAYTIME_SUM / 3600


def _daytime(t: float) -> float:
    h = wita_hour(t)
    return 1.0 if 7 <= h < 21 else 0.1


_DAYTIME_SUM = 14 * 1.0 + 10 * 0.1  # hours of posting weight in a day
