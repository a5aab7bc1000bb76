"""Fuzzing the three feeds: generated bad (and good) messages judged by an oracle written
here from the contract (sections 1.1-1.5), independently of ``streams/``.

* ``test_decode_agrees_with_the_oracle_on_the_whole_corpus``: pure, 20,000 generated
  messages straight into ``decode_one`` and ``decode_batch``;
  ``test_decode_never_raises_anything_but_invalid``: the same as a shrinking property.
* ``test_fuzzed_feeds_through_the_real_consumer``: 11,000 of them through a real Tansu
  broker, the real consumer and Redis, run once; every count, every dead letter (reason
  and original bytes) and the aggregates are checked against the oracle.

Hypothesis only generates (``derandomize=True``: the same messages every run). Ids are
made unique when a message is rendered, so one message never collides with another
unless the generator means it to (producer resends, an incident's follow-up event).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis
from helpers import read_topic, wait_for
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from kafka import KafkaProducer
from streamrig import boundaries, running_consumer, snap

from streams.decode import Record, decode_batch, decode_one
from streams.fields import Invalid
from streams.prepare import build_items

# =====================================================================================
# The oracle: contract v1, section 1, as plain Python (nothing from streams/)
# =====================================================================================

FEEDS = ("complaints", "economy", "disasters")
MAX_BYTES = 64 * 1024  # 1: at most 64 KiB
FUTURE_S = 10 * 60  # 1.1: more than 10 minutes in the future is rejected
WITA_S = 8 * 3600  # "today" is a calendar date in Asia/Makassar (UTC+08:00)
DEDUPE_S = 168 * 3600  # MARVEC_DEDUPE_HORIZON_HOURS default (README)
RETENTION_S = 168 * 3600  # MARVEC_ENTITY_RETENTION_HOURS default (README)
SLA_S = {"urgent": 86400, "high": 3 * 86400, "normal": 7 * 86400, "low": 14 * 86400}  # 1.2
OPEN = {"received", "assigned", "in_progress"}

# Marvec's own limits where the contract only says "string" / "number" / "integer":
# free-text keys and measurements are bounded, integers must be exact in JSON (I-JSON,
# RFC 7493), JSON nests at most 1024 deep, and nothing lies before 0001-01-01T00:00:00Z.
SAFE_INT = 2**53 - 1
MAX_DEPTH = 1024
LIMITS = {"market": 128, "report_id": 128, "merchant_category": 64, "kecamatan": 128}
RANGES = {"magnitude": (-2.0, 10.0), "depth_km": (-10.0, 1000.0),
          "water_level_cm": (-1000.0, 100_000.0)}

STATUSES = ("received", "assigned", "in_progress", "resolved", "rejected")
CATEGORIES = ("roads", "drainage", "waste", "street_lighting", "water", "electricity",
              "public_order", "health", "education", "administration", "other")
PRIORITIES = ("low", "normal", "high", "urgent")
COMMODITIES = ("beras", "gula_pasir", "minyak_goreng", "daging_ayam", "daging_sapi",
               "telur_ayam", "cabai_merah", "cabai_rawit", "bawang_merah", "bawang_putih")
UNITS = ("kg", "liter")
HAZARDS = ("flood", "tidal_flood", "fire", "landslide", "earthquake", "extreme_weather",
           "strong_wind", "tree_fall", "building_collapse", "other")
INCIDENT_STATUSES = ("reported", "verified", "responding", "contained", "closed")

KECAMATAN = ("Mariso", "Mamajang", "Makassar", "Ujung Pandang", "Wajo", "Bontoala", "Tallo",
             "Ujung Tanah", "Panakkukang", "Tamalate", "Biringkanaya", "Manggala",
             "Rappocini", "Tamalanrea", "Kepulauan Sangkarrang")
# Spellings the feeds use (README: "names are matched leniently") -> the district.
SPELLINGS = {**{k: k for k in KECAMATAN}, "Kec. Panakukkang": "Panakkukang",
             "TALLO": "Tallo", "ujung pandang": "Ujung Pandang", "Makasar": "Makassar",
             "Biring Kanaya": "Biringkanaya", "Kec. Tamalate": "Tamalate",
             "Kep. Sangkarrang": "Kepulauan Sangkarrang", "Ujungpandang": "Ujung Pandang",
             "  Wajo  ": "Wajo", "Kecamatan Rappocini": "Rappocini"}
NOT_IN_CITY = ("Maros", "Gowa", "Jakarta Selatan", "Kec.", "   ", "Somba Opu",
               "\u0645\u0643\u0627\u0633\u0631", "Zz\u200bTallo", "Zz\U0001f30aWajo", "Tall0")
# Points whose district is known (checked against the bundled boundaries in a test).
INSIDE = {(-5.1436, 119.4078): "Ujung Pandang", (-5.1317, 119.4881): "Tamalanrea",
          (-5.16, 119.43): "Rappocini", (-5.17, 119.485): "Manggala",
          (-5.10, 119.51): "Biringkanaya", (-5.12, 119.425): "Tallo"}
OUTSIDE = ((-5.0617, 119.5542), (-5.30, 119.05), (0.0, 0.0), (90.0, 180.0), (-90.0, -180.0),
           (-6.2, 106.8), (-5.6, 119.4), (-5, 119), (48.85, 2.35))


def city_of(lat: float, lon: float) -> str | None:
    """The district of a generated point (the generator only makes points known here)."""
    for (a, b), name in INSIDE.items():
        if abs(a - lat) < 1e-9 and abs(b - lon) < 1e-9:
            return name
    if any(abs(a - lat) < 1e-9 and abs(b - lon) < 1e-9 for a, b in OUTSIDE):
        return None
    assert abs(lat + 5.1) > 0.45 or abs(lon - 119.4) > 0.45, f"oracle cannot place {lat},{lon}"
    return None


class Reject(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _month_days(y: int, m: int) -> int:
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if m in (4, 6, 9, 11) else 31


def _digits(s: str) -> int:
    if not s or not s.isascii() or not s.isdigit():
        raise Reject("schema")
    return int(s)


def rfc3339(s: str) -> float:
    """RFC 3339 section 5.6 date-time with an offset, as a Unix time (leap second = next)."""
    if len(s) < 20 or s[4] != "-" or s[7] != "-" or s[10] not in "Tt " or s[13] != ":" \
            or s[16] != ":":
        raise Reject("schema")
    y, mo, d = _digits(s[0:4]), _digits(s[5:7]), _digits(s[8:10])
    h, mi, sec = _digits(s[11:13]), _digits(s[14:16]), _digits(s[17:19])
    rest, frac = s[19:], 0.0
    if rest.startswith("."):
        n = 1
        while n < len(rest) and rest[n].isascii() and rest[n].isdigit():
            n += 1
        if n == 1:
            raise Reject("schema")
        frac = float("0." + rest[1:n])
        rest = rest[n:]
    if rest in ("Z", "z"):
        offset = 0
    elif len(rest) == 6 and rest[0] in "+-" and rest[3] == ":":
        oh, om = _digits(rest[1:3]), _digits(rest[4:6])
        if oh > 23 or om > 59:
            raise Reject("schema")
        offset = (oh * 3600 + om * 60) * (1 if rest[0] == "+" else -1)
    else:
        raise Reject("schema")
    if not (1 <= mo <= 12 and 1 <= d <= _month_days(y, mo) and h <= 23 and mi <= 59
            and sec <= 60):
        raise Reject("schema")
    ts = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset + frac
    if ts < _days_from_civil(1, 1, 1) * 86400:  # Marvec's limit: nothing before 0001-01-01Z
        raise Reject("schema")
    return ts


def _reject_constant(name: str) -> Any:
    raise Reject("invalid_json")  # NaN / Infinity are not JSON


def _finite_float(s: str) -> float:
    value = float(s)
    if math.isinf(value):
        raise Reject("invalid_json")  # a number no double holds
    return value


def _exact_int(s: str) -> int:
    if math.isinf(float(s)):
        raise Reject("invalid_json")
    return int(s)


def _depth(text: str) -> int:
    depth = deepest = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def parse_json(raw: bytes) -> dict[str, Any]:
    """One JSON object in UTF-8 (RFC 8259), or ``Reject('invalid_json')``."""
    try:
        text = raw.decode("utf-8")  # strict: no surrogates, no overlong forms
    except UnicodeDecodeError:
        raise Reject("invalid_json") from None
    if _depth(text) > MAX_DEPTH:
        raise Reject("invalid_json")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        obj = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float,
                         parse_int=_exact_int)
    except ValueError:  # JSONDecodeError (a BOM too) is a ValueError
        raise Reject("invalid_json") from None
    finally:
        sys.setrecursionlimit(limit)
    if not isinstance(obj, dict) or _has_lone_surrogate(obj):
        raise Reject("invalid_json")
    return obj


def _get(obj: dict[str, Any], name: str, required: bool) -> Any:
    v = obj.get(name)  # JSON null is the same as absent
    if v is None and required:
        raise Reject("schema")
    return v


def _str(obj: dict[str, Any], name: str, lo: int, hi: int, required: bool) -> str | None:
    v = _get(obj, name, required)
    if v is not None and (type(v) is not str or not lo <= len(v) <= hi):
        raise Reject("schema")
    return v


def _enum(obj: dict[str, Any], name: str, allowed: tuple[str, ...], required: bool) -> str | None:
    v = _get(obj, name, required)
    if v is not None and (type(v) is not str or v not in allowed):
        raise Reject("schema")
    return v


def _int(obj: dict[str, Any], name: str, lo: int, hi: int, required: bool) -> int | None:
    v = _get(obj, name, required)
    if v is not None and (type(v) is not int or not max(lo, -SAFE_INT) <= v <= min(hi, SAFE_INT)):
        raise Reject("schema")
    return v


def _num(obj: dict[str, Any], name: str, lo: float, hi: float, required: bool) -> float | None:
    v = _get(obj, name, required)
    if v is None:
        return None
    if type(v) not in (int, float):
        raise Reject("schema")
    f = float(v) if abs(v) < 10**308 else math.inf
    if not math.isfinite(f) or not lo <= f <= hi:
        raise Reject("schema")
    return f


@dataclass
class Judged:
    """The stateless verdict on one message: ``reason``, or the accepted event's facts."""

    feed: str
    reason: str | None = None
    t: float = 0.0
    event_id: str = ""
    k: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


