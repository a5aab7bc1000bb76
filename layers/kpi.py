"""Headline numbers: which ones, their thresholds, deltas against yesterday and sparklines (pure).

Thresholds are defaults chosen for a city of 1.5 million; a tile turns amber at
``warn`` and red at ``alert``. Sparklines read ``Snapshot.trends``: the per-hour
series (last 24 h) named in ``trend``, the first name present wins, else the
per-minute series of the same names.
"""

from __future__ import annotations

from dataclasses import dataclass

from layers.fmt import parse_time
from layers.focus import crisis_incidents
from layers.freshness import Freshness
from layers.palette import level
from marvec.snapshot import Price, Snapshot
from marvec.timeutil import day_start

PRICE_ALERT_PCT = 10.0
"""A staple whose median rose more than this in 7 days is an alert."""


@dataclass(frozen=True)
class KpiSpec:
    key: str
    """``Snapshot.kpis()`` key (also the ``yesterday`` key), or ``economy.price_alerts``."""
    feed: str
    money: bool = False
    up_is_good: bool | None = False
    """Colour of a rise: good (True), bad (False) or neutral (None)."""
    warn: float | None = None
    alert: float | None = None
    trend: tuple[str, ...] = ()
    compare: bool = True
    """Whether a same-time-yesterday figure is expected (``Snapshot.yesterday``)."""
    flow: bool = False
    """A count per bucket (not a level): its newest bucket is still filling up."""


KPIS: tuple[KpiSpec, ...] = (
    KpiSpec("complaints.open", "complaints", trend=("complaints.open",)),
    KpiSpec("complaints.overdue", "complaints", warn=1, alert=50, trend=("complaints.overdue",)),
    KpiSpec("complaints.received_today", "complaints", up_is_good=None,
            trend=("complaints.received", "complaints.received_today"), flow=True),
    KpiSpec("complaints.resolved_today", "complaints", up_is_good=True,
            trend=("complaints.resolved", "complaints.resolved_today"), flow=True),
    KpiSpec("disasters.active", "disasters", warn=1, alert=5, trend=("disasters.active",)),
    KpiSpec("disasters.affected_people", "disasters", warn=1, alert=1000,
            trend=("disasters.affected_people", "disasters.affected")),
    KpiSpec("disasters.displaced", "disasters", warn=1, alert=100, trend=("disasters.displaced",)),
    KpiSpec("economy.tx_amount_today", "economy", money=True, up_is_good=True,
            trend=("economy.tx_amount", "economy.tx_amount_today", "economy.transactions"), flow=True),
    KpiSpec("economy.price_alerts", "economy", warn=1, alert=3, compare=False),
)
"""The nine wall tiles, in reading order (three rows of three)."""

KPI_BY_KEY = {s.key: s for s in KPIS}


@dataclass(frozen=True)
class KpiView:
    spec: KpiSpec
    value: float | None
    yesterday: float | None
    level: str
    spark: list[float | None]
    stale: bool
    since: str | None
    detail: list[tuple[str, float]]
    """Secondary facts: ``[("tx_count", 1234)]`` or ``[("cabai_rawit", 24.1), ...]``."""
    marks: tuple[int, ...] = ()
    """Bars of ``spark`` in whose hour the level changed or a critical alert fired."""
    counted_since: str | None = None
    """A day's count that began after the day did (Marvec started receiving its feed
    today): the RFC 3339 time it counts from, said on the tile; ``None``: the whole day.
    With ``window``: when the period's sum counts from (its data began inside it)."""
    window: int | None = None
    """A period's tile (``layers.period``): the sum over the last ``window`` days, its
    sparkline one bar per day; ``None``: today's tile."""
    until: str | None = None
    """A period's last day (today), ``YYYY-MM-DD`` WITA: a ``counted_since`` on it is a time."""

    @property
    def delta(self) -> float | None:
        if self.value is None or self.yesterday is None:
            return None
        return self.value - self.yesterday

    @property
    def tone(self) -> str:
        """``good``, ``bad`` or ``flat`` for the delta's colour."""
        d = self.delta
        if not d or self.spec.up_is_good is None:
            return "flat"
        return "good" if (d > 0) == self.spec.up_is_good else "bad"


