"""The expiry sweep (``streams/expiry.py``) at hostile cardinality.

    python bench/expiry.py [--markets 2000] [--opds 3000] [--chunk 1000]

One embedded Redis holds ``--markets`` markets x every staple, half of them silent past
the retention (31 days), and ``--opds`` OPD codes with nothing open, a third with 20
resolutions 40 days old, a third with one from an hour ago, a third with none. Written
straight in Marvec's layout (``marvec.keys``), as the fold leaves it. Measured: each
script call's time (what a commit waits behind at most), the calls of a whole sweep,
what it removed, Redis's memory and the snapshot read before and after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import machine, table

from geodata import load_boundaries
from marvec.contract import COMMODITIES
from marvec.embedded import start_embedded_redis
from marvec.keys import Keys
from marvec.store import SnapshotReader
from streams.expiry import Pruner

DAY = 86400


def fill(client: redis.Redis, keys: Keys, markets: int, opds: int, now: float) -> None:
    pipe = client.pipeline(transaction=False)
    pipe.hset(keys.meta, "epoch", "bench")
    for c in COMMODITIES:
        cells = {}
        for m in range(markets):
            t = now - (31 * DAY if m % 2 else 600 + m)
            cells[f"Pasar Uji {m:05d}"] = f"{t:.3f}|{10000 + (m * 37) % 5000}|kg"
        pipe.hset(keys.price(c), mapping=cells)
    for i in range(opds):
        opd = f"OPD-{i:05d}"
        pipe.sadd(keys.opds, opd)
        pipe.hset(keys.open_by_opd, opd, 0)
        if i % 3 == 0:
            res = now - 40 * DAY
            pipe.lpush(keys.resolutions(opd), *[f"3600|1|{res - k:.3f}" for k in range(20)])
        elif i % 3 == 1:
            pipe.lpush(keys.resolutions(opd), f"3600|1|{now - 3600:.3f}")
    pipe.execute()


def read_ms(reader: SnapshotReader, names: list[str], now: float) -> float:
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        reader.read(names, now)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markets", type=int, default=2000)
    ap.add_argument("--opds", type=int, default=3000)
    ap.add_argument("--chunk", type=int, default=1000)
    args = ap.parse_args()
    with start_embedded_redis(None, Path(tempfile.mkdtemp(prefix="marvec-bench-"))) as server:
        client = redis.Redis.from_url(server.url)
        keys, now = Keys(), time.time()
        fill(client, keys, args.markets, args.opds, now)
        names = list(load_boundaries().names)
        reader = SnapshotReader(client)
        mem0, read0 = client.info("memory")["used_memory"], read_ms(reader, names, now)
        pruner = Pruner(client, 30, keys, chunk=args.chunk)
        calls, removed = [], [0, 0]
        while True:
            t0 = time.perf_counter()
            r = pruner.step(now, "bench")
            calls.append((time.perf_counter() - t0) * 1000)
            removed[0] += r.markets
            removed[1] += r.opds
            if r.done:
                break
        mem1, read1 = client.info("memory")["used_memory"], read_ms(reader, names, now)
    print(f"{args.markets} markets x {len(COMMODITIES)} staples (half silent), {args.opds} OPDs "
          f"(none open; a third resolved 40 days ago), chunk {args.chunk}; {machine()}")
    print(table([
        ("script calls for a whole sweep", f"{len(calls)}"),
        ("one call (median / max)", f"{statistics.median(calls):.1f} / {max(calls):.1f} ms"),
        ("removed", f"{removed[0]:,} market prices, {removed[1]:,} OPDs"),
        ("Redis used_memory", f"{mem0 / 2**20:.1f} -> {mem1 / 2**20:.1f} MiB"),
        ("snapshot read (median of 10)", f"{read0:.0f} -> {read1:.0f} ms"),
    ], ("measure", "value")))


if __name__ == "__main__":
    main()
