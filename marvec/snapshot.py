"""The snapshot: the one typed picture the screens and ``/api/v1/snapshot`` serve.

Contract section 3 fields first; Marvec's own additions (trends, yesterday,
ticker, report card, incident details) after them. The dashboard reads this model
and never touches Redis keys itself.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeedStats(_Model):
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    first_event_at: str | None = None
    """Event time of the oldest accepted event: the feed has data from then on (before it,
    Marvec does not know; trends and comparisons treat that time as unknown, not zero)."""
    last_event_at: str | None = None
    """Event time (``occurred_at``) of the newest accepted event."""
    receiving_since: str | None = None
    """When Marvec began receiving the feed (its first apply; kept by ``marvec rebuild``):
    a day's counts before then may be partial (a backlog holds only what is still open)."""
    last_applied_at: str | None = None
    """Wall-clock time the consumers last applied an accepted event of this feed."""
    silent_for_s: float | None = None
    """Seconds since ``last_applied_at`` when the snapshot was generated."""


class OpdStats(_Model):
    open: int = 0
    overdue: int = 0
    resolved: int | None = 0
    """Resolutions in the report card's window; ``None`` for an OPD beyond the worst 100
    (its resolutions are not read, so its median and SLA share are unknown too)."""
    median_resolution_h: float | None = None
    within_sla_share: float | None = None
    median_first_response_h: float | None = None
    """Median hours from received to the first later status over the recent first
    responses (the last 200); ``None`` when none is known."""


class ComplaintPoint(_Model):
    complaint_id: str
    status: str
    category: str | None
    priority: str
    kecamatan: str | None
    lat: float | None
    lon: float | None
    occurred_at: str
    text: str | None = None
    opd: str | None = None


class Complaints(_Model):
    open: int = 0
    overdue: int = 0
    received_today: int = 0
    resolved_today: int = 0
    by_kecamatan: dict[str, int] = Field(default_factory=dict)
    by_category: dict[str, int] = Field(default_factory=dict)
    by_opd: dict[str, OpdStats] = Field(default_factory=dict)
    unassigned: OpdStats | None = None
    """Open complaints no OPD has been assigned yet ("belum didisposisi"), counted like an
    OPD so the report card can show them as a row of their own; ``None`` when none."""
    by_kecamatan_category: dict[str, dict[str, int]] = Field(default_factory=dict)
    latest: list[ComplaintPoint] = Field(default_factory=list)
    """Newest open complaints (map points and ticker), newest first."""


class Price(_Model):
    latest_idr: float
    markets: int
    change_7d_pct: float | None = None
    """Change of the median against the median 7 days earlier, in percent."""
    change_1d_pct: float | None = None
    """Change of the median against yesterday's median (each market's last price of the
    WITA day before), in percent; null when no market had a price yesterday."""
    by_market: dict[str, float] = Field(default_factory=dict)
    """Each market's latest price: the 50 dearest at most (``markets`` counts all)."""
    unit: str | None = None
    """What the price is per (``kg`` or ``liter``): the unit most markets report."""
    by_kecamatan: dict[str, float] = Field(default_factory=dict)
    """Median of the latest prices of the markets placed in each kecamatan (a market whose
    events carry neither location nor kecamatan is in none); absent: no market there."""
    markets_by_kecamatan: dict[str, int] = Field(default_factory=dict)


class Transactions(_Model):
    count: int = 0
    amount_idr: int = 0


class Economy(_Model):
    prices: dict[str, Price] = Field(default_factory=dict)
    transactions_today: Transactions = Field(default_factory=Transactions)
    by_kecamatan: dict[str, int] = Field(default_factory=dict)
    by_kecamatan_count: dict[str, int] = Field(default_factory=dict)
    by_merchant_category: dict[str, int] = Field(default_factory=dict)


class TimelineEntry(_Model):
    at: str
    status: str
    severity: int | None = None


class Incident(_Model):
    incident_id: str
    hazard: str
    severity: int
    status: str
    lat: float | None
    lon: float | None
    kecamatan: str | None
    occurred_at: str
    """Time of the incident's first (earliest) event."""
    updated_at: str | None = None
    source: str | None = None
    affected_people: int | None = None
    displaced: int | None = None
    injured: int | None = None
    deaths: int | None = None
    magnitude: float | None = None
    depth_km: float | None = None
    water_level_cm: float | None = None
    timeline: list[TimelineEntry] | None = Field(default_factory=list)
    """Status changes, oldest first; ``None`` beyond the 200 most severe incidents (not read)."""


class Disasters(_Model):
    active: int = 0
    by_hazard: dict[str, int] = Field(default_factory=dict)
    affected_people: int = 0
    displaced: int = 0
    injured: int = 0
    deaths: int = 0
    by_kecamatan: dict[str, int] = Field(default_factory=dict)
    incidents: list[Incident] = Field(default_factory=list)
    """Active incidents, most severe first, then oldest first."""


