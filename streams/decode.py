"""Decode and validate raw feed messages into compact events for the fold.

``decode_batch`` turns a batch of Kafka records into verdicts: an accepted event
(a small dict the Redis fold understands) or a rejection with a reason code and a
detail naming the field. Kecamatan lookup runs once per batch, vectorised.
Pure apart from the boundaries object it is given: no Kafka, no Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
import orjson

from marvec import contract as C
from streams import fields as F
from streams.feeds import FEEDS
from streams.feeds.base import Locator
from streams.fields import Invalid

__all__ = ["Locator", "Record", "Verdict", "decode_batch", "decode_one", "validate"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Record:
    """A Kafka record reduced to what Marvec needs."""

    topic: str
    partition: int
    offset: int
    value: bytes
    timestamp: int | None = None
    """The broker's record timestamp (ms), when known (``streams.clock``)."""


@dataclass(slots=True)
class Verdict:
    """The outcome for one record: ``event`` when accepted, else ``reason``/``detail``."""

    record: Record
    feed: str
    event: dict[str, Any] | None = None
    reason: str | None = None
    detail: str | None = None


def _common(obj: dict[str, Any], feed: str, now: float) -> dict[str, Any]:
    ts = F.timestamp(obj, "occurred_at", now, C.MAX_FUTURE_SECONDS)
    ev: dict[str, Any] = {
        "f": feed,
        "id": F.string(obj, "event_id", required=True),
        "t": ts,
        "src": F.string(obj, "source", required=True, max_len=64),
    }
    return ev


_FEED_DECODERS: dict[str, Callable[[dict[str, Any], dict[str, Any], Locator], None]] = {
    name: feed.check for name, feed in FEEDS.items()
}
"""The slow path: each feed's field-by-field check, which names what is wrong."""


def _explain(feed: str, value: bytes, now: float, locator: Locator) -> dict[str, Any]:
    """The field-by-field check (orjson, then each field by hand): the exact reason and
    detail of a rejection, for a message the typed decoder refused."""
    try:
        obj = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc):
            raise Invalid("invalid_json", "JSON nested deeper than 1024 levels") from None
        raise Invalid("invalid_json", f"not valid UTF-8 JSON: {str(exc)[:80]}") from None
    if not isinstance(obj, dict):
        raise Invalid("invalid_json", f"expected a JSON object, got {type(obj).__name__}")
    ev = _common(obj, feed, now)
    _FEED_DECODERS[feed](obj, ev, locator)
    return ev


def decode_one(feed: str, value: bytes | None, now: float, locator: Locator) -> dict[str, Any]:
    """Validate one message; returns the compact event or raises ``Invalid``.

    The feed's typed decoder (msgspec, in C) decodes and checks the types in one pass;
    what it refuses, and the rules types cannot say, go to the field-by-field check,
    which names the field (the rare case: rejections)."""
    if value is None:
        raise Invalid("invalid_json", "empty message (no value)")
    if len(value) > C.MAX_MESSAGE_BYTES:
        raise Invalid("too_large", f"message is {len(value)} bytes; the limit is {C.MAX_MESSAGE_BYTES}")
    spec = FEEDS[feed]
    try:
        typed = spec.decoder.decode(value)
    except (msgspec.DecodeError, RecursionError):
        return _explain(feed, value, now, locator)
    ev: dict[str, Any] = {"f": feed, "id": typed.event_id,
                          "t": F.parse_time(typed.occurred_at, "occurred_at", now,
                                            C.MAX_FUTURE_SECONDS),
                          "src": typed.source}
    if not spec.compact(typed, ev, locator):
        return _explain(feed, value, now, locator)
    return ev


def _locate_batch(verdicts: Sequence[Verdict], locator: Locator) -> None:
    todo = [v.event for v in verdicts if v.event is not None and v.event["k"] is None and "lat" in v.event]
    if not todo:
        return
    lon = np.fromiter((e["lon"] for e in todo), dtype=float, count=len(todo))
    lat = np.fromiter((e["lat"] for e in todo), dtype=float, count=len(todo))
    for ev, name in zip(todo, locator.locate(lon, lat), strict=True):
        ev["k"] = name if isinstance(name, str) else None


def _needs_city(ev: dict[str, Any]) -> bool:
    return FEEDS[ev["f"]].needs_city(ev)


def decode_batch(records: Sequence[Record], feed_of: dict[str, str], now: float,
                 locator: Locator) -> list[Verdict]:
    """Decode a batch; kecamatan lookup runs once for all located events."""
    out: list[Verdict] = []
    for rec in records:
        feed = feed_of[rec.topic]
        try:
            out.append(Verdict(rec, feed, event=decode_one(feed, rec.value, now, locator)))
        except Invalid as exc:
            out.append(Verdict(rec, feed, reason=exc.reason, detail=exc.detail))
        except Exception as exc:  # a validator bug must not stop the partition: park the record
            log.exception("validation fault on %s[%d]@%d", rec.topic, rec.partition, rec.offset)
            out.append(Verdict(rec, feed, reason="internal",
                               detail=f"fault while validating this message: {type(exc).__name__}"))
    _locate_batch(out, locator)
    for v in out:
        if v.event is not None and v.event["k"] is None and _needs_city(v.event):
            v.reason, v.detail = "outside_city", (
                f"location {v.event['lat']:.5f},{v.event['lon']:.5f} is outside every kecamatan of the city"
            )
            v.event = None
    return out




def validate(feed: str, values: Sequence[bytes], now: float, locator: Locator) -> list[Verdict]:
    """The consumers' own verdict on messages not yet produced (``marvec import``, the
    intake API): one ``Verdict`` per value, in order; ``reason`` is None when accepted."""
    topic = f"<{feed}>"
    records = [Record(topic, 0, i, v) for i, v in enumerate(values)]
    return decode_batch(records, {topic: feed}, now, locator)
