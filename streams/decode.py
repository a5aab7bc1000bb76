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
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
import orjson

from marvec import contract as C
from streams import fields as F
from streams.fields import Invalid

log = logging.getLogger(__name__)


class Locator(Protocol):
    """What decoding needs of the loaded boundaries."""

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray: ...

    def match_name(self, name: str) -> str | None: ...


@dataclass(slots=True)
class Record:
    """A Kafka record reduced to what Marvec needs."""

    topic: str
    partition: int
    offset: int
    value: bytes


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


@lru_cache(maxsize=1024)
def _match(locator: Locator, name: str) -> str | None:
    """Lenient name matching, cached: the same few spellings arrive all day."""
    return locator.match_name(name)


def _kecamatan_name(obj: dict[str, Any], locator: Locator) -> str | None:
    name = F.string(obj, "kecamatan", required=False, max_len=128)
    if name is None:
        return None
    canonical = _match(locator, name)  # type: ignore[arg-type]
    if canonical is None:
        raise Invalid("schema", f"kecamatan {name!r} is not a kecamatan of the loaded boundaries")
    return canonical


def _place(ev: dict[str, Any], obj: dict[str, Any], locator: Locator, *, loc_required: bool) -> None:
    loc = F.location(obj, required=loc_required)
    if loc is not None:
        ev["lat"], ev["lon"] = loc
    ev["k"] = _kecamatan_name(obj, locator)


def _complaint(obj: dict[str, Any], ev: dict[str, Any], locator: Locator) -> None:
    ev["cid"] = F.string(obj, "complaint_id", required=True)
    status = F.choice(obj, "status", C.COMPLAINT_STATUSES, required=True)
    ev["st"] = status
    ev["cat"] = F.choice(obj, "category", C.COMPLAINT_CATEGORIES, required=status == "received")
    ev["pr"] = F.choice(obj, "priority", C.PRIORITIES, required=False)
    ev["opd"] = F.string(obj, "opd", required=False, max_len=32)
    ev["txt"] = F.string(obj, "text", required=False, min_len=0, max_len=2000)
    _place(ev, obj, locator, loc_required=False)
    if "lat" not in ev and ev["k"] is None:
        raise Invalid("schema", "a complaint needs location or kecamatan")


def _economy(obj: dict[str, Any], ev: dict[str, Any], locator: Locator) -> None:
    kind = F.choice(obj, "kind", C.ECONOMY_KINDS, required=True)
    ev["kind"] = kind
    if kind == "price":
        ev["com"] = F.choice(obj, "commodity", C.COMMODITIES, required=True)
        ev["unit"] = F.choice(obj, "unit", C.UNITS, required=True)
        ev["price"] = F.integer(obj, "price_idr", required=True, minimum=1)
        ev["mkt"] = F.string(obj, "market", required=True)
        _place(ev, obj, locator, loc_required=False)
        return
    ev["rid"] = F.string(obj, "report_id", required=True)
    ev["mc"] = F.string(obj, "merchant_category", required=True, max_len=64)
    ev["n"] = F.integer(obj, "count", required=True, minimum=0)
    ev["amt"] = F.integer(obj, "amount_idr", required=True, minimum=0)
    _place(ev, obj, locator, loc_required=False)
    if "lat" not in ev and ev["k"] is None:
        raise Invalid("schema", "a transactions report needs kecamatan or location")


def _disaster(obj: dict[str, Any], ev: dict[str, Any], locator: Locator) -> None:
    ev["iid"] = F.string(obj, "incident_id", required=True)
    ev["hz"] = F.choice(obj, "hazard", C.HAZARDS, required=False)
    ev["st"] = F.choice(obj, "status", C.INCIDENT_STATUSES, required=True)
    ev["sev"] = F.integer(obj, "severity", required=False, minimum=1, maximum=5)
    for name, short in (("affected_people", "ap"), ("displaced", "dp"), ("injured", "inj"),
                        ("deaths", "dth")):
        ev[short] = F.integer(obj, name, required=False, minimum=0)
    ev["mag"] = F.number(obj, "magnitude", lo=-2.0, hi=10.0)
    ev["dep"] = F.number(obj, "depth_km", lo=-10.0, hi=1000.0)
    ev["wl"] = F.number(obj, "water_level_cm", lo=-1000.0, hi=100_000.0)
    _place(ev, obj, locator, loc_required=True)


_FEED_DECODERS: dict[str, Callable[[dict[str, Any], dict[str, Any], Locator], None]] = {
    "complaints": _complaint,
    "economy": _economy,
    "disasters": _disaster,
}


def decode_one(feed: str, value: bytes | None, now: float, locator: Locator) -> dict[str, Any]:
    """Validate one message; returns the compact event or raises ``Invalid``."""
    if value is None:
        raise Invalid("invalid_json", "empty message (no value)")
    if len(value) > C.MAX_MESSAGE_BYTES:
        raise Invalid("too_large", f"message is {len(value)} bytes; the limit is {C.MAX_MESSAGE_BYTES}")
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


def _locate_batch(verdicts: Sequence[Verdict], locator: Locator) -> None:
    todo = [v.event for v in verdicts if v.event is not None and v.event["k"] is None and "lat" in v.event]
    if not todo:
        return
    lon = np.fromiter((e["lon"] for e in todo), dtype=float, count=len(todo))
    lat = np.fromiter((e["lat"] for e in todo), dtype=float, count=len(todo))
    for ev, name in zip(todo, locator.locate(lon, lat), strict=True):
        ev["k"] = name if isinstance(name, str) else None


def _needs_city(ev: dict[str, Any]) -> bool:
    return ev["f"] == "complaints" or (ev["f"] == "economy" and ev["kind"] == "transactions")


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


