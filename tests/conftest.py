"""Shared fixtures: a real Redis and a real Kafka-protocol broker for the test session.

The servers start lazily (only when a test asks for them), once per session, on
free ports, with their logs under pytest's temporary directory; they are stopped
at the end. Tests keep apart through ``make_settings``: every call names its own
topics and consumer group, and Redis is flushed after each test that used it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from marvec.contract import FEEDS
from marvec.embedded import start_embedded_kafka, start_embedded_redis
from marvec.settings import Settings
from marvec.topics import ensure_topics

MakeSettings = Callable[..., Settings]


@pytest.fixture(autouse=True)
def _no_marvec_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own ``MARVEC_*`` variables must not leak into ``Settings`` in tests."""
    for name in list(os.environ):
        if name.startswith("MARVEC_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def services_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's servers keep their logs (kept after the run for post-mortems)."""
    return tmp_path_factory.mktemp("services")


@pytest.fixture(scope="session")
def redis_server(services_dir: Path) -> Iterator[str]:
    """URL (``redis://127.0.0.1:PORT/0``) of a fresh redis-server for the session."""
    with start_embedded_redis(None, services_dir) as server:
        yield server.url


@pytest.fixture
def redis_client(redis_server: str) -> Iterator[redis.Redis]:
    """A client of the session's Redis; the server is FLUSHALLed after the test."""
    client = redis.Redis.from_url(redis_server)
    yield client
    client.flushall()
    client.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(services_dir: Path) -> Iterator[str]:
    """``127.0.0.1:PORT`` of a Tansu broker (in-memory storage) for the session."""
    with start_embedded_kafka(None, services_dir) as broker:
        yield broker.bootstrap


@pytest.fixture
def make_settings(kafka_bootstrap: str, redis_server: str) -> Iterator[MakeSettings]:
    """Factory ``make_settings(partitions=3, create_topics=True, **overrides) -> Settings``.

    Each call gets unique topic names (``t<hex>.complaints`` ...) and a unique
    consumer group, pointed at the session's broker and Redis, and creates the four
    topics with ``partitions`` partitions. Redis is FLUSHALLed after the test.
    """

    def factory(*, partitions: int = 3, create_topics: bool = True, **overrides: Any) -> Settings:
        tag = f"t{uuid.uuid4().hex[:12]}"
        values: dict[str, Any] = {
            "kafka_bootstrap": kafka_bootstrap,
            "redis_url": redis_server,
            **{f"topic_{feed}": f"{tag}.{feed}" for feed in (*FEEDS, "deadletter")},
            "consumer_group": f"{tag}.group",
        }
        settings = Settings(**{**values, **overrides})
        if create_topics:
            ensure_topics(settings, partitions=partitions)
        return settings

    yield factory
    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()


@pytest.fixture(scope="session")
def shared_geodata() -> Path:
    """``/work/shared/geodata`` (real boundary files); the test is skipped without it."""
    path = Path(__file__).resolve().parents[1].parent / "shared" / "geodata"
    if not path.is_dir():
        pytest.skip(f"shared geodata not found at {path}")
    return path