def _place(obj: dict[str, Any], required: bool) -> tuple[tuple[float, float] | None, str | None]:
    loc = _get(obj, "location", required)
    point = None
    if loc is not None:
        if not isinstance(loc, dict):
            raise Reject("schema")
        lat = _num(loc, "lat", -90.0, 90.0, True)
        lon = _num(loc, "lon", -180.0, 180.0, True)
        point = (lat, lon)
    name = _str(obj, "kecamatan", 1, LIMITS["kecamatan"], False)
    if name is not None and name not in SPELLINGS:
        raise Reject("schema")
    return point, (SPELLINGS[name] if name is not None else None)  # type: ignore[return-value]


def judge(feed: str, raw: bytes | None, now: float) -> Judged:
    """What the contract says of one message on its own (the incident rule is stateful).

    With several faults the first found counts, in this order: size, JSON, occurred_at
    (``schema``, then ``future_time``), the other fields (``schema``), the city.
    """
    out = Judged(feed)
    try:
        if raw is None:
            raise Reject("invalid_json")
        if len(raw) > MAX_BYTES:
            raise Reject("too_large")
        obj = parse_json(raw)
        when = obj.get("occurred_at")
        if type(when) is not str:
            raise Reject("schema")
        out.t = rfc3339(when)
        if out.t > now + FUTURE_S:
            raise Reject("future_time")
        out.event_id = _str(obj, "event_id", 1, 128, True)  # type: ignore[assignment]
        _str(obj, "source", 1, 64, True)
        f = out.fields
        needs_city = False
        if feed == "complaints":
            f["id"] = _str(obj, "complaint_id", 1, 128, True)
            f["status"] = _enum(obj, "status", STATUSES, True)
            f["category"] = _enum(obj, "category", CATEGORIES, f["status"] == "received")
            f["priority"] = _enum(obj, "priority", PRIORITIES, False)
            _str(obj, "opd", 1, 32, False)
            _str(obj, "text", 0, 2000, False)
            point, out.k = _place(obj, False)
            needs_city = True
        elif feed == "economy":
            f["kind"] = _enum(obj, "kind", ("price", "transactions"), True)
            if f["kind"] == "price":
                f["commodity"] = _enum(obj, "commodity", COMMODITIES, True)
                _enum(obj, "unit", UNITS, True)
                f["price"] = _int(obj, "price_idr", 1, SAFE_INT, True)
                f["market"] = _str(obj, "market", 1, LIMITS["market"], True)
            else:
                _str(obj, "report_id", 1, LIMITS["report_id"], True)
                _str(obj, "merchant_category", 1, LIMITS["merchant_category"], True)
                f["count"] = _int(obj, "count", 0, SAFE_INT, True)
                f["amount"] = _int(obj, "amount_idr", 0, SAFE_INT, True)
                needs_city = True
            point, out.k = _place(obj, False)
        else:
            f["id"] = _str(obj, "incident_id", 1, 128, True)
            f["hazard"] = _enum(obj, "hazard", HAZARDS, False)
            f["status"] = _enum(obj, "status", INCIDENT_STATUSES, True)
            f["severity"] = _int(obj, "severity", 1, 5, False)
            for name in ("affected_people", "displaced", "injured", "deaths"):
                f[name] = _int(obj, name, 0, SAFE_INT, False)
            for name, (lo, hi) in RANGES.items():
                _num(obj, name, lo, hi, False)
            point, out.k = _place(obj, True)
        if needs_city and point is None and out.k is None:
            raise Reject("schema")
        if out.k is None and point is not None:
            out.k = city_of(*point)
            if out.k is None and needs_city:
                raise Reject("outside_city")
    except Reject as exc:
        out.reason = exc.reason
    return out


