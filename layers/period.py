"""The mayor's period toggle: today, the last 7 or 30 days (pure).

Today is the snapshot's; 7 and 30 days are ``marvec.period.Period`` sums of the day
aggregates. In a period the three flow tiles (received, resolved, transactions) show
the period's sums with one sparkline bar per day (an unknown day dotted, never 0);
the other tiles are states (open, overdue, active) and stay as they are now. The map
shades by the complaints received in the period per kecamatan when that is known.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from layers.kpi import KpiView
from marvec.period import Period

CHOICES = ("today", "7d", "30d")
"""The toggle's values, in its order (``today`` is the default)."""
DAYS = {"7d": 7, "30d": 30}
TREND_DAYS = 7
"""The kecamatan sheet's trend: received complaints of the last 7 days."""

FLOW_KEYS = ("complaints.received_today", "complaints.resolved_today", "economy.tx_amount_today")


def valid_choice(value: Any) -> str:
    """The toggle's stored value if it is one of ``CHOICES``, else ``today``."""
    return value if isinstance(value, str) and value in CHOICES else "today"


def days_of(choice: str) -> int | None:
    """7 or 30 for a period, ``None`` for today."""
    return DAYS.get(choice)


def _series(period: Period | None, key: str) -> tuple[list[int | None], int | None, str | None]:
    """(per-day values, sum, counted since) of a flow tile's figure in ``period``."""
    if period is None:
        return [], None, None
    c, t = period.complaints, period.transactions
    if key == "complaints.received_today":
        return c.received_per_day, c.received, c.since
    if key == "complaints.resolved_today":
        return c.resolved_per_day, c.resolved, c.since
    return t.amount_per_day, t.amount_idr, t.since


def period_views(views: list[KpiView], period: Period | None, days: int) -> list[KpiView]:
    """``views`` (today's tiles) with the flow tiles made the period's: its sum, no
    comparison with yesterday, one bar per day. ``period`` ``None`` (not read): unknown."""
    out = []
    until = period.day_starts[-1][:10] if period is not None and period.day_starts else None
    for v in views:
        if v.spec.key not in FLOW_KEYS:
            out.append(v)
            continue
        per_day, total, since = _series(period, v.spec.key)
        detail = v.detail
        if v.spec.key == "economy.tx_amount_today":
            count = period.transactions.count if period is not None else None
            detail = [("tx_count", float(count))] if count is not None else []
        out.append(replace(v, value=None if total is None else float(total), yesterday=None, level="ok",
                           spark=[None if x is None else float(x) for x in per_day], marks=(),
                           detail=detail, counted_since=since, window=days, until=until))
    return out


def map_values(period: Period | None) -> dict[str, float] | None:
    """Received complaints per kecamatan over the period, for the map; ``None`` when not known."""
    if period is None or period.complaints.received_by_kecamatan is None:
        return None
    return {k: float(v) for k, v in period.complaints.received_by_kecamatan.items()}


def kecamatan_trend(period: Period | None, name: str) -> list[tuple[str, int | None]]:
    """(00:00 WITA of the day, received) for each of the period's days, oldest first;
    ``None`` where the day is unknown. Empty when no period was read."""
    if period is None:
        return []
    series = period.complaints.received_by_kecamatan_per_day.get(name) or [None] * len(period.day_starts)
    return list(zip(period.day_starts, series, strict=True))
