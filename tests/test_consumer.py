"""The consumer against a real Kafka-protocol broker and a real Redis (contract 1 and 3)."""

from __future__ import annotations

import time

import orjson
import pytest
from feeds import AIRPORT, AT_SEA, complaint, incident, transactions
from helpers import produce_json, produce_raw, read_topic, wait_for
from streamrig import running_consumer, snap, wait_consumed

pytestmark = pytest.mark.integration


def _headers(record) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


def test_every_reject_reason_goes_to_the_dead_letter_topic_and_the_consumer_carries_on(
        make_settings, redis_client):
    settings = make_settings()
    valid = complaint("C-ok", "received", 60)
    bad = {
        "invalid_json": b'{"event_id": "x",',
        "schema": orjson.dumps({**complaint("C-s", "received", 60), "status": "lost"}),
        "outside_city": orjson.dumps(complaint("C-o", "received", 60, location=AIRPORT)),
        "too_large": orjson.dumps({**complaint("C-t", "received", 60), "pad": "x" * 70_000}),
        "future_time": orjson.dumps(complaint("C-f", "received", -3600)),
    }
    produce_raw(settings, settings.topic_complaints, list(bad.values()))
    no_hazard = incident("I-unknown", "verified", 30, severity=2)
    produce_json(settings, "disasters", [no_hazard])
    produce_json(settings, "complaints", [valid])
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], 7)
        dead = read_topic(settings, settings.topic_deadletter, 6, timeout=30)
    by_reason = {_headers(r)["marvec-error"]: r for r in dead}
    assert set(by_reason) == {*bad, "schema"} and len(dead) == 6
    for reason, raw in bad.items():
        if reason == "schema":
            continue
        assert by_reason[reason].value == raw
        h = _headers(by_reason[reason])
        assert h["marvec-topic"] == settings.topic_complaints
        assert int(h["marvec-offset"]) >= 0 and h["marvec-partition"].isdigit()
    details = {_headers(r)["marvec-detail"] for r in dead}
    assert any("status must be one of" in d for d in details)
    assert any("hazard and severity are required" in d for d in details)
    s = snap(redis_client)
    assert s.feeds["complaints"].rejected == 5 and s.feeds["complaints"].accepted == 1
    assert s.feeds["disasters"].rejected == 1
    assert s.complaints.open == 1


def test_duplicates_count_once_and_change_nothing(make_settings, redis_client):
    settings = make_settings()
    first = complaint("C-1", "received", 300, category="roads")
    produce_json(settings, "complaints", [first, first, first], key_field="complaint_id")
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], 3)
    s = snap(redis_client)
    assert s.feeds["complaints"].accepted == 1
    assert s.feeds["complaints"].duplicates == 2
    assert s.complaints.open == 1 and s.complaints.by_category["roads"] == 1


def test_a_late_older_event_never_rolls_state_back(make_settings, redis_client):
    settings = make_settings()
    events = [
        complaint("C-1", "resolved", 100, opd="DPU"),
        complaint("C-1", "received", 900, category="drainage", priority="high"),
        complaint("C-1", "assigned", 600, opd="DPU"),
        incident("I-1", "closed", 50, hazard="fire", severity=3),
        incident("I-1", "reported", 500, hazard="fire", severity=3, affected_people=12),
    ]
    produce_json(settings, "complaints", events[:3])
    produce_json(settings, "disasters", events[3:])
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], 5)
    s = snap(redis_client)
    assert s.complaints.open == 0 and s.complaints.overdue == 0
    assert s.complaints.by_category["drainage"] == 0
    assert s.feeds["complaints"].accepted == 3
    assert s.disasters.active == 0 and s.disasters.affected_people == 0
    assert s.disasters.incidents == []


def test_the_first_event_of_an_incident_may_arrive_after_a_later_status(make_settings, redis_client):
    settings = make_settings()
    produce_json(settings, "disasters", [
        incident("I-2", "responding", 100, hazard="flood", severity=4, affected_people=300,
                 displaced=40),
        incident("I-2", "reported", 1000, hazard="flood", severity=2, affected_people=10),
    ])
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], 2)
    s = snap(redis_client)
    assert s.disasters.active == 1
    (inc,) = s.disasters.incidents
    assert (inc.status, inc.severity, inc.affected_people, inc.displaced) == ("responding", 4, 300, 40)
    assert [e.status for e in inc.timeline] == ["reported", "responding"]
    assert inc.kecamatan == "Ujung Pandang"


def test_an_earthquake_at_sea_is_accepted_but_counts_in_no_kecamatan(make_settings, redis_client):
    settings = make_settings()
    quake = incident("Q-1", "reported", 60, hazard="earthquake", severity=3, location=AT_SEA,
                     magnitude=5.2, depth_km=10)
    produce_json(settings, "disasters", [quake])
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], 1)
    s = snap(redis_client)
    assert s.disasters.active == 1 and s.disasters.by_hazard == {"earthquake": 1}
    assert sum(s.disasters.by_kecamatan.values()) == 0
    assert s.disasters.incidents[0].kecamatan is None
    assert s.disasters.incidents[0].magnitude == 5.2


def test_restart_resumes_after_what_redis_applied(make_settings, redis_client):
    settings = make_settings()
    produce_json(settings, "economy", [transactions(f"r{i}", 1, 1000, 60) for i in range(50)])
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], 50)
    redis_client.hset("mv:meta", "probe", "1")
    # Forget Kafka's committed offsets: a new group, as after a lost commit.
    again = settings.model_copy(update={"consumer_group": settings.consumer_group + "-b"})
    produce_json(settings, "economy", [transactions(f"s{i}", 1, 1000, 60) for i in range(5)])
    with running_consumer(again, redis_client) as worker:
        wait_for(lambda: snap(redis_client).economy.transactions_today.count == 55, timeout=60)
        time.sleep(1)
    s = snap(redis_client)
    assert s.economy.transactions_today.count == 55
    assert s.feeds["economy"].accepted == 55 and s.feeds["economy"].duplicates == 0
