"""Ingest benchmark: raw kafka-python + JSON ceiling vs ``marvec consume`` on the same data.

    python bench/ingest.py [N]      (default 500,000 events of the simulator's mix)

Prints events/s for (a) the raw ceiling, (b) one ``marvec consume`` process from
start to fully applied in Redis, (c) two processes in one group, and the ratios.
"""

from __future__ import annotations

import os
import sys
import time

import orjson
import redis
from kafka import KafkaConsumer, TopicPartition

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import consume_process, fresh_settings, produce, services, simulated, table


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
    for feed in ("complaints", "economy", "disasters"):
        vals = client.hmget(f"mv:feed:{feed}", "accepted", "rejected", "duplicates")
        total += sum(int(v or 0) for v in vals)
    return total


CPU: dict[int, tuple[float, float]] = {}
"""processes -> (consumer CPU µs per event, Redis CPU µs per event), whole run."""


def redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def marvec_rate(settings, redis_url: str, n: int, processes: int, db: int) -> tuple[float, float, float]:
    """(events/s from start to fully applied, events/s from first write to done, seconds
    from start to the first write: imports, boundaries, the group join)."""
    client = redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + f"/{db}")
    client.flushdb()
    group = settings.model_copy(update={"consumer_group": f"{settings.consumer_group}-{db}"})
    redis_cpu0 = redis_cpu(client)
    t0 = time.perf_counter()
    procs = [consume_process(group, redis_url, db) for _ in range(processes)]
    first = None
    try:
        while (done := applied(client)) < n:
            if done and first is None:
                first = (time.perf_counter(), done)
            time.sleep(0.05)
        CPU[processes] = (sum(proc_cpu(p.pid) for p in procs) / n * 1e6,
                          (redis_cpu(client) - redis_cpu0) / n * 1e6)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    end = time.perf_counter()
    steady = (n - first[1]) / (end - first[0]) if first else float("nan")
    return n / (end - t0), steady, (first[0] - t0) if first else float("nan")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    with services() as (bootstrap, redis_url):
        settings = fresh_settings(bootstrap, redis_url, partitions=6)
        messages = simulated(n)
        secs = produce(settings, messages)
        print(f"produced {n:,} simulated events into 3 topics x 6 partitions in {secs:.1f} s")
        raw = raw_ceiling(settings, n)
        one, one_steady, one_start = marvec_rate(settings, redis_url, n, 1, db=1)
        two, two_steady, two_start = marvec_rate(settings, redis_url, n, 2, db=2)
    rows = [("raw kafka-python + JSON", f"{raw:,.0f}", "1.00", "", "", ""),
            ("marvec consume x1", f"{one:,.0f}", f"{one / raw:.2f}", f"{one_steady:,.0f}",
             f"{one_steady / raw:.2f}", f"{one_start:.1f}"),
            ("marvec consume x2 (one group)", f"{two:,.0f}", f"{two / raw:.2f}", f"{two_steady:,.0f}",
             f"{two_steady / raw:.2f}", f"{two_start:.1f}")]
    print(table(rows, ("pipeline", "events/s (start->applied)", "vs raw", "steady events/s",
                       "steady vs raw", "s to first write")))
    for procs, (consumer_us, redis_us) in sorted(CPU.items()):
        print(f"x{procs}: CPU per event: consumers {consumer_us:.1f} us, Redis {redis_us:.1f} us")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"summary: one process {one:,.0f}/s = {one / raw:.0%} of raw {raw:,.0f}/s "
          f"(steady {one_steady:,.0f}/s = {one_steady / raw:.0%}); two processes {two / one:.2f}x one "
          f"(steady {two_steady / one_steady:.2f}x)")


if __name__ == "__main__":
    main()
