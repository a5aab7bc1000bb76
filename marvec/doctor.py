"""``marvec doctor``: every setting and dependency, checked the way each command would.

One line per check, ``ok``, ``warn`` or ``FAIL``, with what to do; the exit code is 1
when any check fails. ``--for consume|dashboard|rebuild`` limits it to what that command
needs (the compose healthchecks); ``--running`` also asks the command's own endpoint on
this host (the consumer's metrics, the dashboard's ``/healthz``).
"""

from __future__ import annotations

import contextlib
import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marvec.errors import MarvecError, SettingsError
from marvec.settings import Settings

OK, WARN, FAIL = "ok", "warn", "FAIL"
NEEDS = {
    "consume": {"kafka", "redis", "boundaries", "disk"},
    "rebuild": {"kafka", "redis", "boundaries", "disk"},
    "dashboard": {"redis", "boundaries", "auth", "disk"},
    "all": {"kafka", "redis", "boundaries", "auth", "disk"},
}
SKEW_WARN_S, SKEW_FAIL_S = 2.0, 60.0
DISK_WARN, DISK_FAIL = 1 << 30, 100 << 20


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    status: str
    name: str
    text: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name}: {self.text}"


class Doctor:
    """Runs the checks in order; later ones use what earlier ones found (clients, boundaries)."""

    def __init__(self, settings: Settings, scope: str = "all", running: bool = False) -> None:
        self.settings, self.needs, self.running, self.scope = settings, NEEDS[scope], running, scope
        self.redis: Any = None
        self.boundaries: Any = None

    def run(self) -> Iterator[Check]:
        steps: list[tuple[str, Callable[[], Iterator[Check]]]] = [
            ("redis", self._redis), ("boundaries", self._boundaries), ("redis", self._data),
            ("kafka", self._kafka), ("auth", self._auth), ("disk", self._disk)]
        for need, step in steps:
            if need in self.needs:
                try:
                    yield from step()
                except MarvecError as exc:
                    yield Check(FAIL, need, str(exc))
        if self.running:
            yield from self._own_endpoint()

    # -- Redis ------------------------------------------------------------------------
    def _redis(self) -> Iterator[Check]:
        from marvec.topics import _describe, check_redis

        if not self.settings.redis_url:
            raise SettingsError("MARVEC_REDIS_URL", "not set; expected redis://host:port/db")
        self.redis = check_redis(self.settings.redis_url)  # reachable, password, version >= 6.2
        info = self.redis.info()
        yield Check(OK, "redis", f"Redis {info.get('redis_version', '?')} at "
                                 f"{_describe(self.settings.redis_url)} answers")
        yield _memory(info)
        yield _persistence(self.redis, info)
        seconds, micros = self.redis.time()
        yield _skew("clock", "Redis", seconds + micros / 1e6)

    def _data(self) -> Iterator[Check]:
        from marvec import datameta

        if self.redis is None:
            return
        meta = datameta.read(self.redis)
        if meta is None:
            yield Check(OK, "data", "Redis holds no Marvec data yet: the first consumer writes "
                                    "the schema and the boundaries' fingerprint")
            return
        problem = datameta.schema_problem(meta) or datameta.boundaries_problem(
            meta, datameta.fingerprint_of(self.boundaries))
        if problem:
            yield Check(FAIL, "data", problem)
        else:
            yield Check(OK, "data", f"schema {meta.schema}, boundaries {str(meta.boundaries)[:12]}.. "
                                    "as loaded here")

    # -- boundaries ---------------------------------------------------------------------
    def _boundaries(self) -> Iterator[Check]:
        from geodata import load_boundaries

        self.boundaries = load_boundaries(self.settings.boundaries, self.settings.boundaries_field)
        b = self.boundaries
        yield Check(OK, "boundaries", f"{len(b.names)} kecamatan from {b.source}, "
                                      f"fingerprint {b.fingerprint[:12]}..")

    # -- Kafka ----------------------------------------------------------------------------
    def _kafka(self) -> Iterator[Check]:
        from marvec.topics import _admin, _wanted_topics

        if not self.settings.kafka_bootstrap:
            raise SettingsError("MARVEC_KAFKA_BOOTSTRAP", "not set; expected host:port[,host:port]")
        admin = _admin(self.settings)  # reachable, or the one-line SettingsError
        try:
            brokers = len(admin.describe_cluster().get("brokers", []))
            yield Check(OK, "kafka", f"{brokers} broker(s) at {self.settings.kafka_bootstrap} answer")
            existing = set(admin.list_topics())
            wanted = _wanted_topics(self.settings)
            described = admin.describe_topics([t for t in wanted if t in existing])
            found = {str(d.get("name", d.get("topic"))): len(d.get("partitions") or [])
                     for d in described}
        finally:
            admin.close()
        for topic, setting in wanted.items():
            if topic not in found:
                yield Check(WARN, "topics", f"{topic} ({setting}) does not exist: marvec consume "
                                            "creates it with 6 partitions (compose: the topics service)")
        if found:
            yield Check(OK, "topics", ", ".join(f"{t} {n} partitions" for t, n in found.items()))
        yield self._broker_clock()

    def _broker_clock(self) -> Check:
        """The broker's clock, from a record it stamps (LogAppendTime) on a doctor topic."""
        from kafka import KafkaProducer

        producer = KafkaProducer(**self.settings.kafka_client_options(), acks=1,
                                 request_timeout_ms=5000, max_block_ms=5000)
        try:
            topic = self.settings.topic_deadletter + ".doctor"
            _ensure_stamped_topic(self.settings, topic)
            sent = int(time.time() * 1000) - 3_600_000  # an hour off: a broker stamp replaces it
            meta = producer.send(topic, b"marvec doctor clock probe", timestamp_ms=sent).get(10)
        except Exception as exc:
            return Check(WARN, "clock", f"could not probe the broker's clock ({type(exc).__name__}: "
                                        f"{exc}); compare it with NTP by hand")
        finally:
            producer.close(timeout=2)
        if meta.timestamp == sent:
            return Check(OK, "clock", "the broker does not stamp record times (LogAppendTime), so "
                                      "its clock is not compared; this host's was, with Redis's")
        return _skew("clock", "the broker", meta.timestamp / 1000)

    # -- dashboard auth -----------------------------------------------------------------------
    def _auth(self) -> Iterator[Check]:
        from dashboard.auth import UserStore, require_secret

        if self.settings.auth == "open":
            yield Check(WARN, "auth", "MARVEC_AUTH=open: no login; only for a demo or a closed network")
            return
        require_secret(self.settings)
        yield Check(OK, "auth", "MARVEC_SECRET_KEY is set and long enough")
        if self.settings.users_file is None:
            yield Check(WARN, "users", "MARVEC_USERS_FILE not set: only display tokens can log in; "
                                       "name a file and add users with marvec user add")
            return
        if not self.settings.users_file.exists():
            raise SettingsError("MARVEC_USERS_FILE", f"{self.settings.users_file}: no such file; "
                                                     "create it with marvec user add NAME --role admin")
        users = UserStore(self.settings.users_file)
        status = OK if len(users) else WARN
        yield Check(status, "users", f"{len(users)} user(s) in {self.settings.users_file}"
                                     + ("" if len(users) else ": add one with marvec user add"))

    # -- this host --------------------------------------------------------------------------
    def _disk(self) -> Iterator[Check]:
        paths = {Path.cwd()}
        if self.settings.users_file is not None:
            paths.add(self.settings.users_file.parent)
        for path in sorted(paths):
            where = next((p for p in (path, *path.parents) if p.exists()), Path("/"))
            free = shutil.disk_usage(where).free
            status = FAIL if free < DISK_FAIL else WARN if free < DISK_WARN else OK
            hint = "" if status == OK else ": free some space (logs, old images) on this volume"
            yield Check(status, "disk", f"{free / 2**30:.1f} GiB free at {where}{hint}")

    def _own_endpoint(self) -> Iterator[Check]:
        if self.scope == "consume" and self.settings.metrics_port:
            url = f"http://127.0.0.1:{self.settings.metrics_port}/metrics"
        elif self.scope == "dashboard":
            url = f"http://127.0.0.1:{self.settings.port}/healthz"
        else:
            return
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                yield Check(OK, "running", f"{url} answers {resp.status}")
        except Exception as exc:
            yield Check(FAIL, "running", f"{url} does not answer ({exc}): is marvec {self.scope} running?")


