"""Small named builders of contract-valid events for the stream tests."""

from __future__ import annotations

import itertools
import time
from typing import Any

from marvec.timeutil import iso

LOSARI = {"lat": -5.1436, "lon": 119.4078}  # Ujung Pandang
UNHAS = {"lat": -5.1317, "lon": 119.4881}  # Tamalanrea
AIRPORT = {"lat": -5.0617, "lon": 119.5542}  # Maros regency: outside the city
AT_SEA = {"lat": -5.30, "lon": 119.05}  # Makassar Strait, off the islands

_ids = itertools.count(1)


def at(seconds_ago: float, now: float | None = None) -> str:
    """RFC 3339 (WITA) for ``seconds_ago`` before ``now``."""
    return iso((now or time.time()) - seconds_ago)


def complaint(cid: str, status: str, ago: float, *, now: float | None = None,
              **fields: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"event_id": f"ev-{next(_ids)}", "occurred_at": at(ago, now),
                          "source": "lapor", "complaint_id": cid, "status": status,
                          "location": LOSARI}
    if status == "received":
        ev["category"] = "drainage"
    ev.update(fields)
    return {k: v for k, v in ev.items() if v is not None}


def price(market: str, commodity: str, idr: int, ago: float, **fields: Any) -> dict[str, Any]:
    ev = {"event_id": f"ev-{next(_ids)}", "occurred_at": at(ago), "source": "pasar",
          "kind": "price", "commodity": commodity, "unit": "kg", "price_idr": idr,
          "market": market}
    ev.update(fields)
    return ev


def transactions(report_id: str, count: int, amount: int, ago: float, **fields: Any) -> dict[str, Any]:
    ev = {"event_id": f"ev-{next(_ids)}", "occurred_at": at(ago), "source": "qris",
          "kind": "transactions", "report_id": report_id, "merchant_category": "kuliner",
          "count": count, "amount_idr": amount, "kecamatan": "Tallo"}
    ev.update(fields)
    return ev


def incident(iid: str, status: str, ago: float, **fields: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"event_id": f"ev-{next(_ids)}", "occurred_at": at(ago),
                          "source": "bpbd", "incident_id": iid, "status": status,
                          "location": LOSARI}
    ev.update(fields)
    return {k: v for k, v in ev.items() if v is not None}
