"""The ticker of newest events (pure). Citizen text is shortened and rendered as text only."""

from __future__ import annotations

from dash import html

from layers.fmt import Translate, fmt_clock, label, shorten
from marvec.snapshot import Snapshot, TickerItem

_KIND_GROUP = {"complaints": "cstatus", "disasters": "istatus", "economy": "ekind"}
_TITLE_GROUP = {"complaints": "cat", "disasters": "hazard", "economy": "commodity"}


def ticker_item(item: TickerItem, tr: Translate, text_limit: int = 80) -> html.Div:
    """``14:02  ADUAN  Drainase · diterima · Manggala  “Air setinggi lutut…”``."""
    facts = [
        label(tr, _TITLE_GROUP.get(item.feed, "x"), item.title),
        label(tr, _KIND_GROUP.get(item.feed, "x"), item.kind),
    ]
    if item.kecamatan:
        facts.append(item.kecamatan)
    children: list[html.Span] = [
        html.Span(fmt_clock(item.at), className="tick-time"),
        html.Span(label(tr, "feed", item.feed), className=f"tick-feed feed-{item.feed}"),
        html.Span(" · ".join(facts), className="tick-facts"),
    ]
    quote = shorten(item.text, text_limit)
    if quote:
        children.append(html.Span(f"“{quote}”", className="tick-text"))
    return html.Div(children, className="tick")


def ticker(snapshot: Snapshot | None, tr: Translate, limit: int = 6, text_limit: int = 80) -> list[html.Div]:
    """The newest ``limit`` events, newest first; one line saying so when there are none."""
    items = snapshot.ticker[:limit] if snapshot else []
    if not items:
        return [html.Div(tr("ticker.empty"), className="tick muted")]
    return [ticker_item(i, tr, text_limit) for i in items]
