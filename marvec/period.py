"""The mayor's week and month: sums of the day aggregates over the last N WITA days.

``build_period`` is pure (raw day hashes -> the typed ``Period``); ``PeriodReader`` is
the thin read: one pipelined round trip of ``HGETALL`` on the two feeds' hashes and on
``Keys.complaint_day`` and ``Keys.tx_day`` of each day (2 + 2 x N keys, N <= 30). It is
separate from the snapshot's ``read.lua`` so that the snapshot every screen reads each
second does not grow by 60 hashes for the one page that shows periods; the dashboard
reads it on demand and caches it (``dashboard.source.SnapshotSource.period``).

Never an invented number: a day before its feed's data began is unknown (``None``),
not 0. The data begins at the later of the feed's ``first_event_ts`` (its oldest event)
and ``first_applied_ts`` (when Marvec began receiving it: a backlog loaded then holds
only part of the days before), the rule of ``store_build._yesterday``. A window that
starts before then is summed over what is known and says since when (``since``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import redis
from pydantic import BaseModel, ConfigDict

from marvec.keys import DAY_KEY_TTL, OLD_DAY_KEY_TTL, Keys
from marvec.timeutil import day_start, iso, wita_day

MAX_DAYS = 30
"""The longest period read (the keys live ``DAY_KEY_TTL``, 35 days)."""
assert MAX_DAYS * 86400 < DAY_KEY_TTL
DAY = 86400


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PeriodComplaints(_Model):
    received: int | None
    """Complaints received over the known days of the window (``None``: none known)."""
    resolved: int | None
    since: str | None
    """The sums count from this time (RFC 3339), later than the window's start: the data
    began inside the window. ``None``: the whole window is covered (or nothing is known)."""
    received_per_day: list[int | None]
    """One value per day of ``Period.day_starts``; ``None``: that day is unknown."""
    resolved_per_day: list[int | None]
    received_by_kecamatan: dict[str, int] | None
    """Received per kecamatan over the days that have the breakdown (the latest run of
    them: days written before Marvec counted per kecamatan have none); ``None``: none."""
    kecamatan_since: str | None
    """Like ``since``, for ``received_by_kecamatan``."""
    received_by_kecamatan_per_day: dict[str, list[int | None]]
    """Kecamatan -> received per day (``None``: unknown day, or no breakdown that day)."""


class PeriodTransactions(_Model):
    count: int | None
    amount_idr: int | None
    since: str | None
    count_per_day: list[int | None]
    amount_per_day: list[int | None]


class Period(_Model):
    generated_at: str
    days: int
    """The window: the last ``days`` WITA calendar days, today (so far) included."""
    day_starts: list[str]
    """00:00 WITA of each day of the window, oldest first (RFC 3339)."""
    complaints: PeriodComplaints
    transactions: PeriodTransactions


def window_days(now: float, days: int) -> list[float]:
    """Unix times of 00:00 WITA of the last ``days`` days, oldest first (today last)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1..{MAX_DAYS}, got {days!r}")
    today = day_start(now)
    return [today - i * DAY for i in range(days - 1, -1, -1)]  # WITA has no DST


def data_begins(feed: Mapping[str, str]) -> tuple[float | None, bool]:
    """When a feed's day counts are complete from (the later of ``first_event_ts`` and
    ``first_applied_ts``; ``None``: unknown) and whether the store predates
    ``first_event_ts`` (a feed with accepted events but no such field: ``legacy``)."""
    first = _float(feed.get("first_event_ts"))
    began = _float(feed.get("first_applied_ts"))
    if first is not None and began is not None:
        first = max(first, began)
    legacy = first is None and _int(feed.get("accepted")) > 0
    return first, legacy


def _float(v: Any) -> float | None:
    try:
        return None if v in (None, "") else float(v)
    except (TypeError, ValueError):
        return None


def _int(v: Any) -> int:
    if v in (None, ""):
        return 0
    try:
        return int(v)
    except ValueError:
        return int(float(v))


def _known(starts: Sequence[float], hashes: Sequence[Mapping[str, str]], begins: float | None,
           legacy: bool, kept_from: float | None) -> list[bool]:
    """Which days of the window are known (complete or counted from ``begins``) and
    still kept: a day that ended ``OLD_DAY_KEY_TTL`` before ``kept_from`` (when the
    35-day retention began) may have expired under the old one."""
    floor = -float("inf") if kept_from is None else kept_from - OLD_DAY_KEY_TTL
    kept = [s + DAY > floor for s in starts]
    if legacy:  # no feed knows when its data began: a day with a hash is known
        return [bool(h) and k for h, k in zip(hashes, kept, strict=True)]
    if begins is None:
        return [False] * len(starts)
    return [begins < s + DAY and k for s, k in zip(starts, kept, strict=True)]


def _since(starts: Sequence[float], known: Sequence[bool], begins: float | None) -> str | None:
    """When the sums count from, if later than the window's first day began."""
    first = next((i for i, k in enumerate(known) if k), None)
    if first is None:
        return None
    at = starts[first] if begins is None else max(starts[first], begins)
    return iso(at) if at > starts[0] else None


