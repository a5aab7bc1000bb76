"""Faults: poison records, SIGKILLed consumers, a broker down for 30 s, Redis unreachable.

Bugs these tests found outside validation that are still open are ``xfail(strict=True)``
tests naming the bug (an XPASS fails the run once it is fixed: then drop the mark); the
ones fixed since are plain regression tests that say what they found.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
import redis
from feeds import complaint, mixed_stream, transactions
from helpers import FAST_GROUP_OPTIONS, read_topic, wait_for
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafkaproxy import TcpProxy, free_port
from streamrig import boundaries, comparable, snap
from test_consumer_scale import _consume_process, _produce, _reference

import streams.sink as sink
from dashboard.app import create_app
from dashboard.source import SnapshotSource
from marvec.embedded import EmbeddedKafka, _kafka_probe, find_tansu, start_embedded_redis
from marvec.settings import Settings
from marvec.timeutil import iso
from streams.consumer import Consumer
from streams.decode import Record, decode_batch
from streams.sink import RedisFold

pytestmark = pytest.mark.integration


# --- rigs -----------------------------------------------------------------------------------


@contextlib.contextmanager
def consumer_thread(settings: Settings, client: redis.Redis) -> Iterator[tuple[Consumer, Any]]:
    """A real consumer on a thread, like ``streamrig.running_consumer``, but the test sees
    the thread and what killed it (``state.error``)."""
    worker = Consumer(settings, boundaries(), client, kafka_overrides=FAST_GROUP_OPTIONS)
    stop = threading.Event()
    state = SimpleNamespace(error=None)

    def run() -> None:
        try:
            worker.run(stop)
        except BaseException as exc:  # what killed it is the finding
            state.error = exc

    state.thread = threading.Thread(target=run, daemon=True)
    state.thread.start()
    try:
        yield worker, state
    finally:
        stop.set()
        state.thread.join(timeout=30)


def send(settings: Settings,
         msgs: Sequence[tuple[str, bytes | None, bytes]]) -> list[tuple[str, int, int]]:
    """Produce (feed, key, value) in order; returns each one's (topic, partition, offset)."""
    topics = {**settings.topics, "deadletter": settings.topic_deadletter}
    producer = KafkaProducer(**settings.kafka_client_options(), acks="all", linger_ms=20,
                             batch_size=1 << 20, max_in_flight_requests_per_connection=1)
    try:
        futures = [producer.send(topics[f], key=k, value=v) for f, k, v in msgs]
        producer.flush(timeout=60)
        return [(m.topic, m.partition, m.offset) for m in (f.get(timeout=30) for f in futures)]
    finally:
        producer.close(timeout=10)


def js(ev: dict[str, Any]) -> bytes:
    return orjson.dumps(ev)


def handled(client: redis.Redis) -> int:
    """accepted + rejected + duplicates over the three feeds."""
    return sum(f.accepted + f.rejected + f.duplicates for f in snap(client).feeds.values())


def applied(client: redis.Redis) -> int:
    """Sum of the last applied offsets (how far the consumers got, roughly)."""
    return sum(int(v) + 1 for v in client.hvals("mv:offsets"))


def _reached(client: redis.Redis, target: int) -> bool:
    return applied(client) >= target


def dead_letters(settings: Settings, n: int, timeout: float = 30) -> list[tuple[dict[str, str], Any]]:
    """The first ``n`` (or more) records of the dead-letter topic with their headers."""
    return [({k: v.decode() for k, v in r.headers}, r)
            for r in read_topic(settings, settings.topic_deadletter, n, timeout=timeout)]


def read_all(settings: Settings, topics: list[str], idle_s: float = 3.0) -> list[Any]:
    """Every record of ``topics``, read from the beginning until none come for ``idle_s``
    (Tansu's ListOffsets under-reports the end offset after batched produce: a partition
    holding offsets 0..879 answered 834, so end offsets are not used)."""
    consumer = KafkaConsumer(**settings.kafka_client_options(), auto_offset_reset="earliest",
                             enable_auto_commit=False)
    try:
        consumer.assign([TopicPartition(t, p) for t in topics
                         for p in consumer.partitions_for_topic(t) or ()])
        consumer.seek_to_beginning()
        out: list[Any] = []
        last = time.monotonic()
        while time.monotonic() - last < idle_s:
            for batch in consumer.poll(timeout_ms=300).values():
                out.extend(batch)
                last = time.monotonic()
        return out
    finally:
        consumer.close()


