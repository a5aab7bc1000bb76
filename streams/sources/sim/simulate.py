"""``marvec simulate``: realistic synthetic Makassar feeds for demos, tests and benchmarks.

``Simulator`` is pure and deterministic (a seed and event times in, messages out);
``run_simulate`` is the thin shell that paces it into Kafka through the shared
``FeedProducer``. By default it is the city in real time (``advance``); ``--rate R`` is
the load mode (``next_batch``): the city's own events topped up with its traffic mix to R
events a second. docs/sources/simulator.md describes both.
"""

from __future__ import annotations

import argparse
import base64
import heapq
import math
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from marvec.contract import LIVE_FEEDS
from streams.sources.sim import data as D
from streams.sources.sim.hazards import IncidentBoard, rainy_season
from streams.sources.sim.world import (
    Body,
    ComplaintDesk,
    Economy,
    Event,
    Picker,
    PublicInfo,
    Stamp,
    Timeline,
    feed_mix,
    hour_activity,
    in_box,
)

VALID, DUPLICATE = "valid", "duplicate"
INVALID_KINDS = ("invalid_json", "schema", "outside_city", "too_large", "future_time")
LATE_RATIO = RESEND_RATIO = 0.004
LOAD_OPEN_COMPLAINTS = 1000
"""Load mode: above this many open complaints, an extra complaint event is a progress
note on an open one rather than a new complaint (lifecycles keep their real pace)."""


@dataclass(frozen=True, slots=True)
class SimMessage:
    """A message for a feed; ``label``: valid, duplicate (a resend) or its dead-letter reason."""

    feed: str
    key: str | None
    value: bytes
    label: str


