"""SnapshotSource: one Redis read per interval per process, last good snapshot kept, recovery."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
import redis

from dashboard.source import SnapshotSource, make_client
from marvec.contract import FEEDS
from marvec.embedded import free_port, start_embedded_redis
from marvec.snapshot import Complaints, Disasters, Economy, FeedStats, Snapshot
from marvec.timeutil import iso

KEC = ("Mariso", "Tamalate", "Panakkukang")


def fake_snapshot(n: int = 0) -> Snapshot:
    return Snapshot(
        generated_at=iso(1_700_000_000 + n),
        feeds={f: FeedStats(accepted=n) for f in FEEDS},
        complaints=Complaints(open=n),
        economy=Economy(),
        disasters=Disasters(),
        kecamatan=list(KEC),
    )


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingReader:
    """A reader standing in for Redis: counts calls, can be slow or failing."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self.fail: Exception | None = None
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def __call__(self, client: redis.Redis, names: Sequence[str]) -> Snapshot:
        with self._lock:
            self.calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            if self.fail is not None:
                raise self.fail
            return fake_snapshot(self.calls)
        finally:
            with self._lock:
                self.in_flight -= 1


def unused_client() -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=1)


def hammer(source: SnapshotSource, n: int) -> list:
    """``n`` threads call ``get()`` at the same moment; their results in order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def call(i: int) -> None:
        barrier.wait()
        results[i] = source.get()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.integration
def test_hundred_concurrent_gets_cost_one_redis_read(redis_client: redis.Redis, redis_server: str) -> None:
    SnapshotSource(redis_server, KEC, refresh_s=60).get()  # loads the read script into Redis
    source = SnapshotSource(redis_server, KEC, refresh_s=60)
    redis_client.config_resetstat()
    results = hammer(source, 100)
    assert source.reads == 1
    assert all(r is not None and r.ok for r in results)
    assert len({id(r) for r in results}) == 1, "every caller shares the one cached result"
    stats = redis_client.info("commandstats")
    scripted = {k: v["calls"] for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval")}
    assert scripted == {"cmdstat_evalsha": 1}, f"Redis saw {scripted} snapshot scripts for 100 callers"


def test_reads_once_per_interval_whatever_the_number_of_callers() -> None:
    clock, reader = Clock(), CountingReader()
    source = SnapshotSource(unused_client, KEC, refresh_s=1.0, reader=reader, clock=clock)
    for tick in range(5):
        for _ in range(100):
            assert source.get().ok
        assert reader.calls == tick + 1
        clock.now += 1.0
    assert source.reads == 5


def test_slow_read_does_not_stack_callers_get_the_previous_result() -> None:
    clock, reader = Clock(), CountingReader()
    source = SnapshotSource(unused_client, KEC, refresh_s=1.0, reader=reader, clock=clock)
    first = source.get()
    reader.delay = 0.5
    clock.now += 5
    started = time.perf_counter()
    results = hammer(source, 50)
    assert reader.calls == 2 and reader.max_in_flight == 1
    fresh = [r for r in results if r is not first]
    assert len(fresh) >= 1 and all(r.snapshot.complaints.open == 2 for r in fresh)
    assert time.perf_counter() - started < 5


def test_first_get_waits_for_the_single_read_in_flight() -> None:
    reader = CountingReader(delay=0.3)
    source = SnapshotSource(unused_client, KEC, refresh_s=60, reader=reader)
    results = hammer(source, 20)
    assert reader.calls == 1
    assert all(r.ok and r.snapshot is not None for r in results)


def test_failure_keeps_last_good_snapshot_marked_not_ok_and_recovers() -> None:
    clock, reader = Clock(), CountingReader()
    source = SnapshotSource(unused_client, KEC, refresh_s=1.0, reader=reader, clock=clock)
    good = source.get()
    reader.fail = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1")
    clock.now += 2
    down = source.get()
    assert not down.ok and down.error and "ConnectionError" in down.error
    assert down.snapshot is not None and down.snapshot.generated_at == good.snapshot.generated_at
    assert down.snapshot.redis_ok is False and good.snapshot.redis_ok is True
    assert source.get() is down, "a failed read is cached for the interval too (no retry storm)"
    reader.fail = None
    clock.now += 2
    back = source.get()
    assert back.ok and back.error is None and back.snapshot.redis_ok
    assert source.failures == 1 and source.last_good_at == clock.now


def test_unexpected_reader_error_keeps_last_snapshot_too() -> None:
    clock, reader = Clock(), CountingReader()
    source = SnapshotSource(unused_client, KEC, refresh_s=1.0, reader=reader, clock=clock)
    source.get()
    reader.fail = ValueError("bad aggregate")
    clock.now += 2
    result = source.get()
    assert not result.ok and result.snapshot is not None and result.error.startswith("ValueError")


def test_unreachable_redis_at_start_answers_fast_without_snapshot() -> None:
    source = SnapshotSource(f"redis://127.0.0.1:{free_port()}/0", KEC, refresh_s=1.0)
    started = time.perf_counter()
    result = source.get()
    assert time.perf_counter() - started < 5
    assert not result.ok and result.snapshot is None and result.error


def test_client_has_short_timeouts_and_retries_connection_errors_only() -> None:
    client = make_client("redis://127.0.0.1:6399/0")
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 1.0 and kwargs["socket_connect_timeout"] == 1.0
    retry = kwargs["retry"]
    assert retry._retries == 1
    assert set(retry._supported_errors) >= {redis.exceptions.ConnectionError, redis.exceptions.TimeoutError}
    assert not any(issubclass(e, redis.exceptions.ResponseError) for e in retry._supported_errors)


@pytest.mark.integration
@pytest.mark.slow
def test_real_redis_dies_and_returns_source_recovers_on_its_own(tmp_path: Path) -> None:
    server = start_embedded_redis(None, tmp_path)
    port = server.port
    try:
        source = SnapshotSource(server.url, KEC, refresh_s=0.2)
        good = source.get()
        assert good.ok and good.snapshot is not None
        server.stop()
        time.sleep(0.25)
        down = source.get()
        assert not down.ok
        assert down.snapshot is not None and down.snapshot.generated_at == good.snapshot.generated_at
        assert down.snapshot.redis_ok is False
        server = start_embedded_redis(port, tmp_path)
        deadline = time.monotonic() + 10
        result = source.get()
        while not result.ok and time.monotonic() < deadline:
            time.sleep(0.25)
            result = source.get()
        assert result.ok and result.snapshot.redis_ok
    finally:
        server.stop()
