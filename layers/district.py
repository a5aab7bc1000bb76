"""Kecamatan on the mayor's screen: the hotspot list and one district's detail (pure).

Tap targets get their ids from the caller (``button_id(name)``), so this module does
not need to know the page's id scheme.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dash import html

from layers.dom import tagged
from layers.fmt import Translate, fmt_idr_short, fmt_int, label
from layers.panels import bar_list, incident_line, ranked
from marvec.snapshot import Snapshot


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
            html.Span([html.B(fmt_int(h.open, lang)), " " + tr("unit.complaints")], className="hot-num"),
            html.Span([html.B(fmt_int(h.incidents, lang)), " " + tr("unit.incidents")],
                      className="hot-num" + (" tone-alert" if h.incidents else "")),
        ]
        row = (html.Button(cells, className="hot-row", type="button") if button_id is None else
               html.Button(cells, id=button_id(h.name), className="hot-row", type="button", n_clicks=0))
        rows.append(tagged(row, select=h.name))
    return html.Div(rows or [html.Div(tr("fresh.nodata"), className="muted")], className="hot-list")


def district_detail(
    snapshot: Snapshot | None, name: str, tr: Translate, lang: str, now: float, close_id: Any = None
) -> html.Div:
    """A kecamatan's open complaints by category, its active incidents and today's transactions."""
    s = snapshot
    cats_raw = s.complaints.by_kecamatan_category.get(name, {}) if s else {}
    cats = [(label(tr, "cat", c), v) for c, v in ranked(cats_raw)]
    incidents = [i for i in s.disasters.incidents if i.kecamatan == name] if s else []
    amount = s.economy.by_kecamatan.get(name) if s else None
    count = s.economy.by_kecamatan_count.get(name) if s else None
    open_n = s.complaints.by_kecamatan.get(name) if s else None
    none = html.Div(tr("district.none"), className="muted")
    return tagged(html.Div([
        html.Div([
            html.H2(name),
            _close_button(tr("district.close"), close_id),
        ], className="detail-head"),
        _section("complaints", html.H3([tr("district.complaints"),
                                        html.Span(f" · {fmt_int(open_n, lang)}", className="muted")]),
                 bar_list(cats, [fmt_int(v, lang) for _, v in cats], "amber", limit=11) if cats else none),
        _section("incidents", html.H3(f"{tr('district.incidents')} · {fmt_int(len(incidents), lang)}"),
                 html.Div([incident_line(i, tr, lang, now, place=False) for i in incidents] or [none], className="incident-lines")),
        _section("transactions", html.H3(tr("district.tx")),
                 html.Div([html.Span(fmt_idr_short(amount, lang), className="big"),
                           html.Span(f" · {fmt_int(count, lang)} {tr('unit.transactions')}", className="muted")])),
    ], className="district-detail"), kecamatan=name)


def _close_button(text: str, close_id: Any) -> html.Button:
    """``data-select=""``: a tap selects nothing, closing the sheet (no Dash id needed)."""
    button = (html.Button(text, className="btn close", type="button") if close_id is None else
              html.Button(text, id=close_id, className="btn close", type="button", n_clicks=0))
    return tagged(button, select="")


def _section(name: str, title: html.H3, body: Any) -> html.Div:
    return tagged(html.Div([title, body], className="detail-section"), section=name)
