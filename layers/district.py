"""Kecamatan on the mayor's screen: the hotspot list and one district's detail (pure).

Tap targets get their ids from the caller (``button_id(name)``), so this module does
not need to know the page's id scheme.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dash import html

from layers.attention import overdue_points
from layers.dom import tagged
from layers.fmt import (
    DASH,
    Translate,
    fmt_age,
    fmt_count,
    fmt_day,
    fmt_idr_compact,
    fmt_idr_short,
    fmt_int,
    fmt_pct,
    fmt_price,
    label,
    parse_time,
    shorten,
    unit_label,
)
from layers.panels import bar_list, incident_line, ranked
from marvec.snapshot import ComplaintPoint, Snapshot


@dataclass(frozen=True)
class Hotspot:
    name: str
    open: int
    incidents: int
    tx_amount: int


def hotspots(snapshot: Snapshot | None) -> list[Hotspot]:
    """Every kecamatan, worst first: most active incidents, then most open complaints."""
    if snapshot is None:
        return []
    s = snapshot
    names = list(dict.fromkeys([*s.kecamatan, *s.complaints.by_kecamatan, *s.disasters.by_kecamatan]))
    rows = [
        Hotspot(n, s.complaints.by_kecamatan.get(n, 0), s.disasters.by_kecamatan.get(n, 0),
                s.economy.by_kecamatan.get(n, 0))
        for n in names
    ]
    return sorted(rows, key=lambda h: (-h.incidents, -h.open, h.name))


def hotspot_list(
    snapshot: Snapshot | None, tr: Translate, lang: str, button_id: Callable[[str], Any] | None = None,
    limit: int = 15,
) -> html.Div:
    """One big tappable row per kecamatan: name, open complaints, active incidents.

    Each row carries its name as ``data-select``. Without ``button_id`` the rows have no
    Dash id: Dash re-mounts components with ids whenever a list re-renders, and a list
    that changes every second would then swallow taps that land mid-update (the page
    selects through ``data-select`` in the browser instead, ``assets/marvec.js``).
    """
    rows = []
    for h in hotspots(snapshot)[:limit]:
        cells = [
            html.Span(h.name, className="hot-name"),
            html.Span([html.B(fmt_int(h.open, lang)), " " + unit_label(h.open, "complaints", tr)], className="hot-num"),
            html.Span([html.B(fmt_int(h.incidents, lang)), " " + unit_label(h.incidents, "incidents", tr)],
                      className="hot-num" + (" tone-alert" if h.incidents else "")),
        ]
        row = (html.Button(cells, className="hot-row", type="button") if button_id is None else
               html.Button(cells, id=button_id(h.name), className="hot-row", type="button", n_clicks=0))
        rows.append(tagged(row, select=h.name))
    return html.Div(rows or [html.Div(tr("fresh.nodata"), className="muted")], className="hot-list")


def complaint_rows(
    points: list[ComplaintPoint], tr: Translate, lang: str, now: float, place: bool = True, limit: int = 30
) -> html.Div:
    """Complaints one per line: category, age, status, OPD (and kecamatan), the citizen's text.

    The text is untrusted: it goes into the tree as text, which React escapes.
    """
    rows = []
    for p in points[:limit]:
        at = parse_time(p.occurred_at)
        facts = [fmt_age(None if at is None else now - at, lang), label(tr, "cstatus", p.status),
                 p.opd or tr("attn.no_opd")]
        if place:
            facts.insert(0, p.kecamatan or tr("incident.no_kecamatan"))
        rows.append(tagged(html.Div([
            html.Div([html.B(label(tr, "cat", p.category)), html.Span(" · " + " · ".join(facts), className="muted")],
                     className="cp-head"),
            html.Div(shorten(p.text, 120), className="cp-text") if p.text else None,
        ], className="cp-row" + (" no-opd" if not p.opd else "")), complaint=p.complaint_id))
    return html.Div(rows or [html.Div(tr("district.none"), className="muted")], className="cp-list")


def detail_sheet(title: str, body: list[Any], close_text: str, close_id: Any = None, **data: str) -> html.Div:
    """The sheet's content: a title with the close button, then ``body`` (``data``: its tags)."""
    return tagged(html.Div([
        html.Div([html.H2(title), _close_button(close_text, close_id)], className="detail-head"),
        *body,
    ], className="district-detail"), **data)


def fact(value: str, text: str, name: str) -> html.Div:
    """A big number with its label (``data-fact``)."""
    return tagged(html.Div([html.Span(value, className="big"), html.Span(" " + text, className="muted")],
                           className="fact"), fact=name)


