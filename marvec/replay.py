"""The wall's replay: the city's last N hours, hour by hour, for a shift hand-over.

``build_replay`` is pure (raw hashes -> the typed ``Replay``); ``ReplayReader`` is the
thin read: one pipelined round trip of ``HGETALL`` on the three feeds' hashes, on the
``Keys.hour_bucket`` (event time) and on the ``Keys.gauge_hour`` (wall clock) of each
hour: 3 + 2 x N keys, N <= ``MAX_HOURS`` = 24. Like ``marvec.period`` it is kept out
of the snapshot every screen reads each second; the dashboard reads it on demand and
caches it briefly per worker (``dashboard.source.SnapshotSource.replay``).

The window is the last ``hours`` Unix hours (WITA is UTC+8: they are WITA hours too),
the current one (still filling) last.

Never an invented number: an hour that ended before its feed's data began is unknown
(``None``), not 0; the data begins at the later of the feed's ``first_event_ts`` and
``first_applied_ts`` (``marvec.period.data_begins``, the rule of the day sums). An hour
the data began inside says since when (``since``). An hour written before the
per-kecamatan fields were counted (their sum is not the hour's total) has no
breakdown (``None``). The gauges (open, overdue, active incidents) are the hour's last
sample and ``None`` in an hour nothing was committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import redis
from pydantic import BaseModel, ConfigDict

from marvec.keys import HOUR_BUCKET_TTL, Keys
from marvec.period import data_begins
from marvec.timeutil import iso

CHOICES = (6, 8, 12, 24)
"""The replay lengths a screen may ask for (``MARVEC_REPLAY_HOURS``, ``?jam=``)."""
DEFAULT_HOURS = 8
"""A shift."""
MAX_HOURS = max(CHOICES)
assert MAX_HOURS * 3600 < HOUR_BUCKET_TTL
HOUR = 3600

FEED_OF = {"received": "complaints", "resolved": "complaints", "incidents_new": "disasters",
           "tx_count": "economy", "tx_amount_idr": "economy"}
FIELD_OF = {"received": "c:received", "resolved": "c:resolved", "incidents_new": "d:new",
            "tx_count": "e:tx_count", "tx_amount_idr": "e:tx_amount"}
GAUGE_OF = {"open": "c:open", "overdue": "c:overdue", "active": "d:active"}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReplayHour(_Model):
    start: str
    """The hour's start (RFC 3339)."""
    end: str
    current: bool
    """The hour now running (its counts so far)."""
    received: int | None
    """Complaints received in the hour (event time); ``None``: unknown."""
    resolved: int | None
    incidents_new: int | None
    """Incidents first seen in the hour."""
    tx_count: int | None
    tx_amount_idr: int | None
    received_by_kecamatan: dict[str, int] | None
    """Kecamatan -> complaints received in the hour (every kecamatan named, ``?``: outside
    all); ``None``: unknown hour or one counted before the breakdown was."""
    incidents_by_kecamatan: dict[str, int] | None
    open: int | None
    """Open complaints at the hour's last sample; ``None``: not sampled that hour."""
    overdue: int | None
    active: int | None
    since: dict[str, str]
    """Feed -> when its data began, for a feed whose data began inside this hour."""


class Replay(_Model):
    generated_at: str
    hours: int
    items: list[ReplayHour]
    """Oldest first; the last is the current hour."""
    received_max: int
    """The largest hourly received count of any kecamatan in the window (the map's scale,
    the same for every hour so that shading compares across hours); 0: none."""