class Simulator:
    """A deterministic stream of Makassar feed messages, in event time from ``start``.

    ``history()`` is the backlog before ``start``: the complaints of the last 30 days and
    the incidents of the last 3 still open at ``start``, with their events so far.
    ``advance(now)`` is the city itself: every event that happens up to ``now``
    (complaints, price rounds, QRIS reports, incidents, posts and surveys at their rates;
    docs/sources/simulator.md). ``next_batch(now, n)`` is the load mode: the same city's
    events topped up to ``n`` messages with extra traffic of its mix (45% complaints by
    the hour, 45% economy, 10% disasters, 1% posts). Either way ``invalid_ratio`` of the
    messages are invalid, the five kinds equally often; 0.4% arrive late (after newer
    events of their entity) and 0.4% are resent.
    """

    def __init__(self, seed: int, start: float, invalid_ratio: float = 0.0) -> None:
        if not 0.0 <= invalid_ratio <= 1.0:
            raise ValueError(f"invalid_ratio must be in 0..1, got {invalid_ratio}")
        self.seed, self.invalid_ratio, self.rng = seed, invalid_ratio, random.Random(seed)
        rng, tag, tl = self.rng, str(seed), Timeline()
        self.timeline = tl
        self.complaints = ComplaintDesk(rng, tag, tl)
        self.disasters = IncidentBoard(rng, tag, tl)
        self.economy = Economy(rng, tag, start, tl)
        self.publicinfo = PublicInfo(rng, tag, tl)
        self.clock, self.horizon, self._stamp, self._count = start, start, Stamp(), 0
        self._held: list[tuple[float, int, SimMessage]] = []
        self._debt = 0
        past = self.complaints.backlog(start, 30, self.complaints.rate)
        past += self.disasters.backlog(start, 3, self.disasters.rate)
        self._history = [self._encode(ev) for ev in sorted(past, key=lambda ev: ev[2])]
        for part in (self.complaints, self.disasters, self.economy, self.publicinfo):
            part.arrive(start)
        self._late_s = (300.0, 10_800.0)  # the city: a phone offline for minutes or hours

    def history(self) -> list[SimMessage]:
        """The backlog: events before ``start``, in time order. Send these first."""
        return list(self._history)

    def advance(self, now: float) -> list[SimMessage]:
        """The city: every message with an event time in (clock, now], in time order."""
        now = max(now, self.clock)
        self.horizon = max(self.horizon, now)
        out: list[SimMessage] = []
        for ev in self.timeline.until(now):
            self._release(ev[2] / 1000, out)
            self._city(ev, out)
        self._release(now, out)
        self.clock = now
        return out

    def next_batch(self, now: float, n: int) -> list[SimMessage]:
        """Load mode: the city's messages up to ``now`` topped up with extra traffic to ``n``,
        the extra ones spread evenly over (clock, now]."""
        t0 = self.clock
        now = max(now, t0)
        self.horizon = max(self.horizon, now)
        span, mix, debt = (now - t0) / max(n, 1), feed_mix(now), self._debt
        out: list[SimMessage] = []
        self._late_s = (2.0, 120.0)
        for i in range(1, n + 1):
            t = t0 + span * i
            before = len(out)
            for ev in self.timeline.until(t):
                self._release(ev[2] / 1000, out)
                self._city(ev, out)
            self._release(t, out)
            debt += len(out) - before
            if debt > 0:  # the city's own messages take this slot
                debt -= 1
                continue
            self._one(t, mix, out)
        self._debt = debt  # the city's messages beyond this batch's n take the next batch's slots
        if n <= 0:
            out = self.advance(now)
        self.clock = now
        return out

    def backfill(self, end: float, rate: float | None = None, chunk: int = 5000) -> Iterator[list[SimMessage]]:
        """Batches covering (clock, end]: the city hour by hour, or at ``rate`` events per
        second of event time (the load mode)."""
        self.horizon = max(self.horizon, end)
        if rate is None:
            while self.clock < end:
                yield self.advance(min(end, self.clock + 3600))
            return
        left = int(max(0.0, end - self.clock) * rate)
        while left > 0:
            n = min(chunk, left)
            left -= n
            yield self.next_batch(end if left == 0 else self.clock + n / rate, n)

    def _release(self, t: float, out: list[SimMessage]) -> None:
        held = self._held
        while held and held[0][0] <= t:
            out.append(heapq.heappop(held)[2])

    def _city(self, ev: Event, out: list[SimMessage]) -> None:
        """One event of the city, maybe late or resent; now and then invalid messages with it."""
        t, rng = ev[2] / 1000, self.rng
        p = min(self.invalid_ratio, 0.99)
        while p and rng.random() < p:
            out.append(self._invalid(t))
        self._valid(self._encode(ev), t, out)

    def _one(self, t: float, mix: Picker[str], out: list[SimMessage]) -> None:
        """One extra message of the load mix at ``t``."""
        if self.rng.random() < self.invalid_ratio:
            out.append(self._invalid(t))
            return
        if not self._valid(self._encode(self._extra(mix(self.rng), t)), t, out):
            self._one(t, mix, out)

    def _valid(self, msg: SimMessage, t: float, out: list[SimMessage]) -> bool:
        """Send ``msg`` (False: it is held back, to arrive late), maybe to be resent."""
        rng = self.rng
        u = rng.random()
        if u < LATE_RATIO:  # held back: newer events of the same entity go first
            heapq.heappush(self._held, (t + rng.uniform(*self._late_s), self._count, msg))
            return False
        out.append(msg)
        if u < LATE_RATIO + RESEND_RATIO:  # the producer will send it again
            dup = SimMessage(msg.feed, msg.key, msg.value, DUPLICATE)
            heapq.heappush(self._held, (t + rng.uniform(0.5, 30), self._count, dup))
        return True

    def _extra(self, feed: str, t: float) -> Event:
        if feed == "complaints":
            desk = self.complaints
            if desk.active >= LOAD_OPEN_COMPLAINTS and (ev := desk.repeat(t)) is not None:
                return ev
            return desk.start(desk.new(t))
        if feed == "disasters":
            rain = 6.0 if rainy_season(t) else 0.0
            return self.disasters.step(t, 3 + 3 * hour_activity(t) + rain)
        if feed == "publicinfo":
            return self.publicinfo.post(t)[0]
        return self.economy.step(t)

    def _encode(self, ev: Event) -> SimMessage:
        feed, key, ms, body = ev
        self._count += 1
        body["event_id"] = f"{feed[0]}-{self.seed}-{self._count}"
        body["occurred_at"] = self._stamp(ms)
        return SimMessage(feed, key, orjson.dumps(body), VALID)

    def _invalid(self, t: float) -> SimMessage:
        """A fresh, untracked valid message given one defect of a random kind."""
        rng = self.rng
        kind = rng.choice(INVALID_KINDS)
        feed = "complaints" if kind == "outside_city" else rng.choice(LIVE_FEEDS)
        desk = {"complaints": self.complaints, "disasters": self.disasters}.get(feed)
        msg = self._encode(desk.sample(t) if desk else self.economy.step(t))
        body = orjson.loads(msg.value)
        if kind == "invalid_json":
            return SimMessage(feed, msg.key, rng.choice(_GARBAGE)(rng, msg.value), kind)
        if kind == "schema":
            _break_schema(rng, feed, body)
        elif kind == "outside_city":  # in the strait, in Maros or in Gowa
            body.pop("kecamatan", None)
            body["location"] = in_box(rng, rng.choice(D.OUTSIDE_BOXES))
        elif kind == "too_large":  # a photo pasted inline
            body["attachment_base64"] = base64.b64encode(rng.randbytes(rng.randint(50_000, 70_000))).decode()
        else:  # a device clock an hour or more ahead
            body["occurred_at"] = self._stamp(int((max(t, self.horizon) + rng.uniform(3600, 10_800)) * 1000))
        return SimMessage(feed, msg.key, orjson.dumps(body), kind)


