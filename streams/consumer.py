"""``marvec consume``: poll, decode, fold, flush, commit.

Stateless and horizontally scalable: any number of these run in one consumer
group. Redis holds the applied offset of every partition (written atomically with
the aggregates), so on every assignment a consumer resumes right after what Redis
already has; where Redis has nothing it replays the partition from the earliest
retained offset. Kafka offsets are committed after each batch only as a courtesy
for lag monitoring.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener

from marvec.keys import Keys, partition_id
from marvec.settings import Settings
from streams.deadletter import drain_outbox
from streams.decode import Locator, Record, decode_batch
from streams.sink import FoldResult, RedisFold

log = logging.getLogger("marvec.consume")


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
            **{"session_timeout_ms": settings.kafka_session_timeout_ms,
               "heartbeat_interval_ms": max(300, settings.kafka_session_timeout_ms // 6),
               **(kafka_overrides or {})},
        )
        self.producer = KafkaProducer(**opts, acks="all", linger_ms=5)

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

    def step(self) -> FoldResult:
        """Poll one batch and apply it: decode, fold, flush dead letters, commit."""
        polled = self.kafka.poll(timeout_ms=self.settings.poll_timeout_ms,
                                 max_records=self.settings.batch_max_records)
        records = [Record(r.topic, r.partition, r.offset, r.value)
                   for batch in polled.values() for r in batch]
        if not records:
            return FoldResult()
        t0 = time.perf_counter()
        now = time.time()
        result = self.fold.apply(decode_batch(records, self.feed_of, now, self.locator), now)
        if result.rejected:
            tps = {partition_id(r.topic, r.partition) for r in records}
            self.stats.dead_letters += drain_outbox(self.client, self.producer, self.keys, tps,
                                                    self.settings.topic_deadletter)
        self.kafka.commit()
        self.stats.last_batch_s = time.perf_counter() - t0
        self.stats.polled += len(records)
        self.stats.batches += 1
        self.stats.result += result
        return result

    def run(self, stop: threading.Event, on_batch: Callable[[Consumer], None] | None = None) -> None:
        """Subscribe and loop until ``stop`` is set."""
        self.kafka.subscribe(list(self.feed_of), listener=_ResumeFromRedis(self))
        try:
            while not stop.is_set():
                self.step()
                if on_batch is not None:
                    on_batch(self)
        finally:
            self.close()

    def close(self) -> None:
        """Leave the group and close the clients."""
        try:
            self.kafka.close(autocommit=False)
        finally:
            self.producer.close(timeout=5)