@dataclass
class Incident:
    events: list[Judged] = field(default_factory=list)

    def latest(self, name: str) -> Any:
        """``name`` from the latest event carrying it (ties: the later arrival)."""
        best = None
        for ev in self.events:
            v = ev.k if name == "k" else ev.fields.get(name)
            if v is not None and (best is None or ev.t >= best[0]):
                best = (ev.t, v)
        return None if best is None else best[1]

    def status(self) -> str:
        return self.latest("status")


class Oracle:
    """The contract applied to a sequence of messages (each entity's in arrival order)."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.seen: dict[tuple[str, str], float] = {}
        self.accepted: list[Judged] = []
        self.incidents: dict[str, Incident] = {}
        self.counts: dict[str, Counter[str]] = {f: Counter() for f in FEEDS}

    def _known(self, iid: str) -> Incident | None:
        inc = self.incidents.get(iid)
        # a closed incident keeps its state RETENTION_S after its last event, then is gone
        if inc is not None and inc.status() == "closed" and \
                max(e.t for e in inc.events) + RETENTION_S <= self.now:
            del self.incidents[iid]
            return None
        return inc

    def verdict(self, feed: str, raw: bytes | None) -> str:
        """``accepted``, ``duplicate`` or the dead-letter reason."""
        verdict = self._decide(judge(feed, raw, self.now))
        self.counts[feed][{"accepted": "accepted", "duplicate": "duplicates"}.get(
            verdict, "rejected")] += 1
        return verdict

    def _decide(self, j: Judged) -> str:
        if j.reason:
            return j.reason
        hour = j.t // 3600
        remembered = self.seen.get((j.feed, j.event_id))  # the dedupe horizon (README)
        if remembered is not None and (remembered + 1) * 3600 + DEDUPE_S > self.now:
            return "duplicate"
        if j.feed == "disasters":
            inc = self._known(j.fields["id"])
            if inc is None:
                if j.fields["hazard"] is None or j.fields["severity"] is None:
                    return "schema"  # 1.4: the first event of an incident needs both
                inc = self.incidents[j.fields["id"]] = Incident()
            inc.events.append(j)
        self.seen[(j.feed, j.event_id)] = hour
        self.accepted.append(j)
        return "accepted"

    # -- what the accepted events imply for the snapshot (contract 3) -------------------
    def _latest_by(self, feed: str, key: Callable[[Judged], Any]) -> dict[Any, Judged]:
        """Each entity's current event: the latest ``occurred_at`` (ties: the later one)."""
        out: dict[Any, Judged] = {}
        for j in self.accepted:
            k = key(j) if j.feed == feed else None
            if k is not None and (k not in out or j.t >= out[k].t):
                out[k] = j
        return out

    def expected(self, now: float) -> dict[str, Any]:
        today = (now + WITA_S) // 86400

        def on_today(j: Judged) -> bool:
            return (j.t + WITA_S) // 86400 == today

        c: dict[str, Any] = {"open": 0, "overdue": 0, "by_kecamatan": dict.fromkeys(KECAMATAN, 0),
                             "by_category": dict.fromkeys(CATEGORIES, 0)}
        for j in self._latest_by("complaints", lambda j: j.fields["id"]).values():
            f = j.fields
            if f["status"] in OPEN:
                c["open"] += 1
                c["by_kecamatan"][j.k] += 1
                cat = f["category"] or "unknown"
                c["by_category"][cat] = c["by_category"].get(cat, 0) + 1
                c["overdue"] += j.t + SLA_S[f["priority"] or "normal"] < now
        for status in ("received", "resolved"):
            c[f"{status}_today"] = len({j.fields["id"] for j in self.accepted
                                        if j.feed == "complaints" and on_today(j)
                                        and j.fields["status"] == status})
        tx: dict[str, Any] = {"count": 0, "amount_idr": 0,
                              "by_kecamatan": dict.fromkeys(KECAMATAN, 0)}
        for j in {j.event_id: j for j in self.accepted if j.feed == "economy"
                  and j.fields["kind"] == "transactions" and on_today(j)}.values():
            tx["count"] += j.fields["count"]
            tx["amount_idr"] += j.fields["amount"]
            tx["by_kecamatan"][j.k] += j.fields["amount"]
        prices: dict[str, list[int]] = defaultdict(list)
        markets = self._latest_by("economy", lambda j: (j.fields["commodity"], j.fields["market"])
                                  if j.fields["kind"] == "price" else None)
        for (commodity, _), j in markets.items():
            prices[commodity].append(j.fields["price"])
        d: dict[str, Any] = {"active": 0, "by_hazard": {}, "affected_people": 0, "displaced": 0,
                             "by_kecamatan": dict.fromkeys(KECAMATAN, 0), "incidents": {}}
        for iid, inc in self.incidents.items():
            if inc.status() == "closed":
                continue
            hz, k = inc.latest("hazard"), inc.latest("k")
            d["active"] += 1
            d["by_hazard"][hz] = d["by_hazard"].get(hz, 0) + 1
            d["affected_people"] += inc.latest("affected_people") or 0
            d["displaced"] += inc.latest("displaced") or 0
            if k:
                d["by_kecamatan"][k] += 1
            d["incidents"][iid] = (hz, inc.latest("severity"), inc.status(), k)
        return {"complaints": c, "transactions": tx, "disasters": d,
                "prices": {k: (statistics.median(v), len(v)) for k, v in prices.items()}}


# =====================================================================================
# The generator (hypothesis) and the renderer (unique ids, relative times, raw JSON)
# =====================================================================================


@dataclass(frozen=True)
class Uid:
    """An id made unique when rendered: ``style`` is its shape, ``tag`` shares it."""

    style: str = "plain"
    tag: str | None = None


@dataclass(frozen=True)
class Lit:
    """Raw JSON text (NaN, 1e400, 1.0 ...) put in as it is."""

    text: str


