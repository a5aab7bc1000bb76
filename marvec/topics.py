"""Start-up checks of the two services: Kafka topics exist, Redis answers.

Both turn an unreachable or misconfigured server into one ``SettingsError`` line
naming the setting, instead of a traceback or a half-minute hang.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlparse

import redis
from kafka import KafkaAdminClient
from kafka.errors import KafkaError, TopicAlreadyExistsError

from marvec.errors import SettingsError
from marvec.settings import Settings

BOOTSTRAP_SETTING = "MARVEC_KAFKA_BOOTSTRAP"
REDIS_SETTING = "MARVEC_REDIS_URL"
TCP_BUDGET_S = 3.0
ADMIN_OPTIONS: dict[str, object] = {"bootstrap_timeout_ms": 6000, "request_timeout_ms": 10_000}


def _tcp_reason(bootstrap: str, budget: float = TCP_BUDGET_S) -> str | None:
    """``None`` when some bootstrap server accepts TCP, else why none did."""
    deadline = time.monotonic() + budget
    reasons = []
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            timeout = max(0.2, deadline - time.monotonic())
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
            return None
        except OSError as exc:
            reasons.append(exc.strerror or type(exc).__name__)
    return ", ".join(dict.fromkeys(reasons))


def _admin(settings: Settings) -> KafkaAdminClient:
    """An admin client, or ``SettingsError`` when no broker answers (within ~10 s)."""
    options = settings.kafka_client_options()
    bootstrap = str(settings.kafka_bootstrap)
    reason = _tcp_reason(bootstrap)
    if reason is None:
        known = {k: v for k, v in ADMIN_OPTIONS.items() if k in KafkaAdminClient.DEFAULT_CONFIG}
        try:
            return KafkaAdminClient(client_id="marvec-topics", **known, **options)
        except KafkaError as exc:
            reason = str(exc)
    raise SettingsError(
        BOOTSTRAP_SETTING,
        f"no Kafka broker answers at {bootstrap}: {reason}; start one or fix the address",
    )


def _wanted_topics(settings: Settings) -> dict[str, str]:
    """Topic name -> the setting that names it."""
    feeds = {name: f"MARVEC_TOPIC_{feed.upper()}" for feed, name in settings.topics.items()}
    return {**feeds, settings.topic_deadletter: "MARVEC_TOPIC_DEADLETTER"}


def ensure_topics(settings: Settings, partitions: int = 6) -> None:
    """Create the three feed topics and the dead-letter topic where missing.

    New topics get ``partitions`` partitions and the broker's default replication
    factor. Topics that already exist are left as they are, whatever their layout.
    """
    admin = _admin(settings)
    try:
        existing = set(admin.list_topics())
        for name, setting in _wanted_topics(settings).items():
            if name not in existing:
                _create_topic(admin, name, setting, partitions)
    except KafkaError as exc:
        raise SettingsError(
            BOOTSTRAP_SETTING, f"Kafka at {settings.kafka_bootstrap}: {exc}"
        ) from None
    finally:
        admin.close()


def _create_topic(admin: KafkaAdminClient, name: str, setting: str, partitions: int) -> None:
    """Create one topic; losing a creation race to another process is fine."""
    spec = {name: {"num_partitions": partitions, "replication_factor": -1}}
    try:
        admin.create_topics(spec, wait_for_metadata=True)
    except TopicAlreadyExistsError:
        pass
    except KafkaError as exc:
        raise SettingsError(setting, f"cannot create Kafka topic {name!r}: {exc}") from None


def _describe(url: str) -> str:
    """``host:port/db`` of a Redis URL, never its password."""
    parsed = urlparse(url)
    if parsed.scheme == "unix":
        return parsed.path
    return f"{parsed.hostname or 'localhost'}:{parsed.port or 6379}{parsed.path or '/0'}"


def check_redis(url: str) -> redis.Redis:
    """A client for ``url`` that has answered PING; ``SettingsError`` (one line) otherwise.

    The client has a 3 s connect and a 10 s socket timeout, so a dead server fails
    fast instead of hanging a command.
    """
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3.0, socket_timeout=10.0)
    except ValueError as exc:
        raise SettingsError(REDIS_SETTING, f"not a Redis URL ({exc})") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        raise SettingsError(REDIS_SETTING, _redis_reason(url, exc)) from None
    try:
        version = str(client.info("server").get("redis_version", ""))
    except redis.RedisError:  # INFO may be denied by an ACL: then trust the server
        version = ""
    if version and not redis_version_ok(version):
        client.close()
        raise SettingsError(REDIS_SETTING, f"Redis at {_describe(url)} is version {version}; Marvec "
                                           f"needs {'.'.join(map(str, MIN_REDIS))} or newer (ZMSCORE)")
    return client


MIN_REDIS = (6, 2)
"""The oldest Redis the fold runs on: ``streams/commit.lua`` and the reads use ZMSCORE."""


def redis_version_ok(version: str) -> bool:
    """Whether a ``redis_version`` (``7.0.15``, ``6.2.6``, ``255.255.255`` for unstable) is new enough."""
    try:
        parts = tuple(int(x) for x in version.split(".")[:2])
    except ValueError:
        return True  # an unknown format: let the server answer for itself
    return parts >= MIN_REDIS


def _redis_reason(url: str, exc: redis.RedisError) -> str:
    """Why PING failed, saying what to fix."""
    where, detail = _describe(url), str(exc).rstrip(".")
    if isinstance(exc, redis.AuthenticationError):
        if urlparse(url).password is None:
            return f"Redis at {where} requires a password: use redis://:PASSWORD@host:port/db"
        return f"Redis at {where} refused the password ({detail}); fix it in the URL"
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return f"no Redis answers at {where}: {detail}; start one or fix the URL"
    return f"Redis at {where} answered PING with an error: {detail}"