def fold(client: redis.Redis, batches: list[list[tuple[str, bytes]]]) -> None:
    """Decode and fold batches straight into Redis (no Kafka): one ``apply`` per batch."""
    f = RedisFold(client, dedupe_hours=168, retention_hours=168)
    f.claim_epoch("test")
    offset = 0
    for msgs in batches:
        records = []
        for feed, raw in msgs:
            records.append(Record(f"t.{feed}", 0, offset, raw))
            offset += 1
        now = time.time()
        verdicts = decode_batch(records, {f"t.{x}": x for x in ("complaints", "economy",
                                                                   "disasters")},
                                now, boundaries())
        assert all(v.reason is None for v in verdicts), [v.detail for v in verdicts]
        f.apply(verdicts, now, "test")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- poison records -----------------------------------------------------------------------


def _poison_in(verdicts) -> bool:
    return any(v.event is not None and str(v.event.get("rid", "")).startswith("POISON")
               for v in verdicts)


def test_a_record_that_trips_the_fold_is_dead_lettered_internal_and_its_partition_flows(
        make_settings, redis_client, monkeypatch):
    """A valid message whose fold raises in the planner (simulated: its count reaches the
    fold as a string) is parked as ``internal``; the records around it are applied and
    the poison leaves no trace in the aggregates (the batch is planned again without it)."""
    real = sink.build_items

    def poisoned(verdicts):
        items, raws = real(verdicts)
        for it in items:
            if str(it.get("rid", "")).startswith("POISON"):
                it["n"] = "many"  # the fold adds it to today's count: a TypeError
        return items, raws

    monkeypatch.setattr(sink, "build_items", poisoned)
    settings = make_settings(partitions=1)
    before = [transactions(f"a{i}", 1, 100, 60) for i in range(20)]
    poison = js(transactions("POISON-1", 3, 1000, 60))
    after = [transactions(f"b{i}", 1, 100, 60) for i in range(20)]
    send(settings, [("economy", None, js(e)) for e in before] + [("economy", None, poison)])
    with consumer_thread(settings, redis_client) as (worker, state):
        wait_for(lambda: worker.stats.polled >= 21, timeout=60)
        send(settings, [("economy", None, js(e)) for e in after])  # the partition flows on
        wait_for(lambda: worker.stats.polled >= 41, timeout=60)
        assert state.thread.is_alive(), state.error
    s = snap(redis_client)
    assert (s.feeds["economy"].accepted, s.feeds["economy"].rejected) == (40, 1)
    assert s.economy.transactions_today.count == 40
    assert s.economy.transactions_today.amount_idr == 4000
    (h, rec), = dead_letters(settings, 1)
    assert h["marvec-error"] == "internal" and rec.value == poison
    assert "fault while folding" in h["marvec-detail"] and h["marvec-offset"] == "20"


def test_a_record_that_breaks_fold_preparation_does_not_kill_the_consumer(
        make_settings, redis_client, monkeypatch):
    """An exception while preparing the fold in Python parks the record as ``internal``;
    the consumer lives on. Found as: an occurred_at of 0001-01-01T00:00:00+14:00 passed
    validation and ``fold._day`` raised ``ValueError: year 0 is out of range``, which killed
    the consumer again on every restart (the partition blocked for good). Validation now
    refuses such times; b4f8172 made fold preparation faults per-record."""
    real = sink.build_items

    def breaks(verdicts):
        if _poison_in(verdicts):
            raise ValueError("year 0 is out of range")  # what the fuzz found in fold._day
        return real(verdicts)

    monkeypatch.setattr(sink, "build_items", breaks)
    settings = make_settings(partitions=1)
    msgs = [transactions(f"a{i}", 1, 100, 60) for i in range(5)]
    msgs += [transactions("POISON-2", 1, 100, 60)]
    msgs += [transactions(f"b{i}", 1, 100, 60) for i in range(5)]
    send(settings, [("economy", None, js(e)) for e in msgs])
    with consumer_thread(settings, redis_client) as (_, state):
        wait_for(lambda: handled(redis_client) >= 11 or not state.thread.is_alive(), timeout=60)
        assert state.thread.is_alive(), f"the consumer died: {state.error!r}"
    s = snap(redis_client)
    assert (s.feeds["economy"].accepted, s.feeds["economy"].rejected) == (10, 1)
    assert s.economy.transactions_today.count == 10
    (h, rec), = dead_letters(settings, 1)
    assert h["marvec-error"] == "internal" and h["marvec-offset"] == "5"
    assert rec.value == js(msgs[5])


