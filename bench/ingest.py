"""Ingest benchmark: raw kafka-python + JSON ceiling vs ``marvec consume`` on the same data.

    python bench/ingest.py [N] [--mix sim|entities] [--peer | --no-peer] [--profile SECONDS]

``--mix sim`` (default, 500,000 events): the simulator's mix on the bundled boundaries.
``--mix entities``: many distinct entities (bench/entities.py) with the consumers on the
REAL kelurahan-merged boundaries of shared/geodata (``MARVEC_BOUNDARIES``).

Prints events/s for (a) the raw ceiling, (b) one ``marvec consume`` process from
start to fully applied in Redis, (c) two processes in one group, (d) on the entities mix
(or with ``--peer``) the quix-streams peer of bench/peer_quix.py, and the ratios.
``--profile S``: py-spy the single consumer for S seconds once it writes; prints the top
functions (collapsed stacks kept in /tmp/marvec-ingest-profile.txt).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
import redis
from kafka import KafkaConsumer, TopicPartition

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import (
    consume_process,
    fresh_settings,
    loadavg,
    produce,
    profile_shares,
    py_spy,
    revision,
    services,
    simulated,
    table,
)
from entities import BOUNDARIES, describe, entities

from marvec.contract import FEEDS

PROFILE_OUT = "/tmp/marvec-ingest-profile.txt"


def raw_ceiling(settings, n: int) -> float:
    """kafka-python reading every partition from the beginning, decoding JSON only."""
    consumer = KafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False,
                             fetch_max_bytes=64 << 20, max_partition_fetch_bytes=8 << 20)
    parts = [TopicPartition(t, p) for t in settings.topics.values()
             for p in consumer.partitions_for_topic(t)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    seen, t0 = 0, time.perf_counter()
    while seen < n:
        for batch in consumer.poll(timeout_ms=500, max_records=5000).values():
            for rec in batch:
                orjson.loads(rec.value)
            seen += len(batch)
    elapsed = time.perf_counter() - t0
    consumer.close()
    return n / elapsed


def applied(client: redis.Redis) -> int:
    total = 0
    for feed in FEEDS:  # every feed: the simulator's mix has public-information posts too
        vals = client.hmget(f"mv:feed:{feed}", "accepted", "rejected", "duplicates")
        total += sum(int(v or 0) for v in vals)
    return total


CPU: dict[str, tuple[float, float]] = {}
"""pipeline -> (its processes' CPU µs per event, Redis CPU µs per event), whole run."""


def redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def marvec_rate(settings, redis_url: str, n: int, processes: int, db: int, boundaries: Path | None,
                profile: float = 0.0) -> tuple[float, float, float]:
    """(events/s from start to fully applied, events/s from first write to done, seconds
    from start to the first write: imports, boundaries, the group join)."""
    client = redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + f"/{db}")
    client.flushdb()
    group = settings.model_copy(update={"consumer_group": f"{settings.consumer_group}-{db}"})
    redis_cpu0 = redis_cpu(client)
    t0 = time.perf_counter()
    procs = [consume_process(group, redis_url, db, boundaries=boundaries) for _ in range(processes)]
    first, spy = None, None
    try:
        while (done := applied(client)) < n:
            if done and first is None:
                first = (time.perf_counter(), done)
                if profile:
                    spy = py_spy(procs[0].pid, profile, PROFILE_OUT, idle=False)
            for p in procs:
                if p.poll() is not None:
                    raise RuntimeError(f"marvec consume exited with {p.returncode}")
            time.sleep(0.05)
        CPU[f"marvec consume x{processes}"] = (sum(proc_cpu(p.pid) for p in procs) / n * 1e6,
                                               (redis_cpu(client) - redis_cpu0) / n * 1e6)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        if spy is not None:
            spy.wait(timeout=60)
    end = time.perf_counter()
    steady = (n - first[1]) / (end - first[0]) if first else float("nan")
    return n / (end - t0), steady, (first[0] - t0) if first else float("nan")


