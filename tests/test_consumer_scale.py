"""Exactly-once in effect: SIGKILLed consumers and two consumers in one group give the
same aggregates as one uninterrupted consumer."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict

import pytest
import redis
from feeds import mixed_stream
from helpers import produce_json, wait_for
from streamrig import comparable, running_consumer, snap, wait_consumed

pytestmark = pytest.mark.integration


def _produce(settings, events) -> None:
    per_feed = defaultdict(list)
    for feed, ev in events:
        per_feed[feed].append(ev)
    keys = {"complaints": "complaint_id", "disasters": "incident_id", "economy": "market"}
    for feed, evs in per_feed.items():
        # Keyed by entity as the contract asks producers to: an incident's first event
        # (the one with its hazard) must reach every consumer before its later ones.
        produce_json(settings, feed, evs, key_field=keys[feed])


def _reference(settings, redis_server: str, n: int, db: int = 1):
    """The snapshot one uninterrupted in-process consumer builds from the same topics."""
    client = redis.Redis.from_url(redis_server.rsplit("/", 1)[0] + f"/{db}")
    client.flushdb()
    assert client.connection_pool.connection_kwargs["db"] == db
    ref = settings.model_copy(update={"consumer_group": settings.consumer_group + "-ref"})
    with running_consumer(ref, client) as worker:
        wait_consumed([worker], n)
        wait_for(lambda: worker.stats.polled >= n)
    return client


def test_two_consumers_in_one_group_equal_one(make_settings, redis_server, redis_client):
    settings = make_settings(partitions=4)
    events = mixed_stream(3000, seed=11)
    _produce(settings, events)
    with running_consumer(settings, redis_client) as a, running_consumer(settings) as b:
        wait_consumed([a, b], len(events), timeout=120)
    ref = _reference(settings, redis_server, len(events))
    now = time.time()
    assert comparable(snap(redis_client, now)) == comparable(snap(ref, now))
    assert redis_client.dbsize() > 0 and ref.dbsize() > 0
    s = snap(redis_client, now)
    assert s.feeds["complaints"].duplicates > 0 and s.complaints.open > 0


def _consume_process(settings, redis_url: str) -> subprocess.Popen:
    env = {**os.environ, "MARVEC_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "MARVEC_REDIS_URL": redis_url, "MARVEC_CONSUMER_GROUP": settings.consumer_group,
           "MARVEC_BATCH_MAX_RECORDS": "200", "MARVEC_AUTH": "open",
           "MARVEC_KAFKA_SESSION_TIMEOUT_MS": "6000",
           **{f"MARVEC_TOPIC_{f.upper()}": t for f, t in settings.topics.items()},
           "MARVEC_TOPIC_DEADLETTER": settings.topic_deadletter}
    return subprocess.Popen([sys.executable, "-m", "marvec", "consume"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_and_counts_nothing_twice(
        make_settings, redis_server, redis_client):
    settings = make_settings(partitions=3)
    events = mixed_stream(20_000, seed=5)
    _produce(settings, events)
    rng = random.Random(3)
    kills = 0
    applied = 0
    targets = sorted(rng.uniform(0.1, 0.8) * len(events) for _ in range(4))
    for target in targets:  # kill at four random points of the stream, mid-batch
        proc = _consume_process(settings, redis_server)
        wait_for(lambda t=target: sum(int(v) for v in redis_client.hvals("mv:offsets")) >= t,
                 timeout=90, interval=0.01, message="the consumer did not progress")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        applied = sum(int(v) for v in redis_client.hvals("mv:offsets"))
    proc = _consume_process(settings, redis_server)
    try:
        def caught_up() -> bool:
            s = snap(redis_client)
            return sum(f.accepted + f.duplicates + f.rejected for f in s.feeds.values()) == len(events)
        wait_for(caught_up, timeout=120, interval=0.5, message="consumer did not catch up")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert kills == 4 and 0 < applied < len(events)
    ref = _reference(settings, redis_server, len(events))
    now = time.time()
    assert comparable(snap(redis_client, now)) == comparable(snap(ref, now))
