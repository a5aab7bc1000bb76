"""Map payload: bytes and server time of one /wall update with 1,000 / 10,000 / 100,000 open complaints.

    python bench/map.py [N ...]      (default 1000 10000 100000)

For each N a fresh Redis db is seeded with N open complaints (``received`` events at
random places in the city) through the real fold (``decode_batch`` +
``RedisFold.apply``). The wall's live callback is then POSTed in-process (Flask test
client of ``create_app``, a ``SnapshotSource`` that re-reads Redis on every call) with
the body the page sends on its data tick:

- first tick of a fresh screen (digests of nothing shown: every output is sent);
- steady tick (the digests the previous answer returned: only what changed is sent).

Baseline: one raw ``SnapshotReader.read`` (time) and its snapshot as JSON (bytes).
The map patch is checked for geometry: no polygon ``x``/``y`` may be in any tick.
"""

from __future__ import annotations

import gzip
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import redis

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import (
    loadavg,
    machine,
    page_digests,
    percentiles,
    router_request,
    set_state,
    table,
    wall_request,
)

from dashboard.app import create_app
from dashboard.components import ids
from dashboard.source import SnapshotSource
from geodata import load_boundaries
from marvec.embedded import start_embedded_redis
from marvec.settings import Settings
from marvec.store import SnapshotReader
from streams.decode import Record, decode_batch
from streams.sink import RedisFold

CATEGORIES = ("roads", "drainage", "waste", "water", "health", "street_lighting")
PRIORITIES = ("low", "normal", "high", "urgent")
REPEAT = 40


def city_points(boundaries, n: int, rng: np.random.Generator) -> list[tuple[float, float, str]]:
    """``n`` random (lon, lat, kecamatan) inside the city."""
    out: list[tuple[float, float, str]] = []
    while len(out) < n:
        lon = rng.uniform(119.38, 119.56, 4 * n)
        lat = rng.uniform(-5.23, -5.05, 4 * n)
        names = boundaries.locate(lon, lat)
        out += [(float(x), float(y), str(k)) for x, y, k in zip(lon, lat, names, strict=True) if isinstance(k, str)]
    return out[:n]