def test_sums_beyond_64_bits_do_not_turn_a_batch_into_duplicates(make_settings, redis_client):
    """A day's sum pushed past Redis's 64-bit counters leaves no half-applied batch.
    Found as: 1,100 valid reports of 2^53-1 IDR gave accepted 0, duplicates 1,100 (the
    failed script's writes stayed, Redis does not roll back, and the record-by-record
    retry saw every event_id as seen). Fixed in b4f8172 (the counter keeps its value)."""
    settings = make_settings(partitions=1)
    n = 1100  # 1100 x (2^53 - 1) > 2^63: today's amount no longer fits a Redis integer
    send(settings, [("economy", None, js(transactions(f"big{i}", 1, 2**53 - 1, 60)))
                    for i in range(n)])
    with consumer_thread(settings, redis_client) as (worker, state):
        wait_for(lambda: worker.stats.polled >= n or not state.thread.is_alive(), timeout=60)
    s = snap(redis_client)
    f = s.feeds["economy"]
    assert f.duplicates == 0, f"{f.duplicates} valid reports counted as duplicates"
    assert (f.accepted, f.rejected) == (n, 0)
    assert s.economy.transactions_today.count == n
    amount = s.economy.transactions_today.amount_idr  # what fitted: whole reports, no part
    assert amount % (2**53 - 1) == 0 and amount <= 2**63 - 1


def test_transaction_sums_are_exact(redis_client):
    """Found as: reports of 2^53-1 and 2 IDR in one batch gave amount_idr
    9007199254740992 (the Lua fold summed in doubles). The planner sums Python ints."""
    fold(redis_client, [[("economy", js(transactions("x1", 1, 2**53 - 1, 60))),
                         ("economy", js(transactions("x2", 1, 2, 60)))]])
    assert snap(redis_client).economy.transactions_today.amount_idr == 2**53 + 1


def test_large_prices_are_kept_exactly(redis_client):
    """Found as: price_idr 123456789012345 shown as 123456789012340 (Lua's tostring keeps 14
    digits). Fixed in b4f8172."""
    fold(redis_client, [[("economy", js({"event_id": "p1", "occurred_at": iso(time.time() - 60),
                                        "source": "pasar", "kind": "price", "commodity": "beras",
                                        "unit": "kg", "price_idr": 123456789012345,
                                        "market": "Pasar Terong"}))]])
    assert snap(redis_client).economy.prices["beras"].latest_idr == 123456789012345


def test_ids_with_a_nul_character_stay_apart(redis_client):
    """Found as: complaint ids 'A\\x00x' and 'A\\x00y' shared the key mv:c:id:A (Lua 5.1's
    string.format cuts at a NUL), two open complaints counted as one. Fixed in b4f8172."""
    fold(redis_client, [[("complaints", js(complaint("A\x00x", "received", 60))),
                         ("complaints", js(complaint("A\x00y", "received", 60)))]])
    s = snap(redis_client)
    assert s.feeds["complaints"].accepted == 2
    assert s.complaints.open == 2


def test_an_event_id_already_accepted_is_a_duplicate_whatever_its_time(redis_client):
    """Contract 1.1/1.5. Found as: event_ids were remembered per hour of their own occurred_at,
    so a resend with another hour was accepted again. Fixed in b4f8172."""
    first = complaint("C1", "received", 3 * 3600)
    again = {**complaint("C2", "received", 600), "event_id": first["event_id"]}
    fold(redis_client, [[("complaints", js(first))], [("complaints", js(again))]])
    s = snap(redis_client)
    assert (s.feeds["complaints"].accepted, s.feeds["complaints"].duplicates) == (1, 1)
    assert s.complaints.open == 1


# --- Redis unreachable ------------------------------------------------------------------------


def _seed(url: str, n_open: int) -> None:
    client = redis.Redis.from_url(url)
    try:
        fold(client, [[("complaints", js(complaint(f"S{n_open}-{i}", "received", 60)))
                       for i in range(n_open)]])
    finally:
        client.close()


