"""``marvec simulate``: realistic synthetic Makassar feeds for demos, tests and benchmarks.

``Simulator`` is pure and deterministic (seed + event times in, messages out);
``run_simulate`` is the thin shell that paces it into Kafka.
"""

from __future__ import annotations

import argparse
import base64
import heapq
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from marvec.contract import FEEDS, WITA
from streams import simdata as D
from streams.sim_world import (
    Body,
    ComplaintDesk,
    Economy,
    Event,
    IncidentBoard,
    Picker,
    hour_activity,
    in_box,
)

VALID, DUPLICATE = "valid", "duplicate"
INVALID_KINDS = ("invalid_json", "schema", "outside_city", "too_large", "future_time")
_FEED_SHARE = {"complaints": 0.45, "economy": 0.45, "disasters": 0.10}


@dataclass(frozen=True, slots=True)
class SimMessage:
    """One message for a feed. ``label``: ``valid``, ``duplicate`` (a producer resend of an
    accepted message) or the dead-letter reason the consumer should give it."""

    feed: str
    key: str | None
    value: bytes
    label: str


class _Stamp:
    """RFC 3339 with the WITA offset and milliseconds, the date part cached per second."""

    def __init__(self) -> None:
        self.sec, self.prefix = -1, ""

    def __call__(self, ms: int) -> str:
        sec, frac = divmod(ms, 1000)
        if sec != self.sec:
            self.sec, self.prefix = sec, datetime.fromtimestamp(sec, WITA).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self.prefix}.{frac:03d}+08:00"


def _mix(t: float) -> Picker[str]:
    act = hour_activity(t)
    weights = [_FEED_SHARE["complaints"] * act, _FEED_SHARE["economy"] * (0.5 + 0.5 * act),
               _FEED_SHARE["disasters"]]
    return Picker(("complaints", "economy", "disasters"), weights)


class Simulator:
    """A deterministic stream of Makassar feed messages.

    ``history()`` is the backlog before ``start`` (open complaints from past days, active
    incidents); ``next_batch(now, n)`` gives ``n`` messages with event times spread evenly
    up to ``now``. About 45% complaints, 45% economy, 10% disasters (complaints follow the
    daily rhythm); ``invalid_ratio`` of them are invalid, each kind equally often; about
    0.4% are late (held back, then sent after newer events) and 0.4% are resent duplicates.
    """

    def __init__(self, seed: int, start: float, invalid_ratio: float = 0.0, *,
                 late_ratio: float = 0.004, duplicate_ratio: float = 0.004) -> None:
        if not 0.0 <= invalid_ratio <= 1.0:
            raise ValueError(f"invalid_ratio must be in 0..1, got {invalid_ratio}")
        self.seed, self.invalid_ratio = seed, invalid_ratio
        self.late_ratio, self.dup_ratio = late_ratio, duplicate_ratio
        self.rng = rng = random.Random(seed)
        tag = _base36(seed)
        self.complaints = ComplaintDesk(rng, tag)
        self.disasters = IncidentBoard(rng, tag, seed)
        self.economy = Economy(rng, tag, start)
        self._step: dict[str, Callable[[float], Event]] = {
            "complaints": self.complaints.step, "economy": self.economy.step,
            "disasters": self.disasters.step}
        self.clock = self.horizon = start
        self._stamp, self._count = _Stamp(), 0
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
        span, mix, held, out = (now - t0) / max(n, 1), _mix(now), self._held, []
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
        if u < self.late_ratio:  # held back: newer events of the same entity go first
            heapq.heappush(self._held, (t + rng.uniform(2, 120), self._count, msg))
            return self._one(t, mix)
        if u < self.late_ratio + self.dup_ratio:  # the producer will resend it
            dup = SimMessage(msg.feed, msg.key, msg.value, DUPLICATE)
            heapq.heappush(self._held, (t + rng.uniform(0.5, 30), self._count, dup))
        return msg

    def _encode(self, ev: Event, label: str = VALID) -> SimMessage:
        feed, key, ms, body = ev
        self._count += 1
        body["event_id"] = f"{feed[0]}-{self.seed}-{self._count}"
        body["occurred_at"] = self._stamp(ms)
        return SimMessage(feed, key, orjson.dumps(body), label)

    @property
    def open_complaints(self) -> int:
        """Complaints currently open in the simulated city."""
        return self.complaints.active

    @property
    def active_incidents(self) -> int:
        """Incidents currently active in the simulated city."""
        return self.disasters.active

    # Invalid messages: each built from a fresh, untracked valid one with one defect.

    def _sample(self, feed: str, t: float) -> tuple[str, Body]:
        src = self.complaints if feed == "complaints" else self.disasters if feed == "disasters" else None
        _, key, ms, body = src.sample(t) if src else self.economy.step(t)
        self._count += 1
        body.update(event_id=f"{feed[0]}-{self.seed}-{self._count}", occurred_at=self._stamp(ms))
        return key, body

    def _invalid(self, t: float) -> SimMessage:
        rng = self.rng
        kind = INVALID_KINDS[int(rng.random() * len(INVALID_KINDS))]
        feed = "complaints" if kind == "outside_city" else FEEDS[int(rng.random() * 3)]
        key, body = self._sample(feed, t)
        if kind == "invalid_json":
            value = _garbage(rng, orjson.dumps(body))
        elif kind == "schema":
            value = orjson.dumps(_break_schema(rng, feed, body))
        elif kind == "outside_city":
            body.pop("kecamatan", None)
            body["location"] = in_box(rng, _OUTSIDE[int(rng.random() * len(_OUTSIDE))])
            value = orjson.dumps(body)
        elif kind == "too_large":
            pad = base64.b64encode(rng.randbytes(rng.randint(50_000, 70_000))).decode()
            value = orjson.dumps({**body, "attachment_base64": pad})
        else:
            ahead = max(t, self.horizon) + rng.uniform(3600, 3 * 3600)
            value = orjson.dumps({**body, "occurred_at": self._stamp(int(ahead * 1000))})
        return SimMessage(feed, key, value, kind)


