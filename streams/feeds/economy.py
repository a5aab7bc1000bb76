"""``marvec.economy``: staple prices at markets and merchant transaction reports (1.3).

A price keeps each market's latest value per commodity (hash ``Keys.price``, cells
``<occurred_ts>|<price_idr>|<unit>``) and per WITA day (``Keys.price_day``); a
transactions report adds to the day's sums (``Keys.tx_day``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import msgspec

from marvec import contract as C
from streams import fields as F
from streams.feeds.base import (
    Common,
    Count,
    Event,
    Feed,
    Id,
    Locator,
    Name64,
    Positive,
    place,
    place_checked,
    placed,
)
from streams.fields import Invalid
from streams.values import fmt

if TYPE_CHECKING:
    from streams.plan import NeedsBuilder, Planner


class PriceEvent(Common, kw_only=True, tag_field="kind", tag="price"):
    commodity: Literal[C.COMMODITIES]  # type: ignore[valid-type]
    unit: Literal[C.UNITS]  # type: ignore[valid-type]
    price_idr: Positive
    market: Id


class TransactionsEvent(Common, kw_only=True, tag_field="kind", tag="transactions"):
    report_id: Id
    merchant_category: Name64
    count: Count
    amount_idr: Count


def compact(e: PriceEvent | TransactionsEvent, ev: Event, locator: Locator) -> bool:
    if isinstance(e, PriceEvent):
        ev["kind"], ev["com"], ev["unit"], ev["price"], ev["mkt"] = (
            "price", e.commodity, e.unit, e.price_idr, e.market)
        place(ev, e, locator)
        return True
    ev["kind"], ev["rid"], ev["mc"], ev["n"], ev["amt"] = (
        "transactions", e.report_id, e.merchant_category, e.count, e.amount_idr)
    place(ev, e, locator)
    return placed(ev)


def check(obj: dict[str, Any], ev: Event, locator: Locator) -> None:
    kind = F.choice(obj, "kind", C.ECONOMY_KINDS, required=True)
    ev["kind"] = kind
    if kind == "price":
        ev["com"] = F.choice(obj, "commodity", C.COMMODITIES, required=True)
        ev["unit"] = F.choice(obj, "unit", C.UNITS, required=True)
        ev["price"] = F.integer(obj, "price_idr", required=True, minimum=1)
        ev["mkt"] = F.string(obj, "market", required=True)
        place_checked(ev, obj, locator, loc_required=False)
        return
    ev["rid"] = F.string(obj, "report_id", required=True)
    ev["mc"] = F.string(obj, "merchant_category", required=True, max_len=64)
    ev["n"] = F.integer(obj, "count", required=True, minimum=0)
    ev["amt"] = F.integer(obj, "amount_idr", required=True, minimum=0)
    place_checked(ev, obj, locator, loc_required=False)
    if not placed(ev):
        raise Invalid("schema", "a transactions report needs kecamatan or location")


def needs_city(ev: Event) -> bool:
    return bool(ev["kind"] == "transactions")


def needs(e: Event, need: NeedsBuilder) -> None:
    if e["kind"] == "price":
        need.cell(need.keys.price(e["com"]), e["mkt"])
        need.cell(need.keys.price_day(e["com"], e["d"]), e["mkt"])


def fold(p: Planner, e: Event) -> str | None:
    if e["kind"] == "price":
        _price(p, e)
    else:
        _transactions(p, e)
    return None


def _price(p: Planner, e: Event) -> None:
    com, mkt, t, day = e["com"], e["mkt"], e["t"], e["d"]
    kec = e.get("k")
    val = f"{fmt(t)}|{fmt(e['price'])}|{e['unit']}" + (f"|{kec}" if kec else "")
    key = p.k.price(com)
    cur = p.cell(key, mkt)
    if cur is None or t >= float(cur.split("|", 1)[0]):
        p.set_cell(key, mkt, val)
        p.tick({"feed": "economy", "at": t, "kind": "price", "title": com, "text": mkt,
                "k": e.get("k"), "value": e["price"]})
    dk = p.k.price_day(com, day)
    dcur = p.cell(dk, mkt)
    if dcur is None or t >= float(dcur.split("|", 1)[0]):
        p.set_cell(dk, mkt, val)
    p.expire_at_least(dk, e["de"] + p.cfg.day_ttl)


def _transactions(p: Planner, e: Event) -> None:
    dk = p.k.tx_day(e["d"])
    k, n, amt = e["k"], e["n"], e["amt"]
    inc = p.inc
    inc(dk, "count", n)
    inc(dk, "amount", amt)
    inc(dk, f"k:{k}", amt)
    inc(dk, f"kc:{k}", n)
    inc(dk, f"m:{e['mc']}", amt)
    p.expire_at_least(dk, e["de"] + p.cfg.day_ttl)
    p.trend(e, "e:tx_count", n)
    p.trend(e, "e:tx_amount", amt)
    p.tick({"feed": "economy", "at": e["t"], "kind": "transactions", "title": e["mc"],
            "k": k, "value": amt})


FEED = Feed(name="economy", entity_key="market / report_id",
            decoder=msgspec.json.Decoder(PriceEvent | TransactionsEvent), compact=compact,
            check=check, needs_city=needs_city, needs=needs, fold=fold)
