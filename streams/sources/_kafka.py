"""A minimal keyed, delivery-confirmed producer for the adapters.

Stands in until the shared ``streams/sources/producer.py`` (branch ``sim``) lands.
"""

from __future__ import annotations

import json
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from marvec.errors import ServiceError
from marvec.settings import Settings


class FeedProducer:
    """``send(feed, key, event)`` then ``flush()``: returns only once the broker acked all."""

    def __init__(self, settings: Settings) -> None:
        self.topics = settings.topics
        try:
            self.producer = KafkaProducer(**settings.kafka_client_options(), acks="all",
                                          retries=5, max_in_flight_requests_per_connection=1)
        except KafkaError as exc:
            raise ServiceError(f"MARVEC_KAFKA_BOOTSTRAP={settings.kafka_bootstrap}: {exc}") from None
        self.futures: list[Any] = []

    def send(self, feed: str, key: str, event: dict[str, Any]) -> None:
        value = json.dumps(event, ensure_ascii=False).encode()
        self.futures.append(self.producer.send(self.topics[feed], key=key.encode(), value=value))

    def flush(self) -> None:
        futures, self.futures = self.futures, []
        self.producer.flush(timeout=30)
        try:
            for f in futures:
                f.get(timeout=10)
        except KafkaError as exc:
            raise ValueError(f"broker refused an event: {exc}") from None

    def close(self) -> None:
        self.producer.close(timeout=5)