def test_dashboard_serves_the_last_picture_while_redis_is_down_and_recovers(tmp_path: Path):
    run = tmp_path / "redis"
    first = start_embedded_redis(None, run)
    port = first.port
    second = None
    try:
        _seed(first.url, 3)
        settings = Settings(auth="open", redis_url=first.url, refresh_ms=200)
        app = create_app(settings, boundaries(), SnapshotSource(first.url, boundaries().names,
                                                                refresh_s=0.2))
        web = app.server.test_client()
        assert web.get("/healthz").status_code == 200
        ok = web.get("/api/v1/snapshot")
        assert ok.status_code == 200 and "X-Marvec-Stale" not in ok.headers
        assert ok.get_json()["complaints"]["open"] == 3

        first.stop()  # Redis goes away
        time.sleep(0.3)
        t0 = time.monotonic()
        health = web.get("/healthz")
        assert health.status_code == 503 and time.monotonic() - t0 < 5
        assert health.get_json()["redis_ok"] is False
        stale = web.get("/api/v1/snapshot")
        assert stale.status_code == 200 and stale.headers["X-Marvec-Stale"] == "1"
        assert stale.get_json()["complaints"]["open"] == 3  # the last picture
        for path in ("/wall", "/mayor", "/crisis", "/metrics"):
            assert web.get(path).status_code == 200, path
        # a second server started during the outage has no picture yet: it says so
        cold = create_app(settings, boundaries(), SnapshotSource(first.url, boundaries().names,
                                                                 refresh_s=0.2)).server.test_client()
        none = cold.get("/api/v1/snapshot")
        assert none.status_code == 503 and none.get_json()["error"] == "no_snapshot"
        assert cold.get("/healthz").status_code == 503

        second = start_embedded_redis(port, run)  # Redis is back on the same address
        _seed(second.url, 5)
        wait_for(lambda: web.get("/healthz").status_code == 200, timeout=15,
                 message="the dashboard did not recover on its own")
        back = web.get("/api/v1/snapshot")
        assert "X-Marvec-Stale" not in back.headers and back.get_json()["complaints"]["open"] == 5
        wait_for(lambda: cold.get("/api/v1/snapshot").status_code == 200, timeout=15)
        assert cold.get("/healthz").status_code == 200
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_the_consumer_rides_out_a_redis_outage_of_a_few_seconds(
        make_settings, redis_server, redis_client):
    """Redis unreachable for 8 s while events keep coming: the consumer waits and then
    catches up exactly. Found as: the redis.ConnectionError escaped run() and ended the
    consumer after redis-py's ~5 s of retries. Fixed in b4f8172."""
    settings = make_settings(partitions=3)
    events = mixed_stream(1200, seed=23)
    port = redis_client.connection_pool.connection_kwargs["port"]
    with TcpProxy(port) as proxy:
        client = redis.Redis(host="127.0.0.1", port=proxy.port)
        _produce(settings, events[:600])
        with consumer_thread(settings, client) as (worker, state):
            wait_for(lambda: worker.stats.polled >= 600, timeout=60)
            proxy.cut()  # Redis unreachable for 8 s while events keep coming
            _produce(settings, events[600:])
            outage_ends = time.monotonic() + 8
            while time.monotonic() < outage_ends and state.thread.is_alive():
                time.sleep(0.2)
            proxy.restore()
            assert state.thread.is_alive(), f"the consumer died: {state.error!r}"
            wait_for(lambda: handled(redis_client) >= len(events), timeout=30,
                     message="the consumer did not catch up after Redis returned")
    ref = _reference(settings, redis_server, len(events))
    now = time.time()
    assert comparable(snap(redis_client, now)) == comparable(snap(ref, now))


@pytest.mark.parametrize("refuse, allow", [
    (["CONFIG", "SET", "maxmemory", "1"], ["CONFIG", "SET", "maxmemory", "0"]),  # full
    (["REPLICAOF", "127.0.0.1", "1"], ["REPLICAOF", "NO", "ONE"]),  # a read-only replica
], ids=["maxmemory", "readonly_replica"])
def test_redis_refusing_writes_mid_stream_loses_nothing_and_counts_nothing_twice(
        make_settings, redis_server, redis_client, caplog, refuse, allow):
    """Redis refuses writes mid-stream (full at maxmemory with noeviction, or turned into a
    read-only replica): the consumer holds the batch back, says why in one line, and once
    Redis takes writes again the snapshot equals an uninterrupted run. Found as: the commit
    ran its writes under pcall, so offsets advanced past 5 complaints none of which was
    stored."""
    caplog.set_level(logging.INFO, "marvec.consume")
    settings = make_settings(partitions=3)
    events = mixed_stream(1500, seed=41)
    redis_client.config_set("maxmemory-policy", "noeviction")
    _produce(settings, events[:500])
    with consumer_thread(settings, redis_client) as (worker, state):
        wait_for(lambda: handled(redis_client) >= 500, timeout=60)
        redis_client.execute_command(*refuse)
        held = applied(redis_client)
        _produce(settings, events[500:])
        wait_for(lambda: worker.refused is not None, timeout=30,
                 message="the consumer did not notice that Redis refuses writes")
        time.sleep(2)  # some retries while refused
        assert applied(redis_client) == held, "offsets moved while Redis refused every write"
        assert state.thread.is_alive(), f"the consumer died: {state.error!r}"
        redis_client.execute_command(*allow)
        wait_for(lambda: handled(redis_client) >= len(events), timeout=60,
                 message="the consumer did not catch up once Redis took writes again")
        wait_for(lambda: worker.refused is None, timeout=10)
    assert f"Redis refuses writes ({'full' if 'maxmemory' in refuse else 'readonly'}" in caplog.text
    assert "Redis takes writes again" in caplog.text
    ref = _reference(settings, redis_server, len(events))
    now = time.time()
    assert comparable(snap(redis_client, now)) == comparable(snap(ref, now))