def seed(client: redis.Redis, boundaries, n: int) -> float:
    """N open complaints through the real decode + fold; returns seconds taken."""
    rng = np.random.default_rng(n)
    fold = RedisFold(client, dedupe_hours=168, retention_hours=168)
    epoch = fold.claim_epoch(uuid.uuid4().hex)
    now = time.time()
    t0 = time.perf_counter()
    points = city_points(boundaries, n, rng)
    for start in range(0, n, 5000):
        records = []
        for i in range(start, min(n, start + 5000)):
            lon, lat, _ = points[i]
            at = datetime.fromtimestamp(now - 6 * 3600 * (n - i) / n, UTC)
            body = {"event_id": f"map-{i}", "occurred_at": at.isoformat(timespec="seconds").replace("+00:00", "Z"),
                    "source": "bench", "complaint_id": f"C-{i}", "status": "received",
                    "category": CATEGORIES[i % 6], "priority": PRIORITIES[i % 4], "opd": f"OPD{i % 12}",
                    "text": f"keluhan nomor {i}", "location": {"lat": lat, "lon": lon}}
            records.append(Record("bench.complaints", i % 6, i // 6, orjson.dumps(body)))
        verdicts = decode_batch(records, {"bench.complaints": "complaints"}, time.time(), boundaries)
        fold.apply(verdicts, time.time(), epoch)
    return time.perf_counter() - t0


def patch_locations(answer: dict) -> list[list]:
    fig = answer.get("response", {}).get(ids.WALL.map, {})
    patch = fig.get("figure") or {}
    return [op.get("location") for op in patch.get("operations", [])]


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10_000, 100_000]
    print(f"machine: {machine()}")
    boundaries = load_boundaries(None)
    names = [str(n) for n in boundaries.names]
    settings = Settings(auth="open", lang="id", refresh_ms=1000)
    rows = []
    results = {}
    with start_embedded_redis(None, Path(tempfile.mkdtemp(prefix="marvec-bench-map-"))) as red:
        for db, n in enumerate(sizes, start=1):
            client = redis.Redis.from_url(red.url.rsplit("/", 1)[0] + f"/{db}")
            client.flushdb()
            secs = seed(client, boundaries, n)
            open_now = int(client.hget("mv:c:totals", "open") or 0)
            reader = SnapshotReader(client)
            raw_t = []
            for _ in range(REPEAT):
                t = time.perf_counter()
                snap = reader.read(names)
                raw_t.append((time.perf_counter() - t) * 1000)
            snap_bytes = len(snap.model_dump_json())
            source = SnapshotSource(client, names, refresh_s=1e-6)  # every call reads Redis
            app = create_app(settings, boundaries, source)
            test = app.server.test_client()
            body = wall_request(app)
            full_t, steady_t, full_b, steady_b, geometry = [], [], [], [], 0
            for i in range(3):  # warm-up: Dash's first-request set-up, caches
                test.post("/_dash-update-component", json=set_state(body, 100 + i, None))
            first_paint = len(test.post("/_dash-update-component", json=router_request(app)).data)
            for i in range(REPEAT):
                req = set_state(body, i + 1, None)
                t = time.perf_counter()
                res = test.post("/_dash-update-component", json=req)
                full_t.append((time.perf_counter() - t) * 1000)
                answer = orjson.loads(res.data)
                full_b.append(len(res.data))
                digests = answer["response"][page_digests(app)]["data"]
                req = set_state(body, i + 2, digests)
                t = time.perf_counter()
                res = test.post("/_dash-update-component", json=req)
                steady_t.append((time.perf_counter() - t) * 1000)
                steady_b.append(len(res.data))
                for a in (answer, orjson.loads(res.data)):
                    geometry += sum(1 for loc in patch_locations(a)
                                    if loc and loc[0] == "data" and loc[1] < len(names) and loc[-1] in ("x", "y"))
            points = next((len(op["params"]["value"]) for op in
                           orjson.loads(test.post("/_dash-update-component", json=set_state(body, 99, None)).data)
                           ["response"]["wall-map"]["figure"]["operations"]
                           if op["location"] == ["data", len(names) + 1, "x"]), 0)
            gz = len(gzip.compress(test.post("/_dash-update-component", json=set_state(body, 98, None)).data))
            r50, r95 = percentiles(raw_t, (50, 95))
            f50, f95 = percentiles(full_t, (50, 95))
            s50, s95 = percentiles(steady_t, (50, 95))
            results[n] = (max(full_b), f95, r95)
            rows.append((f"{n:,}", f"{open_now:,}", f"{secs:.0f}", f"{snap_bytes / 1024:,.1f}", f"{r50:.1f}/{r95:.1f}",
                         f"{first_paint / 1024:,.1f}", points, f"{max(full_b) / 1024:,.1f}", f"{gz / 1024:,.1f}",
                         f"{f50:.0f}/{f95:.0f}", f"{max(steady_b) / 1024:,.1f}", f"{s50:.0f}/{s95:.0f}",
                         geometry, loadavg().split()[0]))
            client.flushdb()
    print(table(rows, ("open complaints", "in Redis", "seed s", "raw snapshot KB", "raw read ms p50/p95",
                       "first paint KB", "map points sent", "update KB (fresh screen)", "gzip KB",
                       "update ms p50/p95", "update KB (steady)", "steady ms p50/p95", "geometry ops", "load")))
    big = max(sizes)
    b, t95, r95 = results[big]
    print(f"summary: at {big:,} open complaints one wall update is {b / 1024:,.1f} KB "
          f"(target <= 300 KB: {'met' if b <= 300 * 1024 else 'MISSED'}), p95 {t95:.0f} ms = {t95 / r95:.1f}x "
          f"the raw Redis read ({r95:.0f} ms); {results[min(sizes)][0] / 1024:,.1f} KB at {min(sizes):,}; "
          f"geometry resent: {'never' if all(r[12] == 0 for r in rows) else 'YES'}; load {loadavg()}")


if __name__ == "__main__":
    main()