def _series(hashes: Sequence[Mapping[str, str]], known: Sequence[bool], field: str) -> list[int | None]:
    return [_int(h.get(field)) if k else None for h, k in zip(hashes, known, strict=True)]


def _total(series: Sequence[int | None]) -> int | None:
    known = [v for v in series if v is not None]
    return sum(known) if known else None


def _by_kecamatan(hashes: Sequence[Mapping[str, str]], known: Sequence[bool]) -> list[dict[str, int] | None]:
    """Each day's received per kecamatan; ``None`` for an unknown day or one whose
    ``k:`` fields do not add up to ``received`` (written before they were counted)."""
    out: list[dict[str, int] | None] = []
    for h, k in zip(hashes, known, strict=True):
        by = {f[2:]: _int(v) for f, v in h.items() if f.startswith("k:")}
        out.append(by if k and sum(by.values()) == _int(h.get("received")) else None)
    return out


def _complaints(starts: Sequence[float], hashes: Sequence[Mapping[str, str]], feed: Mapping[str, str],
                names: Sequence[str], kept_from: float | None) -> PeriodComplaints:
    begins, legacy = data_begins(feed)
    known = _known(starts, hashes, begins, legacy, kept_from)
    received, resolved = _series(hashes, known, "received"), _series(hashes, known, "resolved")
    per_day = _by_kecamatan(hashes, known)
    run = len(per_day)
    while run > 0 and per_day[run - 1] is not None:
        run -= 1
    kec_days = [d for d in per_day[run:] if d is not None]
    every = list(dict.fromkeys([*names, *(k for d in kec_days for k in d)]))
    by_kec = {n: sum(d.get(n, 0) for d in kec_days) for n in every} if kec_days else None
    kec_known = [d is not None for d in per_day]
    return PeriodComplaints(
        received=_total(received), resolved=_total(resolved), since=_since(starts, known, begins),
        received_per_day=received, resolved_per_day=resolved, received_by_kecamatan=by_kec,
        kecamatan_since=_since(starts, [i >= run and k for i, k in enumerate(kec_known)], begins),
        received_by_kecamatan_per_day={n: [None if d is None else d.get(n, 0) for d in per_day] for n in every},
    )


def _transactions(starts: Sequence[float], hashes: Sequence[Mapping[str, str]],
                  feed: Mapping[str, str], kept_from: float | None) -> PeriodTransactions:
    begins, legacy = data_begins(feed)
    known = _known(starts, hashes, begins, legacy, kept_from)
    count, amount = _series(hashes, known, "count"), _series(hashes, known, "amount")
    return PeriodTransactions(count=_total(count), amount_idr=_total(amount), since=_since(starts, known, begins),
                              count_per_day=count, amount_per_day=amount)


def build_period(raw: Mapping[str, Any], now: float, days: int, names: Sequence[str]) -> Period:
    """The period from the raw hashes: ``raw["feeds"]`` (feed -> its ``Keys.feed`` hash),
    ``raw["complaint_days"]`` and ``raw["tx_days"]`` (one hash per day, oldest first),
    ``raw["days_kept_from"]`` (``Keys.meta``'s; absent: every day in the window is kept)."""
    starts = window_days(now, days)
    c_days, t_days = list(raw["complaint_days"]), list(raw["tx_days"])
    if len(c_days) != days or len(t_days) != days:
        raise ValueError(f"expected {days} day hashes, got {len(c_days)} and {len(t_days)}")
    feeds = raw.get("feeds") or {}
    kept_from = _float(raw.get("days_kept_from"))
    return Period(
        generated_at=iso(now), days=days, day_starts=[iso(s) for s in starts],
        complaints=_complaints(starts, c_days, feeds.get("complaints") or {}, names, kept_from),
        transactions=_transactions(starts, t_days, feeds.get("economy") or {}, kept_from),
    )


def _decoded(flat: Mapping[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in flat.items()}


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class PeriodReader:
    """One period read is one pipelined round trip of at most 2 + 2 x ``MAX_DAYS`` HGETALLs."""

    def __init__(self, client: redis.Redis, keys: Keys | None = None) -> None:
        self.client = client
        self.keys = keys or Keys()

    def raw(self, now: float, days: int) -> dict[str, Any]:
        k = self.keys
        day_names = [wita_day(s + 43200) for s in window_days(now, days)]  # noon: that WITA date
        pipe = self.client.pipeline(transaction=False)
        for feed in ("complaints", "economy"):
            pipe.hgetall(k.feed(feed))
        for d in day_names:
            pipe.hgetall(k.complaint_day(d))
        for d in day_names:
            pipe.hgetall(k.tx_day(d))
        pipe.hget(k.meta, "days_kept_from")
        *hashes, kept = pipe.execute()
        out = [_decoded(h) for h in hashes]
        # No writer ever said it keeps 35 days: the old 9 days, counted back from now.
        return {"feeds": {"complaints": out[0], "economy": out[1]},
                "complaint_days": out[2:2 + days], "tx_days": out[2 + days:],
                "days_kept_from": _text(kept) if kept is not None else repr(now)}

    def read(self, days: int, names: Sequence[str], now: float) -> Period:
        """Raises redis ``ConnectionError`` when Redis is down."""
        return build_period(self.raw(now, days), now, days, names)
