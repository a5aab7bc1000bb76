"""The mayor's tables: the OPD report card and staple prices (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from dash import html

from layers.dom import tagged
from layers.fmt import DASH, Translate, fmt_dec, fmt_int, fmt_pct, fmt_price, label
from layers.kpi import PRICE_ALERT_PCT
from marvec.snapshot import OpdStats, Snapshot

SLA_WARN = 0.8
"""Share of complaints resolved within SLA below which an OPD's cell turns amber."""
SLA_ALERT = 0.6


UNASSIGNED = ""
"""``OpdRow.opd`` of the row of complaints no OPD has yet ("belum didisposisi")."""


@dataclass(frozen=True)
class OpdRow:
    opd: str
    stats: OpdStats


def opd_ranking(snapshot: Snapshot | None) -> list[OpdRow]:
    """OPDs worst first: most overdue, then lowest within-SLA share, then most open.

    The complaints not yet assigned to any OPD are a row of their own (``UNASSIGNED``),
    ranked by the same rule: first when they are the worst. An unknown SLA share sorts
    as if it were perfect, so missing data never pushes an OPD to the top by itself.
    """
    if snapshot is None:
        return []
    rows = [OpdRow(k, v) for k, v in snapshot.complaints.by_opd.items()]
    if snapshot.complaints.unassigned is not None:
        rows.append(OpdRow(UNASSIGNED, snapshot.complaints.unassigned))
    return sorted(rows, key=lambda r: (
        -r.stats.overdue,
        r.stats.within_sla_share if r.stats.within_sla_share is not None else 1.0,
        -r.stats.open,
        r.opd,
    ))


def _sla_cell(share: float | None, lang: str) -> html.Td:
    if share is None:
        return html.Td(DASH, className="num muted")
    tone = "alert" if share < SLA_ALERT else "warn" if share < SLA_WARN else "good"
    return html.Td(fmt_pct(100 * share, 0, lang, signed=False), className=f"num tone-{tone}")


def resolution_time(hours: float | None, tr: Translate, lang: str) -> str:
    """``5,2 jam``; under an hour in minutes (``18 mnt``), never a bare ``0,0 jam``.

    The snapshot gives hours to one decimal (6 minutes), so anything under 0.05 h is
    ``<3 mnt``.
    """
    if hours is None:
        return DASH
    if hours >= 1:
        return f"{fmt_dec(hours, 1, lang)} {tr('unit.hours')}"
    minutes = round(hours * 60)
    return f"<3 {tr('unit.minutes')}" if minutes < 3 else f"{minutes} {tr('unit.minutes')}"


def _opd_tr(row: OpdRow, lang: str, tr: Translate) -> html.Tr:
    s = row.stats
    median = resolution_time(s.median_resolution_h, tr, lang)
    name = row.opd if row.opd != UNASSIGNED else tr("opd.unassigned")
    return tagged(html.Tr([
        html.Td(name, className="name" + ("" if row.opd else " unassigned")),
        html.Td(fmt_int(s.open, lang), className="num"),
        html.Td(fmt_int(s.overdue, lang), className="num" + (" tone-alert" if s.overdue else "")),
        html.Td(median, className="num"),
        _sla_cell(s.within_sla_share, lang),
    ]), opd=row.opd or "-")


def report_card(snapshot: Snapshot | None, tr: Translate, lang: str, limit: int | None = None) -> html.Table | html.Div:
    """The OPD report card table, worst first (the ``limit`` worst)."""
    rows = opd_ranking(snapshot)[:limit]
    if not rows:
        return html.Div(tr("opd.none"), className="muted")
    head = html.Thead(html.Tr([html.Th(tr(k), className=c) for k, c in (
        ("opd.opd", "name"), ("opd.open", "num"), ("opd.overdue", "num"), ("opd.median", "num"), ("opd.sla", "num"),
    )]))
    return html.Table([head, html.Tbody([_opd_tr(r, lang, tr) for r in rows])], className="table report-card")


def _top_market(by_market: dict[str, float], tr: Translate, lang: str,
                unit: str | None = None) -> html.Div | None:
    """Where the staple is dearest: ``tertinggi Pasar Daya Rp 15.100/kg`` (market names are text)."""
    if len(by_market) < 2:
        return None
    market, price = max(by_market.items(), key=lambda mp: (mp[1], mp[0]))
    return html.Div(f"{tr('price.highest')} {market} {fmt_price(price, unit, lang)}", className="sub muted")


