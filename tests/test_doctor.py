"""``marvec doctor`` passes on a good stack and names each broken setting in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from dashboard.auth import save_user
from marvec.doctor import doctor
from marvec.embedded import free_port
from marvec.keys import SCHEMA_VERSION

pytestmark = pytest.mark.integration

CLOSED = f"127.0.0.1:{free_port()}"
SECRET = "doctor-test-secret-0123456789abcdef"


@pytest.fixture
def redis_limits(redis_client: redis.Redis) -> Iterator[redis.Redis]:
    """The session's Redis with a memory limit and noeviction, as a deployment has it."""
    before = redis_client.config_get("maxmemory")["maxmemory"], redis_client.config_get("maxmemory-policy")["maxmemory-policy"]
    redis_client.config_set("maxmemory", str(512 << 20))
    redis_client.config_set("maxmemory-policy", "noeviction")
    yield redis_client
    redis_client.config_set("maxmemory", before[0])
    redis_client.config_set("maxmemory-policy", before[1])


@pytest.fixture
def good(make_settings, redis_limits, tmp_path: Path):
    users = tmp_path / "users.json"
    save_user(users, "admin", "a long password 123", "admin")
    return make_settings(partitions=3, auth="required", secret_key=SECRET, users_file=users)


def _report(settings, scope: str = "all") -> tuple[int, list[str]]:
    lines: list[str] = []
    code = doctor(settings, scope, out=lines.append)
    return code, lines


def test_a_good_stack_passes_with_a_line_per_check(good):
    code, lines = _report(good)
    assert code == 0, "\n".join(lines)
    assert not [line for line in lines if line.startswith("FAIL")]
    names = [line.split(":", 1)[0].split(None, 1)[1] for line in lines]
    assert {"redis", "redis memory", "redis persistence", "clock", "boundaries", "data", "kafka",
            "topics", "auth", "users", "disk"} <= set(names)
    topics = next(line for line in lines if line.startswith("ok    topics:"))
    for topic in (*good.topics.values(), good.topic_deadletter):
        assert f"{topic} 3 partitions" in topics
    assert any(line.startswith("ok    redis memory: ") and "noeviction" in line for line in lines)
    assert any(line.startswith("ok    users: 1 user(s)") for line in lines)


def test_the_command_exits_0_on_a_good_stack_and_1_on_a_bad_one(good):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARVEC_")}
    env.update({"MARVEC_KAFKA_BOOTSTRAP": str(good.kafka_bootstrap), "MARVEC_REDIS_URL": str(good.redis_url),
                "MARVEC_SECRET_KEY": SECRET, "MARVEC_USERS_FILE": str(good.users_file),
                **{f"MARVEC_TOPIC_{f.upper()}": t for f, t in good.topics.items()},
                "MARVEC_TOPIC_DEADLETTER": good.topic_deadletter})
    done = subprocess.run([sys.executable, "-m", "marvec", "doctor", "--for", "dashboard"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kafka" not in done.stdout  # the dashboard needs no Kafka
    env["MARVEC_PORT"] = str(free_port())
    done = subprocess.run([sys.executable, "-m", "marvec", "doctor", "--for", "dashboard", "--running"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "FAIL  running: http://127.0.0.1:" in done.stdout
    env["MARVEC_LOG_TZ"] = "Nowhere/Special"
    done = subprocess.run([sys.executable, "-m", "marvec", "doctor"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout.startswith("FAIL  settings: MARVEC_LOG_TZ: expected an IANA time zone")


BROKEN = {
    "kafka unreachable": ({"kafka_bootstrap": CLOSED}, "FAIL  kafka: MARVEC_KAFKA_BOOTSTRAP: no Kafka broker answers"),
    "redis unreachable": ({"redis_url": f"redis://{CLOSED}/0"}, "FAIL  redis: MARVEC_REDIS_URL: no Redis answers"),
    "boundaries missing": ({"boundaries": Path("/no/such.geojson")},
                           "FAIL  boundaries: MARVEC_BOUNDARIES: /no/such.geojson: no such file"),
    "boundaries field": ({"boundaries_field": "nama"}, "FAIL  boundaries: MARVEC_BOUNDARIES_FIELD: property 'nama' not found"),
    "secret short": ({"secret_key": "short"}, "FAIL  auth: MARVEC_SECRET_KEY: too short"),
    "secret missing": ({"secret_key": None}, "FAIL  auth: MARVEC_SECRET_KEY: not set"),
    "users missing": ({"users_file": Path("/no/users.json")}, "FAIL  auth: MARVEC_USERS_FILE: /no/users.json: no such file"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_setting_is_named_in_one_failing_line(good, case):
    overrides, expected = BROKEN[case]
    code, lines = _report(good.model_copy(update=overrides))
    assert code == 1
    failing = [line for line in lines if line.startswith("FAIL")]
    assert len(failing) == 1 and failing[0].startswith(expected), "\n".join(lines)


def test_an_invalid_users_file_is_named(good, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, lines = _report(good.model_copy(update={"users_file": bad}))
    assert code == 1 and [line for line in lines if line.startswith("FAIL")] == [
        next(line for line in lines if line.startswith(f"FAIL  auth: MARVEC_USERS_FILE: {bad} is not valid .json"))]


def test_an_evicting_redis_and_another_schema_are_failures(good, redis_limits):
    redis_limits.config_set("maxmemory-policy", "allkeys-lru")
    redis_limits.hset("mv:datameta", "schema", "0")
    code, lines = _report(good)
    failing = [line for line in lines if line.startswith("FAIL")]
    assert code == 1 and len(failing) == 2, "\n".join(lines)
    assert failing[0].startswith("FAIL  redis memory: maxmemory-policy allkeys-lru evicts aggregates")
    assert failing[1] == (f"FAIL  data: Redis holds schema 0, this Marvec writes {SCHEMA_VERSION}: "
                          "run marvec rebuild (docs/deploy.md#upgrade)")