@dataclass(frozen=True)
class Deep:
    depth: int


@dataclass(frozen=True)
class Ts:
    """An ``occurred_at`` ``ago`` seconds before the generation time, written as ``style``."""

    style: str
    ago: float


@dataclass(frozen=True)
class Msg:
    feed: str
    body: Any  # a tree (dicts with the markers above) or raw bytes
    ensure_ascii: bool = False
    pad_to: int | None = None  # padded with an extra field to exactly this many bytes
    resend: int | None = None  # a producer resend of the message this many places back


BOOL = st.booleans()
ints = functools.cache(st.integers)


@functools.cache
def pick(*values: Any) -> st.SearchStrategy[Any]:
    """``sampled_from``, built once per distinct choice (strategies are costly to build)."""
    return st.sampled_from(values)


ODD = ("\u202e", "\u200f", "\u200b", "\u200d", "\ufeff", "\u0301",
       "\U0001f469\u200d\U0001f469", "\U0001f1ee\U0001f1e9", "\x00", "\x7f", "\u2028",
       "\U0010ffff", "\ufdfa", "\u0645\u0643\u0627\u0633\u0631", "\\", '"', "%s", "%d",
       "'; DROP TABLE", "<script>alert(1)</script>", "\r\n", "\t")
LONE = ("\ud800", "\udfff", "\udbff", "x\ud83dy", "\ude00\ud83d")
ODD_POOL = ODD + tuple(f"a{c}b" for c in ODD) + tuple(c * 3 for c in ODD) + (
    "Jl. Penghibur \u202e(dekat Losari)\u202c", "\u1324\u1293 \u12ed\u1235\u1325\u120d\u129d",
    "Z\u0351\u0352\u0353algo", "\U0001f9ea" * 10, "\u00e9" * 10, "e\u0301" * 5, "\u3000",
    "\u200b" * 20, "\ufffe\uffff", "\U000e0041", " ", "0", "-1", "null", "true", "[]", "{}")
odd_text = st.one_of(pick(*ODD_POOL), st.text(max_size=6))
risky_text = st.one_of(odd_text, pick(*LONE))

AGES = (30, 600, 3600, 30 * 3600, 2.5 * 86400, 5 * 86400, 10 * 86400, 20 * 86400, 400 * 86400)
GOOD_TS = ("wita", "Z", "z", "t", "space", "+00:00", "-00:00", "+05:45", "-09:30", "+14:00",
           "-12:00", "+23:59", "frac1", "frac6", "frac9", "frac13")
OFFSET_MIN = {"Z": 0, "z": 0, "+00:00": 0, "-00:00": 0, "+05:45": 345, "-09:30": -570,
              "+14:00": 840, "-12:00": -720, "+23:59": 1439}
RAW_TS = ("2024-05-01T10:00:00", "2024-05-01", "10:00:00+08:00", "2024-05-01T10:00+08:00",
          "2023-02-29T10:00:00+08:00", "2024-02-30T10:00:00Z", "2024-13-01T10:00:00Z",
          "2024-04-31T10:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T23:60:00Z",
          "2024-05-01T10:00:00+24:00", "2024-05-01T10:00:00+08:60", "2024-05-01T10:00:00.Z",
          "2024-05-01T10:00:00+0800", "2024-5-1T10:00:00Z",
          "\uff12\uff10\uff12\uff14-05-01T10:00:00Z", "2024-05-01T10:00:00Z\n",
          " 2024-05-01T10:00:00Z", "2024-05-01T10:00:00 Z", "0000-01-01T00:00:00Z",
          "0001-01-01T00:00:00+14:00", "0001-01-01T07:59:59+00:00", "0001-01-01T00:00:00Z",
          "0001-01-01T00:00:00+08:00", "0000-12-31T16:00:00Z", "1900-01-01T00:00:00+08:00",
          "1969-12-31T23:59:59.999999-00:00", "2016-12-31T23:59:60Z",
          "2024-02-29T12:00:00+08:00", "1714528800", "9999-12-31T23:59:59Z",
          "9999-12-31T23:59:59-23:59", "2999-01-01T00:00:00+08:00", "2024-05-01t10:00:00z",
          "2024-05-01T10:00:00,5Z", "2024-05-01T10:00:00.-5Z", "")
FUTURE = (-120.0, -300.0, -1200.0, -86400.0, -365 * 86400.0)  # within 10 min at decode, or not


def render_ts(style: str, ts: float) -> str:
    minutes = OFFSET_MIN.get(style, 8 * 60)
    whole = math.floor(ts)
    text = datetime.fromtimestamp(whole, timezone(timedelta(minutes=minutes))) \
        .strftime("%Y-%m-%dT%H:%M:%S")
    if style.startswith("frac"):
        text += "." + f"{ts - whole:.13f}"[2:2 + int(style[4:])]
    if style in ("Z", "z", "-00:00"):
        return text + style
    text += f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return text.replace("T", {"t": "t", "space": " "}.get(style, "T"))


good_time = st.builds(Ts, pick(*GOOD_TS), pick(*AGES))
event_time = st.one_of(good_time, good_time, good_time, good_time, good_time,
                       st.builds(Ts, pick(*GOOD_TS), pick(*FUTURE)))
any_time: st.SearchStrategy[Any] = st.one_of(event_time, pick(*RAW_TS),
                     st.sampled_from([None, 1714528800, 1714528800.5, True, [], {}, Lit("NaN")]))
inside = st.sampled_from([{"lat": a, "lon": b} for a, b in INSIDE])
outside = st.one_of(
    st.sampled_from([{"lat": a, "lon": b} for a, b in OUTSIDE]),
    st.builds(lambda a, b: {"lat": a, "lon": b},
              st.floats(-90, -10, allow_nan=False), st.floats(-180, 180, allow_nan=False)),
)
bad_location = st.sampled_from([
    {"lat": 90.0001, "lon": 119.4}, {"lat": -91, "lon": 119.4}, {"lat": -5.1, "lon": 180.5},
    {"lat": -5.1, "lon": -181}, {"lat": "-5.14", "lon": "119.41"}, {"lat": -5.14},
    {"lon": 119.41}, [-5.14, 119.41], "-5.14,119.41", {"lat": None, "lon": 119.4},
    {"lat": True, "lon": 119.4}, {"lat": Lit("NaN"), "lon": 119.4},
    {"lat": Lit("1e400"), "lon": 119.4}, {"lat": Lit("-Infinity"), "lon": 1},
    {"lat": -5.14, "lon": Lit("1" + "0" * 40)}, {"lat": {}, "lon": 119.4}, {},
    {"latitude": -5.14, "longitude": 119.41}, 42,
])
city_place = st.one_of(
    st.fixed_dictionaries({"location": inside}),
    st.fixed_dictionaries({"kecamatan": pick(*sorted(SPELLINGS))}),
    st.fixed_dictionaries({"location": inside, "kecamatan": pick(*sorted(SPELLINGS))}),
    st.fixed_dictionaries({"location": outside, "kecamatan": pick(*KECAMATAN)}),
)
needs_city_place = st.one_of(city_place, city_place, city_place,
                             st.fixed_dictionaries({"location": outside}))
