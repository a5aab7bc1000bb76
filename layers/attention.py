""""Perlu perhatian": what on the mayor's screen needs acting on, most serious first (pure).

One ranked list built from the snapshot and the page's freshness:

* a crisis incident (severity 4+), then a feed whose numbers are stale (every other
  number on the screen may be old), then escalating incidents (severity 3, or a severity
  that rose along the incident's timeline);
* overdue complaints (past their SLA), worst OPDs named;
* staple price spikes (7-day change over ``PRICE_ALERT_PCT`` or a 1-day jump over
  ``PRICE_JUMP_1D_PCT``);
* open complaints no OPD has been assigned to (among ``Complaints.latest``).

Each item names the detail it opens (``select``: the mayor page's selection value, e.g.
``incident:d-flood-1``, ``kpi:complaints.overdue``, ``commodity:cabai_rawit``).
"""

from __future__ import annotations

from dataclasses import dataclass

from dash import html

from layers.dom import tagged
from layers.fmt import Translate, fmt_int, fmt_pct, label, parse_time
from layers.freshness import Freshness
from layers.kpi import PRICE_ALERT_PCT
from marvec.contract import COMPLAINT_OPEN_STATUSES, DEFAULT_PRIORITY, SLA_SECONDS
from marvec.snapshot import ComplaintPoint, Incident, Snapshot

PRICE_JUMP_1D_PCT = 5.0
"""A staple whose median rose more than this since yesterday is a spike too."""
ESCALATING_SEVERITY = 3
CRISIS_SEVERITY = 4
OVERDUE_ALERT = 50
"""As many overdue complaints as the overdue tile's red threshold: ranked just below escalations."""


@dataclass(frozen=True)
class AttentionItem:
    kind: str
    """``incident``, ``feed``, ``overdue``, ``price`` or ``unassigned``."""
    score: float
    """Larger is more serious; the list is sorted by it."""
    select: str
    """The detail this item opens on the mayor's page."""
    key: str
    """The incident id, feed, commodity... (for tests and ``data-attention``)."""
    facts: tuple[tuple[str, float | str | None], ...] = ()
    """What the line says, by name (rendered by ``attention_list``)."""


def rising(incident: Incident) -> bool:
    """Whether the incident's severity went up along its timeline (first known vs last known)."""
    known = [e.severity for e in incident.timeline or [] if e.severity is not None]
    return len(known) >= 2 and known[-1] > known[0]


def overdue_points(snapshot: Snapshot | None, now: float) -> list[tuple[ComplaintPoint, float]]:
    """Open complaints in ``Complaints.latest`` older than their priority's SLA, oldest first."""
    if snapshot is None:
        return []
    out = []
    for p in snapshot.complaints.latest:
        at = parse_time(p.occurred_at)
        if at is None or p.status not in COMPLAINT_OPEN_STATUSES:
            continue
        limit = SLA_SECONDS.get(p.priority, SLA_SECONDS[DEFAULT_PRIORITY])
        if now - at > limit:
            out.append((p, now - at))
    return sorted(out, key=lambda pa: -pa[1])


def unassigned_points(snapshot: Snapshot | None) -> list[ComplaintPoint]:
    """Open complaints in ``Complaints.latest`` with no OPD, newest first (as given)."""
    if snapshot is None:
        return []
    return [p for p in snapshot.complaints.latest if p.status in COMPLAINT_OPEN_STATUSES and not p.opd]


def _incidents(snapshot: Snapshot) -> list[AttentionItem]:
    items = []
    for i in snapshot.disasters.incidents:
        up = rising(i)
        if i.severity < ESCALATING_SEVERITY and not up:
            continue
        base = 100.0 if i.severity >= CRISIS_SEVERITY else 80.0
        items.append(AttentionItem("incident", base + i.severity + (0.5 if up else 0.0) + (i.affected_people or 0) / 1e6,
                                   f"incident:{i.incident_id}", i.incident_id,
                                   (("hazard", i.hazard), ("severity", i.severity), ("kecamatan", i.kecamatan),
                                    ("affected", i.affected_people), ("rising", "1" if up else None))))
    return items


def _feeds(fresh: Freshness) -> list[AttentionItem]:
    if not fresh.ok and fresh.snapshot_at is not None:
        return [AttentionItem("feed", 90.0, "feed:all", "all", (("since", fresh.snapshot_at),))]
    return [AttentionItem("feed", 90.0, f"feed:{f}", f, (("since", s.since),))
            for f, s in sorted(fresh.feeds.items()) if s.state == "stale"]


def _overdue(snapshot: Snapshot) -> list[AttentionItem]:
    n = snapshot.complaints.overdue
    if n <= 0:
        return []
    worst = sorted(((o, s.overdue) for o, s in snapshot.complaints.by_opd.items() if s.overdue > 0),
                   key=lambda os: (-os[1], os[0]))[:3]
    score = (79.0 if n >= OVERDUE_ALERT else 60.0) + min(n, 999) / 1000
    return [AttentionItem("overdue", score, "kpi:complaints.overdue", "complaints.overdue",
                          (("count", n), *(("opd:" + o, c) for o, c in worst)))]


