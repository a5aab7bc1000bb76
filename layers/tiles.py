"""KPI tiles and sparklines as Dash component trees (pure; text only, never raw HTML)."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from layers.dom import tagged
from layers.fmt import (
    DASH,
    Translate,
    fmt_clock,
    fmt_count,
    fmt_day,
    fmt_idr_compact,
    fmt_idr_short,
    fmt_int,
    fmt_pct,
    fmt_signed,
    label,
)
from layers.kpi import KpiView

PCT_SHOWN_BELOW = 100.0
"""A change against yesterday is shown in percent only below this (absolute) size: past
a doubling the absolute change says it, and the line must leave room for "vs kemarin"."""


def sparkline(values: Sequence[float | None], bars: int = 24, filling: bool = False,
              marks: Sequence[int] = ()) -> html.Div:
    """The last ``bars`` values as CSS bars (height in % of the largest); empty when none.

    ``None`` (a bucket before the data began) is a dotted baseline, class ``unknown``: not
    a bar of zero. ``filling``: the newest bar is a bucket still filling up (this hour's
    count so far), drawn as an outline so ten minutes into the hour does not read as a
    collapse.
    """
    shown = list(values)[-bars:]
    top = max((v for v in shown if v is not None), default=0)
    # Bare divs (styled as ``.spark > div``): 24 bars x 9 tiles go over the wire on change.
    children = [html.Div(className="unknown") if v is None else html.Div(style={"height": f"{_height(v, top)}%"})
                for v in shown]
    last = shown[-1] if shown else None
    if filling and last is not None:
        children[-1] = html.Div(style={"height": f"{_height(last, top)}%"}, className="filling")
    offset = len(values) - len(shown)
    for i in marks:  # a level change or a critical alert in that hour: a red tick above the bar
        j = i - offset
        if 0 <= j < len(children):
            bar = children[j]
            setattr(bar, "className", ((getattr(bar, "className", None) or "") + " mark").strip())  # noqa: B010
    return html.Div(children, className="spark" if shown else "spark empty", role="presentation")


def _height(value: float, top: float) -> int:
    if top <= 0:
        return 2
    return max(2, round(100 * max(value, 0) / top))


def value_text(view: KpiView, lang: str) -> str:
    """The headline number as shown: short rupiah for money, grouped digits otherwise."""
    if view.value is None:
        return DASH
    return fmt_idr_short(view.value, lang) if view.spec.money else fmt_int(view.value, lang)


def delta_line(view: KpiView, tr: Translate, lang: str) -> html.Div:
    """``▲ +12 (+9,8%) vs kemarin``; the time of the last data instead when stale."""
    if view.stale:
        text = tr("fresh.last").format(time=view.since) if view.since else tr("fresh.nodata")
        return html.Div(text, className="tile-sub stale-note")
    if view.window is not None:
        return period_line(view, tr, lang)
    why = "kpi.unknown." + view.spec.key
    if view.value is None and tr(why) != why:  # "–" says nothing by itself: say why
        return html.Div(tr(why), className="tile-sub muted unknown-why")
    if not view.spec.compare:
        return html.Div(tr("kpi.window." + view.spec.key), className="tile-sub muted")
    d = view.delta
    if d is None and view.counted_since:  # started today: the count is since then, say so
        return html.Div(tr("kpi.counted_since").format(time=fmt_clock(view.counted_since)),
                        className="tile-sub muted counted-since")
    if d is None:
        return html.Div(tr("kpi.no_yesterday"), className="tile-sub muted")
    arrow = "▲" if d > 0 else "▼" if d < 0 else "■"
    amount = fmt_idr_compact(d, lang) if view.spec.money else fmt_signed(d, lang)
    if view.spec.money and d > 0:
        amount = "+" + amount
    ratio = 100 * d / view.yesterday if view.yesterday else None
    # +620% or +2.912% (a small or partial yesterday) tells a wall reader nothing the
    # absolute change does not, and pushes "vs kemarin" out of the tile.
    pct = f" ({fmt_pct(ratio, 0, lang)})" if ratio is not None and abs(ratio) < PCT_SHOWN_BELOW else ""
    return html.Div(
        [html.Span(f"{arrow} {amount}{pct}", className=f"delta tone-{view.tone}"),
         html.Span(" " + tr("kpi.vs_yesterday"), className="muted")],
        className="tile-sub",
    )


def period_line(view: KpiView, tr: Translate, lang: str) -> html.Div:
    """A period tile's line: which days it sums, and since when if its data began inside them."""
    if view.value is None:
        return html.Div(tr("kpi.period.unknown"), className="tile-sub muted unknown-why")
    if view.counted_since:
        since = view.counted_since
        began = fmt_clock(since) if since[:10] == view.until else fmt_day(since, lang)
        return html.Div(tr("kpi.period.since").format(time=began), className="tile-sub muted counted-since")
    return html.Div(tr("kpi.period.last").format(n=view.window), className="tile-sub muted")


def detail_line(view: KpiView, tr: Translate, lang: str) -> html.Div | None:
    """Secondary facts under the number (transaction count, which staples rose)."""
    if not view.detail:
        return None
    if view.spec.key == "economy.tx_amount_today":
        count = view.detail[0][1]
        return html.Div(fmt_count(count, "transactions", tr, lang), className="tile-detail")
    parts = [f"{label(tr, 'commodity', c)} {fmt_pct(p, 0, lang)}" for c, p in view.detail[:3]]
    return html.Div(" · ".join(parts), className="tile-detail wrap")


def kpi_tile(view: KpiView, tr: Translate, lang: str = "id", spark: bool = True) -> html.Div:
    """One tile: label, big number, delta vs yesterday (or staleness), detail, sparkline."""
    classes = f"tile level-{view.level}" + (" stale" if view.stale else "") + (" money" if view.spec.money else "")
    title = tr("kpi." + view.spec.key) if view.window is None else tr("kpi.period." + view.spec.key).format(
        n=view.window)
    children = [
        html.Div(title, className="tile-label"),
        html.Div(value_text(view, lang), className="tile-value"),
        delta_line(view, tr, lang),
    ]
    detail = detail_line(view, tr, lang)
    if detail is not None:
        children.append(detail)
    if spark and view.spark:
        children.append(sparkline(view.spark, bars=view.window or 24, filling=view.spec.flow, marks=view.marks))
    return tagged(html.Div(children, className=classes), kpi=view.spec.key)
