"""Produce the dead letters recorded in Redis to the dead-letter topic.

The fold writes each rejected record (reason, detail, original bytes) into a
per-partition outbox inside the same transaction that counts it. Draining the
outbox afterwards makes the dead-letter topic at-least-once: a consumer killed
between the Redis write and the produce re-sends on restart, it never loses one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import redis

from marvec.keys import Keys

DRAIN_CHUNK = 1000


def dlq_headers(head: dict[str, Any]) -> list[tuple[str, bytes]]:
    """The contract's dead-letter headers for one outbox entry."""
    return [
        ("marvec-error", str(head["reason"]).encode()),
        ("marvec-detail", str(head["detail"]).encode()),
        ("marvec-topic", str(head["topic"]).encode()),
        ("marvec-partition", str(head["partition"]).encode()),
        ("marvec-offset", str(head["offset"]).encode()),
    ]


def drain_outbox(client: redis.Redis, producer: Any, keys: Keys, tps: Iterable[str],
                 topic: str) -> int:
    """Produce every waiting dead letter of the partitions ``tps``; returns how many."""
    sent = 0
    for tp in tps:
        key = keys.outbox(tp)
        while True:
            entries = client.lrange(key, 0, 2 * DRAIN_CHUNK - 1)
            if not entries:
                break
            for head_raw, value in zip(entries[::2], entries[1::2], strict=True):
                head = orjson.loads(head_raw)
                producer.send(topic, value=value, headers=dlq_headers(head))
            producer.flush(timeout=30)
            client.ltrim(key, len(entries), -1)
            sent += len(entries) // 2
    return sent