def _prices(snapshot: Snapshot) -> list[AttentionItem]:
    items = []
    for c, p in snapshot.economy.prices.items():
        week = p.change_7d_pct if p.change_7d_pct is not None and p.change_7d_pct > PRICE_ALERT_PCT else None
        day = p.change_1d_pct if p.change_1d_pct is not None and p.change_1d_pct > PRICE_JUMP_1D_PCT else None
        if week is None and day is None:
            continue
        size = max(week or 0.0, 2 * (day or 0.0))  # a day's jump counts double a week's rise
        items.append(AttentionItem("price", 50.0 + min(size, 99.0) / 10, f"commodity:{c}", c,
                                   (("commodity", c), ("change_7d", week), ("change_1d", day))))
    return items


def _unassigned(snapshot: Snapshot) -> list[AttentionItem]:
    points = unassigned_points(snapshot)
    if not points:
        return []
    return [AttentionItem("unassigned", 40.0 + min(len(points), 99) / 100, "complaints:unassigned", "unassigned",
                          (("count", len(points)),))]


def attention_items(snapshot: Snapshot | None, fresh: Freshness) -> list[AttentionItem]:
    """Everything that needs attention, most serious first (ties: kind, then key)."""
    if snapshot is None:
        return _feeds(fresh)
    items = [*_incidents(snapshot), *_feeds(fresh), *_overdue(snapshot), *_prices(snapshot), *_unassigned(snapshot)]
    return sorted(items, key=lambda a: (-a.score, a.kind, a.key))


# -- rendering --------------------------------------------------------------------------
def _num(value: float | str | None) -> float | None:
    return value if isinstance(value, int | float) else None


def item_text(item: AttentionItem, tr: Translate, lang: str) -> tuple[str, str]:
    """The item's headline and its second line, in ``lang``."""
    f = dict(item.facts)
    if item.kind == "incident":
        head = f"{label(tr, 'hazard', str(f['hazard']))} · {f['kecamatan'] or tr('incident.no_kecamatan')}"
        sub = [tr("attn.severity").format(n=f["severity"])]
        if f.get("rising"):
            sub.append(tr("attn.rising"))
        if f.get("affected"):
            sub.append(f"{fmt_int(_num(f['affected']), lang)} {tr('unit.affected')}")
        return head, " · ".join(sub)
    if item.kind == "feed":
        name = tr("attn.all_feeds") if item.key == "all" else tr("feed." + item.key)
        return tr("attn.stale").format(feed=name), tr("fresh.last").format(time=f.get("since") or "–")
    if item.kind == "overdue":
        opds = [f"{k[4:]} {fmt_int(_num(v), lang)}" for k, v in item.facts if k.startswith("opd:")]
        return tr("attn.overdue").format(n=fmt_int(_num(f["count"]), lang)), " · ".join(opds)
    if item.kind == "price":
        parts = []
        if f.get("change_7d") is not None:
            parts.append(f"{fmt_pct(_num(f['change_7d']), 1, lang)} {tr('attn.in_7d')}")
        if f.get("change_1d") is not None:
            parts.append(f"{fmt_pct(_num(f['change_1d']), 1, lang)} {tr('attn.since_yesterday')}")
        return tr("attn.price").format(commodity=label(tr, "commodity", str(f["commodity"]))), " · ".join(parts)
    return tr("attn.unassigned").format(n=fmt_int(_num(f["count"]), lang)), tr("attn.unassigned_sub")


TONE = {"incident": "alert", "feed": "warn", "overdue": "alert", "price": "warn", "unassigned": "warn"}


def attention_row(item: AttentionItem, tr: Translate, lang: str) -> html.Button:
    """One tappable line; ``data-select`` opens its detail (``assets/marvec.js``)."""
    head, sub = item_text(item, tr, lang)
    tone = "alert" if item.score >= 80 else TONE.get(item.kind, "warn")
    return tagged(html.Button([
        html.Span(className=f"attn-dot tone-bg-{tone}"),
        html.Span([html.Span(head, className="attn-head"), html.Span(sub, className="attn-sub muted")],
                  className="attn-text"),
        html.Span("›", className="attn-go"),
    ], className=f"attn-row attn-{item.kind}", type="button"), select=item.select, attention=item.key)


def attention_list(items: list[AttentionItem], tr: Translate, lang: str, limit: int | None = None,
                   more_row: bool = True) -> html.Div:
    """The ranked rows (``limit`` of them, and, with ``more_row``, a row opening the whole
    list when cut: the page's card has its own "Semua" button instead)."""
    if not items:
        return html.Div(tr("attn.none"), className="attn-none muted")
    shown = items if limit is None else items[:limit]
    rows: list[html.Button] = [attention_row(i, tr, lang) for i in shown]
    if more_row and limit is not None and len(items) > limit:
        rows.append(tagged(html.Button(tr("attn.more").format(n=len(items) - limit), className="attn-more btn",
                                       type="button"), select="list:attention"))
    return html.Div(rows, className="attn-list")

