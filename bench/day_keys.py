"""Memory per day of the day aggregates kept ``DAY_KEY_TTL`` (35 days): one simulated day.

    python bench/day_keys.py [--seed 20260301] [--rate EVENTS_PER_S]

The simulator's city (``Simulator.backfill``: hour by hour at its own rates, or at
``--rate`` events per second of event time, the load mode) runs over yesterday (WITA),
00:00 to 24:00, after its backlog; every batch goes through the real decode and the
real fold (``RedisFold.apply`` at the batch's event time) into an embedded Redis. Then
``MEMORY USAGE`` (``SAMPLES 0``: every field) of yesterday's day keys: the complaint
day (``received``, ``resolved``, ``k:<kecamatan>``), the transaction day (``count``,
``amount``, ``k:``/``kc:`` per kecamatan, ``m:`` per merchant category) and the price
days (one per staple, a field per market). docs/performance.md quotes the result.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from geodata import load_boundaries  # noqa: E402
from marvec.contract import COMMODITIES  # noqa: E402
from marvec.embedded import start_embedded_redis  # noqa: E402
from marvec.keys import DAY_KEY_TTL, Keys  # noqa: E402
from marvec.settings import Settings  # noqa: E402
from marvec.timeutil import day_start, wita_day  # noqa: E402
from streams.decode import Record, decode_batch  # noqa: E402
from streams.sink import RedisFold  # noqa: E402
from streams.sources.sim.simulate import Simulator  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--rate", type=float, default=None, help="load mode: events per second of event time")
    args = parser.parse_args(argv)
    settings = Settings()
    topic_of = {settings.topics[f]: f for f in settings.topics}
    feed_topic = dict(settings.topics)
    bounds = load_boundaries()
    end = day_start(time.time())
    start = end - 86400
    day = wita_day(start + 43200)
    k = Keys()
    with tempfile.TemporaryDirectory(prefix="marvec-daykeys-") as run, start_embedded_redis(None, Path(run)) as red:
        client = redis.Redis.from_url(red.url)
        fold = RedisFold(client, dedupe_hours=48, retention_hours=24 * 40)
        fold.claim_epoch("bench")
        sim = Simulator(args.seed, start)
        offset, events, began = 0, 0, time.monotonic()

        def apply(batch: list, now: float) -> None:
            nonlocal offset, events
            records = []
            for m in batch:
                records.append(Record(feed_topic[m.feed], 0, offset, m.value))
                offset += 1
            events += len(records)
            fold.apply(decode_batch(records, topic_of, now, bounds), now, "bench")

        apply(sim.history(), start)
        for batch in sim.backfill(end, args.rate):
            apply(batch, sim.clock)
        keys = {"complaint_day": [k.complaint_day(day)], "tx_day": [k.tx_day(day)],
                "price_day": [k.price_day(c, day) for c in COMMODITIES]}
        print(f"{events} events (backlog + {day} simulated) folded in {time.monotonic() - began:.0f} s; "
              f"DAY_KEY_TTL = {DAY_KEY_TTL // 86400} days")
        total = 0
        for family, names in keys.items():
            size = sum(int(client.memory_usage(n, samples=0) or 0) for n in names)
            fields = sum(int(client.hlen(n)) for n in names)
            total += size
            print(f"  {family:14s} {len(names):2d} key(s) {fields:4d} fields {size:7d} bytes")
        c = {a.decode(): b.decode() for a, b in client.hgetall(k.complaint_day(day)).items()}
        print(f"  complaints received {c.get('received')}, kecamatan fields "
              f"{sorted(f for f in c if f.startswith('k:'))}")
        print(f"  per day {total} bytes; x {DAY_KEY_TTL // 86400} days kept = {total * DAY_KEY_TTL // 86400 / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
