"""Push latency: produce -> visible, at a steady 2,000 events/s of the simulator's mix.

    python bench/latency.py [--markers 50] [--rate 2000] [--refresh-ms 1000]

One ``marvec consume`` process folds a paced 2,000 events/s stream (a producer thread
runs ``streams.sources.sim.simulate.Simulator`` at wall-clock time). Every ~2 s a marker is
produced: a QRIS transactions report of Rp 100 T (``MARKER_IDR``), which lifts
today's transaction amount by an unmistakable step. Three observers record when
each step becomes visible:

- raw Redis read (baseline): ``SnapshotReader.read`` polled every 25 ms in this process;
- snapshot API (product path): ``GET /api/v1/snapshot`` of ``marvec dashboard``
  (gunicorn, open auth, ``MARVEC_REFRESH_MS``) polled every 25 ms;
- the /wall page in headless Chromium (updated by the push stream, ``dashboard/push.py``):
  a MutationObserver in the page stamps (``Date.now()``) every change of the
  transaction-amount KPI tile text.

Latency = first observation at or above the marker's step minus the time ``send()``
was called for it. Polling adds 0-25 ms (mean ~12 ms) to the first two.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

import orjson
import redis
import requests
from kafka import KafkaProducer

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import (
    PacedProducer,
    chrome,
    consume_process,
    dashboard_process,
    fresh_settings,
    loadavg,
    machine,
    percentiles,
    profile_shares,
    py_spy,
    services,
    stop,
    table,
)

from geodata import load_boundaries
from marvec.embedded import free_port
from marvec.store import SnapshotReader

MARKER_IDR = 10**14
TILE = '[data-kpi="economy.tx_amount_today"] .tile-value'
POLL_S = 0.025
UNITS = {"T": 1e12, "M": 1e9, "jt": 1e6, "rb": 1e3}

WATCH_TILE = """
window.__tile = [];
const el = () => document.querySelector(arguments[0]);
let last = null;
const note = () => { const e = el(); const t = e ? e.innerText.trim() : null;
  if (t !== last) { last = t; window.__tile.push([Date.now(), t]); } };
