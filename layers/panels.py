"""The wall's focus panel: what the current focus is about, in a few big lines (pure)."""

from __future__ import annotations

from collections.abc import Mapping

from dash import html

from layers.fmt import (
    Translate,
    fmt_age,
    fmt_idr_compact,
    fmt_int,
    fmt_pct,
    fmt_price,
    label,
    parse_time,
)
from layers.kpi import PRICE_ALERT_PCT
from marvec.snapshot import Incident, Snapshot


def bar_list(
    rows: list[tuple[str, float]], value_text: list[str], css: str = "", limit: int = 7
) -> html.Div:
    """Labelled horizontal bars, longest first as given; widths relative to the first row."""
    shown = rows[:limit]
    top = max((v for _, v in shown), default=0) or 1
    items = [
        html.Div([
            html.Div(name, className="bar-name"),
            html.Div(html.Div(className="bar-fill", style={"width": f"{max(2, round(100 * v / top))}%"}),
                     className="bar-track"),
            html.Div(text, className="bar-value"),
        ], className="bar-row")
        for (name, v), text in zip(shown, value_text, strict=False)
    ]
    return html.Div(items, className=f"bar-list {css}".strip())


def ranked(mapping: Mapping[str, float]) -> list[tuple[str, float]]:
    """Items with a positive value, largest first (ties by name)."""
    return sorted(((k, v) for k, v in mapping.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))


def complaints_panel(snap: Snapshot, tr: Translate, lang: str) -> list[html.Div]:
    """Open complaints by category and by kecamatan."""
    cats = [(label(tr, "cat", c), v) for c, v in ranked(snap.complaints.by_category)]
    kecs = ranked(snap.complaints.by_kecamatan)
    return [
        html.Div([html.H3(tr("panel.by_category")),
                  bar_list(cats, [fmt_int(v, lang) for _, v in cats], "amber")], className="panel-col"),
        html.Div([html.H3(tr("panel.by_kecamatan")),
                  bar_list(kecs, [fmt_int(v, lang) for _, v in kecs], "amber")], className="panel-col"),
    ]


def price_lines(snap: Snapshot, tr: Translate, lang: str, limit: int = 7) -> html.Div:
    """Staples by 7-day change, largest rise first; alerts marked."""
    rows = sorted(snap.economy.prices.items(), key=lambda cp: -(cp[1].change_7d_pct or 0))[:limit]
    lines = []
    for commodity, price in rows:
        change = price.change_7d_pct
        alert = change is not None and change > PRICE_ALERT_PCT
        lines.append(html.Div([
            html.Span(label(tr, "commodity", commodity), className="price-name"),
            html.Span(fmt_price(price.latest_idr, price.unit, lang), className="price-value"),
            html.Span(fmt_pct(change, 1, lang), className="price-change " + ("up-alert" if alert else
                      "up" if (change or 0) > 0 else "down")),
        ], className="price-line" + (" alert" if alert else "")))
    return html.Div(lines or [html.Div(tr("panel.no_prices"), className="muted")], className="price-lines")


def money(value: float, lang: str) -> str:
    """Rupiah in a ranked list: three significant digits in every row (``Rp 1,23 M``,
    ``Rp 984 jt``), so neighbours never round to the same figure."""
    return f"Rp {fmt_idr_compact(value, lang)}"


def economy_panel(snap: Snapshot, tr: Translate, lang: str) -> list[html.Div]:
    """Staple prices (rises first) and transaction amount by kecamatan."""
    kecs = ranked(snap.economy.by_kecamatan)
    return [
        html.Div([html.H3(tr("panel.prices_7d")), price_lines(snap, tr, lang)], className="panel-col"),
        html.Div([html.H3(tr("panel.tx_by_kecamatan")),
                  bar_list(kecs, [money(v, lang) for _, v in kecs], "teal")], className="panel-col"),
    ]


def incident_line(incident: Incident, tr: Translate, lang: str, now: float, place: bool = True) -> html.Div:
    """``[4] Banjir · Manggala · 760 terdampak · ditangani · 2 jam 15 mnt`` (what matters first).

    ``place=False`` leaves the kecamatan out (a list inside that kecamatan's own sheet).
    """
    start = parse_time(incident.occurred_at)
    facts = [label(tr, "hazard", incident.hazard)]
    if place:
        facts.append(incident.kecamatan or tr("incident.no_kecamatan"))
    if incident.affected_people:
        facts.append(f"{fmt_int(incident.affected_people, lang)} {tr('unit.affected')}")
    if incident.displaced:
        facts.append(f"{fmt_int(incident.displaced, lang)} {tr('unit.displaced')}")
    facts.append(label(tr, "istatus", incident.status))
    if start is not None:
        facts.append(fmt_age(now - start, lang))
    return html.Div([
        html.Span(str(incident.severity), className=f"sev sev-{incident.severity}"),
        html.Span(" · ".join(facts), className="incident-facts"),
    ], className="incident-line")


def disasters_panel(snap: Snapshot, tr: Translate, lang: str, now: float, limit: int = 4) -> list[html.Div]:
    """Active incidents (most severe first, ``limit`` of them, then how many more) and counts by hazard."""
    hazards = [(label(tr, "hazard", h), v) for h, v in ranked(snap.disasters.by_hazard)]
    lines = [incident_line(i, tr, lang, now) for i in snap.disasters.incidents[:limit]]
    more = len(snap.disasters.incidents) - limit
    if more > 0:
        lines.append(html.Div(tr("panel.more").format(n=fmt_int(more, lang)), className="muted more"))
    return [
        html.Div([html.H3(tr("panel.active_incidents")),
                  html.Div(lines or [html.Div(tr("panel.no_incidents"), className="muted")],
                           className="incident-lines")], className="panel-col wide"),
        html.Div([html.H3(tr("panel.by_hazard")),
                  bar_list(hazards, [fmt_int(v, lang) for _, v in hazards], "red")], className="panel-col"),
    ]


def focus_panel(snap: Snapshot | None, focus: str, tr: Translate, lang: str, now: float) -> list[html.Div]:
    """The panel for a focus (``crisis`` shows the disasters panel)."""
    if snap is None:
        return [html.Div(tr("fresh.nodata"), className="muted")]
    if focus == "complaints":
        return complaints_panel(snap, tr, lang)
    if focus == "economy":
        return economy_panel(snap, tr, lang)
    return disasters_panel(snap, tr, lang, now)
