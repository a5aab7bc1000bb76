"""``marvec simulate``: realistic synthetic Makassar feeds for demos, tests and benchmarks.

``Simulator`` is pure and deterministic (a seed and event times in, messages out);
``run_simulate`` is the thin shell that paces it into Kafka."""

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
from streams.sources.sim.hazards import IncidentBoard
from streams.sources.sim.world import Body, ComplaintDesk, Economy, Event, Picker, Stamp, feed_mix, in_box

VALID, DUPLICATE = "valid", "duplicate"
INVALID_KINDS = ("invalid_json", "schema", "outside_city", "too_large", "future_time")
LATE_RATIO = RESEND_RATIO = 0.004


@dataclass(frozen=True, slots=True)
class SimMessage:
    """A message for a feed; ``label``: valid, duplicate (a resend) or its dead-letter reason."""

    feed: str
    key: str | None
    value: bytes
    label: str


class Simulator:
    """A deterministic stream of Makassar feed messages.

    ``history()`` is the backlog before ``start`` (open complaints from past days, some
    overdue; active incidents); ``next_batch(now, n)`` gives ``n`` messages with event times
    spread evenly up to ``now``: about 45% complaints (by the hour), 45% economy, 10%
    disasters; ``invalid_ratio`` of them invalid, the five kinds equally often; 0.4% late
    (after newer events of their entity) and 0.4% resent.
    """

    def __init__(self, seed: int, start: float, invalid_ratio: float = 0.0) -> None:
        if not 0.0 <= invalid_ratio <= 1.0:
            raise ValueError(f"invalid_ratio must be in 0..1, got {invalid_ratio}")
        self.seed, self.invalid_ratio, self.rng = seed, invalid_ratio, random.Random(seed)
        rng = self.rng
        self.complaints = ComplaintDesk(rng, str(seed))
        self.disasters = IncidentBoard(rng, str(seed), seed)
        self.economy = Economy(rng, str(seed), start)
        self._step: dict[str, Callable[[float], Event]] = {
            "complaints": self.complaints.step, "economy": self.economy.step, "disasters": self.disasters.step}
        self.clock, self.horizon, self._stamp, self._count = start, start, Stamp(), 0
        self._held: list[tuple[float, int, SimMessage]] = []
        past = self.complaints.backlog(start, 500, 3 * 86_400)
        past += self.disasters.backlog(start, int(self.disasters.target(start)) + 2, 6 * 3600)
        self._history = [self._encode(ev) for ev in sorted(past, key=lambda ev: ev[2])]

    def history(self) -> list[SimMessage]:
        """The backlog: events before ``start``, in time order. Send these first."""
        return list(self._history)

    def next_batch(self, now: float, n: int) -> list[SimMessage]:
        """``n`` messages with event times spread evenly over (clock, now]."""
        t0 = self.clock
        now = max(now, t0)
        self.horizon = max(self.horizon, now)
        span, mix, held, out = (now - t0) / max(n, 1), feed_mix(now), self._held, []
        for i in range(1, n + 1):
            t = t0 + span * i
            if held and held[0][0] <= t:
                out.append(heapq.heappop(held)[2])
            else:
                out.append(self._one(t, mix))
        self.clock = now
        return out

    def backfill(self, end: float, rate: float, chunk: int = 5000) -> Iterator[list[SimMessage]]:
        """Batches covering (clock, end] at ``rate`` events per second of event time."""
        self.horizon = max(self.horizon, end)
        left = int(max(0.0, end - self.clock) * rate)
        while left > 0:
            n = min(chunk, left)
            left -= n
            yield self.next_batch(end if left == 0 else self.clock + n / rate, n)

    def _one(self, t: float, mix: Picker[str]) -> SimMessage:
        rng = self.rng
        if rng.random() < self.invalid_ratio:
            return self._invalid(t)
        msg = self._encode(self._step[mix(rng)](t))
        u = rng.random()
        if u < LATE_RATIO:  # held back: newer events of the same entity go first
            heapq.heappush(self._held, (t + rng.uniform(2, 120), self._count, msg))
            return self._one(t, mix)
        if u < LATE_RATIO + RESEND_RATIO:  # the producer will send it again
            dup = SimMessage(msg.feed, msg.key, msg.value, DUPLICATE)
            heapq.heappush(self._held, (t + rng.uniform(0.5, 30), self._count, dup))
        return msg

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
_PROGRESS_EVERY_S, _BACKFILL_MAX_EVENTS = 5.0, 100_000