note();
new MutationObserver(note).observe(document.body, {subtree: true, childList: true, characterData: true});
"""


def parse_idr_short(text: str | None) -> float | None:
    """``Rp 6.000,2 T`` -> 6.0002e15 (the wall's Indonesian short rupiah)."""
    if not text or not text.startswith("Rp"):
        return None
    parts = text[2:].split()
    number = float(parts[0].replace(".", "").replace(",", "."))
    return number * (UNITS.get(parts[1], 1.0) if len(parts) > 1 else 1.0)


def marker(k: int) -> bytes:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return orjson.dumps({
        "event_id": f"bench-marker-{uuid.uuid4().hex}", "occurred_at": now, "source": "bench",
        "kind": "transactions", "report_id": f"bench-marker-{k}", "merchant_category": "bench",
        "count": 1, "amount_idr": MARKER_IDR, "kecamatan": "Mariso"})


class Poller(threading.Thread):
    """Calls ``fetch()`` every ``POLL_S`` and keeps ``(unix time, amount)`` of each answer."""

    def __init__(self, fetch, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.fetch, self.seen, self.errors, self.done = fetch, [], 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            started = time.perf_counter()
            try:
                amount = self.fetch()
                self.seen.append((time.time(), amount))
            except Exception:
                self.errors += 1
            self.done.wait(max(0.0, POLL_S - (time.perf_counter() - started)))


def latencies(sent: list[float], seen: list[tuple[float, float | None]], base: float) -> list[float]:
    """Seconds from each marker's send to the first observation showing its step."""
    out = []
    for k, t_send in enumerate(sent, start=1):
        threshold = base + (k - 0.5) * MARKER_IDR
        hit = next((t for t, a in seen if t >= t_send and a is not None and a >= threshold), None)
        if hit is not None:
            out.append(hit - t_send)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markers", type=int, default=50)
    ap.add_argument("--rate", type=float, default=2000.0)
    ap.add_argument("--refresh-ms", type=int, default=1000)
    ap.add_argument("--fetch-wait-ms", type=int, default=None,
                    help="what-if: the consumer's Kafka fetch_max_wait_ms (product default: "
                         "MARVEC_KAFKA_FETCH_MAX_WAIT_MS, 50)")
    ap.add_argument("--profile", metavar="DIR", help="py-spy the consumer and the dashboard during the markers")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    with services() as (bootstrap, redis_url):
        settings = fresh_settings(bootstrap, redis_url, partitions=6)
        db_url = redis_url.rsplit("/", 1)[0] + "/0"
        client = redis.Redis.from_url(db_url)
        consumer = consume_process(settings, redis_url, db=0, fetch_max_wait_ms=args.fetch_wait_ms)
        producer = PacedProducer(settings, args.rate).start()
        t_live = time.time()
        port = free_port()
        dash = dashboard_process(db_url, port, refresh_ms=args.refresh_ms, log_path="/tmp/marvec-bench-latency-dash.log")
        driver = None
        try:
            base_url = f"http://127.0.0.1:{port}"
            # warm up: the consumer catches up with the history and the live stream
            time.sleep(10)
            driver = chrome()
            driver.get(base_url + "/wall")
            for _ in range(300):
                if driver.execute_script("return document.querySelector(arguments[0]) !== null", TILE):
                    break
                time.sleep(0.1)
            time.sleep(3)
            driver.execute_script(WATCH_TILE, TILE)

            reader = SnapshotReader(client)
            kecamatan = [str(n) for n in load_boundaries(settings.boundaries, settings.boundaries_field).names]
            session = requests.Session()
            raw = Poller(lambda: reader.read(kecamatan).economy.transactions_today.amount_idr, "raw")
            api = Poller(lambda: session.get(base_url + "/api/v1/snapshot", timeout=5)
                         .json()["economy"]["transactions_today"]["amount_idr"], "api")
            base = float(reader.read(kecamatan).economy.transactions_today.amount_idr)
            raw.start()
            api.start()
            marker_producer = KafkaProducer(**settings.kafka_client_options(), linger_ms=0, acks=1)
            loads, sent, spies = [], [], []
            if args.profile:
                secs = 2.0 * args.markers
                spies = [py_spy(consumer.pid, secs, f"{args.profile}/consumer.txt"),
                         py_spy(dash.pid, secs, f"{args.profile}/dashboard.txt", subprocesses=True, idle=False)]
            rng = random.Random(1)
            print(f"{args.markers} markers at {args.rate:,.0f} events/s of background "
                  f"(refresh {args.refresh_ms} ms, consumer fetch_max_wait_ms "
                  f"{args.fetch_wait_ms or 'product default'}), load {loadavg()}")
            for k in range(1, args.markers + 1):
                time.sleep(rng.uniform(1.5, 2.5))
                sent.append(time.time())
                marker_producer.send(settings.topics["economy"], value=marker(k), key=f"bench-marker-{k}".encode())
                marker_producer.flush()
                if k % 10 == 0:
                    loads.append(loadavg())
            time.sleep(5)
            for spy in spies:
                spy.wait(timeout=120)
            raw.done.set()
            api.done.set()
            raw.join()
            api.join()
            marker_producer.close()
            tile = driver.execute_script("return window.__tile")
            live_s = time.time() - t_live
        finally:
            if driver is not None:
                driver.quit()
            live = producer.close()
            stop(dash)
            stop(consumer)
    rate = live / live_s
    wall_seen = [(t / 1000.0, parse_idr_short(text)) for t, text in tile]
    rows, res = [], {}
    for name, seen in (("raw Redis read (SnapshotReader.read, baseline)", raw.seen),
                       ("snapshot API GET /api/v1/snapshot", api.seen),
                       ("/wall KPI tile in Chromium", wall_seen)):
        lat = latencies(sent, seen, base)
        p50, p95, p99 = percentiles([x * 1000 for x in lat])
        res[name] = (p50, p95, p99)
        rows.append((name, f"{len(lat)}/{len(sent)}", f"{p50:,.0f}", f"{p95:,.0f}", f"{p99:,.0f}",
                     f"{max(lat) * 1000:,.0f}" if lat else "-"))
    print(table(rows, ("observer", "markers seen", "p50 ms", "p95 ms", "p99 ms", "max ms")))
    print(f"background: {rate:,.0f} events/s produced over {live_s:.0f} s; poll errors raw {raw.errors}, "
          f"api {api.errors}; load during run: {', '.join(loads)}")
    (_, r95, _), (_, a95, _), (_, w95, _) = res.values()
    print(f"summary: produce->visible p95 raw Redis {r95:,.0f} ms, API {a95:,.0f} ms "
          f"({a95 / r95:.1f}x raw; target <= 500 ms: {'met' if a95 <= 500 else 'MISSED'}), "
          f"wall {w95:,.0f} ms ({w95 / r95:.1f}x raw; target <= 1000 ms: {'met' if w95 <= 1000 else 'MISSED'}); "
          f"load {loadavg()}")
    if args.profile:
        print("py-spy, consumer main loop (wall-clock share of Consumer.step incl. waits; inclusive / self):")
        for fr, inc, own in profile_shares(f"{args.profile}/consumer.txt", top=30, within="Consumer.step ("):
            print(f"  {inc:6.1%} {own:6.1%}  {fr}")
        print("py-spy, consumer fold thread (share of RedisFold.apply; inclusive / self):")
        for fr, inc, own in profile_shares(f"{args.profile}/consumer.txt", top=12, within="RedisFold.apply ("):
            print(f"  {inc:6.1%} {own:6.1%}  {fr}")
        print("py-spy, dashboard (CPU samples; inclusive / self):")
        for fr, inc, own in profile_shares(f"{args.profile}/dashboard.txt", top=30):
            print(f"  {inc:6.1%} {own:6.1%}  {fr}")


if __name__ == "__main__":
    main()