def day_bars(days: Sequence[tuple[str, int | None]], tr: Translate, lang: str, money: bool = False) -> html.Div:
    """Received per day as small labelled bars (height in % of the largest day): the count
    above (``money``: a short rupiah amount), the day below; an unknown day (before the
    data began) is a dotted baseline with "–", never a bar of zero. The last day is
    today, still filling up. More than 10 days: dates instead of weekdays."""
    top = max((v for _, v in days if v is not None), default=0)
    cols = []
    for i, (start, v) in enumerate(days):
        last = i == len(days) - 1
        bar = (html.Div(className="bar unknown") if v is None else
               html.Div(className="bar filling" if last else "bar",
                        style={"height": f"{max(4, round(100 * v / top)) if top else 4}%"}))
        cols.append(tagged(html.Div([
            html.Span(DASH if v is None else fmt_idr_compact(v, lang) if money else fmt_int(v, lang), className="n"),
            html.Div(bar, className="bar-box"),
            html.Span(tr("trend.today") if last else fmt_day(start, lang, weekday=len(days) <= 10), className="d"),
        ], className="day" + (" unknown" if v is None else "")), day=start[:10]))
    return html.Div(cols, className="day-bars", role="img")


def district_detail(
    snapshot: Snapshot | None, name: str, tr: Translate, lang: str, now: float, close_id: Any = None,
    trend: Sequence[tuple[str, int | None]] = (),
) -> html.Div:
    """A kecamatan: open and overdue complaints, the last 7 days' received (``trend``: the
    day's start and its count, ``None`` unknown), the complaints themselves, incidents,
    transactions, and its markets' prices (the median of the markets placed in it, against
    the city's median; a staple no market there reports is left out, not shown as 0).
    """
    s = snapshot
    cats_raw = s.complaints.by_kecamatan_category.get(name, {}) if s else {}
    cats = [(label(tr, "cat", c), v) for c, v in ranked(cats_raw)]
    incidents = [i for i in s.disasters.incidents if i.kecamatan == name] if s else []
    amount = s.economy.by_kecamatan.get(name) if s else None
    count = s.economy.by_kecamatan_count.get(name) if s else None
    open_n = s.complaints.by_kecamatan.get(name) if s else None
    points = [p for p in s.complaints.latest if p.kecamatan == name] if s else []
    late = [p for p, _ in overdue_points(s, now) if p.kecamatan == name]
    none = html.Div(tr("district.none"), className="muted")
    return detail_sheet(name, [
        html.Div([
            fact(fmt_int(open_n, lang), tr("district.open"), "open"),
            fact(fmt_int(len(late), lang) if points else DASH, tr("district.overdue_latest"), "overdue"),
        ], className="facts"),
        _section("trend", html.H3(tr("district.trend").format(n=len(trend))), day_bars(trend, tr, lang))
        if trend else None,
        _section("complaints", html.H3([tr("district.complaints"),
                                        html.Span(f" · {fmt_int(open_n, lang)}", className="muted")]),
                 bar_list(cats, [fmt_int(v, lang) for _, v in cats], "amber", limit=11) if cats else none),
        _section("latest", html.H3(f"{tr('district.latest')} · {fmt_int(len(points), lang) if s else DASH}"),
                 complaint_rows(points, tr, lang, now, place=False)),
        _section("incidents", html.H3(f"{tr('district.incidents')} · {fmt_int(len(incidents), lang) if s else DASH}"),
                 html.Div([tagged(html.Button(incident_line(i, tr, lang, now, place=False), className="sheet-row",
                                              type="button"), select=f"incident:{i.incident_id}", incident=i.incident_id)
                           for i in incidents] or [none], className="incident-lines")),
        _section("transactions", html.H3(tr("district.tx")),
                 html.Div([html.Span(fmt_idr_short(amount, lang), className="big"),
                           html.Span(f" · {fmt_count(count, 'transactions', tr, lang)}", className="muted")])),
        _section("prices", html.H3(tr("district.prices")), local_prices(s, name, tr, lang)),
    ], tr("district.close"), close_id, kecamatan=name)


def local_prices(snapshot: Snapshot | None, name: str, tr: Translate, lang: str) -> html.Div:
    """Per staple its markets in ``name``: their median, how many, and the difference from
    the city's median (``+8,1%`` dearer here)."""
    rows = []
    for code, p in sorted((snapshot.economy.prices if snapshot else {}).items()):
        here = p.by_kecamatan.get(name)
        if here is None:
            continue
        diff = (here / p.latest_idr - 1) * 100 if p.latest_idr else None
        n = p.markets_by_kecamatan.get(name)
        rows.append(tagged(html.Div([
            html.Span(label(tr, "commodity", code), className="name"),
            html.Span(fmt_price(here, p.unit, lang), className="value"),
            html.Span(f"{fmt_count(n, 'markets', tr, lang)} · {fmt_pct(diff, 1, lang)} {tr('district.vs_city')}",
                      className="muted"),
        ], className="price-row"), commodity=code))
    if not rows:
        return html.Div(tr("district.no_market"), className="muted")
    return html.Div(rows, className="price-rows")


def _close_button(text: str, close_id: Any) -> html.Button:
    """``data-select=""``: a tap selects nothing, closing the sheet (no Dash id needed)."""
    button = (html.Button(text, className="btn close", type="button") if close_id is None else
              html.Button(text, id=close_id, className="btn close", type="button", n_clicks=0))
    return tagged(button, select="")


def _section(name: str, title: html.H3, body: Any) -> html.Div:
    return tagged(html.Div([title, body], className="detail-section"), section=name)
