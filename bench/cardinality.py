"""Hostile cardinality: thousands of OPD codes, markets and incidents against the read.

    python bench/cardinality.py [--opds 3000] [--markets 2000] [--incidents 1000]

Two Redis databases are filled through the real decode and fold (``common.fold_messages``):

* **baseline**: 6 hours of the simulator's realistic mix (~15 OPDs, ~12 markets, a few
  incidents);
* **hostile**: the same, plus one open complaint for each of ``--opds`` distinct OPD codes
  (a third of them resolved again, so they have resolution stats), a price for each of
  ``--markets`` markets x every staple, and ``--incidents`` active incidents.

Per database: the snapshot read (``SnapshotReader.read``, median of 20), the size of
``/api/v1/snapshot``'s JSON, and each screen's first layout (the page's ``layout()`` as
the router serves it, serialised as Dash sends it: bytes and time), with the ratios
hostile/baseline. The
read is the raw baseline every screen pays; a bounded read keeps hostile within a small
factor of it whatever the cardinality.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import redis

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import fold_messages, machine, services, simulated, table

from geodata import load_boundaries
from marvec.contract import COMMODITIES
from marvec.store import SnapshotReader
from streams.sources.sim.simulate import SimMessage

VALID = "valid"
LOSARI = {"lat": -5.1436, "lon": 119.4078}


def _at(ago: float) -> str:
    return datetime.fromtimestamp(time.time() - ago, UTC).isoformat()


def _msg(feed: str, key: str, body: dict[str, Any]) -> SimMessage:
    return SimMessage(feed, key, orjson.dumps({"event_id": uuid.uuid4().hex, **body}), VALID)


def hostile_mix(opds: int, markets: int, incidents: int) -> list[SimMessage]:
    out = []
    for i in range(opds):
        cid = f"HC-{i}"
        out.append(_msg("complaints", cid, {"occurred_at": _at(86400 * 8), "source": "lapor",
                                            "complaint_id": cid, "status": "received",
                                            "category": "drainage", "location": LOSARI}))
        out.append(_msg("complaints", cid, {"occurred_at": _at(3600), "source": "lapor",
                                            "complaint_id": cid, "status": "assigned",
                                            "opd": f"OPD-{i:05d}"}))
        if i % 3 == 0:
            out.append(_msg("complaints", f"HR-{i}", {"occurred_at": _at(7200), "source": "lapor",
                                                      "complaint_id": f"HR-{i}", "status": "received",
                                                      "category": "road", "location": LOSARI,
                                                      "opd": f"OPD-{i:05d}"}))
            out.append(_msg("complaints", f"HR-{i}", {"occurred_at": _at(1800), "source": "lapor",
                                                      "complaint_id": f"HR-{i}", "status": "resolved",
                                                      "opd": f"OPD-{i:05d}"}))
    for m in range(markets):
        for c in COMMODITIES:
            out.append(_msg("economy", f"M-{m}", {"occurred_at": _at(600 + m % 3000), "source": "pasar",
                                                 "kind": "price", "commodity": c, "unit": "kg",
                                                 "price_idr": 10000 + (m * 37) % 5000,
                                                 "market": f"Pasar Uji {m:05d}", "location": LOSARI}))
    for n in range(incidents):
        iid = f"HI-{n}"
        out.append(_msg("disasters", iid, {"occurred_at": _at(3600 + n), "source": "bpbd",
                                           "incident_id": iid, "hazard": "flood", "severity": 1 + n % 5,
                                           "status": "responding", "location": LOSARI,
                                           "affected_people": n % 400}))
    return out


def measure(url: str, boundaries: Any) -> dict[str, float]:
    import plotly.utils

    from dashboard.app import create_app
    from dashboard.components.context import ScreenContext
    from dashboard.pages import crisis, mayor, wall
    from dashboard.source import SnapshotSource
    from layers.mapframe import build_frame
    from marvec.settings import Settings

    names = [str(n) for n in boundaries.names]
    client = redis.Redis.from_url(url)
    reader = SnapshotReader(client)
    reader.read(names)
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        reader.read(names)
        times.append(time.perf_counter() - t0)
    settings = Settings(auth="open", redis_url=url, refresh_ms=60_000)
    source = SnapshotSource(url, names, refresh_s=60)
    web = create_app(settings, boundaries, source).server.test_client()
    out = {"read_ms": statistics.median(times) * 1000,
           "api_kb": len(web.get("/api/v1/snapshot").data) / 1024}
    screen = ScreenContext(settings, build_frame(boundaries.geojson()), tuple(names), source, time.time)
    for name, page in (("wall", wall), ("mayor", mayor), ("crisis", crisis)):
        t0 = time.perf_counter()
        body = orjson.dumps(page.layout(screen, "id"), default=plotly.utils.PlotlyJSONEncoder().default)
        out[f"{name}_layout_s"] = time.perf_counter() - t0
        out[f"{name}_layout_kb"] = len(body) / 1024
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--opds", type=int, default=3000)
    ap.add_argument("--markets", type=int, default=2000)
    ap.add_argument("--incidents", type=int, default=1000)
    args = ap.parse_args()
    print(machine())
    boundaries = load_boundaries(None)
    base = simulated(20_000)
    results = {}
    with services() as (_, url):
        root = url.rsplit("/", 1)[0]
        for db, label, msgs in ((1, "baseline", base),
                                (2, "hostile", base + hostile_mix(args.opds, args.markets, args.incidents))):
            db_url = f"{root}/{db}"
            fold_messages(redis.Redis.from_url(db_url), msgs, boundaries)
            results[label] = measure(db_url, boundaries)
    b, h = results["baseline"], results["hostile"]
    rows = [(k, f"{b[k]:.2f}", f"{h[k]:.2f}", f"{h[k] / b[k]:.1f}x" if b[k] else "-") for k in b]
    print(f"hostile: {args.opds} OPDs, {args.markets} markets x {len(COMMODITIES)} staples, "
          f"{args.incidents} active incidents")
    print(table(rows, ("measure", "baseline", "hostile", "ratio")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