def _memory(info: dict[str, Any]) -> Check:
    limit, policy = int(info.get("maxmemory", 0) or 0), str(info.get("maxmemory_policy", "?"))
    if policy != "noeviction":
        return Check(FAIL, "redis memory", f"maxmemory-policy {policy} evicts aggregates silently: "
                                           "set maxmemory-policy noeviction (consumers wait when full)")
    if not limit:
        return Check(WARN, "redis memory", "no maxmemory: Redis may take all of the host's memory; "
                                           "set maxmemory (docs/performance.md#bounded-memory sizes it)")
    used = int(info.get("used_memory", 0) or 0)
    share = used / limit
    status = WARN if share > 0.8 else OK
    return Check(status, "redis memory", f"{used / 2**20:.0f} of {limit / 2**20:.0f} MiB used "
                                         f"({share:.0%}), noeviction" + (": raise maxmemory" if share > 0.8 else ""))


def _persistence(client: Any, info: dict[str, Any]) -> Check:
    aof = int(info.get("aof_enabled", 0) or 0) == 1
    try:
        save = str(client.config_get("save").get("save", ""))
    except Exception:  # CONFIG may be renamed away: say what INFO tells
        save = "?"
    if not aof and save in ("", "?"):
        return Check(WARN, "redis persistence", "no AOF and no RDB snapshots: a Redis restart loses the "
                                                "picture until marvec rebuild replays Kafka "
                                                "(docs/deploy.md#backups); set appendonly yes")
    return Check(OK, "redis persistence", f"AOF {'on' if aof else 'off'}, RDB save {save or 'off'!r}")


