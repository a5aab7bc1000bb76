"""``marvec consume``: poll, decode, fold, flush, commit.

Stateless and horizontally scalable: any number of these run in one consumer
group. Redis holds the applied offset of every partition (written atomically with
the aggregates), so on every assignment a consumer resumes right after what Redis
already has; where Redis has nothing it replays the partition from the earliest
retained offset. Kafka offsets are committed after each batch only as a courtesy
for lag monitoring.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import redis
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener

from marvec.keys import Keys, partition_id
from marvec.settings import Settings
from streams.clock import ClockWatch
from streams.deadletter import drain_outbox
from streams.decode import Locator, Record, decode_batch
from streams.expiry import Pruner
from streams.sink import EpochChanged, FoldResult, RedisFold, RedisLost, WritesRefused

log = logging.getLogger("marvec.consume")
LOST_WAIT_S = 2.0
REDIS_RETRY_FIRST_S = 0.5
REDIS_RETRY_MAX_S = 10.0
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
LOST_REMIND_S = 60.0
REDIS_LOST = ("Redis holds no Marvec aggregates, but consumer group {group!r} has already "
              "consumed history from Kafka (was Redis restarted empty or flushed?). Nothing is "
              "applied on top of an incomplete picture: run `marvec rebuild` to rebuild it from "
              "the feeds' retained history; waiting for it.")


@dataclass
class ConsumerStats:
    """Running totals for progress lines and metrics."""

    polled: int = 0
    batches: int = 0
    result: FoldResult = field(default_factory=FoldResult)
    dead_letters: int = 0
    last_batch_s: float = 0.0
    started: float = field(default_factory=time.monotonic)


class _ResumeFromRedis(ConsumerRebalanceListener):
    """On assignment, seek each partition to just after the offset Redis has applied."""

    def __init__(self, worker: Consumer) -> None:
        self.worker = worker

    def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.worker.resume_from_redis(list(assigned))


class Consumer:
    """One consumer process: a short loop around the pure decode and the Redis fold."""

    def __init__(self, settings: Settings, locator: Locator, client: redis.Redis,
                 *, kafka_overrides: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.locator = locator
        self.client = client
        self.keys = Keys()
        self.fold = RedisFold(client, dedupe_hours=settings.dedupe_horizon_hours,
                              retention_hours=settings.entity_retention_hours, keys=self.keys)
        self.feed_of = {topic: feed for feed, topic in settings.topics.items()}
        self.stats = ConsumerStats()
        opts = settings.kafka_client_options()
        self.kafka = KafkaConsumer(
            **opts, group_id=settings.consumer_group, enable_auto_commit=False,
            auto_offset_reset="earliest", max_poll_records=settings.batch_max_records,
            fetch_max_bytes=64 * 1024 * 1024, max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
            **{"session_timeout_ms": settings.kafka_session_timeout_ms,
               "heartbeat_interval_ms": max(300, settings.kafka_session_timeout_ms // 6),
               **(kafka_overrides or {})},
        )
        self.producer = KafkaProducer(**opts, acks="all", linger_ms=5)
        self.epoch: str | None = None
        self.metrics: Any = None
        # One Redis apply in flight while the loop polls and decodes the next batch.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fold")
        self._pending: tuple[list[Record], float, Future[FoldResult]] | None = None
        self.clock = ClockWatch(client, f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}",
                                self.keys)
        self.refused: WritesRefused | None = None
        """Why Redis refuses this consumer's writes right now (None: it takes them)."""
        self._refused_said = 0.0
        self._refused_delay = REDIS_RETRY_FIRST_S
        self.pruner = Pruner(client, settings.silent_retention_days, self.keys)
        """The expiry of silent markets and idle OPDs, on its own thread (``streams.expiry``)."""

    def resume_from_redis(self, assigned: list[TopicPartition]) -> None:
        """Seek every newly assigned partition to the first offset Redis has not applied."""
        applied = self.fold.applied_offsets()
        for tp in assigned:
            done = applied.get(partition_id(tp.topic, tp.partition))
            if done is None:
                self.kafka.seek_to_beginning(tp)
                continue
            self.kafka.seek(tp, done + 1)
        tps = [partition_id(tp.topic, tp.partition) for tp in assigned]
        self.stats.dead_letters += drain_outbox(self.client, self.producer, self.keys, tps,
                                                self.settings.topic_deadletter)
        log.info("assigned %d partition(s); resuming after Redis-applied offsets", len(assigned))

    def _group_has_history(self) -> bool:
        """Whether this group committed offsets before (it consumed history already)."""
        for topic in self.feed_of:
            for p in self.kafka.partitions_for_topic(topic) or ():
                if self.kafka.committed(TopicPartition(topic, p)):
                    return True
        return False

    def wait_for_picture(self, stop: threading.Event) -> None:
        """Find the epoch to apply onto; on a fresh deployment create it, and when Redis
        lost its picture wait (saying so) until ``marvec rebuild`` has made a new one."""
        epoch = self.fold.epoch()
        if epoch is None and not self._group_has_history():
            epoch = self.fold.claim_epoch(uuid.uuid4().hex)
            log.info("fresh Redis: building the picture from the earliest retained offsets")
        reminded = 0.0
        while epoch is None and not stop.is_set():
            if time.monotonic() - reminded > LOST_REMIND_S:
                log.error(REDIS_LOST.format(group=self.settings.consumer_group))
                reminded = time.monotonic()
            stop.wait(LOST_WAIT_S)
            epoch = self.fold.epoch()
        self.epoch = epoch

    def _recover(self, stop: threading.Event) -> None:
        """After Redis lost or rebuilt its picture: wait for it, then re-seek."""
        self.epoch = None
        self.wait_for_picture(stop)
        assigned = list(self.kafka.assignment())
        if assigned:
            self.resume_from_redis(assigned)

    def _poll(self) -> list[Record]:
        # With a batch in flight, take only what is already fetched: don't sit on it.
        wait = 0 if self._pending is not None else self.settings.poll_timeout_ms
        polled = self.kafka.poll(timeout_ms=wait, max_records=self.settings.batch_max_records)
        return [Record(r.topic, r.partition, r.offset, r.value, r.timestamp)
                for batch in polled.values() for r in batch]

    def step(self, stop: threading.Event | None = None) -> FoldResult:
        """Poll and decode the next batch while Redis applies the previous one, then
        finish that one (dead letters, commit) and hand the new one to Redis."""
        records = self._poll()
        now = time.time()
        verdicts = decode_batch(records, self.feed_of, now, self.locator) if records else None
        if verdicts:
            self.clock.metrics = self.metrics
            self.clock.observe([r.timestamp for r in records],
                               sum(v.reason == "future_time" for v in verdicts), now)
        try:
            result = self._finish()
        except (RedisLost, EpochChanged) as exc:
            log.warning("%s: re-reading from what Redis holds", exc)
            self._recover(stop or threading.Event())
            return FoldResult()  # the batch just decoded is read again after the re-seek
        if verdicts:
            future = self._pool.submit(self.fold.apply, verdicts, now, self.epoch or "?")
            self._pending = (records, time.perf_counter(), future)
        return result

    def _finish(self) -> FoldResult:
        """Wait for the batch in flight; produce its dead letters and commit."""
        if self._pending is None:
            return FoldResult()
        records, t0, future = self._pending
        self._pending = None
        result = future.result()
        if self.refused is not None:
            log.info("Redis takes writes again (it refused them: %s); the batches held back "
                     "are applied now, each exactly once", self.refused.cause)
            self.refused = None
            if self.metrics is not None:
                self.metrics.writes_refused(None)
        dead = 0
        if result.rejected:
            tps = {partition_id(r.topic, r.partition) for r in records}
            dead = drain_outbox(self.client, self.producer, self.keys, tps,
                                self.settings.topic_deadletter)
            self.stats.dead_letters += dead
        self.kafka.commit()
        self.stats.last_batch_s = time.perf_counter() - t0
        if self.metrics is not None:
            self.metrics.batch(result, len(records), self.stats.last_batch_s, dead)
        self.stats.polled += len(records)
        self.stats.batches += 1
        self.stats.result += result
        return result

    def _ride_out_redis_outage(self, stop: threading.Event, exc: Exception) -> None:
        """Redis stopped answering: wait with backoff (no busy loop, no crash), then
        re-seek to what Redis holds. The batch in flight is read again; offsets in Redis
        make sure nothing counts twice."""
        log.warning("Redis unreachable (%s); retrying with backoff, nothing is lost", exc)
        if self._pending is not None:
            self._pending[2].exception()  # let the apply in flight end, whatever it did
            self._pending = None
        delay = REDIS_RETRY_FIRST_S
        while not stop.is_set():
            stop.wait(delay)
            try:
                self.client.ping()
                self._recover(stop)
                log.info("Redis is back; resumed after the offsets it holds")
                return
            except REDIS_DOWN:
                delay = min(REDIS_RETRY_MAX_S, delay * 2)

    def _wait_out_refusal(self, stop: threading.Event, exc: WritesRefused) -> None:
        """Redis refused a batch as a whole: nothing of it was written and its offsets stay
        uncommitted. Say why (once, then every minute), back off, then re-seek to what
        Redis holds and try again; once Redis takes writes every event counts once."""
        now = time.monotonic()
        if (self.refused is None or self.refused.cause != exc.cause
                or now - self._refused_said > LOST_REMIND_S):
            log.error("Redis refuses writes (%s: %s); the batch is held back, not lost, and "
                      "retried with backoff", exc.cause, exc.detail)
            self._refused_said = now
        delay = REDIS_RETRY_FIRST_S if self.refused is None else self._refused_delay
        self._refused_delay = min(REDIS_RETRY_MAX_S, delay * 2)
        self.refused = exc
        if self.metrics is not None:
            self.metrics.writes_refused(exc.cause)
        stop.wait(delay)
        if not stop.is_set():
            self._recover(stop)

    def run(self, stop: threading.Event, on_batch: Callable[[Consumer], None] | None = None) -> None:
        """Subscribe and loop until ``stop`` is set."""
        pruning = threading.Event()
        try:
            self.wait_for_picture(stop)
            self.pruner.metrics = self.metrics
            self.pruner.start(pruning)
            self.kafka.subscribe(list(self.feed_of), listener=_ResumeFromRedis(self))
            while not stop.is_set():
                try:
                    self.step(stop)
                except REDIS_DOWN as exc:
                    self._ride_out_redis_outage(stop, exc)
                    continue
                except WritesRefused as exc:
                    self._wait_out_refusal(stop, exc)
                    continue
                if on_batch is not None:
                    on_batch(self)
            with contextlib.suppress(WritesRefused, *REDIS_DOWN):
                self._finish()  # the batch in flight: its dead letters and commit
        finally:
            pruning.set()
            self.pruner.join(2.0)
            self.close()

    def close(self) -> None:
        """Leave the group and close the clients."""
        self._pool.shutdown(wait=True)
        try:
            self.kafka.close(autocommit=False)
        finally:
            self.producer.close(timeout=5)