def peer_rate(settings, redis_url: str, n: int, db: int, boundaries: Path) -> tuple[float, float, float]:
    """The quix-streams peer (bench/peer_quix.py): the same three numbers as ``marvec_rate``."""
    client = redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + f"/{db}")
    client.flushdb()
    redis_cpu0 = redis_cpu(client)
    cmd = [sys.executable, str(Path(__file__).with_name("peer_quix.py")), settings.kafka_bootstrap,
           redis_url.rsplit("/", 1)[0] + f"/{db}", f"{settings.consumer_group}-peer", str(boundaries),
           *settings.topics.values()]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    first = None
    try:
        while (done := int(client.hget("peer:stats", "seen") or 0)) < n:
            if done and first is None:
                first = (time.perf_counter(), done)
            if proc.poll() is not None:
                raise RuntimeError(f"the quix-streams peer exited with {proc.returncode}")
            time.sleep(0.05)
        CPU["quix-streams peer x1"] = (proc_cpu(proc.pid) / n * 1e6, (redis_cpu(client) - redis_cpu0) / n * 1e6)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    end = time.perf_counter()
    steady = (n - first[1]) / (end - first[0]) if first else float("nan")
    return n / (end - t0), steady, (first[0] - t0) if first else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=None, help="events (default 500,000 sim / 200,000 entities)")
    ap.add_argument("--mix", choices=("sim", "entities"), default="sim")
    ap.add_argument("--peer", action=argparse.BooleanOptionalAction, default=None,
                    help="run the quix-streams peer too (default: on the entities mix)")
    ap.add_argument("--profile", type=float, default=0.0, metavar="SECONDS")
    args = ap.parse_args()
    n = args.n or (200_000 if args.mix == "entities" else 500_000)
    peer = args.peer if args.peer is not None else args.mix == "entities"
    boundaries = BOUNDARIES if args.mix == "entities" else None
    print(f"{revision()}; load average before {loadavg()}")
    with services() as (bootstrap, redis_url):
        settings = fresh_settings(bootstrap, redis_url, partitions=6)
        t0 = time.perf_counter()
        messages = simulated(n) if args.mix == "sim" else entities(n)
        made = time.perf_counter() - t0
        secs = produce(settings, messages)
        what = "simulated" if args.mix == "sim" else f"entities-mix ({describe(messages)})"
        print(f"made {n:,} {what} events in {made:.1f} s; produced into 3 topics x 6 partitions in {secs:.1f} s")
        del messages
        raw = raw_ceiling(settings, n)
        one, one_steady, one_start = marvec_rate(settings, redis_url, n, 1, 1, boundaries, args.profile)
        two, two_steady, two_start = marvec_rate(settings, redis_url, n, 2, 2, boundaries)
        if peer:
            q, q_steady, q_start = peer_rate(settings, redis_url, n, 3, boundaries or Path(
                __file__).resolve().parent.parent / "geodata" / "data" / "makassar_kecamatan.geojson")
    rows = [("raw kafka-python + orjson", f"{raw:,.0f}", "1.00", "", "", ""),
            ("marvec consume x1", f"{one:,.0f}", f"{one / raw:.2f}", f"{one_steady:,.0f}",
             f"{one_steady / raw:.2f}", f"{one_start:.1f}"),
            ("marvec consume x2 (one group)", f"{two:,.0f}", f"{two / raw:.2f}", f"{two_steady:,.0f}",
             f"{two_steady / raw:.2f}", f"{two_start:.1f}")]
    if peer:
        rows.append(("quix-streams peer x1", f"{q:,.0f}", f"{q / raw:.2f}", f"{q_steady:,.0f}",
                     f"{q_steady / raw:.2f}", f"{q_start:.1f}"))
    print(f"mix {args.mix}, {n:,} events")
    print(table(rows, ("pipeline", "events/s (start->applied)", "vs raw", "steady events/s",
                       "steady vs raw", "s to first write")))
    for name, (proc_us, redis_us) in CPU.items():
        print(f"{name}: CPU per event: its processes {proc_us:.1f} us, Redis {redis_us:.1f} us")
    print(f"load average after {loadavg()}")
    print(f"summary: one process {one:,.0f}/s = {one / raw:.0%} of raw {raw:,.0f}/s "
          f"(steady {one_steady:,.0f}/s = {one_steady / raw:.0%}); two processes {two / one:.2f}x one "
          f"(steady {two_steady / one_steady:.2f}x)"
          + (f"; marvec x1 vs quix peer {one / q:.2f}x from start, {one_steady / q_steady:.2f}x once writing"
             if peer else ""))
    if args.profile:
        print(f"profile of the single consumer ({args.profile:.0f} s once writing, {PROFILE_OUT}):")
        rows = [(fn[:90], f"{inc:.1%}", f"{own:.1%}") for fn, inc, own in profile_shares(PROFILE_OUT, top=25)]
        print(table(rows, ("function (file)", "inclusive", "self")))


if __name__ == "__main__":
    main()
