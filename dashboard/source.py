"""The dashboard's one way to the snapshot: a per-process cache in front of Redis.

Every screen, callback and API request of a process calls ``SnapshotSource.get()``.
The reads never depend on how many call:

- on demand (the default): at most one Redis read per ``refresh_s``, done by the
  caller that finds the cache too old;
- with ``refresh_every_s`` (what ``marvec dashboard`` uses, ``BACKGROUND_REFRESH_S``):
  one background thread per process re-reads Redis every ``refresh_every_s`` while
  anyone asked in the last ``idle_after_s`` seconds, so callers get a snapshot at
  most about ``refresh_every_s`` old at once, and an idle process reads nothing.
  After an idle spell the first caller reads (as on demand) and wakes the thread.

A read in flight never stacks: while it runs, other callers get the previous result at
once if it is younger than two ``refresh_s``; an older one (after an idle spell) or none
makes them wait for that read, up to ``STALE_WAIT_S``, and an answer that is still old
then comes marked ``stale``. When Redis does
not answer, the last good snapshot is kept (marked ``redis_ok=False``) and the next
interval simply tries again, so the source recovers on its own. ``version`` counts
changes of what a screen would show (a new snapshot content, or Redis lost/back);
``wait_for_change`` lets a push stream sleep until the next one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeAlias

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from dashboard import metrics
from marvec.history import History, read_history
from marvec.keys import Keys
from marvec.period import Period, PeriodReader
from marvec.replay import Replay, ReplayReader
from marvec.snapshot import Snapshot
from marvec.store import SnapshotReader
from marvec.timeutil import parse_iso

log = logging.getLogger(__name__)

SOCKET_TIMEOUT_S = 1.0
"""Connect and read timeout of the dashboard's Redis client: a dead Redis costs ~1 s."""

BACKGROUND_REFRESH_S = 0.2
"""How often ``marvec dashboard``'s per-worker source re-reads Redis while screens or API
callers are active (``refresh_every_s``; at most ``MARVEC_REFRESH_MS``)."""

STALE_WAIT_S = 2.5
"""How long a caller whose cached answer is older than two refresh periods waits for the
read in flight (a dead Redis costs ~2 x ``SOCKET_TIMEOUT_S``) before it answers stale."""

IDLE_AFTER_S = 5.0
"""The background refresher stops after this long without a caller."""

PERIOD_REFRESH_S = 5.0
"""How long a period read (``period``: the mayor's 7 and 30 days, ``/api/v1/period``) is
reused: one pipelined read of at most 62 hashes per period length per worker per 5 s,
whoever asks; the snapshot's own read is not made heavier for every screen."""

REPLAY_REFRESH_S = 10.0
"""How long a replay read (the wall's ``/wall/replay``: 3 + 2 x N hashes, N <= 24) is
reused per length per worker: the hours change by the hour, the current one by the event."""

HISTORY_REFRESH_S = 60.0
"""The report card's history (``marvec.history``: 13 months of day hashes, ~800 in one
round trip) changes by the hour: one read a minute per worker at most."""

Reader = Callable[[redis.Redis, Sequence[str]], Snapshot]
ClientSpec: TypeAlias = str | redis.Redis | Callable[[], redis.Redis]


@dataclass(frozen=True)
class SnapshotResult:
    """What ``SnapshotSource.get()`` answers.

    ``snapshot`` is the last good snapshot (``None`` until one was ever read);
    ``ok`` is False when the latest read failed (Redis unreachable right now);
    ``fetched_at`` is the Unix time of the latest read attempt; ``error`` says why it
    failed (``None`` when ``ok``). ``stale`` is True when the answer is older than two
    refresh periods because a read in flight did not finish within ``STALE_WAIT_S``
    (the answer is never older than that without saying so).
    """

    snapshot: Snapshot | None
    ok: bool
    fetched_at: float
    error: str | None = None
    stale: bool = False
    bad_keys: tuple[tuple[str, str], ...] = ()
    """(key, error) of keys the read could not read (wrong type): served as empty."""
    clocks: Any = None
    """Consumer id -> clock report JSON (``streams.clock``), as of this read."""


def feed_since(snapshot: Snapshot | None, feed: str) -> float | None:
    """Unix time of the feed's first event, ``None`` when it has none (or no snapshot)."""
    stats = snapshot.feeds.get(feed) if snapshot is not None else None
    return parse_iso(stats.first_event_at) if stats is not None else None