_OUTSIDE = (D.SEA_BOXES, D.MAROS_BOXES, D.GOWA_BOXES)


def _garbage(rng: random.Random, valid: bytes) -> bytes:
    pick = rng.random()
    if pick < 0.4:
        return valid[: rng.randint(1, len(valid) - 2)]  # truncated in flight
    if pick < 0.7:
        return b"\xff" + rng.randbytes(rng.randint(8, 64))  # not even UTF-8
    if pick < 0.9:
        return str(orjson.loads(valid)).encode()  # a Python repr: single quotes
    return b""


def _break_schema(rng: random.Random, feed: str, body: Body) -> Body:
    """One contract rule broken, everything else valid."""
    common: list[Callable[[Body], Any]] = [
        lambda b: b.pop("event_id"), lambda b: b.pop("source"),
        lambda b: b.update(occurred_at=b["occurred_at"][:19]),  # no offset
    ]
    per_feed: dict[str, list[Callable[[Body], Any]]] = {
        "complaints": [lambda b: b.pop("complaint_id"), lambda b: b.update(status="selesai"),
                       lambda b: b.pop("category"), lambda b: b.update(priority="penting"),
                       lambda b: (b.pop("location", None), b.pop("kecamatan", None)),
                       lambda b: b.update(location="-5.14,119.41"), lambda b: b.update(text="x" * 2001)],
        "economy": [lambda b: b.pop("kind"), lambda b: b.update(kind="stock"),
                    lambda b: b.update(count=-3) if "count" in b else b.update(price_idr=str(b["price_idr"])),
                    lambda b: b.pop("report_id") if "report_id" in b else b.update(commodity="cabe"),
                    lambda b: b.update(price_idr=0) if "price_idr" in b else b.pop("kecamatan")],
        "disasters": [lambda b: b.update(severity=7), lambda b: b.pop("location"),
                      lambda b: b.update(hazard="tsunami_kecil"), lambda b: b.update(status="selesai"),
                      lambda b: (b.pop("hazard"), b.update(status="verified")),  # unknown incident
                      lambda b: b.update(affected_people=-1)],
    }
    breakers = common + per_feed[feed]
    breakers[int(rng.random() * len(breakers))](body)
    return body


