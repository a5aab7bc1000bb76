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


PLACES = [LOSARI, UNHAS, {"lat": -5.1600, "lon": 119.4300}, {"lat": -5.1700, "lon": 119.4850},
          {"lat": -5.1000, "lon": 119.5100}, {"lat": -5.1200, "lon": 119.4250}]
CATEGORIES = ["roads", "drainage", "waste", "water", "health"]
OPDS = ["DPU", "DLH", "PDAM", "DINKES"]
STATUS_PATH = ["received", "assigned", "in_progress", "resolved"]
HAZARD_PATH = ["reported", "verified", "responding", "contained", "closed"]


def mixed_stream(n: int, seed: int = 7) -> list[tuple[str, dict[str, Any]]]:
    """``n`` valid events across the three feeds: lifecycles, prices, reports, some
    producer resends and some late older events; occurred_at within the last 50 minutes."""
    import random

    rng = random.Random(seed)
    now = time.time()
    out: list[tuple[str, dict[str, Any]]] = []
    progress: dict[str, int] = {}
    while len(out) < n:
        roll = rng.random()
        if roll < 0.45:
            cid = f"C{rng.randrange(n // 6 + 1)}"
            step = progress.get(cid, -1) + 1
            if step >= len(STATUS_PATH):
                continue
            progress[cid] = step
            ago = 3000 - step * 500 - rng.random() * 100
            extra = {"category": rng.choice(CATEGORIES), "priority": rng.choice(["low", "urgent"])} \
                if step == 0 else {"opd": rng.choice(OPDS)}
            ev = complaint(cid, STATUS_PATH[step], ago, now=now, location=rng.choice(PLACES), **extra)
            out.append(("complaints", ev))
        elif roll < 0.80:
            mkt = f"Pasar {rng.choice('ABCDE')}"
            ev = price(mkt, rng.choice(["beras", "cabai_rawit"]), rng.randrange(10, 60) * 1000,
                       rng.random() * 3000)
            if rng.random() < 0.5:
                out.append(("economy", transactions(f"R{len(out)}", rng.randrange(50),
                                                    rng.randrange(10**6), rng.random() * 3000)))
                continue
            out.append(("economy", ev))
        else:
            iid = f"I{rng.randrange(n // 30 + 1)}"
            step = progress.get(iid, -1) + 1
            if step >= len(HAZARD_PATH):
                continue
            progress[iid] = step
            extra = {"hazard": rng.choice(["flood", "fire"]), "severity": rng.randint(1, 5)} \
                if step == 0 else {}
            ev = incident(iid, HAZARD_PATH[step], 3000 - step * 500, location=rng.choice(PLACES),
                          affected_people=rng.randrange(500), displaced=rng.randrange(100), **extra)
            out.append(("disasters", ev))
        if rng.random() < 0.03:
            out.append(out[-1])  # a producer resend: same event_id, same bytes
    if n > 10:  # a few late, older events: moved later in the stream than newer ones
        for i in range(0, len(out) - 10, 97):
            out[i], out[i + 9] = out[i + 9], out[i]
    return out[:n]
