"""Shared set-up for the benchmarks: embedded services, topics, simulated events."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kafka import KafkaProducer

from marvec.contract import FEEDS
from marvec.embedded import start_embedded_kafka, start_embedded_redis
from marvec.settings import Settings
from marvec.topics import ensure_topics
from streams.simulate import Simulator


@contextmanager
def services() -> Iterator[tuple[str, str]]:
    """(bootstrap, redis_url) of a fresh embedded broker and Redis for one benchmark run."""
    run_dir = Path(tempfile.mkdtemp(prefix="marvec-bench-"))
    with start_embedded_kafka(None, run_dir) as kafka, start_embedded_redis(None, run_dir) as red:
        yield kafka.bootstrap, red.url


def fresh_settings(bootstrap: str, redis_url: str, partitions: int = 6, **kw: object) -> Settings:
    tag = f"b{uuid.uuid4().hex[:8]}"
    s = Settings(kafka_bootstrap=bootstrap, redis_url=redis_url, consumer_group=f"{tag}.g",
                 **{f"topic_{f}": f"{tag}.{f}" for f in (*FEEDS, "deadletter")}, **kw)
    ensure_topics(s, partitions=partitions)
    return s


def simulated(n: int, seed: int = 42, hours: float = 6.0, invalid_ratio: float = 0.0) -> list:
    """``n`` messages of the simulator's realistic mix spread over the last ``hours``."""
    now = time.time()
    sim = Simulator(seed, now - hours * 3600, invalid_ratio)
    out = sim.history()
    step = max(1, n // 200)
    t = now - hours * 3600
    while len(out) < n:
        t += hours * 3600 * step / n
        out.extend(sim.next_batch(min(t, now), step))
    return out[:n]


def produce(settings: Settings, messages: list) -> float:
    """Send every message; returns seconds taken."""
    producer = KafkaProducer(**settings.kafka_client_options(), linger_ms=50,
                             batch_size=1 << 20, acks=1, max_request_size=4 << 20)
    topics = settings.topics
    t0 = time.perf_counter()
    for m in messages:
        producer.send(topics[m.feed], value=m.value, key=m.key.encode() if m.key else None)
    producer.flush()
    producer.close()
    return time.perf_counter() - t0


def consume_process(settings: Settings, redis_url: str, db: int = 0) -> subprocess.Popen:
    """A real ``marvec consume`` process against ``settings``' topics."""
    env = {**os.environ, "MARVEC_KAFKA_BOOTSTRAP": settings.kafka_bootstrap or "",
           "MARVEC_REDIS_URL": redis_url.rsplit("/", 1)[0] + f"/{db}",
           "MARVEC_CONSUMER_GROUP": settings.consumer_group, "MARVEC_LOG_LEVEL": "WARNING",
           "MARVEC_KAFKA_SESSION_TIMEOUT_MS": "6000",
           **{f"MARVEC_TOPIC_{f.upper()}": t for f, t in settings.topics.items()},
           "MARVEC_TOPIC_DEADLETTER": settings.topic_deadletter}
    return subprocess.Popen([sys.executable, "-m", "marvec", "consume"], env=env)


def table(rows: list[tuple], header: tuple) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = lambda r: "  ".join(str(x).rjust(w) for x, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])