def make_client(url: str) -> redis.Redis:
    """A redis-py client for the dashboard: ~1 s timeouts, one retry on connection errors only."""
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
        retry_on_error=[redis.exceptions.ConnectionError, redis.exceptions.TimeoutError],
        health_check_interval=30,
    )


class SnapshotSource:
    """Thread-safe, per-process snapshot cache (see the module docstring).

    ``client`` is a Redis URL, a ``redis.Redis`` or a zero-argument factory; the
    client is made on first use, so a source built before gunicorn forks opens its
    connections in each worker. ``reader(client, kecamatan_names)`` replaces the
    Redis read (``marvec.store.SnapshotReader``), for tests. ``reads`` counts Redis read attempts (also exported
    as ``marvec_dashboard_snapshot_reads_total``). ``refresh_every_s`` turns on the
    background refresher (module docstring); its thread is started by the first
    ``get()`` in each process, so a source built before gunicorn forks refreshes in
    every worker.
    """

    def __init__(
        self,
        client: ClientSpec,
        kecamatan_names: Sequence[str],
        refresh_s: float = 1.0,
        *,
        reader: Reader | None = None,
        clock: Callable[[], float] = time.time,
        refresh_every_s: float | None = None,
        idle_after_s: float = IDLE_AFTER_S,
    ) -> None:
        if refresh_s <= 0:
            raise ValueError(f"refresh_s must be > 0, got {refresh_s!r}")
        if refresh_every_s is not None and refresh_every_s <= 0:
            raise ValueError(f"refresh_every_s must be > 0, got {refresh_every_s!r}")
        self.refresh_every_s = None if refresh_every_s is None else min(float(refresh_every_s), float(refresh_s))
        self.idle_after_s = float(idle_after_s)
        self._client_spec = client
        self._client: redis.Redis | None = client if isinstance(client, redis.Redis) else None
        self.kecamatan_names = tuple(kecamatan_names)
        self.refresh_s = float(refresh_s)
        self._reader = reader
        self._snapshot_reader: SnapshotReader | None = None
        self._clock = clock
        self._lock = threading.Lock()
        self._result: SnapshotResult | None = None
        self._last_good_at: float | None = None
        self.reads = 0
        self.failures = 0
        self.version = 0
        self._content: dict[str, Any] | None = None  # the last good snapshot, read times left out
        self._changed = threading.Condition()
        self._pid = os.getpid()
        self._state = threading.Lock()
        self._asked_at = 0.0
        self._running = False
        self._stop = threading.Event()
        self._periods: dict[int, tuple[float, Period]] = {}
        self._period_lock = threading.Lock()
        self._replays: dict[int, tuple[float, Replay]] = {}
        self._replay_lock = threading.Lock()
        self._histories: dict[Hashable, tuple[float, History]] = {}
        self._history_lock = threading.Lock()

    def period(self, days: int) -> Period | None:
        """The last ``days`` WITA days' sums (``marvec.period``), read at most once per
        ``PERIOD_REFRESH_S`` per ``days``; the last good one while Redis does not answer
        (``None`` before any). Raises ``ValueError`` for ``days`` outside 1..30."""
        return self._cached(self._periods, self._period_lock, days, PERIOD_REFRESH_S, "period",
                            lambda now: PeriodReader(self._get_client()).read(days, self.kecamatan_names, now))

    def replay(self, hours: int) -> Replay | None:
        """The last ``hours`` hours for the wall's replay (``marvec.replay``), read at most
        once per ``REPLAY_REFRESH_S`` per ``hours``; the last good one while Redis does not
        answer (``None`` before any). Raises ``ValueError`` for ``hours`` not a choice."""
        return self._cached(self._replays, self._replay_lock, hours, REPLAY_REFRESH_S, "replay",
                            lambda now: ReplayReader(self._get_client()).read(hours, self.kecamatan_names, now))

    def history(self, snapshot: Snapshot | None) -> History | None:
        """The report card's weekly and monthly history, counted from the first events of
        ``snapshot``'s complaints and public-information feeds (a new start reads again),
        read at most once per ``HISTORY_REFRESH_S``; the last good one while Redis does not
        answer."""
        since = (feed_since(snapshot, "complaints"), feed_since(snapshot, "publicinfo"))
        if since not in self._histories:
            self._histories.clear()  # the data's start moved: the old spans are not kept
        return self._cached(self._histories, self._history_lock, since, HISTORY_REFRESH_S, "history",
                            lambda now: read_history(self._get_client(), Keys(), now, *since))

    def _cached(self, store: dict[Any, tuple[float, Any]], lock: threading.Lock, key: Hashable, refresh: float,
                what: str, read: Callable[[float], Any]) -> Any:
        now = self._clock()
        cached = store.get(key)
        if cached is not None and 0 <= now - cached[0] < refresh:
            return cached[1]
        if not lock.acquire(blocking=cached is None, timeout=STALE_WAIT_S if cached is None else -1):
            return cached[1] if cached is not None else None  # another thread reads it now
        try:
            cached = store.get(key)
            if cached is not None and 0 <= now - cached[0] < refresh:
                return cached[1]
            try:
                value = read(now)
            except ValueError:
                raise
            except Exception as exc:  # the page keeps its last one (or shows none)
                log.warning("%s read failed: %s", what, describe_error(exc))
                return cached[1] if cached is not None else None
            store[key] = (now, value)
            return value
        finally:
            lock.release()

    @property
    def last_good_at(self) -> float | None:
        """Unix time of the last successful read, or ``None``."""
        return self._last_good_at

    def get(self) -> SnapshotResult:
        """The current result; reads Redis here only when the cached one is older than ``refresh_s``
        (with the background refresher running, it is kept younger than that)."""
        if self.refresh_every_s is not None:
            self.touch()
        cached = self._result
        if cached is not None and self._fresh(cached):
            return cached
        if cached is not None and self._age(cached) < 2 * self.refresh_s:
            # Young enough: while another thread reads, answer it at once (no stacking).
            if not self._lock.acquire(blocking=False):
                return cached
        # Older than two refresh periods (after an idle spell) or none yet: wait for the
        # read in flight rather than answer something old; if even that does not come in
        # time, the answer says it is stale.
        elif not self._lock.acquire(timeout=STALE_WAIT_S):
            current = self._result
            if current is not None and self._age(current) < 2 * self.refresh_s:
                return current
            latest = current or cached
            if latest is not None:
                return replace(latest, stale=True)
            self._lock.acquire()  # nothing to answer yet: wait for the very first read
        try:
            current = self._result
            if current is not None and self._fresh(current):
                return current
            return self._refresh()
        finally:
            self._lock.release()

    def peek(self) -> SnapshotResult | None:
        """The cached result without ever reading Redis (``None`` before the first read)."""
        return self._result

    # -- the background refresher ----------------------------------------------------
    def touch(self) -> None:
        """Note that someone wants fresh snapshots; (re)start the refresher if it sleeps."""
        if self.refresh_every_s is None:
            return
        if os.getpid() != self._pid:
            self._after_fork()
        with self._state:
            self._asked_at = time.monotonic()
            if self._running or self._stop.is_set():
                return
            self._running = True
        threading.Thread(target=self._refresh_loop, name="marvec-snapshot-refresher", daemon=True).start()

    @property
    def refreshing(self) -> bool:
        """Whether the background refresher runs now."""
        return self._running

    def close(self) -> None:
        """Stop the background refresher for good (tests; a process about to exit)."""
        self._stop.set()

    def wait_for_change(self, seen: int, timeout: float) -> int:
        """Block until ``version`` differs from ``seen`` or ``timeout`` passes; the current ``version``."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen, timeout)
            return self.version

    def _after_fork(self) -> None:
        # A forked child has none of its parent's threads, and a lock a parent thread held
        # at fork time would stay held forever: start over with fresh ones.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._state = threading.Lock()
        self._changed = threading.Condition()
        self._running = False

    def _refresh_loop(self) -> None:
        every = self.refresh_every_s or 1.0
        while not self._stop.is_set():
            with self._state:
                if time.monotonic() - self._asked_at > self.idle_after_s:
                    self._running = False
                    return
            started = time.monotonic()
            with self._lock:
                current = self._result  # a caller may have just read (after an idle spell)
                if current is None or not 0 <= self._clock() - current.fetched_at < every / 2:
                    self._refresh()
            self._stop.wait(max(0.01, every - (time.monotonic() - started)))
        with self._state:
            self._running = False

    def _fresh(self, result: SnapshotResult) -> bool:
        age = self._clock() - result.fetched_at
        return 0 <= age < self.refresh_s

    def _age(self, result: SnapshotResult) -> float:
        age = self._clock() - result.fetched_at
        return age if age >= 0 else float("inf")  # a clock stepped back: treat as old

    def _refresh(self) -> SnapshotResult:
        started = time.perf_counter()
        now = self._clock()
        self.reads += 1
        try:
            snapshot = self._read()
        except Exception as exc:  # any failure must keep the last good snapshot
            result = self._failed(exc, now)
        else:
            result = self._succeeded(snapshot, now)
        metrics.SNAPSHOT_READ_SECONDS.observe(time.perf_counter() - started)
        previous = self._result
        self._result = result
        content = _content(result.snapshot) if result.ok and result.snapshot is not None else self._content
        changed = _shows_differently(previous, result) or content != self._content
        self._content = content
        if changed:
            with self._changed:
                self.version += 1
                self._changed.notify_all()
        return result

    def _succeeded(self, snapshot: Snapshot, now: float) -> SnapshotResult:
        if self._result is not None and not self._result.ok:
            log.info("Redis answers again; snapshot reads recovered")
        self._last_good_at = now
        metrics.SNAPSHOT_READS.labels(result="ok").inc()
        metrics.REDIS_UP.set(1)
        reader = self._snapshot_reader
        bad = reader.bad_keys if reader is not None and self._reader is None else ()
        previous = self._result.bad_keys if self._result is not None else ()
        if bad != previous:  # say it when it starts or changes, not every read
            for key, error in bad:
                log.error("Redis key %r cannot be read (%s): served as empty, the rest of the "
                          "snapshot is served; delete or fix the key", key, error)
            if not bad:
                log.info("every Redis key reads again")
        metrics.BAD_KEYS.set(len(bad))
        clocks = dict(reader.clocks) if reader is not None and self._reader is None else {}
        return SnapshotResult(snapshot=snapshot, ok=True, fetched_at=now, error=None,
                              bad_keys=bad, clocks=clocks)

    def _failed(self, exc: Exception, now: float) -> SnapshotResult:
        self.failures += 1
        metrics.SNAPSHOT_READS.labels(result="error").inc()
        metrics.REDIS_UP.set(0)
        error = describe_error(exc)
        previous = self._result
        if previous is None or previous.ok:
            # Log the transition once, not every interval while Redis stays down.
            if isinstance(exc, redis.exceptions.RedisError):
                log.warning("snapshot read failed, serving the last good snapshot: %s", error)
            else:
                log.exception("snapshot read failed with an unexpected error")
        last = previous.snapshot if previous is not None else None
        if last is not None and last.redis_ok:
            last = last.model_copy(update={"redis_ok": False})
        return SnapshotResult(snapshot=last, ok=False, fetched_at=now, error=error)

    def _read(self) -> Snapshot:
        client = self._get_client()
        if self._reader is not None:
            return self._reader(client, self.kecamatan_names)
        if self._snapshot_reader is None:  # keeps the registered read script (EVALSHA)
            self._snapshot_reader = SnapshotReader(client)
        return self._snapshot_reader.read(self.kecamatan_names)

    def client(self) -> redis.Redis:
        """This process's Redis client (made on first use, after gunicorn forked)."""
        return self._get_client()

    def _get_client(self) -> redis.Redis:
        if self._client is None:
            spec = self._client_spec
            self._client = make_client(spec) if isinstance(spec, str) else spec()
        return self._client


def _shows_differently(old: SnapshotResult | None, new: SnapshotResult) -> bool:
    """Whether Redis was lost or came back, or the first snapshot arrived (contents aside)."""
    return old is None or old.ok != new.ok or (old.snapshot is None) != (new.snapshot is None)


_READ_TIME_FIELDS: dict[str, Any] = {"generated_at": True, "feeds": {"__all__": {"silent_for_s"}}}


def _content(snapshot: Snapshot) -> dict[str, Any]:
    """A snapshot without what only says when it was read (time-driven changes come with the clock)."""
    return snapshot.model_dump(exclude=_READ_TIME_FIELDS)


def describe_error(exc: BaseException) -> str:
    """A one-line description of a read failure, for logs (may name host:port)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
