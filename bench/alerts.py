"""Alerts: evaluation cost per snapshot, and event -> webhook latency at 2,000 events/s.

    python bench/alerts.py [--markers 20] [--rate 2000]

1. Evaluation cost (no I/O): ``marvec.alerts.evaluate.step`` with the built-in rules on
   (a) the snapshot of the simulator's mix and (b) a hostile one (1,000 active incidents,
   3,000 OPDs, 5,000 open complaints), against the raw baseline the evaluator pays in
   any case: reading that snapshot from Redis (``SnapshotReader.read``) in the same run.
2. Event -> webhook: one real ``marvec consume`` process (which runs the alert loop)
   folds a paced stream of the simulator's mix at ``--rate`` events/s; every ~3 s a
   marker incident of severity 5 is produced (``BENCH-<n>``) and closed 1.5 s later.
   A local receiver stamps each webhook; latency = arrival of the marker's firing
   webhook minus the time its event was sent. Also counted: duplicates (must be 0).
"""

from __future__ import annotations

import argparse
import http.server
import random
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import redis
from kafka import KafkaProducer

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import (
    PacedProducer,
    consume_process,
    fold_messages,
    fresh_settings,
    loadavg,
    machine,
    percentiles,
    services,
    simulated,
    stop,
    table,
)

from geodata import load_boundaries
from marvec.alerts.evaluate import step
from marvec.alerts.rules import default_rules
from marvec.snapshot import Snapshot
from marvec.store import SnapshotReader


def _time(fn: Any, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def hostile(snap: Snapshot) -> Snapshot:
    d = snap.model_dump()
    rng = random.Random(3)
    d["disasters"]["incidents"] = [
        {"incident_id": f"H-{i}", "hazard": rng.choice(["flood", "fire", "landslide"]),
         "severity": rng.randint(1, 5), "status": "responding", "lat": -5.15, "lon": 119.42,
         "kecamatan": "Tallo", "occurred_at": "2026-12-02T09:00:00+08:00"} for i in range(1000)]
    d["complaints"]["by_opd"] = {f"OPD{i:04d}": {"open": rng.randint(0, 20), "overdue": rng.randint(0, 9)}
                                 for i in range(3000)}
    d["complaints"]["overdue"] = 800
    d["complaints"]["open"] = 5000
    return Snapshot.model_validate(d)


def evaluation_cost(client: redis.Redis, names: list[str]) -> list[tuple]:
    reader = SnapshotReader(client)
    snap = reader.read(names)
    rules = default_rules(300)
    rows = []
    read_s = _time(lambda: reader.read(names), 50)
    for label, s in (("simulator mix", snap), ("hostile (1k incidents, 3k OPDs)", hostile(snap))):
        eval_s = _time(lambda s=s: step({}, rules, s, time.time()), 50)
        rows.append((label, f"{read_s * 1000:.2f}", f"{eval_s * 1000:.2f}", f"{eval_s / read_s:.2f}"))
    return rows


class Receiver:
    def __init__(self) -> None:
        self.arrivals: list[tuple[float, dict[str, Any]]] = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.arrivals.append((time.time(), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _incident(iid: str, status: str, severity: int) -> bytes:
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    return orjson.dumps({"event_id": f"{iid}-{status}-{uuid.uuid4().hex[:6]}", "occurred_at": now,
                         "source": "bpbd", "incident_id": iid, "status": status, "hazard": "flood",
                         "severity": severity, "location": {"lat": -5.1435, "lon": 119.4075}})


def webhook_latency(bootstrap: str, redis_url: str, markers: int, rate: float) -> dict[str, Any]:
    receiver = Receiver()
    settings = fresh_settings(bootstrap, redis_url, partitions=3)
    consumer = consume_process(settings, redis_url, extra_env={
        "MARVEC_ALERT_WEBHOOK_URLS": receiver.url, "MARVEC_ALERT_EVAL_SECONDS": "0.5"})
    paced = PacedProducer(settings, rate).start(history=True)
    producer = KafkaProducer(**settings.kafka_client_options(), linger_ms=0, acks=1)
    sent: dict[str, float] = {}
    try:
        time.sleep(8)  # the consumer joins and works through the history
        for i in range(markers):
            iid = f"BENCH-{i}"
            sent[iid] = time.time()
            producer.send(settings.topics["disasters"], key=iid.encode(), value=_incident(iid, "reported", 5))
            producer.flush()
            time.sleep(1.5)
            producer.send(settings.topics["disasters"], key=iid.encode(), value=_incident(iid, "closed", 5))
            producer.flush()
            time.sleep(1.5)
        time.sleep(8)
    finally:
        live = paced.close()
        producer.close()
        stop(consumer)
        receiver.server.shutdown()
    firing: dict[str, list[float]] = {}
    resolved: dict[str, int] = {}
    for at, body in receiver.arrivals:
        iid = body["alerts"][0]["labels"].get("incident_id", "")
        if iid in sent:
            if body["status"] == "firing":
                firing.setdefault(iid, []).append(at - sent[iid])
            else:
                resolved[iid] = resolved.get(iid, 0) + 1
    first = [v[0] for v in firing.values()]
    return {"markers": markers, "fired": len(firing), "resolved": len(resolved),
            "duplicates": sum(len(v) - 1 for v in firing.values()) + sum(n - 1 for n in resolved.values()),
            "p50_p95_p99_s": [round(x, 3) for x in percentiles(first)], "live_events": live,
            "rate": rate}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markers", type=int, default=20)
    ap.add_argument("--rate", type=float, default=2000.0)
    args = ap.parse_args()
    print(machine())
    names = [str(n) for n in load_boundaries(None).names]
    with services() as (bootstrap, redis_url):
        client = redis.Redis.from_url(redis_url)
        fold_messages(client, simulated(100_000), load_boundaries(None))
        print("\nalert evaluation per snapshot (built-in rules), ms")
        print(table(evaluation_cost(client, names),
                    ("snapshot", "raw read (baseline)", "evaluate", "evaluate / read")))
        client.flushall()
        print(f"\nevent -> webhook at {args.rate:.0f} events/s, load {loadavg()}")
        result = webhook_latency(bootstrap, redis_url, args.markers, args.rate)
        print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
