"""The ticker of newest events (pure). Citizen text is shortened and rendered as text only.

What the wall's one ticker row shows is chosen, not just the newest N events:

- **dedupe**: at most one line per entity per minute (``entity``): a price per commodity
  (every market's report of cabai rawit in a minute is one line, its value the city
  median), transactions per merchant category and kecamatan, an incident per hazard and
  kecamatan, a complaint per category, kecamatan and text. The newest one is kept.
- **priority**: disasters first, up to ``DISASTER_SHARE`` of the lines (all the lines when
  nothing else happened); the rest alternate between the other feeds (economy, then
  complaints, each newest first), so a burst of complaints cannot push a flood or a price
  off the wall's one row, whose first three lines are all a 1080p wall shows.
- **information**: a price line carries its value and change (``Snapshot.economy.prices``),
  a transactions line the category's amount today; never an invented number ("–").
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from dash import html

from layers.fmt import (
    DASH,
    Translate,
    fmt_clock,
    fmt_idr,
    fmt_idr_short,
    fmt_pct,
    label,
    parse_time,
    shorten,
)
from marvec.snapshot import Snapshot, TickerItem

_KIND_GROUP = {"complaints": "cstatus", "disasters": "istatus", "economy": "ekind"}
_TITLE_GROUP = {"complaints": "cat", "disasters": "hazard", "economy": "commodity"}

DISASTER_SHARE = 0.5
"""At most this share of the lines go to disasters while other feeds have events too."""
ROTATION = ("economy", "complaints")
"""Feeds that share the lines left after disasters, one each in turn (others after)."""


def entity(item: TickerItem) -> tuple[Hashable, ...]:
    """What a line is about: two events of one entity in one minute make one line."""
    if item.feed == "economy" and item.kind == "price":
        return ("price", item.title)
    if item.feed == "economy":
        return ("transactions", item.title, item.kecamatan)
    if item.feed == "disasters":
        return ("disasters", item.title, item.kecamatan)
    return (item.feed, item.kind if item.feed != "complaints" else "", item.title, item.kecamatan, item.text)


def _minute(item: TickerItem) -> Hashable:
    t = parse_time(item.at)
    return math.floor(t / 60) if t is not None else item.at


def dedupe(items: Sequence[TickerItem]) -> list[TickerItem]:
    """The first (newest) item of each entity in each minute, in the given order."""
    seen: set[tuple[Hashable, ...]] = set()
    out = []
    for item in items:
        key = (*entity(item), _minute(item))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def select(items: Sequence[TickerItem], limit: int) -> list[TickerItem]:
    """The lines to show (see the module doc): disasters first, then the others in turn."""
    if limit <= 0:
        return []
    lines = dedupe(items)
    disasters = [i for i in lines if i.feed == "disasters"]
    queues = [[i for i in lines if i.feed == f] for f in ROTATION]
    queues.append([i for i in lines if i.feed != "disasters" and i.feed not in ROTATION])
    others = sum(len(q) for q in queues)
    share = max(1, math.ceil(limit * DISASTER_SHARE)) if others else limit
    head = disasters[:share]
    rest: list[TickerItem] = []
    while len(head) + len(rest) < limit and any(queues):
        for q in queues:
            if q and len(head) + len(rest) < limit:
                rest.append(q.pop(0))
    room = limit - len(head) - len(rest)
    if room > 0:  # nothing else left: more disasters
        head += disasters[share:share + room]
    return head + rest


@dataclass(frozen=True)
class Value:
    """The number a line carries: ``text`` and the tone of its change (``bad``/``good``/``flat``)."""

    text: str
    change: str = ""
    tone: str = "flat"


def price_value(snapshot: Snapshot | None, item: TickerItem, tr: Translate, lang: str) -> Value:
    """``Rp 72.500 ▲ +3,2% vs kemarin`` (or vs 7 days ago); ``–`` when the price is not known."""
    price = snapshot.economy.prices.get(item.title) if snapshot else None
    if price is None:
        return Value(DASH)
    pct, since = price.change_1d_pct, tr("kpi.vs_yesterday")
    if pct is None:
        pct, since = price.change_7d_pct, tr("ticker.vs_7d")
    if pct is None:
        return Value(fmt_idr(price.latest_idr, lang))
    # A staple getting dearer is bad news for residents (the KPI tiles' colours).
    arrow, tone = ("▲", "bad") if pct > 0 else ("▼", "good") if pct < 0 else ("■", "flat")
    return Value(fmt_idr(price.latest_idr, lang), f"{arrow} {fmt_pct(pct, 1, lang)} {since}", tone)


def transactions_value(snapshot: Snapshot | None, item: TickerItem, tr: Translate, lang: str) -> Value:
    """The merchant category's amount today (``Rp 1,2 M hari ini``); ``–`` when not known."""
    amount = snapshot.economy.by_merchant_category.get(item.title) if snapshot else None
    if amount is None:
        return Value(DASH)
    return Value(tr("ticker.today").format(amount=fmt_idr_short(amount, lang)))


def ticker_item(item: TickerItem, tr: Translate, text_limit: int = 80,
                snapshot: Snapshot | None = None, lang: str = "id") -> html.Div:
    """``14:02  ADUAN  Drainase · diterima · Manggala  “Air setinggi lutut…”``;
    ``14:03  EKONOMI  Cabai rawit · Pasar Terong  Rp 72.500  ▲ +3,2% vs kemarin``."""
    price = item.feed == "economy" and item.kind == "price"
    tx = item.feed == "economy" and item.kind == "transactions"
    if price:
        facts = [label(tr, "commodity", item.title)]
        if item.text:
            facts.append(shorten(item.text, 40))  # the market that reported
    elif tx:
        facts = [label(tr, "ekind", item.kind), label(tr, "mcat", item.title)]
    else:
        facts = [label(tr, _TITLE_GROUP.get(item.feed, "x"), item.title),
                 label(tr, _KIND_GROUP.get(item.feed, "x"), item.kind)]
    if item.kecamatan:
        facts.append(item.kecamatan)
    children: list[html.Span] = [
        html.Span(fmt_clock(item.at), className="tick-time"),
        html.Span(label(tr, "feed", item.feed), className=f"tick-feed feed-{item.feed}"),
        html.Span(" · ".join(facts), className="tick-facts"),
    ]
    if price or tx:
        value = (price_value if price else transactions_value)(snapshot, item, tr, lang)
        children.append(html.Span(value.text, className="tick-value"))
        if value.change:
            children.append(html.Span(value.change, className=f"tick-change tone-{value.tone}"))
    else:
        quote = shorten(item.text, text_limit)
        if quote:
            children.append(html.Span(f"“{quote}”", className="tick-text"))
    return html.Div(children, className=f"tick tick-{item.feed}")


def ticker(snapshot: Snapshot | None, tr: Translate, limit: int = 6, text_limit: int = 80,
           lang: str = "id") -> list[html.Div]:
    """The chosen ``limit`` lines (``select``); one line saying so when there are none."""
    items = select(snapshot.ticker, limit) if snapshot else []
    if not items:
        return [html.Div(tr("ticker.empty"), className="tick muted")]
    return [ticker_item(i, tr, text_limit, snapshot, lang) for i in items]