# (feed, economy kind or "*"; field; new value, None to drop it, or a function of the old
# value): each breaks exactly one rule of the contract and leaves the rest valid.
_BREAKS: tuple[tuple[str, str, Any], ...] = (
    ("*", "event_id", None), ("*", "source", None), ("*", "occurred_at", lambda v: v[:19]),
    ("complaints", "complaint_id", None), ("complaints", "status", "selesai"),
    ("complaints", "category", None), ("complaints", "priority", "penting"),
    ("complaints", "location", "-5.14,119.41"), ("complaints", "text", "x" * 2001),
    ("economy", "kind", None), ("economy", "kind", "stock"), ("price", "price_idr", str),
    ("price", "price_idr", 0), ("price", "commodity", "cabe"), ("transactions", "count", -3),
    ("transactions", "report_id", None), ("transactions", "kecamatan", None),
    ("disasters", "severity", 7), ("disasters", "location", None), ("disasters", "status", "selesai"),
    ("disasters", "hazard", "tsunami_kecil"), ("disasters", "affected_people", -1),
    ("disasters", "hazard", None),  # the first event of an incident without its hazard
)


def _break_schema(rng: random.Random, feed: str, body: Body) -> None:
    _, name, value = rng.choice([b for b in _BREAKS if b[0] in ("*", feed, body.get("kind"))])
    if value is None:
        body.pop(name, None)
    else:
        body[name] = value(body[name]) if callable(value) else value


_GARBAGE: tuple[Callable[[random.Random, bytes], bytes], ...] = (
    lambda rng, valid: valid[: rng.randint(1, len(valid) - 2)],  # truncated in flight
    lambda rng, valid: b"\xff" + rng.randbytes(rng.randint(8, 64)),  # not even UTF-8
    lambda rng, valid: str(orjson.loads(valid)).encode(),  # a Python repr, in single quotes
    lambda rng, valid: b"",
)


# --- the I/O shell ----------------------------------------------------------------------
_PROGRESS_EVERY_S, _BACKFILL_MAX_EVENTS, _FLUSH_EVERY = 5.0, 100_000, 5000


def add_simulate_arguments(parser: argparse.ArgumentParser, backfill_hours: float = 0.0) -> None:
    """The options of ``marvec simulate`` (``marvec up`` passes its own backfill default)."""
    add = parser.add_argument
    add("--rate", type=float, default=None,
        help="load mode: this many events per second, the city's traffic mix topped up "
             "(<= 0: as fast as possible); default: the city in real time, ~16,000 events a day")
    add("--duration", type=_number(0, math.inf), help="stop after this many seconds (default: never)")
    add("--seed", type=int, default=None, help="random seed, for a replayable stream")
    add("--invalid-ratio", type=_number(0, 1), default=0.0, help="share of invalid messages, 0..1")
    add("--backfill-hours", type=_number(0, math.inf), default=backfill_hours,
        help=f"first send this many hours of history, as fast as possible (default {backfill_hours:g})")