def price_alerts(snapshot: Snapshot | None, pct: float = PRICE_ALERT_PCT) -> list[tuple[str, Price]]:
    """Staples whose median rose more than ``pct`` percent in 7 days, steepest first."""
    if snapshot is None:
        return []
    up = [(c, p) for c, p in snapshot.economy.prices.items()
          if p.change_7d_pct is not None and p.change_7d_pct > pct]
    return sorted(up, key=lambda cp: -(cp[1].change_7d_pct or 0))


def sparkline_values(snapshot: Snapshot | None, names: tuple[str, ...]) -> list[float | None]:
    """The first trend series with a known value: per hour (24 h) preferred, else per
    minute. ``None`` marks a bucket before the data began (drawn as unknown, not as 0)."""
    if snapshot is None:
        return []
    for table in (snapshot.trends.hours, snapshot.trends.minutes):
        for name in names:
            series = table.get(name)
            if series and any(v is not None for v in series):
                return [None if v is None else float(v) for v in series]
    return []


MARKED_KINDS = frozenset({"level", "alert_firing"})
"""War-room log entries marked on the hourly sparklines: level changes, critical alerts."""


def sparkline_marks(snapshot: Snapshot | None, names: tuple[str, ...]) -> list[int]:
    """Which bars of ``sparkline_values`` carry a mark (Grafana's annotations): the hours
    in which the city's level changed or a critical alert fired; none on a per-minute line."""
    if snapshot is None:
        return []
    hourly = any(snapshot.trends.hours.get(n) and any(v is not None for v in snapshot.trends.hours[n])
                 for n in names)
    starts = [parse_time(h) for h in snapshot.trends.hour_starts]
    if not hourly or not starts:
        return []
    marks: set[int] = set()
    for entry in snapshot.ops.log:
        if entry.get("kind") not in MARKED_KINDS:
            continue
        if entry.get("kind") == "alert_firing" and entry.get("severity") != "critical":
            continue
        at = parse_time(entry.get("at"))
        if at is None:
            continue
        for i, start in enumerate(starts):
            if start is not None and start <= at < start + 3600:
                marks.add(i)
    return sorted(marks)


def _value(snapshot: Snapshot, key: str) -> float | None:
    if key == "economy.price_alerts":
        # Unknown, not 0, while no staple has a price seven days ago (contract 3).
        if not any(p.change_7d_pct is not None for p in snapshot.economy.prices.values()):
            return None
        return float(len(price_alerts(snapshot)))
    return float(snapshot.kpis()[key])


def _detail(snapshot: Snapshot, key: str) -> list[tuple[str, float]]:
    if key == "economy.tx_amount_today":
        return [("tx_count", float(snapshot.economy.transactions_today.count))]
    if key == "economy.price_alerts":
        return [(c, p.change_7d_pct or 0.0) for c, p in price_alerts(snapshot)]
    return []


def kpi_view(spec: KpiSpec, snapshot: Snapshot | None, fresh: Freshness) -> KpiView:
    """One tile's numbers; a tile whose feed is not live is marked stale with its time."""
    status = fresh.of(spec.feed)
    if snapshot is None:
        return KpiView(spec, None, None, "ok", [], True, status.since, [])
    value = _value(snapshot, spec.key)
    lvl = "ok" if value is None else level(value, spec.warn, spec.alert)
    if spec.key == "disasters.active" and crisis_incidents(snapshot):
        lvl = "alert"
    return KpiView(
        spec=spec, value=value, yesterday=snapshot.yesterday.get(spec.key), level=lvl,
        spark=sparkline_values(snapshot, spec.trend), stale=not status.live,
        since=status.since, detail=_detail(snapshot, spec.key),
        counted_since=_counted_since(snapshot, spec), marks=tuple(sparkline_marks(snapshot, spec.trend)),
    )


def _counted_since(snapshot: Snapshot, spec: KpiSpec) -> str | None:
    """For a "today" count: when its feed began being received, if that was today (WITA)."""
    if not spec.key.endswith("_today"):
        return None
    stats = snapshot.feeds.get(spec.feed)
    since = stats.receiving_since if stats is not None else None
    began, now = parse_time(since), parse_time(snapshot.generated_at)
    if began is None or now is None:
        return None
    return since if began > day_start(now) else None


def kpi_views(snapshot: Snapshot | None, fresh: Freshness, specs: tuple[KpiSpec, ...] = KPIS) -> list[KpiView]:
    """Every tile in ``specs`` order."""
    return [kpi_view(s, snapshot, fresh) for s in specs]
