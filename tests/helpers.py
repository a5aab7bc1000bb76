"""Small helpers for tests that talk to the session's Kafka broker.

Import them as ``from helpers import produce_json, read_topic, wait_for`` (pytest
puts ``tests/`` on ``sys.path`` because it has no ``__init__.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from marvec.settings import Settings

T = TypeVar("T")

FAST_GROUP_OPTIONS: dict[str, int] = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000}
"""Consumer-group timings for tests: Tansu group joins are slow with the defaults."""

Headers = Sequence[tuple[str, bytes]]


def topic_of(settings: Settings, feed: str) -> str:
    """The topic of a feed name (``complaints``, ``economy``, ``disasters``, ``deadletter``)."""
    topics = {**settings.topics, "deadletter": settings.topic_deadletter}
    if feed not in topics:
        raise KeyError(f"unknown feed {feed!r}; expected one of {sorted(topics)}")
    return topics[feed]


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def produce_json(
    settings: Settings, feed: str, events: Iterable[dict[str, Any]], key_field: str | None = None
) -> None:
    """Send each event as one JSON message to ``feed``'s topic, keyed by ``key_field`` if given.

    Datetimes are written as ISO strings. Returns once the broker acknowledged all.
    """
    messages = []
    for event in events:
        key = event.get(key_field) if key_field else None
        value = json.dumps(event, ensure_ascii=False, default=_json_default).encode()
        messages.append((None if key is None else str(key).encode(), value))
    _send(settings, topic_of(settings, feed), messages)


def produce_raw(
    settings: Settings,
    topic: str,
    values: Iterable[bytes],
    key: bytes | None = None,
    headers: Headers | None = None,
) -> None:
    """Send raw bytes to ``topic`` (for malformed, oversized or binary messages)."""
    _send(settings, topic, [(key, value) for value in values], headers)


def _send(
    settings: Settings,
    topic: str,
    messages: Sequence[tuple[bytes | None, bytes]],
    headers: Headers | None = None,
) -> None:
    producer = KafkaProducer(
        **settings.kafka_client_options(), acks="all", max_request_size=4 << 20
    )
    try:
        futures = [
            producer.send(topic, key=key, value=value, headers=list(headers or []))
            for key, value in messages
        ]
        producer.flush(timeout=20)
        for future in futures:
            future.get(timeout=10)  # raise the broker's error, if any
    finally:
        producer.close(timeout=5)


def read_topic(settings: Settings, topic: str, n: int, timeout: float = 20) -> list[ConsumerRecord]:
    """Read ``topic`` from the beginning until ``n`` records arrived or ``timeout`` passed.

    Returns every record read (possibly fewer than ``n`` on timeout, or more if they
    came in one poll), in arrival order: ordered within a partition only. The reader
    joins no consumer group (it assigns all partitions itself), so it commits nothing,
    disturbs no one, and starts at once.
    """
    deadline = time.monotonic() + timeout
    consumer = KafkaConsumer(
        **settings.kafka_client_options(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        _assign_all(consumer, topic, deadline)
        records: list[ConsumerRecord] = []
        while len(records) < n and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def _assign_all(consumer: KafkaConsumer, topic: str, deadline: float) -> None:
    """Assign every partition of ``topic`` from the beginning, waiting for it to exist."""
    while True:
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            break
        if time.monotonic() >= deadline:
            raise AssertionError(f"topic {topic!r} has no partitions (does it exist?)")
        time.sleep(0.1)
    consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
    consumer.seek_to_beginning()


def wait_for(
    predicate: Callable[[], T],
    timeout: float = 30,
    interval: float = 0.1,
    message: str = "condition not met",
) -> T:
    """Call ``predicate`` until it returns something truthy, and return that.

    Raises ``AssertionError(message)`` after ``timeout`` seconds. Exceptions from
    the predicate propagate at once: a broken check should not look like a slow one.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} (waited {timeout:g} s)")
        time.sleep(interval)