def _skew(name: str, other: str, their_time: float) -> Check:
    skew = time.time() - their_time
    text = f"this host's clock is {skew:+.2f} s from {other}'s"
    if abs(skew) > SKEW_FAIL_S:
        return Check(FAIL, name, f"{text}: fix NTP (event times more than 10 min ahead are refused)")
    if abs(skew) > SKEW_WARN_S:
        return Check(WARN, name, f"{text}: check NTP on both hosts")
    return Check(OK, name, text)


def _ensure_stamped_topic(settings: Settings, topic: str) -> None:
    """A 1-partition topic whose records the broker stamps, kept an hour."""
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    from marvec.topics import _admin

    admin = _admin(settings)
    try:
        if topic not in set(admin.list_topics()):
            config = {"message.timestamp.type": "LogAppendTime", "retention.ms": "3600000"}
            with contextlib.suppress(TopicAlreadyExistsError):  # another doctor was first
                admin.create_topics([NewTopic(topic, 1, -1, topic_configs=config)])
    finally:
        admin.close()


def doctor(settings: Settings | None, scope: str = "all", running: bool = False,
           settings_error: Exception | None = None, out: Callable[[str], None] = print) -> int:
    """Print the report; 1 when any check fails, else 0."""
    if settings is None:
        out(Check(FAIL, "settings", str(settings_error)).line())
        return 1
    failed = False
    for check in Doctor(settings, scope, running).run():
        failed |= check.status == FAIL
        out(check.line())
    return 1 if failed else 0
