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
def test_hundred_concurrent_gets_cost_one_redis_read(tmp_path: Path) -> None:
    # A Redis of its own: the session's server may see a stray alert evaluator of another
    # test, whose reads would be counted here as if they were this source's.
    with start_embedded_redis(None, tmp_path) as server:
        url = server.url
        SnapshotSource(url, KEC, refresh_s=60).get()  # loads the read script into Redis
        source = SnapshotSource(url, KEC, refresh_s=60)
        client = redis.Redis.from_url(url)
        client.config_resetstat()
        results = hammer(source, 100)
        assert source.reads == 1
        assert all(r is not None and r.ok for r in results)
        assert len({id(r) for r in results}) == 1, "every caller shares the one cached result"
        stats = client.info("commandstats")
        scripted = {k: v["calls"] for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval")}
        assert scripted == {"cmdstat_evalsha": 1}, f"Redis saw {scripted} snapshot scripts for 100 callers"
        client.close()


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


# -- the background refresher (refresh_every_s), as marvec dashboard runs it --------------

def background(reader: CountingReader, every: float = 0.05, idle: float = 0.3) -> SnapshotSource:
    return SnapshotSource(unused_client, KEC, refresh_s=1.0, reader=reader, refresh_every_s=every, idle_after_s=idle)


def ask_for(source: SnapshotSource, seconds: float, callers: int) -> list:
    """``callers`` threads call ``get()`` in a loop for ``seconds``; each call's duration."""
    stop = time.monotonic() + seconds
    took: list[float] = []

    def loop() -> None:
        while time.monotonic() < stop:
            t = time.perf_counter()
            assert source.get().snapshot is not None
            took.append(time.perf_counter() - t)
            time.sleep(0.002)

    threads = [threading.Thread(target=loop) for _ in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return took


def test_background_reads_follow_the_clock_not_the_number_of_callers() -> None:
    counts = []
    for callers in (1, 30):
        reader = CountingReader()
        source = background(reader)
        ask_for(source, 1.0, callers)
        source.close()
        counts.append(reader.calls)
    # 1 s at one read per 50 ms: ~20 reads whether 1 or 30 threads ask (some slack for a busy machine)
    assert all(8 <= c <= 23 for c in counts), counts
    assert abs(counts[0] - counts[1]) <= 6, counts


def test_background_keeps_the_snapshot_young_and_callers_never_wait_for_a_read() -> None:
    reader = CountingReader(delay=0.02)
    source = background(reader)
    source.get()  # the first read happens in the caller (nothing cached yet)
    time.sleep(0.1)
    took = ask_for(source, 0.6, 10)
    ages = []
    for _ in range(20):
        ages.append(time.time() - source.get().fetched_at)
        time.sleep(0.013)
    source.close()
    assert reader.max_in_flight == 1, "reads never stack"
    assert max(ages) < 0.5, ages  # every 50 ms + a 20 ms read; never the 1 s refresh_s
    assert sorted(took)[len(took) * 9 // 10] < 0.01, "callers take the cached result, not a read"


def test_background_stops_reading_when_nobody_asks_and_wakes_on_the_next_call() -> None:
    reader = CountingReader()
    source = background(reader, idle=0.2)
    source.get()
    time.sleep(0.5)
    assert not source.refreshing
    idle_reads = reader.calls
    time.sleep(0.3)
    assert reader.calls == idle_reads, "an idle worker reads nothing"
    result = source.get()
    assert result.ok and reader.calls == idle_reads + 1, "the first caller after idle reads fresh"
    assert source.refreshing
    time.sleep(0.3)
    source.close()
    assert reader.calls >= idle_reads + 3


def test_background_keeps_last_good_snapshot_when_redis_fails_and_recovers_by_itself() -> None:
    reader = CountingReader()
    source = background(reader, idle=5.0)
    good = source.get()
    assert good.ok
    reader.fail = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1")
    deadline = time.monotonic() + 5
    while source.get().ok and time.monotonic() < deadline:
        time.sleep(0.01)
    down = source.get()
    assert not down.ok and down.snapshot is not None and down.snapshot.redis_ok is False
    assert down.snapshot.complaints.open >= good.snapshot.complaints.open
    reader.fail = None
    before = source.reads
    while not source.peek().ok and time.monotonic() < deadline:  # nobody calls get(): it recovers alone
        time.sleep(0.01)
    source.close()
    assert source.peek().ok and source.peek().snapshot.redis_ok and source.reads > before


def test_version_moves_only_when_a_screen_would_show_something_else() -> None:
    class SameContent(CountingReader):
        def __call__(self, client: redis.Redis, names: Sequence[str]) -> Snapshot:
            super().__call__(client, names)
            snap = fake_snapshot(self.value)
            feeds = {f: FeedStats(accepted=self.value, silent_for_s=0.1 * self.calls) for f in FEEDS}
            return snap.model_copy(update={"generated_at": iso(1_700_000_000 + self.calls), "feeds": feeds})

    clock, reader = Clock(), SameContent()
    reader.value = 1
    source = SnapshotSource(unused_client, KEC, refresh_s=1.0, reader=reader, clock=clock)
    source.get()
    v = source.version
    for _ in range(3):  # new read time and feed silences, same numbers: nothing to push
        clock.now += 2
        source.get()
    assert reader.calls == 4 and source.version == v
    reader.value = 2
    clock.now += 2
    source.get()
    assert source.version == v + 1
    reader.fail = redis.exceptions.ConnectionError("down")
    clock.now += 2
    source.get()
    clock.now += 2
    source.get()
    assert source.version == v + 2, "Redis lost: one change (the stale banner), not one per failed read"
    reader.fail = None
    clock.now += 2
    source.get()
    assert source.version == v + 3


def test_wait_for_change_wakes_on_a_new_snapshot() -> None:
    reader = CountingReader()
    source = background(reader, every=0.1, idle=5.0)
    source.get()
    seen = source.version
    started = time.monotonic()
    now = source.wait_for_change(seen, timeout=2.0)
    waited = time.monotonic() - started
    source.close()
    assert now > seen and waited < 0.5


@pytest.mark.integration
def test_the_first_answers_after_an_idle_spell_are_never_the_old_cached_one(
        redis_client: redis.Redis, redis_server: str) -> None:
    """The refresher woken by the first caller must not let the others get the answer
    cached before the idle spell (seen: ``checked_at`` minutes old, ``redis_ok`` just
    after Redis was wiped): every answer is younger than two refresh periods or says
    it is stale."""
    from marvec.keys import Keys

    feed_key = Keys().feed("complaints")
    source = SnapshotSource(redis_server, KEC, refresh_s=0.5, refresh_every_s=0.1,
                            idle_after_s=0.2)
    try:
        old_answers = 0
        for round_ in range(15):
            redis_client.hset(feed_key, "accepted", round_)
            source.get()
            time.sleep(1.5)  # the refresher stops; the cache grows older than 2 periods
            redis_client.hset(feed_key, "accepted", 1000 + round_)
            asked = time.time()
            for result in hammer(source, 8):
                if getattr(result, "stale", False):
                    continue
                assert asked - result.fetched_at < 2 * source.refresh_s
                if result.snapshot.feeds["complaints"].accepted != 1000 + round_:
                    old_answers += 1
        assert old_answers == 0, f"{old_answers} answers were the one cached before the idle spell"
    finally:
        source.close()
        redis_client.delete(feed_key)


def test_a_read_that_hangs_makes_old_answers_say_they_are_stale() -> None:
    clock, reader = Clock(), CountingReader()
    source = SnapshotSource(unused_client, KEC, refresh_s=1.0, reader=reader, clock=clock)
    source.get()
    reader.delay = 4.0  # longer than STALE_WAIT_S
    clock.now += 60
    results = hammer(source, 5)
    old = [r for r in results if r.snapshot.complaints.open == 1]
    assert old and all(r.stale for r in old), "an old answer must say it is stale"