odd_source = st.one_of(pick("lapor", "call112", "anrong", "sosmed", "bpbd", "bmkg", "sensor",
                            "pasar", "qris", "x" * 64), odd_text.filter(lambda s: 1 <= len(s) <= 64))
small_int = st.integers(0, 10_000)
OPD = st.one_of(pick("DPU", "DLH", "PDAM", "BPBD", "X" * 32),
                odd_text.filter(lambda s: 1 <= len(s) <= 32))
TEXT = st.one_of(odd_text, pick("", "\u00e9" * 2000, "\U0001f30a" * 2000))
PRICE = st.one_of(st.integers(1, 10**6), st.integers(1, 10**13))
PRICE_PLACE = st.one_of(city_place, st.fixed_dictionaries({"location": outside}), st.just({}))
MERCHANT = st.one_of(pick("kuliner", "retail", "jasa", "m" * 64),
                     odd_text.filter(lambda s: 1 <= len(s) <= 64))
WATER = st.one_of(st.integers(-1000, 100_000), st.floats(-1000, 100_000))


@st.composite
def complaint(draw: st.DrawFn) -> dict[str, Any]:
    status = draw(pick(*STATUSES))
    ev: dict[str, Any] = {
        "event_id": Uid(draw(pick("plain", "odd", "len1", "len128", "nul", "rtl"))),
        "occurred_at": draw(event_time), "source": draw(odd_source),
        "complaint_id": Uid(draw(pick("plain", "odd", "nul"))), "status": status}
    if status == "received" or draw(BOOL):
        ev["category"] = draw(pick(*CATEGORIES))
    if draw(BOOL):
        ev["priority"] = draw(pick(*PRIORITIES))
    if draw(BOOL):
        ev["opd"] = draw(OPD)
    if draw(BOOL):
        ev["text"] = draw(TEXT)
    ev.update(draw(needs_city_place))
    return ev


@st.composite
def economy(draw: st.DrawFn) -> dict[str, Any]:
    ev: dict[str, Any] = {"event_id": Uid(draw(pick("plain", "odd", "len1"))),
                          "occurred_at": draw(event_time), "source": draw(odd_source)}
    if draw(BOOL):
        ev.update(kind="price", commodity=draw(pick(*COMMODITIES)), unit=draw(pick(*UNITS)),
                  price_idr=draw(PRICE), market=Uid(draw(pick("market", "odd", "len128"))))
        ev.update(draw(PRICE_PLACE))
        return ev
    # the top of the exact range only on days other than today: today's sums must stay
    # exact in the fold's doubles (test_faults has the test of what happens beyond)
    big = pick(0, SAFE_INT) if ev["occurred_at"].ago > 3 * 86400 else small_int
    ev.update(kind="transactions", report_id=Uid(draw(pick("plain", "odd"))),
              merchant_category=draw(MERCHANT), count=draw(small_int if draw(BOOL) else big),
              amount_idr=draw(ints(0, 10**9) if draw(BOOL) else big))
    ev.update(draw(needs_city_place))
    return ev


@st.composite
def disaster(draw: st.DrawFn, first: bool = True) -> dict[str, Any]:
    ev: dict[str, Any] = {"event_id": Uid(draw(pick("plain", "odd", "len1"))),
                          "occurred_at": Ts(draw(pick(*GOOD_TS)), draw(pick(*AGES[:4]))),
                          "source": draw(odd_source), "incident_id": Uid(draw(pick("plain", "odd"))),
                          "status": draw(pick(*INCIDENT_STATUSES)),
                          "location": draw(inside if draw(BOOL) else outside)}
    if first:
        ev["hazard"] = draw(pick(*HAZARDS))
        ev["severity"] = draw(ints(1, 5))
    elif draw(ints(0, 3)) == 0:
        ev["severity"] = draw(ints(1, 5))
    for name in ("affected_people", "displaced", "injured", "deaths"):
        if draw(BOOL):
            ev[name] = draw(small_int)
    if draw(BOOL):
        ev.update(magnitude=draw(st.floats(-2, 10)), depth_km=draw(st.floats(-10, 1000)))
    if draw(BOOL):
        ev["water_level_cm"] = draw(WATER)
    if draw(BOOL):
        ev["kecamatan"] = draw(pick(*KECAMATAN))
    return ev


VALID = {"complaints": complaint(), "economy": economy(), "disasters": disaster()}
FOLLOW_UP = disaster(first=False)
ID_FIELDS = ("event_id", "complaint_id", "incident_id", "market", "report_id")
WRONG = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 1.5, -0.0, 1.0, "", [], {}, {"a": 1}, [1, 2],
                     Lit("NaN"), Lit("Infinity"), Lit("-Infinity"), Lit("1e400"),
                     Lit("1" + "0" * 25), Lit("-9223372036854775809"),
                     Lit("18446744073709551615"), Lit("9223372036854775807"), Lit("1E2"),
                     Lit("5.0"), Lit("-0"), SAFE_INT + 1, -SAFE_INT - 1, 2**63, 6, 0.5,
                     Uid("len0"), Uid("len129"), Uid("huge"), Deep(50)]),
    st.integers(-(10**6), 10**12), st.floats(allow_nan=False, allow_infinity=False), risky_text,
)
ANY_PLACE = st.one_of(
    city_place, st.fixed_dictionaries({"location": outside}),
    st.fixed_dictionaries({"location": bad_location}),
    st.fixed_dictionaries({"kecamatan": pick(*NOT_IN_CITY)}),
    st.fixed_dictionaries({"kecamatan": WRONG}), st.just({}))
EXTRA_KEY = st.one_of(odd_text, pick("pad", "__proto__", "constructor", "Status", "event_id "))
EXTRA_VALUE = st.one_of(WRONG, st.builds(Deep, pick(2, 100, 1022, 1023, 1024, 3000)),
                        st.just("x" * 5000))
MUTABLE = ("event_id", "occurred_at", "source", "location", "kecamatan", "severity", "count",
           "category", "status", "priority", "text", "opd", "price_idr", "unit", "kind",
           "hazard", "complaint_id", "incident_id", "market", "report_id", "amount_idr",
           "commodity", "merchant_category")
