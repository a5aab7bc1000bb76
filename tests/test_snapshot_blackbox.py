"""Black box: a known mixed set of events through the real consumer; the whole contract
section 3 snapshot compared with values worked out by hand."""

from __future__ import annotations

import time

import pytest
from feeds import AT_SEA, UNHAS, complaint, incident, price, transactions
from helpers import produce_json, produce_raw
from streamrig import running_consumer, snap, wait_consumed

from marvec.timeutil import day_start

pytestmark = pytest.mark.integration
H = 3600.0


def _ago_today(hours: float) -> float:
    """Seconds ago for an event ``hours`` before now but still today (WITA)."""
    now = time.time()
    return min(hours * H, max(0.0, now - day_start(now) - 60))


def _events():
    t1, t2 = _ago_today(0.5), _ago_today(0.25)
    complaints = [
        # C1: urgent, received 30 h ago -> overdue, assigned to DPU, in Ujung Pandang
        complaint("C1", "received", 30 * H, category="drainage", priority="urgent"),
        complaint("C1", "assigned", 29 * H, opd="DPU"),
        # C2: normal, received today in Tamalanrea, still open, not overdue, DLH
        complaint("C2", "received", t1, category="waste", location=UNHAS),
        complaint("C2", "assigned", t2, opd="DLH", location=UNHAS),
        # C3: received and resolved today (DPU) -> not open
        complaint("C3", "received", t1, category="roads"),
        complaint("C3", "resolved", t2, opd="DPU"),
        # C4: rejected -> not open; explicit kecamatan, spelled leniently
        complaint("C4", "received", t1, category="other", kecamatan="kec. tallo", location=None),
        complaint("C4", "rejected", t2, kecamatan="Tallo", location=None),
    ]
    economy = [
        price("Pasar Terong", "beras", 14000, 500),
        price("Pasar Terong", "beras", 15000, 100),  # latest of Terong
        price("Pasar Daya", "beras", 16000, 200),
        price("Pasar Sentral", "beras", 13000, 300),
        price("Pasar Kalimbu", "beras", 17000, 300),  # median of 15k,16k,13k,17k = 15.5k
        price("Pasar Terong", "cabai_rawit", 60000, 100),
        transactions("R1", 10, 250_000, _ago_today(0.3)),
        transactions("R2", 5, 100_000, _ago_today(0.2), kecamatan=None, location=UNHAS),
    ]
    disasters = [
        incident("F1", "reported", 2 * H, hazard="flood", severity=3, affected_people=200,
                 displaced=50),
        incident("F1", "responding", 1 * H, affected_people=350),  # displaced stays 50
        incident("X1", "reported", 3 * H, hazard="fire", severity=2, affected_people=8, displaced=8),
        incident("X1", "closed", 1 * H),
        incident("Q1", "reported", 600, hazard="earthquake", severity=2, location=AT_SEA,
                 magnitude=4.9, depth_km=12, affected_people=0),
    ]
    return complaints, economy, disasters


def test_the_whole_snapshot_matches_the_hand_worked_values(make_settings, redis_client):
    settings = make_settings()
    complaints, economy, disasters = _events()
    produce_json(settings, "complaints", complaints, key_field="complaint_id")
    produce_json(settings, "economy", economy)
    produce_json(settings, "disasters", disasters, key_field="incident_id")
    produce_raw(settings, settings.topic_economy, [b"\xff\xfe not json"])
    total = len(complaints) + len(economy) + len(disasters) + 1
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], total)
    s = snap(redis_client).model_dump()

    assert {f: {k: s["feeds"][f][k] for k in ("accepted", "rejected", "duplicates")}
            for f in s["feeds"]} == {
        "complaints": {"accepted": 8, "rejected": 0, "duplicates": 0},
        "economy": {"accepted": 8, "rejected": 1, "duplicates": 0},
        "disasters": {"accepted": 5, "rejected": 0, "duplicates": 0},
        "publicinfo": {"accepted": 0, "rejected": 0, "duplicates": 0},
    }
    assert all(s["feeds"][f]["last_event_at"] for f in ("complaints", "economy", "disasters"))
    assert s["feeds"]["publicinfo"]["last_event_at"] is None  # nothing sent: unknown, not a time
    c = s["complaints"]
    assert (c["open"], c["overdue"], c["received_today"], c["resolved_today"]) == (2, 1, 3, 1)
    assert {k: v for k, v in c["by_kecamatan"].items() if v} == {"Ujung Pandang": 1, "Tamalanrea": 1}
    assert len(c["by_kecamatan"]) == 15
    assert {k: v for k, v in c["by_category"].items() if v} == {"drainage": 1, "waste": 1}
    assert {k: (v["open"], v["overdue"]) for k, v in c["by_opd"].items()} == {
        "DPU": (1, 1), "DLH": (1, 0)}
    assert c["by_opd"]["DPU"]["resolved"] == 1 and c["by_opd"]["DPU"]["within_sla_share"] == 1.0

    e = s["economy"]
    assert e["prices"]["beras"]["latest_idr"] == 15500 and e["prices"]["beras"]["markets"] == 4
    assert e["prices"]["cabai_rawit"]["latest_idr"] == 60000 and e["prices"]["cabai_rawit"]["markets"] == 1
    assert set(e["prices"]) == {"beras", "cabai_rawit"}
    assert e["transactions_today"] == {"count": 15, "amount_idr": 350_000}
    assert {k: v for k, v in e["by_kecamatan"].items() if v} == {"Tallo": 250_000, "Tamalanrea": 100_000}

    d = s["disasters"]
    assert d["active"] == 2 and d["by_hazard"] == {"flood": 1, "earthquake": 1}
    assert (d["affected_people"], d["displaced"]) == (350, 50)
    assert [(i["incident_id"], i["hazard"], i["severity"], i["status"], i["kecamatan"])
            for i in d["incidents"]] == [
        ("F1", "flood", 3, "responding", "Ujung Pandang"),
        ("Q1", "earthquake", 2, "reported", None),
    ]
    for inc in d["incidents"]:
        assert {"incident_id", "hazard", "severity", "status", "lat", "lon", "kecamatan",
                "occurred_at"} <= set(inc)
    assert d["incidents"][0]["lat"] == pytest.approx(-5.1436)
