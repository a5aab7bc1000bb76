"""The intake API (contract 5) and ``marvec apikey`` on a real broker and Redis.

valid, invalid, mixed, oversized, no key, wrong feed, revoked key; keys stored hashed;
the queued events are on the topic keyed by entity (and a consumer applies them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import redis
from feeds import complaint, incident, price, transactions
from helpers import read_topic, wait_for
from streamrig import boundaries, running_consumer, snap

from dashboard.app import create_app
from dashboard.source import SnapshotSource
from marvec.apikeys import ApiKeys
from marvec.cli import main
from marvec.keys import Keys
from streams.rebuild import wipe

pytestmark = pytest.mark.integration

SECRET = "intake-test-secret-0123456789"


@pytest.fixture
def rig(make_settings: Any, redis_client: redis.Redis, tmp_path: Any) -> Iterator[Any]:
    users = tmp_path / "users.json"
    users.write_text("{}")
    settings = make_settings(partitions=2, auth="required", secret_key=SECRET, users_file=users)
    source = SnapshotSource(settings.redis_url, boundaries().names, settings.refresh_ms / 1000)
    web = create_app(settings, boundaries(), source).server.test_client()
    keys = ApiKeys(redis_client)
    yield settings, web, keys
    web.application.view_functions["marvec_intake"].__self__.close()


def post(web: Any, feed: str, body: Any, key: str | None, raw: bytes | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return web.post(f"/api/v1/events/{feed}", data=raw if raw is not None else orjson.dumps(body),
                    headers=headers)


def test_valid_events_are_queued_keyed_by_entity_before_the_answer(rig: Any) -> None:
    settings, web, keys = rig
    key = keys.add("anrong", ["complaints"])
    events = [complaint("C-1", "received", 60), complaint("C-1", "assigned", 30, opd="DPU"),
              complaint("C-2", "received", 10)]
    r = post(web, "complaints", events, key)
    assert r.status_code == 202
    body = r.get_json()
    assert (body["accepted"], body["rejected"]) == (3, 0)
    assert [x["status"] for x in body["results"]] == ["queued"] * 3
    assert [x["event_id"] for x in body["results"]] == [e["event_id"] for e in events]
    assert all(x["reason"] is None and x["detail"] is None for x in body["results"])
    records = read_topic(settings, settings.topics["complaints"], 3, timeout=15)
    assert sorted(orjson.loads(r.value)["event_id"] for r in records) == sorted(e["event_id"] for e in events)
    assert {r.key for r in records} == {b"C-1", b"C-2"}
    c1 = {r.partition for r in records if r.key == b"C-1"}
    assert len(c1) == 1  # one complaint, one partition: its events stay in order


def test_one_event_not_in_an_array_is_queued(rig: Any) -> None:
    _, web, keys = rig
    key = keys.add("bpbd", ["disasters"])
    r = post(web, "disasters", incident("I-1", "reported", 5, hazard="flood", severity=3), key)
    assert r.status_code == 202
    assert r.get_json()["accepted"] == 1


def test_invalid_and_mixed_bodies_get_a_verdict_per_event_and_only_valid_ones_are_produced(rig: Any) -> None:
    settings, web, keys = rig
    key = keys.add("pasar", ["economy"])
    good = price("Pasar Terong", "beras", 13000, 60)
    no_price = {k: v for k, v in price("Pasar Terong", "beras", 1, 60).items() if k != "price_idr"}
    outside = transactions("QRIS-1", 5, 50_000, 60, location={"lat": -6.2, "lon": 106.8})
    del outside["kecamatan"]  # a report placed in Jakarta: outside the city
    r = post(web, "economy", [good, no_price, "not an object", outside], key)
    assert r.status_code == 202
    body = r.get_json()
    assert (body["accepted"], body["rejected"]) == (1, 3)
    res = body["results"]
    assert [x["index"] for x in res] == [0, 1, 2, 3]
    assert [x["status"] for x in res] == ["queued", "rejected", "rejected", "rejected"]
    assert res[1]["reason"] == "schema" and "price_idr" in res[1]["detail"]
    assert res[2]["reason"] == "invalid_json" and res[2]["event_id"] is None
    assert res[3]["reason"] == "outside_city"
    records = read_topic(settings, settings.topics["economy"], 2, timeout=6)
    assert [orjson.loads(r.value)["event_id"] for r in records] == [good["event_id"]]
    assert records[0].key == b"Pasar Terong"


def test_bodies_that_are_not_json_too_large_or_too_long_produce_nothing(rig: Any) -> None:
    settings, web, keys = rig
    key = keys.add("anrong", ["complaints"])
    r = post(web, "complaints", None, key, raw=b"{not json")
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_json"
    r = post(web, "complaints", [], key)
    assert r.status_code == 400
    r = post(web, "complaints", None, key, raw=b"[" + b" " * (1024 * 1024) + b"]")
    assert r.status_code == 413 and r.get_json()["error"] == "too_large"
    r = post(web, "complaints", [complaint(f"C-{i}", "received", 5) for i in range(1001)], key)
    assert r.status_code == 413 and r.get_json()["error"] == "too_many"
    assert read_topic(settings, settings.topics["complaints"], 1, timeout=3) == []


def test_no_key_a_wrong_key_another_feeds_key_and_an_unknown_feed_are_refused(rig: Any) -> None:
    settings, web, keys = rig
    key = keys.add("anrong", ["complaints"])
    event = incident("I-1", "reported", 5, hazard="fire", severity=2)
    r = post(web, "disasters", [event], None)
    assert r.status_code == 401 and r.get_json()["error"] == "no_key"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = post(web, "disasters", [event], "mvk_" + "x" * 43)
    assert r.status_code == 401 and r.get_json()["error"] == "bad_key"
    r = post(web, "disasters", [event], key)
    assert r.status_code == 403 and r.get_json()["error"] == "wrong_feed"
    r = post(web, "weather", [event], key)
    assert r.status_code == 404
    # a logged-in session or a display token is not an API key either
    assert web.get("/api/v1/snapshot").status_code == 401
    assert read_topic(settings, settings.topics["disasters"], 1, timeout=3) == []


def test_open_auth_still_needs_a_key(make_settings: Any) -> None:
    settings = make_settings(auth="open")
    source = SnapshotSource(settings.redis_url, boundaries().names, 1.0)
    web = create_app(settings, boundaries(), source).server.test_client()
    r = post(web, "complaints", [complaint("C-1", "received", 5)], None)
    assert r.status_code == 401
    assert web.get("/api/v1/snapshot").status_code == 200  # the rest is open


def test_a_revoked_key_stops_at_once_and_rebuild_keeps_keys(rig: Any, redis_client: redis.Redis) -> None:
    _settings, web, keys = rig
    key = keys.add("call-centre-112", ["complaints", "disasters"])
    assert post(web, "complaints", [complaint("C-1", "received", 5)], key).status_code == 202
    wipe(redis_client, Keys())  # what marvec rebuild does first: access keys survive it
    assert post(web, "disasters", [incident("I-1", "reported", 5, hazard="fire", severity=2)],
                key).status_code == 202
    keys.revoke("call-centre-112")
    r = post(web, "complaints", [complaint("C-2", "received", 5)], key)
    assert r.status_code == 401 and r.get_json()["error"] == "bad_key"


def test_queued_events_reach_the_snapshot(rig: Any, redis_client: redis.Redis) -> None:
    settings, web, keys = rig
    key = keys.add("anrong", ["complaints"])
    events = [complaint(f"C-{i}", "received", 30, category="waste") for i in range(5)]
    assert post(web, "complaints", events, key).get_json()["accepted"] == 5
    with running_consumer(settings, redis_client):
        wait_for(lambda: snap(redis_client).complaints.open == 5, timeout=60,
                 message="the posted complaints did not reach the snapshot")
    assert snap(redis_client).complaints.by_category.get("waste") == 5


def test_apikey_cli_prints_the_key_once_on_its_last_line_and_stores_it_hashed(
        make_settings: Any, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings()
    monkeypatch.setenv("MARVEC_REDIS_URL", settings.redis_url)
    assert main(["apikey", "add", "opd-dpu", "--feed", "complaints", "--feed", "disasters"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    key = out[-1]
    assert key.startswith("mvk_") and len(key) > 40 and " " not in key
    dump = b"".join(k + b"".join(sum(((f, v) for f, v in redis_client.hgetall(k).items()), ()))
                    for k in redis_client.scan_iter("mv:auth:*"))
    assert key.encode() not in dump  # only its hash is stored
    assert ApiKeys(redis_client).lookup(key).feeds == ("complaints", "disasters")
    assert main(["apikey", "list"]) == 0
    listing = capsys.readouterr().out
    assert "opd-dpu" in listing and "complaints,disasters" in listing and "live" in listing
    assert key not in listing
    assert main(["apikey", "add", "opd-dpu", "--feed", "complaints"]) == 2  # a live one exists
    assert "revoke it first" in capsys.readouterr().err
    assert main(["apikey", "revoke", "opd-dpu"]) == 0
    assert ApiKeys(redis_client).lookup(key) is None
    assert main(["apikey", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["apikey", "revoke", "nobody"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no API key named 'nobody'" in err[0]
    assert main(["apikey", "add", "bad name!", "--feed", "complaints"]) == 2


def test_a_broker_that_does_not_confirm_is_a_503_and_says_to_retry(rig: Any) -> None:
    _settings, web, keys = rig
    key = keys.add("anrong", ["complaints"])
    intake = web.application.view_functions["marvec_intake"].__self__

    class Refusing:
        def send(self, *a: Any) -> None:
            pass

        def flush(self, timeout: float) -> None:
            time.sleep(0.01)
            raise RuntimeError("KafkaTimeoutError: no broker")

        def close(self) -> None:
            pass

    intake._producer = Refusing()
    r = post(web, "complaints", [complaint("C-1", "received", 5)], key)
    assert r.status_code == 503 and r.get_json()["error"] == "kafka_unavailable"
    assert "again" in r.get_json()["detail"]
