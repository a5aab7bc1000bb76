"""The one producer every source uses: keyed by entity, delivery confirmed, clean shutdown.

The adapters, ``marvec import``, the intake API and the simulator all produce through
``FeedProducer``: ``send(feed, event)`` keys the record by the event's entity
(``entity_key``), ``flush()`` returns only once the broker acknowledged every record sent
since the last flush (or raises ``DeliveryFailed`` naming the first failure), and
``close()`` flushes within a bound. Nothing here knows a feed's rules.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from typing import Any

import orjson
from kafka import KafkaProducer
from kafka.errors import KafkaError

from marvec.errors import ServiceError
from marvec.settings import Settings

__all__ = ["DeliveryFailed", "FeedProducer", "entity_key"]


class DeliveryFailed(Exception):
    """The broker did not acknowledge a record: the caller must not checkpoint past it."""


def entity_key(feed: str, event: Mapping[str, Any]) -> str | None:
    """The record key that keeps one entity's events in one partition, in order.

    complaints by ``complaint_id``, disasters by ``incident_id``, economy prices by
    ``market`` (one market's prices in order) and transactions by ``report_id``,
    publicinfo by ``post_id`` or ``survey_id``; None (any partition) when absent."""
    fields = _KEY_FIELDS.get(feed, ())
    for name in fields:
        value = event.get(name)
        if isinstance(value, str) and value:
            return value
    return None


_KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "complaints": ("complaint_id",),
    "disasters": ("incident_id",),
    "economy": ("market", "report_id"),
    "publicinfo": ("post_id", "survey_id"),
}


class FeedProducer:
    """Produce feed events to their topics; ``flush()`` confirms delivery of all of them.

    ``acks="all"`` with retries: a record counted as delivered is on the broker's log.
    ``linger_ms`` batches a burst (a poll, an import, a simulator tick) into few requests.
    Thread-safe: the intake API's worker threads share one producer per process."""

    def __init__(self, settings: Settings, *, linger_ms: int = 5, acks: str | int = "all") -> None:
        self.topics = settings.topics
        opts: dict[str, Any] = {"acks": acks, "retries": 5, "linger_ms": linger_ms,
                                "max_in_flight_requests_per_connection": 1}
        if acks != "all":
            opts["enable_idempotence"] = False
        try:
            self.producer = KafkaProducer(**settings.kafka_client_options(), **opts)
        except KafkaError as exc:
            raise ServiceError(f"MARVEC_KAFKA_BOOTSTRAP={settings.kafka_bootstrap}: {exc}") from None
        self._lock = threading.Lock()
        self._futures: list[Any] = []
        self.sent = self.failed = 0
        self.first_error = ""

    def send(self, feed: str, event: Mapping[str, Any] | bytes, key: str | None = None) -> Any:
        """Queue one event for ``feed`` (a mapping is JSON-encoded); ``key`` defaults to
        the event's entity. Returns the record's future."""
        if isinstance(event, bytes | bytearray):
            value = bytes(event)
        else:
            value = orjson.dumps(event)
            key = key if key is not None else entity_key(feed, event)
        future = self.producer.send(self.topics[feed], key=key.encode() if key is not None else None,
                                    value=value)
        future.add_errback(self._failed)
        with self._lock:
            self._futures.append(future)
            self.sent += 1
        return future

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self.failed += 1
            self.first_error = self.first_error or f"{type(exc).__name__}: {exc}"

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every record sent so far is acknowledged; ``DeliveryFailed`` if any was not."""
        with self._lock:
            futures, self._futures = self._futures, []
        self.producer.flush(timeout=timeout)
        for f in futures:
            try:
                f.get(timeout=max(1.0, timeout / 3))
            except KafkaError as exc:
                raise DeliveryFailed(f"the broker refused an event: {type(exc).__name__}: {exc}") from None

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (within ``timeout``) and close the connections."""
        with contextlib.suppress(KafkaError):
            self.producer.flush(timeout=timeout)
        self.producer.close(timeout=timeout)

    def __enter__(self) -> FeedProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