class Awareness(_Model):
    """One survey topic: how many residents answered and the shares (percent, 1 decimal)."""

    respondents: int
    aware_pct: float
    want_to_know_pct: float
    not_interested_pct: float
    by_kecamatan: dict[str, float] = Field(default_factory=dict)
    """Aware share by kecamatan, for the kecamatan surveyed (others are absent, not 0)."""


class PublicInfo(_Model):
    """Contract 7: posts and reach per OPD over the last 7 WITA days (today and the six
    before), and awareness by survey topic."""

    posts_7d: dict[str, int] = Field(default_factory=dict)
    reach_7d: dict[str, int] = Field(default_factory=dict)
    """Sum of the latest reach of the OPD's posts; absent when none of them has a reach."""
    posts_7d_by_channel: dict[str, dict[str, int]] = Field(default_factory=dict)
    awareness: dict[str, Awareness] = Field(default_factory=dict)


class Trends(_Model):
    """Sparklines: per-minute for the last hour and per-hour for the last 24 h.

    ``minute_starts``/``hour_starts`` are RFC 3339 bucket starts, oldest first; each
    series has one value per bucket. Flow series count events whose event time falls in
    the bucket; gauge series (``*.open``, ``*.active``...) are the last value sampled in it
    (carried forward when nothing was sampled). A bucket before the series had data (the
    feed's ``first_event_at``, the first gauge sample) is ``null``: unknown, not zero.
    """

    minute_starts: list[str] = Field(default_factory=list)
    hour_starts: list[str] = Field(default_factory=list)
    minutes: dict[str, list[float | None]] = Field(default_factory=dict)
    hours: dict[str, list[float | None]] = Field(default_factory=dict)


class TickerItem(_Model):
    feed: str
    at: str
    kind: str
    """complaint status, ``price``/``transactions``, or incident status."""
    title: str
    """Short machine-built label, e.g. category or hazard (never citizen text)."""
    text: str | None = None
    """Untrusted citizen text, shortened; screens must render it as text."""
    kecamatan: str | None = None


class AlertItem(_Model):
    """One alert as ``GET /api/v1/alerts`` lists it (contract 6)."""

    fingerprint: str
    rule: str
    status: str
    """``firing`` or ``resolved`` (resolved ones are kept 24 h)."""
    severity: str
    labels: dict[str, str] = Field(default_factory=dict)
    value: float | None = None
    summary: str = ""
    summary_en: str = ""
    starts_at: str | None = None
    ends_at: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None


class Ops(_Model):
    """The war room's own state (contract 6): the city's alert level, the alerts, the
    newest entries of the war-room log. Read with the rest so every screen shows them
    from the same one read."""

    level: str = "normal"
    level_reason: str | None = None
    level_set_by: str | None = None
    level_set_at: str | None = None
    alerts: list[AlertItem] = Field(default_factory=list)
    """Firing (most severe, then newest first), then resolved in the last 24 h."""
    log: list[dict[str, Any]] = Field(default_factory=list)
    """The newest war-room log entries (``at``, ``kind``, ``by`` and what happened)."""

    @property
    def firing(self) -> list[AlertItem]:
        return [a for a in self.alerts if a.status == "firing"]


class Snapshot(_Model):
    generated_at: str
    feeds: dict[str, FeedStats]
    complaints: Complaints
    economy: Economy
    disasters: Disasters
    publicinfo: PublicInfo = Field(default_factory=PublicInfo)
    trends: Trends = Field(default_factory=Trends)
    yesterday: dict[str, float] = Field(default_factory=dict)
    """KPI values at the same time yesterday (keys as in ``kpis()``), where known."""
    ticker: list[TickerItem] = Field(default_factory=list)
    ops: Ops = Field(default_factory=Ops)
    kecamatan: list[str] = Field(default_factory=list)
    """Names of the loaded boundaries, in display order."""
    redis_ok: bool = True

    def kpis(self) -> dict[str, float]:
        """Headline numbers by stable key (the same keys as ``yesterday``)."""
        return {
            "complaints.open": self.complaints.open,
            "complaints.overdue": self.complaints.overdue,
            "complaints.received_today": self.complaints.received_today,
            "complaints.resolved_today": self.complaints.resolved_today,
            "disasters.active": self.disasters.active,
            "disasters.affected_people": self.disasters.affected_people,
            "disasters.displaced": self.disasters.displaced,
            "economy.tx_count_today": self.economy.transactions_today.count,
            "economy.tx_amount_today": self.economy.transactions_today.amount_idr,
        }