def window_hours(now: float, hours: int) -> list[int]:
    """The last ``hours`` Unix hours, oldest first (the current one last)."""
    if hours not in CHOICES:
        raise ValueError(f"hours must be one of {', '.join(map(str, CHOICES))}, got {hours!r}")
    h = int(now // HOUR)
    return list(range(h - hours + 1, h + 1))


def _int(v: Any) -> int | None:
    if v in (None, ""):
        return None
    try:
        return int(v)
    except ValueError:
        return int(float(v))


def _by_kecamatan(bucket: Mapping[str, str], prefix: str, total: int | None,
                  names: Sequence[str]) -> dict[str, int] | None:
    if total is None:
        return None
    found = {f[len(prefix):]: _int(v) or 0 for f, v in bucket.items() if f.startswith(prefix)}
    if sum(found.values()) != total:  # counted before the breakdown was
        return None
    return {n: found.get(n, 0) for n in dict.fromkeys([*names, *found])}


def build_replay(raw: Mapping[str, Any], now: float, hours: int, names: Sequence[str]) -> Replay:
    """The replay from the raw hashes: ``raw["feeds"]`` (feed -> its ``Keys.feed`` hash),
    ``raw["buckets"]`` and ``raw["gauges"]`` (one hash per hour of ``window_hours``,
    oldest first)."""
    window = window_hours(now, hours)
    buckets, gauges = list(raw["buckets"]), list(raw["gauges"])
    if len(buckets) != hours or len(gauges) != hours:
        raise ValueError(f"expected {hours} hour hashes, got {len(buckets)} and {len(gauges)}")
    feeds = raw.get("feeds") or {}
    begins = {f: data_begins(feeds.get(f) or {}) for f in set(FEED_OF.values())}
    items: list[ReplayHour] = []
    for h, bucket, gauge in zip(window, buckets, gauges, strict=True):
        start, end = h * HOUR, (h + 1) * HOUR
        known: dict[str, bool] = {}
        since: dict[str, str] = {}
        for feed, (first, legacy) in begins.items():
            if legacy:  # no feed knows when its data began: an hour with counts is known
                known[feed] = any(k.startswith(feed[0] + ":") for k in bucket)
            else:
                known[feed] = first is not None and first < end
                if known[feed] and first is not None and first > start:
                    since[feed] = iso(first)
        values = {name: (_int(bucket.get(fld)) or 0) if known[FEED_OF[name]] else None
                  for name, fld in FIELD_OF.items()}
        items.append(ReplayHour(
            start=iso(start), end=iso(end), current=start <= now < end, **values,
            received_by_kecamatan=_by_kecamatan(bucket, "c:k:", values["received"], names),
            incidents_by_kecamatan=_by_kecamatan(bucket, "d:k:", values["incidents_new"], names),
            **{name: _int(gauge.get(fld)) for name, fld in GAUGE_OF.items()},
            since=dict(sorted(since.items())),
        ))
    top = max((v for i in items for k, v in (i.received_by_kecamatan or {}).items() if k != "?"), default=0)
    return Replay(generated_at=iso(now), hours=hours, items=items, received_max=top)


def _decoded(flat: Mapping[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in flat.items()}


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class ReplayReader:
    """One replay read is one pipelined round trip of at most 3 + 2 x ``MAX_HOURS`` HGETALLs."""

    def __init__(self, client: redis.Redis, keys: Keys | None = None) -> None:
        self.client = client
        self.keys = keys or Keys()

    def raw(self, now: float, hours: int) -> dict[str, Any]:
        k = self.keys
        window = window_hours(now, hours)
        pipe = self.client.pipeline(transaction=False)
        for feed in ("complaints", "disasters", "economy"):
            pipe.hgetall(k.feed(feed))
        for h in window:
            pipe.hgetall(k.hour_bucket(h))
        for h in window:
            pipe.hgetall(k.gauge_hour(h))
        out = [_decoded(x) for x in pipe.execute()]
        return {"feeds": dict(zip(("complaints", "disasters", "economy"), out[:3], strict=True)),
                "buckets": out[3:3 + hours], "gauges": out[3 + hours:]}

    def read(self, hours: int, names: Sequence[str], now: float) -> Replay:
        """Raises redis ``ConnectionError`` when Redis is down."""
        return build_replay(self.raw(now, hours), now, hours, names)