def price_table(snapshot: Snapshot | None, tr: Translate, lang: str, limit: int | None = None,
                select: bool = False) -> html.Table | html.Div:
    """Every staple: median price, 7-day change (rises over 10% flagged), markets covered.

    ``limit``: the steepest rises only; ``select``: each row opens that staple's markets.
    """
    prices = snapshot.economy.prices if snapshot else {}
    if not prices:
        return html.Div(tr("panel.no_prices"), className="muted")
    ordered = sorted(prices.items(), key=lambda cp: -(cp[1].change_7d_pct or 0))[:limit]
    body = []
    for commodity, p in ordered:
        alert = p.change_7d_pct is not None and p.change_7d_pct > PRICE_ALERT_PCT
        change: list[str | html.Span] = [fmt_pct(p.change_7d_pct, 1, lang)]
        if alert:
            change.append(html.Span(tr("price.alert"), className="badge alert"))
        tone = "alert" if alert else "bad" if (p.change_7d_pct or 0) > 0 else "good" if (p.change_7d_pct or 0) < 0 else "flat"
        row = tagged(html.Tr([
            html.Td([label(tr, "commodity", commodity), _top_market(p.by_market, tr, lang, p.unit)],
                    className="name"),
            html.Td(fmt_price(p.latest_idr, p.unit, lang), className="num"),
            html.Td(change, className=f"num tone-{tone}"),
            html.Td(fmt_int(p.markets, lang), className="num"),
        ], className="alert" if alert else ""), commodity=commodity)
        body.append(tagged(row, select=f"commodity:{commodity}") if select else row)
    head = html.Thead(html.Tr([html.Th(tr(k), className=c) for k, c in (
        ("price.commodity", "name"), ("price.median", "num"), ("price.change", "num"), ("price.markets", "num"),
    )]))
    return html.Table([head, html.Tbody(body)], className="table price-table")


def market_table(snapshot: Snapshot | None, commodity: str, tr: Translate, lang: str) -> html.Table | html.Div:
    """One staple's price in every market, dearest first, against the city median."""
    p = snapshot.economy.prices.get(commodity) if snapshot else None
    if p is None or not p.by_market:
        return html.Div(tr("price.no_markets"), className="muted")
    head = html.Thead(html.Tr([html.Th(tr(k), className=c) for k, c in (
        ("price.market", "name"), ("price.price", "num"), ("price.vs_median", "num"),
    )]))
    rows = []
    for market, idr in sorted(p.by_market.items(), key=lambda mp: (-mp[1], mp[0])):
        vs = 100 * (idr - p.latest_idr) / p.latest_idr if p.latest_idr else None
        rows.append(tagged(html.Tr([
            html.Td(market, className="name"),
            html.Td(fmt_price(idr, p.unit, lang), className="num"),
            html.Td(fmt_pct(vs, 1, lang), className="num muted"),
        ]), market=market))
    return html.Table([head, html.Tbody(rows)], className="table market-table")


def kecamatan_price_table(snapshot: Snapshot | None, commodity: str, tr: Translate,
                          lang: str) -> html.Table | html.Div:
    """One staple's median per kecamatan (of the markets placed there), dearest first,
    against the city median; kecamatan with no market reporting it are not listed."""
    p = snapshot.economy.prices.get(commodity) if snapshot else None
    if p is None or not p.by_kecamatan:
        return html.Div(tr("price.no_kecamatan"), className="muted")
    head = html.Thead(html.Tr([html.Th(tr(k), className=c) for k, c in (
        ("price.kecamatan", "name"), ("price.price", "num"), ("price.markets_n", "num"), ("price.vs_median", "num"),
    )]))
    rows = []
    for kec, idr in sorted(p.by_kecamatan.items(), key=lambda kp: (-kp[1], kp[0])):
        vs = 100 * (idr - p.latest_idr) / p.latest_idr if p.latest_idr else None
        rows.append(tagged(html.Tr([
            html.Td(kec, className="name"),
            html.Td(fmt_price(idr, p.unit, lang), className="num"),
            html.Td(fmt_int(p.markets_by_kecamatan.get(kec), lang), className="num"),
            html.Td(fmt_pct(vs, 1, lang), className="num muted"),
        ]), kecamatan=kec))
    return html.Table([head, html.Tbody(rows)], className="table market-table")


def price_facts(snapshot: Snapshot | None, commodity: str, tr: Translate, lang: str) -> list[tuple[str, str]]:
    """Median, 7-day and 1-day change of one staple, as (label, text) pairs (``–`` when unknown)."""
    p = snapshot.economy.prices.get(commodity) if snapshot else None
    if p is None:
        return [(tr("price.median"), DASH)]
    return [(tr("price.median"), fmt_price(p.latest_idr, p.unit, lang)),
            (tr("price.change"), fmt_pct(p.change_7d_pct, 1, lang)),
            (tr("price.change_1d"), fmt_pct(p.change_1d_pct, 1, lang)),
            (tr("price.markets"), fmt_int(p.markets, lang))]