# --- SIGKILL ----------------------------------------------------------------------------------


BAD = [b'{"event_id": "cut', b"\x00\xff", b"[]",
       orjson.dumps({"event_id": "s", "occurred_at": "2024-05-01", "source": "lapor"}),
       orjson.dumps(complaint("OUT", "received", 60, location={"lat": -5.0617, "lon": 119.5542}))]


@pytest.mark.slow
def test_five_sigkills_during_50000_events_lose_nothing_and_count_nothing_twice(
        make_settings, redis_server, redis_client):
    settings = make_settings(partitions=3)
    events = mixed_stream(50_000, seed=17)
    _produce(settings, events)
    rng = random.Random(20261123)
    feeds = ("complaints", "economy", "disasters")
    bad = [(feeds[i % 3], None, BAD[i % len(BAD)].replace(b"OUT", b"OUT%d" % i)) for i in range(500)]
    where = send(settings, bad)
    total = len(events) + len(bad)
    kills = []
    for round_ in range(5):  # kill at five random moments
        proc = _consume_process(settings, redis_server)
        if round_ == 2:  # while it starts, joins the group, seeks or drains its outbox
            time.sleep(rng.uniform(0.5, 4.0))
        else:  # after some progress: mid-batch, mid-dead-letter flush, mid-commit...
            target = applied(redis_client) + rng.randint(1_000, 4_000)
            wait_for(partial(_reached, redis_client, target), timeout=120, interval=0.01,
                     message="the consumer did not progress")
            time.sleep(rng.uniform(0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills.append(applied(redis_client))
    assert len(kills) == 5 and 0 < kills[-1] < total
    proc = _consume_process(settings, redis_server)
    try:
        wait_for(lambda: handled(redis_client) >= total, timeout=180, interval=0.5,
                 message="the consumer did not catch up after five SIGKILLs")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    s = snap(redis_client)
    assert handled(redis_client) == total
    assert sum(f.rejected for f in s.feeds.values()) == len(bad)
    # dead letters are at-least-once: each rejected record there, maybe more than once
    # (read before the reference consumer below adds its own)
    dead = [{k: v.decode() for k, v in r.headers}
            for r in read_all(settings, [settings.topic_deadletter])]
    got = {(h["marvec-topic"], int(h["marvec-partition"]), int(h["marvec-offset"])) for h in dead}
    assert got == set(where)
    ref = _reference(settings, redis_server, total)
    now = time.time()
    assert comparable(snap(redis_client, now)) == comparable(snap(ref, now))
    print(f"\n{len(kills)} SIGKILLs at applied offsets {kills}; {total} events checked "
          f"({len(dead)} dead letters for {len(bad)} rejected)")


# --- the broker down for 30 s -------------------------------------------------------------------


@contextlib.contextmanager
def broker_behind_proxy(run_dir: Path) -> Iterator[tuple[TcpProxy, EmbeddedKafka]]:
    """A Tansu broker that advertises a proxy's port, so every client goes through it."""
    port = free_port()
    proxy = TcpProxy(port).start()
    url, advertised = f"tcp://127.0.0.1:{port}", f"tcp://127.0.0.1:{proxy.port}"
    argv = [str(find_tansu()), "broker", "--listener-url", url, "--advertised-listener-url",
            advertised]
    broker = EmbeddedKafka("Tansu behind a proxy", argv, run_dir / f"kafka-{port}.log", port,
                           partial(_kafka_probe, f"127.0.0.1:{proxy.port}"))
    try:
        broker.start()
        yield proxy, broker
    finally:
        proxy.close()
        broker.stop()


OUTAGE_S = 30.0


@pytest.mark.slow
def test_broker_down_for_30_s_the_consumer_waits_quietly_and_catches_up(
        make_settings, redis_server, redis_client, tmp_path):
    with broker_behind_proxy(tmp_path) as (proxy, _):
        settings = make_settings(partitions=3, kafka_bootstrap=f"127.0.0.1:{proxy.port}")
        events = mixed_stream(6000, seed=29)
        _produce(settings, events[:2000])
        proc = _consume_process(settings, redis_server)
        try:
            wait_for(lambda: handled(redis_client) >= 2000, timeout=90, interval=0.2)
            # producers keep producing through the outage (into their buffer) and after it
            producer = KafkaProducer(**settings.kafka_client_options(), acks="all",
                                     retries=1000, delivery_timeout_ms=240_000,
                                     request_timeout_ms=10_000, max_block_ms=240_000,
                                     reconnect_backoff_max_ms=2000)
            futures: list[Any] = []
            keys = {"complaints": "complaint_id", "disasters": "incident_id", "economy": "market"}

            def keep_producing() -> None:
                for i, (feed, ev) in enumerate(events[2000:4000]):
                    key = ev.get(keys[feed])  # a transactions report has no market: no key
                    futures.append(producer.send(settings.topics[feed], value=js(ev),
                                                 key=None if key is None else str(key).encode()))
                    if i % 50 == 0:
                        time.sleep(0.75)  # ~65 events/s, spread over the outage

            busy = threading.Thread(target=keep_producing, daemon=True)
            assert proxy.open_connections > 0  # the clients really go through the proxy
            cpu_before, t_cut = cpu_seconds(proc.pid), time.monotonic()
            proxy.cut()
            busy.start()
            while time.monotonic() - t_cut < OUTAGE_S:
                assert proc.poll() is None, "the consumer exited while the broker was down"
                time.sleep(0.5)
            cpu_outage = cpu_seconds(proc.pid) - cpu_before
            proxy.restore()
            busy.join(timeout=120)
            producer.flush(timeout=120)
            delivered = sum(1 for f in futures if f.succeeded())
            producer.close(timeout=10)
            _produce(settings, events[4000:])
            total = len(read_all(settings, list(settings.topics.values())))
            wait_for(lambda: handled(redis_client) >= total, timeout=120, interval=0.5,
                     message="the consumer did not catch up after the broker came back")
            assert proc.poll() is None, "the consumer exited"
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        assert delivered == 2000 and total >= len(events)
        assert cpu_outage < 0.1 * OUTAGE_S, f"{cpu_outage:.1f} s CPU in a {OUTAGE_S:.0f} s outage"
        ref = _reference(settings, redis_server, total)
        now = time.time()
        assert comparable(snap(redis_client, now)) == comparable(snap(ref, now))
        print(f"\nbroker down {OUTAGE_S:.0f} s: consumer used {cpu_outage:.2f} s CPU, "
              f"caught up {total} records")



def test_healthz_says_why_redis_refuses_writes(tmp_path: Path, redis_server, redis_client):
    """Redis full at maxmemory (noeviction) or turned into a read-only replica: /healthz
    still answers 200 (Redis answers) and names why the consumers are held back."""
    from marvec.writable import PROBE_EVERY_S

    settings = Settings(redis_url=redis_server, auth="open", refresh_ms=200)
    source = SnapshotSource(redis_server, boundaries().names, refresh_s=0.1)
    web = create_app(settings, boundaries(), source).server.test_client()
    assert web.get("/healthz").get_json()["writes_ok"] is True
    redis_client.config_set("maxmemory-policy", "noeviction")
    redis_client.config_set("maxmemory", "1")
    try:
        time.sleep(PROBE_EVERY_S + 0.2)
        body = web.get("/healthz").get_json()
        assert (body["status"], body["writes_ok"]) == ("writes_refused", False)
        assert body["writes_refused"].startswith("full: ")
    finally:
        redis_client.config_set("maxmemory", "0")
    redis_client.execute_command("REPLICAOF", "127.0.0.1", "1")
    try:
        time.sleep(PROBE_EVERY_S + 0.2)
        body = web.get("/healthz").get_json()
        assert body["writes_refused"].startswith("read-only replica")
    finally:
        redis_client.execute_command("REPLICAOF", "NO", "ONE")
    time.sleep(PROBE_EVERY_S + 0.2)
    assert web.get("/healthz").get_json()["writes_ok"] is True
