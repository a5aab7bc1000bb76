"""Where a consumer's CPU goes per event: decode, prepare, read, plan, commit (no Kafka).

    python bench/fold_phases.py [N] [--mix sim|entities] [--profile FILE]

``--mix sim`` (default): the simulator's mix on the bundled boundaries. ``--mix entities``:
many distinct entities (bench/entities.py) on the REAL kelurahan-merged boundaries of
shared/geodata, as ``bench/ingest.py --mix entities`` runs the consumers. ``--profile
FILE``: cProfile of the one-thread decode + fold phases into FILE (pstats).

Then the same decode + fold in 1 and in 2 processes at once against one Redis, each
process taking half of the partitions, as two consumers of one group would: the
fold's own scaling, without the broker competing for the cores.

The simulator's mix in batches of 5,000 (``MARVEC_BATCH_MAX_RECORDS``' default) over
6 partitions goes through the real ``decode_batch`` and ``RedisFold.apply`` against
a fresh Redis of its own, one phase after the other, each timed. The baseline is
``orjson.loads`` of the same messages (what the raw ceiling of ``bench/ingest.py``
does besides kafka-python). Redis CPU per event is read from ``INFO cpu``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import math
import multiprocessing
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import redis

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import simulated, table
from entities import BOUNDARIES, entities

import streams.sink as sink
from geodata import load_boundaries
from marvec.embedded import start_embedded_redis
from streams.decode import Record, decode_batch
from streams.feeds import FEEDS

BATCH = 5000
FEED_OF = {f: f for f in FEEDS}  # the topic of each feed is its name here


def timed(spent: dict[str, float], cpu: dict[str, float], name: str,
          fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - t0
            cpu[name] += time.thread_time() - c0
    return wrapper


def fold_share(url: str, records: list[Record], share: int, of: int, start: Any, now: float,
               boundaries_path: Path | None) -> None:
    """One 'consumer': decode and fold the partitions ``p % of == share``."""
    client = redis.Redis.from_url(url)
    fold = sink.RedisFold(client, dedupe_hours=48, retention_hours=168)
    mine = [r for r in records if r.partition % of == share]
    boundaries = load_boundaries(boundaries_path)
    start.wait()
    for i in range(0, len(mine), BATCH):
        fold.apply(decode_batch(mine[i:i + BATCH], FEED_OF, now, boundaries), now, "bench")


def parallel_rate(url: str, records: list[Record], processes: int, now: float,
                  boundaries_path: Path | None) -> float:
    """Events/s of decode + fold with ``processes`` at once (fork: the records are shared)."""
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.hset("mv:meta", "epoch", "bench")
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(processes + 1)
    procs = [ctx.Process(target=fold_share, args=(url, records, i, processes, start, now, boundaries_path))
             for i in range(processes)]
    for p in procs:
        p.start()
    start.wait()
    t0 = time.perf_counter()
    for p in procs:
        p.join()
    return len(records) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("n", nargs="?", type=int, default=200_000)
    ap.add_argument("--mix", choices=("sim", "entities"), default="sim")
    ap.add_argument("--profile", metavar="FILE", help="cProfile the one-thread phases into FILE")
    ap.add_argument("--gc-freeze", action="store_true",
                    help="gc.freeze() the pre-decoded batches before the fold is timed")
    ap.add_argument("--no-scale", action="store_true", help="skip the 1 vs 2 processes runs")
    ap.add_argument("--commandstats", action="store_true",
                    help="print Redis's own time per command over the fold (INFO commandstats)")
    args = ap.parse_args()
    n = args.n
    boundaries_path = BOUNDARIES if args.mix == "entities" else None
    messages = simulated(n) if args.mix == "sim" else entities(n)
    n = len(messages)
    records = [Record(m.feed, zlib.crc32((m.key or "").encode()) % 6, i, m.value)
               for i, m in enumerate(messages)]
    boundaries = load_boundaries(boundaries_path)
    spent = dict.fromkeys(("prepare", "needs", "read", "plan", "commit"), 0.0)
    cpu = dict.fromkeys(spent, 0.0)
    sink.build_items = timed(spent, cpu, "prepare", sink.build_items)
    sink.needs = timed(spent, cpu, "needs", sink.needs)
    sink.plan_batch = timed(spent, cpu, "plan", sink.plan_batch)
    sink.RedisFold.read = timed(spent, cpu, "read", sink.RedisFold.read)  # type: ignore[method-assign]
    sink.RedisFold._commit = timed(spent, cpu, "commit", sink.RedisFold._commit)  # type: ignore[method-assign]
    with start_embedded_redis(None, Path(tempfile.mkdtemp(prefix="marvec-bench-"))) as server:
        client = redis.Redis.from_url(server.url)
        fold = sink.RedisFold(client, dedupe_hours=48, retention_hours=168)
        fold.claim_epoch("bench")
        now = time.time()
        prof = cProfile.Profile() if args.profile else None
        t0 = time.perf_counter()
        for rec in records:
            orjson.loads(rec.value)
        raw = time.perf_counter() - t0
        if prof:
            prof.enable()
        t0, c0 = time.perf_counter(), time.thread_time()
        batches = [decode_batch(records[i:i + BATCH], FEED_OF, now, boundaries)
                   for i in range(0, n, BATCH)]
        decode, decode_cpu = time.perf_counter() - t0, time.thread_time() - c0
        if args.gc_freeze:  # the decoded batches out of the collector's way (a consumer holds one)
            gc.freeze()
        info = client.info("cpu")
        cpu0 = float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
        client.config_resetstat()
        t0, c0 = time.perf_counter(), time.thread_time()
        for verdicts in batches:
            fold.apply(verdicts, now, "bench")
        fold_s, fold_cpu = time.perf_counter() - t0, time.thread_time() - c0
        if prof:
            prof.disable()
            prof.dump_stats(args.profile)
        info = client.info("cpu")
        redis_cpu = float(info["used_cpu_user"]) + float(info["used_cpu_sys"]) - cpu0
        stats = client.info("commandstats") if args.commandstats else {}
        scale_url = server.url.rsplit("/", 1)[0] + "/1"
        one = two = math.nan
        if not args.no_scale:
            one = parallel_rate(scale_url, records, 1, now, boundaries_path)
            two = parallel_rate(scale_url, records, 2, now, boundaries_path)
    us = lambda s: f"{s / n * 1e6:.1f}"  # noqa: E731
    rows = [("orjson.loads only (baseline)", us(raw), us(raw), "1.0"),
            ("decode + validate + locate", us(decode), us(decode_cpu), f"{decode / raw:.1f}")]
    rows += [(f"fold: {name}", us(s), us(cpu[name]), f"{s / raw:.1f}") for name, s in spent.items()]
    rows += [("fold, all phases", us(fold_s), us(fold_cpu), f"{fold_s / raw:.1f}"),
             ("decode + fold", us(decode + fold_s), us(decode_cpu + fold_cpu), f"{(decode + fold_s) / raw:.1f}"),
             ("Redis CPU during the fold", us(redis_cpu), "", f"{redis_cpu / raw:.1f}")]
    print(f"mix {args.mix}, {n:,} events, batches of {BATCH:,}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(table(rows, ("phase (one thread)", "wall us/event", "consumer CPU us/event", "x baseline (wall)")))
    print(table([("1 process", f"{one:,.0f}", "1.00"), ("2 processes, one Redis", f"{two:,.0f}", f"{two / one:.2f}")],
                ("decode + fold, no Kafka", "events/s", "vs 1")))
    if stats:
        top = sorted(stats.items(), key=lambda kv: -kv[1]["usec"])[:12]
        print(table([(name.removeprefix("cmdstat_"), f"{st['calls'] / n:.2f}", f"{st['usec'] / n:.2f}",
                      f"{st['usec_per_call']:.2f}") for name, st in top],
                    ("Redis command", "calls per event", "us per event", "us per call")))
    print(f"summary: decode {us(decode)} + fold {us(fold_s)} us per event in the consumer, of which CPU "
          f"{us(decode_cpu)} + {us(fold_cpu)} us "
          f"({n / (decode + fold_s):,.0f} events/s on one core without Kafka); Redis {us(redis_cpu)} us; "
          f"2 processes {two / one:.2f}x one")


if __name__ == "__main__":
    main()