def _base36(n: int) -> str:
    digits, out = "0123456789abcdefghijklmnopqrstuvwxyz", ""
    n = abs(n)
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


# --- the I/O shell -----------------------------------------------------------------

_PROGRESS_EVERY_S = 5.0
_BACKFILL_MAX_EVENTS = 100_000


def add_simulate_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``marvec simulate``."""
    parser.add_argument("--rate", type=float, default=20.0,
                        help="events per second in total (<= 0: as fast as possible; default 20)")
    parser.add_argument("--duration", type=_non_negative, default=None,
                        help="stop after this many seconds (default: until Ctrl-C)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a replayable stream")
    parser.add_argument("--invalid-ratio", type=_ratio, default=0.0,
                        help="share of invalid messages, 0..1 (default 0)")
    parser.add_argument("--backfill-hours", type=_non_negative, default=0.0,
                        help="first send this many hours of history, as fast as possible")


def _ratio(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {text!r}")
    return value


def _non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None


class _Sender:
    """Sends messages to their feed's topic and counts them by feed and label."""

    def __init__(self, producer: Any, topics: dict[str, str]) -> None:
        self.producer, self.topics = producer, topics
        self.feeds: Counter[str] = Counter()
        self.labels: Counter[str] = Counter()
        self.errors: list[BaseException] = []

    def send(self, batch: list[SimMessage]) -> None:
        send, topics, on_error = self.producer.send, self.topics, self.errors.append
        for m in batch:
            key = m.key.encode() if m.key is not None else None
            send(topics[m.feed], value=m.value, key=key).add_errback(on_error)
            self.feeds[m.feed] += 1
            self.labels[m.label] += 1

    @property
    def sent(self) -> int:
        return sum(self.feeds.values())


def run_simulate(settings: Any, rate: float, duration: float | None, seed: int | None,
                 invalid_ratio: float, backfill_hours: float = 0.0,
                 log: Callable[[str], None] = print, *, stop: threading.Event | None = None,
                 backfill_rate: float | None = None) -> dict[str, Any]:
    """Send simulated feeds to Kafka until ``duration`` ends, Ctrl-C, SIGTERM or ``stop``.

    ``rate`` is events per second (<= 0: as fast as possible). With ``backfill_hours``,
    the last hours of history go first, as fast as possible, at ``backfill_rate`` events
    per second of event time (default: ``rate``, capped at 100,000 events in all).
    Returns the seed and the counts per feed and per label.
    """
    from kafka import KafkaProducer  # the shell alone needs Kafka

    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31)
    stop = stop or threading.Event()
    producer = KafkaProducer(**settings.kafka_client_options(), linger_ms=20, acks=1)
    sender = _Sender(producer, settings.topics)
    began, restore = time.monotonic(), _on_sigterm(stop)
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
    if sender.errors:
        log(f"simulate: {len(sender.errors)} messages failed, first: {sender.errors[0]!r}")
    return {"seed": seed, "sent": sender.sent, "seconds": round(time.monotonic() - began, 3),
            "feeds": dict(sender.feeds), "labels": dict(sender.labels), "failed": len(sender.errors)}


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
    start = last = report = time.monotonic()
    tokens, sent_at_report = 0.0, sender.sent
    while not stop.is_set() and (duration is None or last - start < duration):
        now = time.monotonic()
        tokens = min(tokens + (now - last) * rate, max(rate, 1.0)) if rate > 0 else 5000.0
        last = now
        n = int(tokens)
        if n == 0:
            stop.wait(min(0.05, (1 - tokens) / rate))
            continue
        sender.send(sim.next_batch(time.time(), n))
        tokens -= n
        if now - report >= _PROGRESS_EVERY_S:
            done = sender.sent - sent_at_report
            invalid = sum(v for k, v in sender.labels.items() if k in INVALID_KINDS)
            log(f"simulate: sent {sender.sent} ({done / (now - report):.0f}/s), invalid {invalid}")
            report, sent_at_report = now, sender.sent


def _on_sigterm(stop: threading.Event) -> Callable[[], None]:
    """Make SIGTERM set ``stop`` (main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return lambda: signal.signal(signal.SIGTERM, previous)
