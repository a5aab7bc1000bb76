"""Alerts (contract 6): rules, evaluation, exactly-once notification across processes,
acknowledgements, the alert level and the war-room log — on a real Redis, real
consumers and a local webhook receiver."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from feeds import incident
from helpers import produce_json, wait_for
from streamrig import boundaries, running_consumer

from dashboard.app import create_app
from dashboard.auth import make_display_token
from dashboard.source import SnapshotSource
from marvec.alerts.evaluate import KEEP_RESOLVED_S, fingerprint, step
from marvec.alerts.notify import NEVER, webhook_body
from marvec.alerts.rules import Rule, default_rules, load_rules
from marvec.alerts.service import AlertService
from marvec.errors import SettingsError
from marvec.snapshot import Snapshot
from marvec.store import SnapshotReader

SECRET = "alerts-test-secret-0123456789"


# -- rules -----------------------------------------------------------------------------

def test_a_rules_file_is_read_and_a_bad_one_is_refused_in_one_line_naming_the_rule(tmp_path: Path) -> None:
    good = tmp_path / "rules.toml"
    good.write_text('''
[[rule]]
name = "flood_any"
measure = "incident.severity"
op = ">="
threshold = 2
for = "2m"
severity = "critical"
match = { hazard = ["flood", "tidal_flood"] }
summary = "Banjir tingkat {value} di {kecamatan}"
summary_en = "Flood at severity {value} in {kecamatan}"
''')
    (rule,) = load_rules(good, 300)
    assert (rule.name, rule.for_s, rule.match, rule.threshold) == ("flood_any", 120.0,
                                                                   {"hazard": ("flood", "tidal_flood")}, 2.0)
    bad = tmp_path / "bad.toml"
    for body, says in [
        ('[[rule]]\nname = "x"\nmeasure = "nope"\nthreshold = 1\nsummary = "s"', "rule 'x': measure 'nope'"),
        ('[[rule]]\nname = "y"\nmeasure = "complaints.overdue"\nthreshold = 1\nsummary = "{opd}"',
         "rule 'y': summary: unknown placeholder {opd}"),
        ('[[rule]]\nname = "z"\nmeasure = "complaints.overdue"\nsummary = "s"', "rule 'z': threshold is missing"),
        ('[[rule]]\nname = "w"\nmeasure = "complaints.overdue"\nthreshold = 1\nfor = "soon"\nsummary = "s"',
         "rule 'w': for"),
        ("not toml [", "not TOML"),
    ]:
        bad.write_text(body)
        with pytest.raises(SettingsError) as err:
            load_rules(bad, 300)
        assert "MARVEC_ALERT_RULES" in str(err.value) and says in str(err.value)
        assert "\n" not in str(err.value)
    assert [r.name for r in load_rules(None, 300)] == ["incident_severe", "feed_silent", "complaints_overdue",
                                                     "price_jump_day", "price_jump_week"]


# -- evaluation (pure) -----------------------------------------------------------------

def _snap(**parts: Any) -> Snapshot:
    base: dict[str, Any] = {"generated_at": "2026-12-02T10:00:00+08:00", "feeds": {}, "complaints": {},
                            "economy": {}, "disasters": {}}
    return Snapshot.model_validate({**base, **parts})


def _flood(severity: int, iid: str = "I-1") -> dict[str, Any]:
    return {"disasters": {"active": 1, "incidents": [
        {"incident_id": iid, "hazard": "flood", "severity": severity, "status": "responding",
         "lat": -5.15, "lon": 119.42, "kecamatan": "Tallo", "occurred_at": "2026-12-02T09:00:00+08:00"}]}}


def test_a_for_duration_delays_firing_and_a_cleared_condition_resolves_once() -> None:
    rule = Rule("severe", "incident.severity", ">=", 4, "critical", "Insiden {hazard} {value}",
                "Incident {hazard} {value}", for_s=60)
    states: dict[str, Any] = {}

    def run(snap: Snapshot, now: float) -> list[str]:
        out = step(states, [rule], snap, now)
        for fp, st in out.changes.items():
            if st is None:
                states.pop(fp, None)
            else:
                states[fp] = st
        return [t["status"] for t in out.transitions]

    assert run(_snap(**_flood(5)), 1000.0) == []
    assert [s["status"] for s in states.values()] == ["pending"]
    assert run(_snap(**_flood(5)), 1030.0) == []
    assert run(_snap(**_flood(5)), 1060.0) == ["firing"]
    assert run(_snap(**_flood(4)), 1070.0) == []  # still breached: no second firing
    (state,) = states.values()
    assert state["value"] == 4 and state["summary"] == "Insiden flood 4"
    assert run(_snap(**_flood(3)), 1080.0) == ["resolved"]
    assert run(_snap(**_flood(3)), 1090.0) == []
    assert run(_snap(), 1080.0 + KEEP_RESOLVED_S + 1) == [] and states == {}
    # a blip shorter than ``for`` never fires
    assert run(_snap(**_flood(5)), 5000.0) == [] and run(_snap(**_flood(2)), 5010.0) == [] and states == {}


def test_price_rules_use_per_commodity_thresholds_and_ignore_unknown_changes() -> None:
    rules = [r for r in default_rules(300) if r.name == "price_jump_day"]
    prices = {"cabai_rawit": {"latest_idr": 80000, "markets": 3, "change_1d_pct": 25.0},
              "beras": {"latest_idr": 15000, "markets": 3, "change_1d_pct": 6.0},
              "bawang_merah": {"latest_idr": 40000, "markets": 3, "change_1d_pct": None}}
    out = step({}, rules, _snap(economy={"prices": prices}), 1000.0)
    fired = [t["labels"]["commodity"] for t in out.transitions]
    assert fired == ["beras"]  # rice up 6% alerts; chillies' 25% is within their daily moves


def test_the_webhook_is_alertmanager_format_with_the_incidents_identifiers() -> None:
    (t,) = step({}, default_rules(300), _snap(**_flood(5)), 1000.0).transitions
    body = webhook_body(t, "https://marvec.example/")
    assert body["version"] == "4" and body["status"] == "firing"
    (alert,) = body["alerts"]
    assert alert["labels"] == {"alertname": "incident_severe", "severity": "critical",
                               "incident_id": "I-1", "hazard": "flood", "kecamatan": "Tallo"}
    assert alert["endsAt"] == NEVER and alert["startsAt"] and alert["generatorURL"] == "https://marvec.example/crisis"
    assert alert["fingerprint"] == fingerprint("incident_severe", t["labels"])
    assert "flood" in alert["annotations"]["summary"]


# -- across processes, with a webhook receiver ---------------------------------------------

class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.down = False
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.bodies.append(orjson.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def statuses(self) -> list[tuple[str, str]]:
        return [(b["status"], b["alerts"][0]["labels"]["alertname"]) for b in self.bodies]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@contextlib.contextmanager
def services(settings: Any, n: int, **kw: Any) -> Iterator[list[AlertService]]:
    """``n`` processes' alert loops (each its own Redis connection), as consumers and
    dashboard workers run them."""
    out = []
    names = list(boundaries().names)
    for _ in range(n):
        client = redis.Redis.from_url(settings.redis_url)
        reader = SnapshotReader(client)
        out.append(AlertService(settings, client, lambda r=reader: r.read(names), **kw).start())
    try:
        yield out
    finally:
        for s in out:
            s.stop()


def _severe_only(settings: Any) -> list[Rule]:
    return [r for r in default_rules(settings.stale_after_seconds) if r.name == "incident_severe"]


@pytest.mark.integration
def test_a_severe_flood_notifies_once_firing_and_once_resolved_with_four_evaluators_and_two_consumers(
        make_settings: Any, receiver: Receiver) -> None:
    settings = make_settings(partitions=2, alert_webhook_urls=receiver.url, alert_eval_seconds=0.3)
    rules = _severe_only(settings)
    with services(settings, 4, rules=rules) as loops, running_consumer(settings) as a, running_consumer(settings) as b:
        produce_json(settings, "disasters", [incident("FL-1", "reported", 30, hazard="flood", severity=5,
                                                      kecamatan="Tallo")])
        wait_for(lambda: a.stats.result.accepted + b.stats.result.accepted >= 1, timeout=60, message="not applied")
        applied = time.monotonic()
        wait_for(lambda: receiver.bodies, timeout=10, message="no firing webhook within 10 s")
        assert time.monotonic() - applied < 10
        time.sleep(2)  # any duplicate would have arrived by now
        assert receiver.statuses() == [("firing", "incident_severe")]
        assert sum(1 for s in loops if s.leader) == 1
        produce_json(settings, "disasters", [incident("FL-1", "closed", 1)])
        wait_for(lambda: len(receiver.bodies) >= 2, timeout=30, message="no resolved webhook")
        time.sleep(2)
        assert receiver.statuses() == [("firing", "incident_severe"), ("resolved", "incident_severe")]
        assert receiver.bodies[1]["alerts"][0]["endsAt"] != NEVER


@pytest.mark.integration
def test_a_receiver_down_still_gets_both_once_and_a_dead_leader_hands_over(
        make_settings: Any, receiver: Receiver, redis_client: redis.Redis) -> None:
    settings = make_settings(partitions=1, alert_webhook_urls=receiver.url, alert_eval_seconds=0.3)
    rules = _severe_only(settings)
    receiver.down = True
    with running_consumer(settings) as worker, services(settings, 2, rules=rules, backoff_base_s=0.5) as loops:
        produce_json(settings, "disasters", [incident("FIRE-1", "reported", 30, hazard="fire", severity=4)])
        wait_for(lambda: worker.stats.result.accepted >= 1, timeout=60, message="not applied")
        wait_for(lambda: redis_client.zcard("mv:ops:alerts:outbox") + redis_client.zcard("mv:ops:alerts:inflight"),
                 timeout=10, message="nothing queued")
        # the leader dies without handing over (no release): the other takes over after the lease
        leader = next(s for s in loops if s.leader)
        leader._stop.set()
        produce_json(settings, "disasters", [incident("FIRE-1", "closed", 1)])
        time.sleep(6)  # down for several retries
        assert receiver.bodies == []
        receiver.down = False
        wait_for(lambda: len(receiver.bodies) >= 2, timeout=40, message="the queued notifications never arrived")
        time.sleep(2)
        assert sorted(receiver.statuses()) == [("firing", "incident_severe"), ("resolved", "incident_severe")]
        assert any(s.leader for s in loops if s is not leader)


# -- HTTP: acknowledgements, the level, the log -------------------------------------------

@pytest.fixture
def web(make_settings: Any, tmp_path: Path) -> Any:
    users = tmp_path / "users.json"
    users.write_text("{}")
    settings = make_settings(auth="required", secret_key=SECRET, users_file=users)
    source = SnapshotSource(settings.redis_url, boundaries().names, 0.5)
    client = create_app(settings, boundaries(), source).server.test_client()

    def as_role(role: str) -> dict[str, str]:
        token = make_display_token(settings, f"{role}-1", role=role, days=1)
        return {"Authorization": f"Bearer {token}"}

    return settings, client, as_role


@pytest.mark.integration
def test_ack_level_and_notes_show_who_and_when_and_a_wall_token_may_do_none(
        web: Any, redis_client: redis.Redis) -> None:
    settings, client, as_role = web
    with services(settings, 1, rules=_severe_only(settings)) as (_loop,):
        produce_json(settings, "disasters", [incident("FL-9", "reported", 30, hazard="flood", severity=5)])
        with running_consumer(settings):
            wait_for(lambda: client.get("/api/v1/alerts", headers=as_role("wall")).get_json()["firing"] == 1,
                     timeout=60, message="the alert did not fire")
    (alert,) = client.get("/api/v1/alerts", headers=as_role("wall")).get_json()["alerts"]
    assert alert["acknowledged_by"] is None and alert["labels"]["incident_id"] == "FL-9"
    fp = alert["fingerprint"]
    assert client.post(f"/api/v1/alerts/{fp}/ack", headers=as_role("wall")).status_code == 403
    r = client.post(f"/api/v1/alerts/{fp}/ack", headers=as_role("crisis"))
    assert r.status_code == 200 and r.get_json()["acknowledged_by"] == "crisis-1"
    assert client.post("/api/v1/alerts/nope/ack", headers=as_role("crisis")).status_code == 404
    (alert,) = client.get("/api/v1/alerts", headers=as_role("mayor")).get_json()["alerts"]
    assert alert["acknowledged_by"] == "crisis-1" and alert["acknowledged_at"]

    body = {"level": "siaga", "reason": "Banjir di Tallo naik"}
    assert client.put("/api/v1/level", json=body, headers=as_role("wall")).status_code == 403
    assert client.put("/api/v1/level", json=body, headers=as_role("mayor")).status_code == 403
    assert client.put("/api/v1/level", json={"level": "siaga"}, headers=as_role("crisis")).status_code == 400
    assert client.put("/api/v1/level", json={"level": "red", "reason": "x"},
                      headers=as_role("crisis")).status_code == 400
    r = client.put("/api/v1/level", json=body, headers=as_role("crisis"))
    assert r.status_code == 200 and r.get_json()["level"] == "siaga"
    level = client.get("/api/v1/level", headers=as_role("wall")).get_json()
    assert (level["level"], level["reason"], level["set_by"]) == ("siaga", "Banjir di Tallo naik", "crisis-1")

    assert client.post("/api/v1/log", json={"text": "Posko dibuka"}, headers=as_role("wall")).status_code == 403
    assert client.post("/api/v1/log", json={"text": "Posko dibuka di Tallo"},
                       headers=as_role("mayor")).status_code == 201
    assert client.post("/api/v1/log", data="text=x", headers=as_role("mayor")).status_code == 415
    entries = client.get("/api/v1/log", headers=as_role("wall")).get_json()["entries"]
    assert [(e["kind"], e["by"]) for e in entries] == [("note", "mayor-1"), ("level", "crisis-1"),
                                                       ("ack", "crisis-1"), ("alert_firing", "marvec")]
    assert all(e["at"] for e in entries)
    # decisions survive a rebuild: only aggregates are wiped
    from marvec.keys import Keys
    from streams.rebuild import wipe

    wipe(redis_client, Keys())
    assert client.get("/api/v1/level", headers=as_role("wall")).get_json()["level"] == "siaga"
    assert len(client.get("/api/v1/log", headers=as_role("wall")).get_json()["entries"]) == 4


@pytest.mark.integration
def test_the_snapshot_carries_the_level_the_alerts_and_the_log_every_screen_shows(
        redis_client: redis.Redis) -> None:
    from marvec.alerts.store import AlertStore
    from marvec.keys import Keys

    names = list(boundaries().names)
    store = AlertStore(redis_client)
    assert SnapshotReader(redis_client).read(names).ops.level == "normal"  # nothing set: normal
    fp = "f00d"
    redis_client.hset(Keys().alerts, fp, orjson.dumps({
        "fp": fp, "rule": "incident_severe", "status": "firing", "severity": "critical",
        "labels": {"alertname": "incident_severe", "incident_id": "FL-9", "kecamatan": "Tallo"},
        "value": 5, "summary": "Banjir tingkat 5 di Tallo", "summary_en": "Flood severity 5 in Tallo",
        "starts_at": "2026-12-03T10:00:00+08:00", "ends_at": None}))
    assert store.ack(fp, "kepala.bpbd") == 1
    store.set_level("siaga", "Air Sungai Tallo naik", "kepala.bpbd")
    ops = SnapshotReader(redis_client).read(names).ops
    assert (ops.level, ops.level_reason, ops.level_set_by) == ("siaga", "Air Sungai Tallo naik", "kepala.bpbd")
    (alert,) = ops.firing
    assert (alert.summary, alert.acknowledged_by, alert.labels["incident_id"]) == \
        ("Banjir tingkat 5 di Tallo", "kepala.bpbd", "FL-9")
    assert [e["kind"] for e in ops.log][:2] == ["level", "ack"]  # newest first