def add_simulate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``marvec simulate``."""
    add = parser.add_argument
    add("--rate", type=float, default=20.0, help="events per second (<= 0: as fast as possible)")
    add("--duration", type=_number(0, math.inf), help="stop after this many seconds (default: never)")
    add("--seed", type=int, default=None, help="random seed, for a replayable stream")
    add("--invalid-ratio", type=_number(0, 1), default=0.0, help="share of invalid messages, 0..1")
    add("--backfill-hours", type=_number(0, math.inf), default=0.0,
        help="first send this many hours of history, as fast as possible")


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
    """Sends messages to their feed's topic and counts them by feed, label and failure."""

    def __init__(self, producer: Any, topics: dict[str, str]) -> None:
        self.producer, self.topics = producer, topics
        self.feeds, self.labels = Counter[str](), Counter[str]()
        self.sent, self.failed, self.first_error = 0, 0, ""

    def send(self, batch: list[SimMessage]) -> None:
        send, topics = self.producer.send, self.topics
        self.sent += len(batch)
        for m in batch:
            key = m.key.encode() if m.key is not None else None
            send(topics[m.feed], value=m.value, key=key).add_errback(self._failed)
            self.feeds[m.feed] += 1
            self.labels[m.label] += 1

    def _failed(self, exc: BaseException) -> None:
        self.failed += 1
        self.first_error = self.first_error or repr(exc)


def run_simulate(settings: Any, rate: float, duration: float | None, seed: int | None,
                 invalid_ratio: float, backfill_hours: float = 0.0,
                 log: Callable[[str], None] = print, *, stop: threading.Event | None = None,
                 backfill_rate: float | None = None) -> dict[str, Any]:
    """Send simulated feeds to Kafka until ``duration`` ends, Ctrl-C, SIGTERM or ``stop``.

    ``rate`` is events per second (<= 0: as fast as possible). ``backfill_hours`` of history
    go first, as fast as possible, at ``backfill_rate`` events per second of event time
    (default ``rate``, at most 100,000 events). Returns the seed and the counts per feed and
    label. An unreachable broker is a ``SettingsError``.
    """
    from kafka import KafkaProducer  # only the shell needs Kafka

    from marvec.topics import ensure_topics

    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31)
    stop = stop or threading.Event()
    ensure_topics(settings)
    producer = KafkaProducer(**settings.kafka_client_options(), linger_ms=20, acks=1,
                             enable_idempotence=False)  # acks=1 rules it out; say so, no warning
    sender, began, restore = _Sender(producer, settings.topics), time.monotonic(), _on_sigterm(stop)
    log(f"simulate: seed {seed}, rate {rate:g}/s, invalid ratio {invalid_ratio:g}")
    try:
        sim = Simulator(seed, time.time() - backfill_hours * 3600, invalid_ratio)
        sender.send(sim.history())
        if backfill_hours > 0:
            _backfill(sim, sender, backfill_hours, backfill_rate or rate, stop, log)
        _live(sim, sender, rate, duration, stop, log)
    except KeyboardInterrupt:
        log("simulate: interrupted")
    finally:
        restore()
        producer.flush(timeout=10)
        producer.close(timeout=5)
    invalid = sum(sender.labels[k] for k in INVALID_KINDS)
    log(f"simulate: done, sent {sender.sent} ({invalid} invalid), {sender.failed} failed {sender.first_error}")
    return {"seed": seed, "sent": sender.sent, "seconds": round(time.monotonic() - began, 3),
            "feeds": dict(sender.feeds), "labels": dict(sender.labels), "failed": sender.failed}


def _backfill(sim: Simulator, sender: _Sender, hours: float, rate: float, stop: threading.Event,
              log: Callable[[str], None]) -> None:
    rate = min(rate if rate > 0 else 20.0, _BACKFILL_MAX_EVENTS / (hours * 3600))
    for batch in sim.backfill(time.time(), rate):
        sender.send(batch)
        if stop.is_set():
            return
    log(f"simulate: backfilled {hours:g} h, {sender.sent} messages")


def _live(sim: Simulator, sender: _Sender, rate: float, duration: float | None,
          stop: threading.Event, log: Callable[[str], None]) -> None:
    """Token bucket on the monotonic clock; a progress line every ~5 s."""
    start = last = report = time.monotonic()
    tokens, sent_at_report = 0.0, sender.sent
    while not stop.is_set() and (duration is None or last - start < duration):
        now = time.monotonic()
        tokens = min(tokens + (now - last) * rate, max(rate, 1.0)) if rate > 0 else 5000.0
        last, n = now, int(tokens)
        if n == 0:
            stop.wait(min(0.05, (1 - tokens) / rate))
            continue
        sender.send(sim.next_batch(time.time(), n))
        tokens -= n
        if now - report >= _PROGRESS_EVERY_S:
            invalid = sum(v for k, v in sender.labels.items() if k in INVALID_KINDS)
            speed = (sender.sent - sent_at_report) / (now - report)
            log(f"simulate: sent {sender.sent} ({speed:.0f}/s), invalid {invalid}")
            report, sent_at_report = now, sender.sent


def _on_sigterm(stop: threading.Event) -> Callable[[], object]:
    """Make SIGTERM set ``stop`` (in the main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return lambda: signal.signal(signal.SIGTERM, previous)
