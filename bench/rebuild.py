"""How long ``marvec rebuild`` takes for a week of history (the upgrade and restore path).

    python bench/rebuild.py [--per-day 60000] [--days 7] [--scale 1.0] [--partitions 6]

A simulated week (the simulator's realistic mix, event times spread over the last
``days`` days, ``per-day`` events a day: the volume bench/memory.py sizes Redis with) is
produced into an embedded Tansu broker; a consumer applies it into Redis, the snapshot is
taken, Redis is flushed (lost), and ``streams.rebuild.rebuild`` (what ``marvec rebuild``
runs) replays it. Prints the rebuild's seconds and records/s, whether the snapshot came
back equal, and the time a full week takes at that rate (linear in records: the replay is
one pass over every partition). ``--scale`` < 1 produces that share of the week and says
the full-week figure is extrapolated.
"""

from __future__ import annotations

import argparse
import io
import sys
import threading
import time

import redis

sys.path.insert(0, __file__.rsplit("/", 1)[0])
sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/tests")
from common import fresh_settings, machine, produce, services, simulated


def _apply_once(settings, client: redis.Redis, n: int, boundaries) -> float:
    """A real consumer applies the history (the picture before Redis is lost)."""
    from streams.consumer import Consumer

    worker = Consumer(settings, boundaries, client)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    t0 = time.perf_counter()
    thread.start()
    while worker.stats.polled < n and time.perf_counter() - t0 < 600:
        time.sleep(0.2)
    stop.set()
    thread.join(30)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-day", type=int, default=60_000)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--partitions", type=int, default=6)
    args = parser.parse_args()
    from geodata import load_boundaries
    from streams.rebuild import rebuild

    week = int(args.per_day * args.days)
    n = int(week * args.scale)
    print(f"machine: {machine()}")
    boundaries = load_boundaries()
    with services() as (bootstrap, redis_url):
        settings = fresh_settings(bootstrap, redis_url, partitions=args.partitions)
        messages = simulated(n, seed=7, hours=args.days * 24)
        n = len(messages)
        produced_s = produce(settings, messages)
        client = redis.Redis.from_url(redis_url)
        applied_s = _apply_once(settings, client, n, boundaries)
        before = _snapshot(client, boundaries)
        client.flushall()  # Redis lost
        t0 = time.perf_counter()
        totals = rebuild(settings, out=io.StringIO())
        took = time.perf_counter() - t0
        after = _snapshot(client, boundaries, now=before[1])
        equal = after[0] == before[0]
        if not equal:
            print("differs: " + "; ".join(_diff(before[0], after[0]))[:1500])
    rate = n / took
    print(f"history: {n:,} records ({args.scale:g} of a {args.days:g}-day week at {args.per_day:,}/day), "
          f"{args.partitions} partitions per feed; produced in {produced_s:.1f} s, first applied in {applied_s:.1f} s")
    print(f"rebuild: {took:.1f} s, {rate:,.0f} records/s; accepted {totals.accepted:,}, rejected "
          f"{totals.rejected:,}, duplicates {totals.duplicates:,}; snapshot after == before: {equal}")
    label = "measured" if args.scale >= 1 else f"extrapolated from {args.scale:g} of it"
    print(f"a full week ({week:,} records): {week / rate:.0f} s ({label}); at the simulator's "
          f"default 20 events/s ({20 * 86400 * 7:,} a week): {20 * 86400 * 7 / rate / 60:.0f} min (extrapolated)")


def _diff(a: object, b: object, path: str = "") -> list[str]:
    """Where two snapshot dicts differ: ``path: before -> after`` per leaf."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) for d in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} -> {b!r}"]


def _snapshot(client: redis.Redis, boundaries, now: float | None = None) -> tuple[dict, float]:
    from streamrig import comparable, snap

    now = now if now is not None else time.time()
    return comparable(snap(client, now)), now


if __name__ == "__main__":
    main()