def _number(lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not lo <= value <= hi:  # nan fails too
            what = f"from {lo:g} to {hi:g}" if hi < math.inf else f"of {lo:g} or more"
            raise argparse.ArgumentTypeError(f"expected a number {what}, got {text!r}")
        return value

    return parse


class _Sender:
    """Sends messages through the shared ``FeedProducer``, counting them by feed and label;
    every ``_FLUSH_EVERY`` messages it waits for the broker (backpressure, and the
    producer's list of pending deliveries stays short)."""

    def __init__(self, producer: Any, log: Callable[[str], None]) -> None:
        self.producer, self.log, self.unflushed = producer, log, 0
        self.feeds, self.labels = Counter[str](), Counter[str]()

    @property
    def sent(self) -> int:
        return int(self.producer.sent)

    def send(self, batch: list[SimMessage]) -> None:
        send = self.producer.send
        for m in batch:
            send(m.feed, m.value, key=m.key)
            self.feeds[m.feed] += 1
            self.labels[m.label] += 1
        self.unflushed += len(batch)
        if self.unflushed >= _FLUSH_EVERY:
            self.flush()

    def flush(self, timeout: float = 5.0) -> None:
        from streams.sources.producer import DeliveryFailed

        self.unflushed = 0
        try:
            self.producer.flush(timeout=timeout)
        except DeliveryFailed as exc:  # counted in ``failed``; the simulator goes on
            self.log(f"simulate: {exc}")


def run_simulate(settings: Any, rate: float | None = None, duration: float | None = None,
                 seed: int | None = None, invalid_ratio: float = 0.0, backfill_hours: float = 0.0,
                 log: Callable[[str], None] = print, *, stop: threading.Event | None = None,
                 backfill_rate: float | None = None) -> dict[str, Any]:
    """Send simulated feeds to Kafka until ``duration`` ends, Ctrl-C, SIGTERM or ``stop``.

    ``rate`` None is the city in real time; a number is the load mode, that many events per
    second (<= 0: as fast as possible). ``backfill_hours`` of history go first, as fast as
    possible: the city's own history, or in the load mode ``backfill_rate`` events per
    second of event time (default ``rate``, at most 100,000 events). Returns the seed and
    the counts per feed and label. An unreachable broker is a ``SettingsError``.
    """
    from marvec.topics import ensure_topics
    from streams.sources.producer import FeedProducer

    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31)
    stop = stop or threading.Event()
    ensure_topics(settings)
    producer = FeedProducer(settings, linger_ms=20, acks=1)
    sender, began, restore = _Sender(producer, log), time.monotonic(), _on_sigterm(stop)
    mode = "the city in real time" if rate is None else f"load mode, {rate:g} events/s"
    log(f"simulate: seed {seed}, {mode}, invalid ratio {invalid_ratio:g}")
    try:
        sim = Simulator(seed, time.time() - backfill_hours * 3600, invalid_ratio)
        sender.send(sim.history())
        if backfill_hours > 0:
            _backfill(sim, sender, backfill_hours, rate if backfill_rate is None else backfill_rate,
                      stop, log)
        _live(sim, sender, rate, duration, stop, log)
    except KeyboardInterrupt:
        log("simulate: interrupted")
    finally:
        restore()
        producer.close(timeout=5)
    invalid = sum(sender.labels[k] for k in INVALID_KINDS)
    log(f"simulate: done, sent {sender.sent} ({invalid} invalid), {producer.failed} failed "
        f"{producer.first_error}")
    return {"seed": seed, "sent": sender.sent, "seconds": round(time.monotonic() - began, 3),
            "feeds": dict(sender.feeds), "labels": dict(sender.labels), "failed": producer.failed}


def _backfill(sim: Simulator, sender: _Sender, hours: float, rate: float | None, stop: threading.Event,
              log: Callable[[str], None]) -> None:
    if rate is not None:
        rate = min(rate if rate > 0 else 20.0, _BACKFILL_MAX_EVENTS / (hours * 3600))
    for batch in sim.backfill(time.time(), rate):
        sender.send(batch)
        if stop.is_set():
            return
    log(f"simulate: backfilled {hours:g} h, {sender.sent} messages")


def _live(sim: Simulator, sender: _Sender, rate: float | None, duration: float | None,
          stop: threading.Event, log: Callable[[str], None]) -> None:
    """The city each ~0.5 s, or (load mode) a token bucket on the monotonic clock; a
    progress line every ~5 s (every ~60 s for the city)."""
    start = last = report = time.monotonic()
    tokens, sent_at_report = 0.0, sender.sent
    every = _PROGRESS_EVERY_S if rate is not None else 60.0
    while not stop.is_set() and (duration is None or last - start < duration):
        now = time.monotonic()
        if rate is None:
            last = now
            sender.send(sim.advance(time.time()))
            stop.wait(0.5)
        else:
            tokens = min(tokens + (now - last) * rate, max(rate, 1.0)) if rate > 0 else 5000.0
            last, n = now, int(tokens)
            if n == 0:
                stop.wait(min(0.05, (1 - tokens) / rate))
                continue
            sender.send(sim.next_batch(time.time(), n))
            tokens -= n
        if now - report >= every:
            invalid = sum(v for k, v in sender.labels.items() if k in INVALID_KINDS)
            speed = (sender.sent - sent_at_report) / (now - report)
            log(f"simulate: sent {sender.sent} ({speed:.1f}/s), invalid {invalid}")
            report, sent_at_report = now, sender.sent


def _on_sigterm(stop: threading.Event) -> Callable[[], object]:
    """Make SIGTERM set ``stop`` (in the main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return lambda: signal.signal(signal.SIGTERM, previous)