LENGTHS = {"source": (0, 1, 64, 65), "opd": (0, 1, 32, 33), "text": (0, 2000, 2001, 60_000),
           "merchant_category": (0, 64, 65), "kecamatan": (128, 129), "market": (128, 129),
           "report_id": (0, 129)}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid message with one to three faults (or harmless oddities) put in."""
    feed = draw(pick(*FEEDS))
    ev = draw(VALID[feed])
    for _ in range(draw(ints(1, 3))):
        op = draw(pick("drop", "wrong", "wrong", "time", "place", "extra", "id", "enum",
                       "length", "int"))
        name = draw(pick(*MUTABLE))
        if op == "drop":
            ev.pop(name, None)
        elif op == "wrong":
            value = draw(WRONG)
            if name in ID_FIELDS and isinstance(value, str):  # free strings could collide
                value = Uid(draw(pick("len0", "len129", "odd")))
            ev[name] = value
        elif op == "time":
            ev["occurred_at"] = draw(any_time)
        elif op == "place":
            ev.pop("kecamatan", None)
            ev.pop("location", None)
            ev.update(draw(ANY_PLACE))
        elif op == "extra":
            ev[draw(EXTRA_KEY)] = draw(EXTRA_VALUE)
        elif op == "id":
            ev[draw(pick(*ID_FIELDS))] = Uid(draw(pick("len0", "len1", "len128", "len129", "nul",
                                                       "rtl", "odd", "huge")))
        elif op == "enum":
            ev[draw(pick("status", "category", "priority", "kind", "commodity", "unit",
                         "hazard"))] = draw(pick("RECEIVED", "Received", " received", "closed",
                                                 "flood", "kg ", "", "price", "transactions",
                                                 "other", "beras", "liter", "normal"))
        elif op == "length":
            fname = draw(pick(*LENGTHS))
            size = draw(pick(*LENGTHS[fname]))
            ev[fname] = draw(pick("a", "\u00e9", "\U0001f30a")) * size
            if fname in ID_FIELDS and 0 < size <= 128:
                ev[fname] = Uid("len128" if size == 128 else "len1")
        else:
            ev[draw(pick("severity", "count", "amount_idr", "price_idr", "affected_people",
                         "displaced", "deaths"))] = draw(pick(-1, 0, 1, 5, 6, True, 2.0,
                                                              SAFE_INT + 1, 10**19, Lit("1e3"),
                                                              "7"))
    if draw(ints(0, 9)) == 0:  # sent to another feed's topic
        feed = draw(pick(*FEEDS))
    return feed, ev


GARBAGE = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"", b"null", b"[]", b"[{}]", b'"a string"', b"42", b"true", b"{",
                     b'{"event_id": "x",', b"\xef\xbb\xbf{}", b"{}\x00", b"\x00" * 10,
                     b'{"a": NaN}', b'{"a": Infinity}', b"{'single': 'quotes'}",
                     b'{"a": "\xff\xfe"}', b'{"a": "\xed\xa0\x80"}', b'{"a": "\xc0\xaf"}',
                     b"\xff" * 64, b'{"a":1}{"b":2}', b'{"a":01}', b'{"a":"\x01"}',
                     b"[" * 5000 + b"]" * 5000, b"{}" + b" " * 10, "{\u00a0}".encode()]),
)


@st.composite
def batch(draw: st.DrawFn) -> list[Msg]:
    """About five messages: valid, faulty, garbage, an incident and its follow-up, resends."""
    out: list[Msg] = []
    while len(out) < 5:
        roll = draw(ints(0, 99))
        ascii_ = draw(BOOL)
        if roll < 12:
            out.append(Msg("complaints", draw(VALID["complaints"]), ascii_))
        elif roll < 24:
            out.append(Msg("economy", draw(VALID["economy"]), ascii_))
        elif roll < 30:
            out.append(Msg("disasters", draw(VALID["disasters"]), ascii_))
        elif roll < 36:  # an incident's first event (maybe faulty) and a later one without hazard
            tag = f"pair{len(out)}"
            first, later = draw(VALID["disasters"]), draw(FOLLOW_UP)
            first["incident_id"] = Uid(first["incident_id"].style, tag)
            later["incident_id"] = Uid(later["incident_id"].style, tag)
            if draw(BOOL):
                first.pop(draw(pick("hazard", "severity", "location", "status")))
            out.append(Msg("disasters", first, ascii_))
            out.append(Msg("disasters", later, ascii_))
        elif roll < 80:
            feed, ev = draw(mutated())
            out.append(Msg(feed, ev, ascii_))
        elif roll < 88:
            out.append(Msg(draw(pick(*FEEDS)), draw(GARBAGE)))
        elif roll < 91:  # size limits: exactly 64 KiB is fine, one byte more is not
            feed = draw(pick(*FEEDS))
            out.append(Msg(feed, draw(VALID[feed]), ascii_,
                           pad_to=draw(pick(MAX_BYTES - 1, MAX_BYTES, MAX_BYTES + 1, 100_000))))
        else:
            out.append(Msg("complaints", None, resend=draw(ints(1, 30))))
    return out


def generate(examples: int) -> list[list[Msg]]:
    """``examples`` batches of about five messages: the same ones every run."""
    found: list[list[Msg]] = []

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(batch())
    def collect(msgs: list[Msg]) -> None:
        found.append(msgs)

    collect()
    return found


CORPUS_BATCHES = 4_000  # x ~5 = 20,000 messages for decode, the first 11,000 via the consumer
CONSUMER_BATCHES = 2_200


@functools.cache
def corpus() -> list[list[Msg]]:
    return generate(CORPUS_BATCHES)


Rendered = tuple[str, bytes | None, bytes]  # feed, Kafka key, value


class Renderer:
    """Turns generated messages into (feed, key, bytes) with unique ids and real times."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.n = itertools.count(1)
        self.done: list[Rendered] = []
        self.young: list[bool] = []

    def batch(self, msgs: list[Msg]) -> list[Rendered]:
        """One generated batch; its ``Uid`` tags are shared within it only."""
        tags: dict[str, str] = {}
        return [self.render(m, tags) for m in msgs]

    def uid(self, u: Uid, tags: dict[str, str]) -> str:
        if u.tag is not None and u.tag in tags:
            return tags[u.tag]
        n = next(self.n)  # first in the id: a NUL later on cannot make two ids alike
        value = {
            "plain": f"f{n}", "market": f"Pasar {n}",
            "odd": f"{n}\u202e\u200b\u0645\u0643\u0627\u0633\u0631\U0001f30a%s",
            "nul": f"{n}\x00nul", "rtl": f"{n}\u202e\u062a\u0642\u0631\u064a\u0631", "len0": "",
            "len1": chr(0x4E00 + n) if n < 20_000 else chr(0x20000 + n),
            "len128": f"{n}-".ljust(128, "\u00e9"), "len129": f"{n}-".ljust(129, "x"),
            "huge": f"{n}".ljust(30_000, "\U0001f30a"),
        }[u.style]
        if u.tag is not None:
            tags[u.tag] = value
        return value

    def json(self, v: Any, tags: dict[str, str], ascii_: bool) -> str:
        if isinstance(v, Uid):
            v = self.uid(v, tags)
        if isinstance(v, Lit):
            return v.text
        if isinstance(v, Deep):
            return "[" * v.depth + "]" * v.depth
        if isinstance(v, Ts):
            return json.dumps(render_ts(v.style, self.t0 - v.ago), ensure_ascii=ascii_)
        if isinstance(v, dict):
            return "{" + ",".join(json.dumps(k, ensure_ascii=ascii_) + ":" +
                                  self.json(x, tags, ascii_) for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ",".join(self.json(x, tags, ascii_) for x in v) + "]"
        return json.dumps(v, ensure_ascii=ascii_)

    def render(self, msg: Msg, tags: dict[str, str]) -> Rendered:
        if msg.resend is not None:  # the same key and bytes again
            out = self._resendable(len(self.done) - msg.resend)
        elif isinstance(msg.body, bytes):
            out = (msg.feed, None, msg.body)
        else:
            body = dict(msg.body)
            for name in ID_FIELDS:  # ids first: they also key the Kafka message
                if isinstance(body.get(name), Uid):
                    body[name] = self.uid(body[name], tags)
            raw = self.json(body, tags, msg.ensure_ascii).encode("utf-8", "surrogatepass")
            if msg.pad_to is not None and msg.pad_to - len(raw) - 9 >= 0:
                raw = raw[:-1] + b',"pad":"' + b"p" * (msg.pad_to - len(raw) - 9) + b'"}'
            entity = next((body[n] for n in ("complaint_id", "incident_id", "market",
                                             "report_id") if isinstance(body.get(n), str)), None)
            key = None if entity is None else entity.encode("utf-8", "surrogatepass")
            out = (msg.feed, key, raw)
        self.done.append(out)
        self.young.append(msg.resend is not None or isinstance(msg.body, bytes) or (
            isinstance(msg.body.get("occurred_at"), Ts) and msg.body["occurred_at"].ago < 6 * 86400))
        return out

    def _resendable(self, i: int) -> Rendered:
        """The message at ``i`` or the nearest one before it that is no older than 6 days.

        Resending an event older than the dedupe horizon (7 days) is counted again or as a
        duplicate depending on whether it lands in the same batch as the first copy (the
        fold forgets ids older than the horizon when a batch ends), so the oracle cannot tell.
        """
        for j in range(max(0, i), -1, -1):
            if j < len(self.done) and self.young[j]:
                return self.done[j]
        return ("complaints", None, b"{}")


def render_all(batches: list[list[Msg]], t0: float) -> list[Rendered]:
    renderer = Renderer(t0)
    return [m for b in batches for m in renderer.batch(b)]


def _show(raw: bytes | None) -> Any:
    return raw if raw is None or len(raw) < 400 else raw[:400] + b"..."


# =====================================================================================
# Tests
# =====================================================================================


def test_the_oracle_places_and_names_like_the_bundled_boundaries():
    """The oracle's fixed points and spellings agree with the boundaries decode uses."""
    b = boundaries()
    assert set(b.names) == set(KECAMATAN)
    for (lat, lon), name in INSIDE.items():
        assert b.locate_one(lon, lat) == name
    for lat, lon in OUTSIDE:
        assert b.locate_one(lon, lat) is None
    for spelling, name in SPELLINGS.items():
        assert b.match_name(spelling) == name
    for spelling in NOT_IN_CITY:
        assert b.match_name(spelling) is None


def test_the_oracle_reads_rfc3339_like_the_rfc():
    assert rfc3339("1970-01-01T00:00:00Z") == 0
    assert rfc3339("1970-01-01T08:00:00+08:00") == 0
    assert rfc3339("2016-12-31T23:59:60Z") == rfc3339("2017-01-01T00:00:00Z")
    assert rfc3339("2024-05-01 10:00:00.5z") == 1714557600.5
    assert rfc3339("0001-01-01T00:00:00-08:00") == -62135596800 + 8 * 3600
    for bad in ("2023-02-29T00:00:00Z", "2024-05-01T10:00:00", "0001-01-01T00:00:00+00:01",
                "2024-05-01T10:00:00.Z", "\uff12\uff10\uff12\uff14-05-01T10:00:00Z"):
        with pytest.raises(Reject):
            rfc3339(bad)


def _decode_each(msgs: list[Rendered], now: float) -> Counter[str]:
    """``decode_one`` against ``judge`` on every message; returns the reasons seen."""
    b = boundaries()
    seen: Counter[str] = Counter()
    for feed, _, raw in msgs:
        want = judge(feed, raw, now)
        try:
            ev = decode_one(feed, raw, now, b)
        except Invalid as exc:  # anything else escapes and fails the test
            assert exc.reason == want.reason, (_show(raw), exc.detail)
            assert 0 < len(exc.detail) < 300
            seen[exc.reason] += 1
            continue
        assert want.reason in (None, "outside_city"), (_show(raw), want.reason)
        assert ev["id"] == want.event_id and abs(ev["t"] - want.t) < 1e-3, (_show(raw), ev)
        seen[want.reason or "accepted"] += 1
    return seen


def _decode_batch(msgs: list[Rendered], now: float) -> None:
    """``decode_batch`` (the kecamatan lookup, ``outside_city``) against ``judge``."""
    records = [Record(f"t.{feed}", 0, i, raw) for i, (feed, _, raw) in enumerate(msgs)]
    verdicts = decode_batch(records, {f"t.{f}": f for f in FEEDS}, now, boundaries())
    for v in verdicts:  # what the fold is handed must be buildable for every verdict
        build_items([v])
    for v, (feed, _, raw) in zip(verdicts, msgs, strict=True):
        want = judge(feed, raw, now)
        assert v.reason == want.reason, (_show(raw), v.detail)
        if v.event is not None:
            assert v.event["k"] == want.k, (_show(raw), v.event)


def test_decode_agrees_with_the_oracle_on_the_whole_corpus():
    now = time.time()
    msgs = render_all(corpus(), now)
    assert len(msgs) >= 20_000
    seen = _decode_each(msgs, now)
    _decode_batch(msgs, now)
    for outcome in ("accepted", "invalid_json", "schema", "outside_city", "too_large",
                    "future_time"):
        assert seen[outcome] >= 100, seen
    print(f"\ndecoded {len(msgs)} generated messages: {dict(seen)}")


@settings(max_examples=300, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(batch())
def test_decode_never_raises_anything_but_invalid(msgs):
    """The same check as a property, so that a failure shrinks to a small example."""
    now = time.time()
    rendered = Renderer(now).batch(msgs)
    _decode_each(rendered, now)
    _decode_batch(rendered, now)


def test_a_validator_fault_parks_the_record_as_internal(monkeypatch):
    """A bug in a validator must not take the batch (and the consumer) down with it."""
    import streams.decode as decode

    def broken(obj: dict[str, Any], ev: dict[str, Any], locator: Any) -> None:
        raise RuntimeError("validator bug")

    monkeypatch.setitem(decode._FEED_DECODERS, "economy", broken)
    ok = {"event_id": "e1", "occurred_at": render_ts("wita", time.time()), "source": "lapor",
          "complaint_id": "c1", "status": "received", "category": "roads", "kecamatan": "Wajo"}
    records = [Record("t.economy", 0, 0, b'{"event_id": "x"}'),
               Record("t.economy", 0, 1, json.dumps({**ok, "kind": "price"}).encode()),
               Record("t.complaints", 0, 2, json.dumps(ok).encode())]
    verdicts = decode_batch(records, {f"t.{f}": f for f in FEEDS}, time.time(), boundaries())
    assert [v.reason for v in verdicts] == ["schema", "internal", None]
    assert verdicts[1].detail == "fault while validating this message: RuntimeError"


# --- through the real consumer ------------------------------------------------------------


@contextlib.contextmanager
def _producer(settings_: Any) -> Iterator[KafkaProducer]:
    producer = KafkaProducer(**settings_.kafka_client_options(), acks="all",
                             max_request_size=8 << 20, linger_ms=20, batch_size=1 << 20,
                             max_in_flight_requests_per_connection=1)
    try:
        yield producer
    finally:
        producer.close(timeout=10)


def produce_all(settings_: Any, msgs: list[Rendered]) -> list[tuple[str, int, int]]:
    """Send in order; returns each message's (topic, partition, offset)."""
    with _producer(settings_) as producer:
        futures = [producer.send(settings_.topics[feed], key=key, value=raw)
                   for feed, key, raw in msgs]
        producer.flush(timeout=120)
        return [(m.topic, m.partition, m.offset) for m in (f.get(timeout=60) for f in futures)]


@pytest.mark.integration
def test_fuzzed_feeds_through_the_real_consumer(make_settings, redis_client: redis.Redis):
    t0 = time.time()
    msgs = render_all(corpus()[:CONSUMER_BATCHES], t0)
    total = len(msgs)
    assert total >= 11_000
    oracle = Oracle(t0)
    verdicts = [oracle.verdict(feed, raw) for feed, _, raw in msgs]
    tally = Counter(verdicts)
    for outcome in ("accepted", "duplicate", "invalid_json", "schema", "outside_city",
                    "too_large", "future_time"):
        assert tally[outcome] >= 20, tally  # the generator reaches every outcome, often

    settings_ = make_settings(partitions=3)
    where = produce_all(settings_, msgs)
    sentinel = json.dumps({"event_id": "sentinel", "occurred_at": render_ts("wita", time.time()),
                           "source": "lapor", "complaint_id": "sentinel", "status": "received",
                           "category": "roads", "kecamatan": "Wajo"}).encode()
    with running_consumer(settings_, redis_client) as worker:
        def through() -> bool:
            s = snap(redis_client)
            return sum(f.accepted + f.rejected + f.duplicates for f in s.feeds.values()) >= total
        wait_for(through, timeout=180, interval=0.5, message="the consumer did not get through")
        # still up and still applying: one more valid message after all of that
        produce_all(settings_, [("complaints", b"sentinel", sentinel)])
        wait_for(lambda: worker.stats.polled >= total + 1, timeout=60,
                 message="the consumer stopped after the fuzz")
        now = time.time()
        s = snap(redis_client, now)
    assert oracle.verdict("complaints", sentinel) == "accepted"

    for feed in FEEDS:
        got, counts = s.feeds[feed], oracle.counts[feed]
        assert (got.accepted, got.rejected, got.duplicates) == \
            (counts["accepted"], counts["rejected"], counts["duplicates"]), feed
        last = max(j.t for j in oracle.accepted if j.feed == feed)
        assert got.last_event_at is not None
        assert abs(datetime.fromisoformat(got.last_event_at).timestamp() - last) < 1

    # every rejected message is on the dead-letter topic once, unchanged, with its reason
    rejected = {at: (raw, v) for at, (_, _, raw), v in zip(where, msgs, verdicts, strict=True)
                if v not in ("accepted", "duplicate")}
    dead = read_topic(settings_, settings_.topic_deadletter, len(rejected), timeout=60)
    assert len(dead) == len(rejected)
    for rec in dead:
        h = {k: v.decode() for k, v in rec.headers}
        at = (h["marvec-topic"], int(h["marvec-partition"]), int(h["marvec-offset"]))
        raw, reason = rejected.pop(at)  # a KeyError: not rejected, or dead-lettered twice
        assert h["marvec-error"] == reason, (_show(raw), h["marvec-detail"])
        assert rec.value == raw, at
        assert 0 < len(h["marvec-detail"]) < 300

    want = oracle.expected(now)
    c, wc = s.complaints, want["complaints"]
    assert (c.open, c.overdue, c.received_today, c.resolved_today) == \
        (wc["open"], wc["overdue"], wc["received_today"], wc["resolved_today"])
    assert (c.by_kecamatan, c.by_category) == (wc["by_kecamatan"], wc["by_category"])
    tx, wt = s.economy.transactions_today, want["transactions"]
    assert (tx.count, tx.amount_idr, s.economy.by_kecamatan) == \
        (wt["count"], wt["amount_idr"], wt["by_kecamatan"])
    assert {k: (p.latest_idr, p.markets) for k, p in s.economy.prices.items()} == want["prices"]
    d, wd = s.disasters, want["disasters"]
    assert (d.active, d.affected_people, d.displaced) == \
        (wd["active"], wd["affected_people"], wd["displaced"])
    assert (d.by_hazard, d.by_kecamatan) == (wd["by_hazard"], wd["by_kecamatan"])
    assert {i.incident_id: (i.hazard, i.severity, i.status, i.kecamatan)
            for i in d.incidents} == wd["incidents"]
    print(f"\nfuzzed {total} messages through the consumer: {dict(tally)}")
