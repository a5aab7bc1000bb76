"""The HTTP shell: /healthz, /api/v1/snapshot, /metrics, security headers, CSP."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Sequence
from typing import Any

import dash
import flask
import pytest
import redis
from dash import dcc, html

from dashboard.server import STALE_HEADER, feed_health, install_server
from dashboard.source import SnapshotSource
from marvec.contract import FEEDS
from marvec.embedded import free_port
from marvec.settings import Settings
from marvec.snapshot import (
    Complaints,
    Disasters,
    Economy,
    FeedStats,
    Incident,
    OpdStats,
    Price,
    Snapshot,
    Transactions,
)
from marvec.timeutil import iso

KEC = ("Mariso", "Tamalate", "Panakkukang")

# Contract section 3, key by key ("at least" these), and the extras Marvec adds (docs/api.md).
CONTRACT_TOP = {"generated_at", "feeds", "complaints", "economy", "disasters", "publicinfo"}
CONTRACT_PUBLICINFO = {"posts_7d", "reach_7d", "awareness"}
EXTRA_PUBLICINFO = {"posts_7d_by_channel"}
EXTRA_TOP = {"trends", "yesterday", "ticker", "ops", "kecamatan", "redis_ok"}
CONTRACT_FEED = {"accepted", "rejected", "duplicates", "last_event_at"}
EXTRA_FEED = {"first_event_at", "receiving_since", "last_applied_at", "silent_for_s"}
CONTRACT_COMPLAINTS = {"open", "overdue", "received_today", "resolved_today",
                       "by_kecamatan", "by_category", "by_opd"}
EXTRA_COMPLAINTS = {"by_kecamatan_category", "latest", "unassigned"}
CONTRACT_OPD = {"open", "overdue"}
EXTRA_OPD = {"resolved", "median_resolution_h", "within_sla_share", "median_first_response_h"}
CONTRACT_ECONOMY = {"prices", "transactions_today", "by_kecamatan"}
EXTRA_ECONOMY = {"by_kecamatan_count", "by_merchant_category"}
CONTRACT_PRICE = {"latest_idr", "markets"}
EXTRA_PRICE = {"change_7d_pct", "change_1d_pct", "by_market", "unit", "by_kecamatan", "markets_by_kecamatan"}
CONTRACT_DISASTERS = {"active", "by_hazard", "affected_people", "displaced", "incidents"}
EXTRA_DISASTERS = {"injured", "deaths", "by_kecamatan"}
CONTRACT_INCIDENT = {"incident_id", "hazard", "severity", "status", "lat", "lon",
                     "kecamatan", "occurred_at"}
EXTRA_INCIDENT = {"updated_at", "source", "affected_people", "displaced", "injured", "deaths",
                  "magnitude", "depth_km", "water_level_cm", "timeline"}


def rich_snapshot(now: float | None = None, silent: dict[str, float] | None = None) -> Snapshot:
    """A snapshot with every nested shape filled; feed ``f`` last applied ``silent[f]`` s ago."""
    now = time.time() if now is None else now
    silent = silent or {}
    feeds = {
        f: FeedStats(accepted=10, rejected=1, duplicates=2, last_event_at=iso(now - 30),
                     last_applied_at=iso(now - silent.get(f, 5)), silent_for_s=silent.get(f, 5))
        for f in FEEDS
    }
    incident = Incident(incident_id="i-1", hazard="flood", severity=3, status="responding",
                        lat=-5.15, lon=119.43, kecamatan="Tamalate", occurred_at=iso(now - 600))
    return Snapshot(
        generated_at=iso(now),
        feeds=feeds,
        complaints=Complaints(open=3, overdue=1, received_today=4, resolved_today=1,
                              by_kecamatan={k: 1 for k in KEC}, by_category={"roads": 3},
                              by_opd={"DPU": OpdStats(open=3, overdue=1)}),
        economy=Economy(prices={"beras": Price(latest_idr=14000, markets=3)},
                        transactions_today=Transactions(count=5, amount_idr=500_000),
                        by_kecamatan={k: 0 for k in KEC}),
        disasters=Disasters(active=1, by_hazard={"flood": 1}, affected_people=40, displaced=10,
                            incidents=[incident]),
        kecamatan=list(KEC),
    )


class ScriptedReader:
    """Stands in for Redis: returns ``snapshot`` or raises while ``down``."""

    def __init__(self, snapshot: Snapshot | None = None) -> None:
        self.snapshot = snapshot or rich_snapshot()
        self.down = False

    def __call__(self, client: redis.Redis, names: Sequence[str]) -> Snapshot:
        if self.down:
            raise redis.exceptions.ConnectionError("Error 111 connecting to 10.0.0.9:6379. Connection refused.")
        return self.snapshot


def make_app(settings: Settings, source: SnapshotSource) -> dash.Dash:
    """A one-page Dash app with a clientside callback, wrapped by ``install_server``."""
    app = dash.Dash(__name__, suppress_callback_exceptions=True)
    app.layout = html.Div([dcc.Location(id="url"), html.Div("Marvec", id="page"),
                           dcc.Graph(id="graph"), html.Div(id="clock")])
    app.clientside_callback("function(p) { return p; }", dash.Output("clock", "children"),
                            dash.Input("url", "pathname"))
    install_server(app.server, settings, source, dash_app=app)
    return app


def open_settings(**overrides: Any) -> Settings:
    return Settings(auth="open", **overrides)


def client_for(source: SnapshotSource, **overrides: Any) -> flask.testing.FlaskClient:
    return make_app(open_settings(**overrides), source).server.test_client()


def scripted_source(reader: ScriptedReader, refresh_s: float = 60) -> SnapshotSource:
    return SnapshotSource(lambda: redis.Redis(port=1), KEC, refresh_s=refresh_s, reader=reader)


# -- /healthz ----------------------------------------------------------------------

@pytest.mark.integration
def test_healthz_is_200_with_each_feeds_freshness_when_redis_answers(redis_client: redis.Redis, redis_server: str) -> None:
    client = client_for(SnapshotSource(redis_server, KEC, refresh_s=1))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["redis_ok"] is True and body["error"] is None
    assert set(body["feeds"]) == set(FEEDS)
    for name, feed in body["feeds"].items():
        assert set(feed) == {"last_event_at", "last_applied_at", "silent_for_s", "stale",
                             "stale_after_s"}
        if name == "publicinfo":  # a slow feed: a few posts a day, never heard is not stale
            assert (feed["stale"], feed["stale_after_s"]) == (False, 3 * 86400)
        else:
            assert feed["stale"] is True, "a live feed never heard from is stale"
    assert body["status"] == "stale"


@pytest.mark.integration
def test_a_key_of_the_wrong_type_is_named_and_the_rest_is_served(
        redis_client: redis.Redis, redis_server: str, caplog: pytest.LogCaptureFixture) -> None:
    """One wrong-type key under the prefix used to fail read.lua whole (every dashboard
    down); now the read names it (log, /healthz, metric) and serves the rest."""
    from marvec.keys import Keys

    keys = Keys()
    redis_client.hset(keys.feed("complaints"), mapping={"accepted": 7, "rejected": 2})
    redis_client.hset(keys.open_by_category, mapping={"roads": 3})
    redis_client.set(keys.complaint_totals, "not a hash")      # HGETALL: WRONGTYPE
    redis_client.hset(keys.due, "x", "1")                      # ZCOUNT: WRONGTYPE
    client = client_for(SnapshotSource(redis_server, KEC, refresh_s=1))
    with caplog.at_level("ERROR", logger="dashboard.source"):
        health = client.get("/healthz")
        snap = client.get("/api/v1/snapshot")
    assert health.status_code == 200 and snap.status_code == 200
    body = health.get_json()
    assert body["redis_ok"] is True
    named = {b["key"] for b in body["bad_keys"]}
    assert named == {keys.complaint_totals, keys.due}
    assert all("WRONGTYPE" in b["error"] for b in body["bad_keys"])
    data = snap.get_json()
    assert data["feeds"]["complaints"]["accepted"] == 7
    assert data["complaints"]["by_category"].get("roads") == 3
    assert STALE_HEADER not in snap.headers
    assert keys.complaint_totals in caplog.text and keys.due in caplog.text
    assert "marvec_dashboard_bad_keys 2.0" in client.get("/metrics").get_data(as_text=True)
    redis_client.delete(keys.complaint_totals, keys.due)


def test_healthz_marks_only_the_silent_feed_stale() -> None:
    reader = ScriptedReader(rich_snapshot(silent={"economy": 900}))
    body = client_for(scripted_source(reader), stale_after_seconds=300).get("/healthz").get_json()
    assert body["feeds"]["complaints"]["stale"] is False
    assert body["feeds"]["economy"]["stale"] is True
    assert 899 <= body["feeds"]["economy"]["silent_for_s"] < 910
    assert body["stale_after_s"] == 300 and body["status"] == "stale"


def test_healthz_is_ok_when_every_feed_is_fresh() -> None:
    body = client_for(scripted_source(ScriptedReader())).get("/healthz").get_json()
    assert body["status"] == "ok" and not any(f["stale"] for f in body["feeds"].values())


def test_healthz_is_503_when_redis_is_down() -> None:
    source = SnapshotSource(f"redis://127.0.0.1:{free_port()}/0", KEC, refresh_s=1)
    response = client_for(source).get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["redis_ok"] is False and body["status"] == "redis_down"
    assert set(body["feeds"]) == set(FEEDS)
    assert all(f["stale"] and f["last_event_at"] is None for f in body["feeds"].values())


def test_healthz_error_does_not_reveal_the_redis_address() -> None:
    reader = ScriptedReader()
    reader.down = True
    response = client_for(scripted_source(reader)).get("/healthz")
    assert response.status_code == 503
    assert b"10.0.0.9" not in response.data and response.get_json()["error"] == "redis unreachable"


def test_feed_health_counts_silence_from_the_generation_time_when_no_apply_time() -> None:
    now = time.time()
    snap = rich_snapshot(now - 100).model_copy(update={"feeds": {"complaints": FeedStats(silent_for_s=50)}})
    health = feed_health(snap, "complaints", 300, now)
    assert 149 <= health["silent_for_s"] <= 151 and health["stale"] is False


# -- /api/v1/snapshot --------------------------------------------------------------

def assert_keys(obj: dict, contract: set[str], extras: set[str], where: str) -> None:
    missing = contract - set(obj)
    unknown = set(obj) - contract - extras
    assert not missing, f"{where}: contract keys missing: {missing}"
    assert not unknown, f"{where}: undocumented keys: {unknown} (add them to docs/api.md)"


def test_snapshot_api_has_exactly_the_contract_shape_plus_documented_extras() -> None:
    response = client_for(scripted_source(ScriptedReader())).get("/api/v1/snapshot")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert STALE_HEADER not in response.headers
    body = response.get_json()
    assert_keys(body, CONTRACT_TOP, EXTRA_TOP, "top")
    assert set(body["feeds"]) == set(FEEDS)
    for name, feed in body["feeds"].items():
        assert_keys(feed, CONTRACT_FEED, EXTRA_FEED, f"feeds.{name}")
    assert_keys(body["complaints"], CONTRACT_COMPLAINTS, EXTRA_COMPLAINTS, "complaints")
    assert_keys(body["complaints"]["by_opd"]["DPU"], CONTRACT_OPD, EXTRA_OPD, "by_opd.DPU")
    assert_keys(body["economy"], CONTRACT_ECONOMY, EXTRA_ECONOMY, "economy")
    assert_keys(body["economy"]["prices"]["beras"], CONTRACT_PRICE, EXTRA_PRICE, "prices.beras")
    assert set(body["economy"]["transactions_today"]) == {"count", "amount_idr"}
    assert_keys(body["disasters"], CONTRACT_DISASTERS, EXTRA_DISASTERS, "disasters")
    assert_keys(body["disasters"]["incidents"][0], CONTRACT_INCIDENT, EXTRA_INCIDENT, "incident")
    assert_keys(body["publicinfo"], CONTRACT_PUBLICINFO, EXTRA_PUBLICINFO, "publicinfo")
    assert body["complaints"]["by_kecamatan"] == {k: 1 for k in KEC}
    assert body["redis_ok"] is True


@pytest.mark.integration
def test_snapshot_api_reads_the_real_redis(redis_client: redis.Redis, redis_server: str) -> None:
    response = client_for(SnapshotSource(redis_server, KEC, refresh_s=1)).get("/api/v1/snapshot")
    assert response.status_code == 200
    body = response.get_json()
    assert_keys(body, CONTRACT_TOP, EXTRA_TOP, "top")
    assert body["economy"]["by_kecamatan"] == {k: 0 for k in KEC}


def test_snapshot_api_is_503_with_a_clear_error_without_any_snapshot() -> None:
    source = SnapshotSource(f"redis://127.0.0.1:{free_port()}/0", KEC, refresh_s=1)
    response = client_for(source).get("/api/v1/snapshot")
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"] == "no_snapshot" and body["redis_ok"] is False and "Redis" in body["detail"]
    assert response.headers["Retry-After"] == "5"


def test_snapshot_api_serves_the_last_good_snapshot_marked_stale_when_redis_dies() -> None:
    reader = ScriptedReader()
    source = scripted_source(reader, refresh_s=0.2)
    client = client_for(source)
    first = client.get("/api/v1/snapshot").get_json()
    reader.down = True
    time.sleep(0.25)
    response = client.get("/api/v1/snapshot")
    assert response.status_code == 200
    assert response.headers[STALE_HEADER] == "1"
    body = response.get_json()
    assert body["redis_ok"] is False
    assert body["generated_at"] == first["generated_at"] and body["complaints"] == first["complaints"]
    reader.down = False
    time.sleep(0.25)
    again = client.get("/api/v1/snapshot")
    assert STALE_HEADER not in again.headers and again.get_json()["redis_ok"] is True


def test_every_request_shares_the_per_process_cache() -> None:
    source = scripted_source(ScriptedReader(), refresh_s=60)
    client = client_for(source)
    for _ in range(20):
        client.get("/api/v1/snapshot")
        client.get("/healthz")
    assert source.reads == 1


def test_the_api_serialises_each_read_once_however_many_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    import dashboard.server as server_module

    dumps: list[str] = []
    real = server_module.dump_snapshot

    def counting(snapshot: Snapshot) -> str:
        dumps.append(snapshot.generated_at)
        return real(snapshot)

    monkeypatch.setattr(server_module, "dump_snapshot", counting)
    reader = ScriptedReader()
    source = scripted_source(reader, refresh_s=0.2)
    client = client_for(source)
    bodies = {client.get("/api/v1/snapshot").get_data() for _ in range(10)}
    assert len(dumps) == 1 and len(bodies) == 1
    time.sleep(0.25)  # the next read: serialised again, once
    again = {client.get("/api/v1/snapshot").get_data() for _ in range(10)}
    assert len(dumps) == 2 and source.reads == 2 and len(again) == 1


# -- headers -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/healthz", "/api/v1/snapshot", "/metrics", "/_dash-layout",
                                  "/no/such/page.txt", "/login"])
def test_security_headers_on_every_response(path: str) -> None:
    response = client_for(scripted_source(ScriptedReader())).get(path)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


def test_security_headers_on_auth_refusals_too() -> None:
    app = make_app(Settings(auth="required", secret_key="k" * 32), scripted_source(ScriptedReader()))
    response = app.server.test_client().get("/api/v1/snapshot")
    assert response.status_code == 401
    assert response.headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in response.headers


def csp_directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}


def test_csp_allows_exactly_dashs_inline_scripts_and_no_eval() -> None:
    response = client_for(scripted_source(ScriptedReader())).get("/")
    assert response.status_code == 200
    page = re.sub(r"<!--.*?-->", "", response.get_data(as_text=True), flags=re.S)  # IE-only comment
    script_src = csp_directives(response.headers["Content-Security-Policy"])["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", page, re.S)
    executable = [body for attrs, body in inline if "application/json" not in attrs]
    assert executable, "Dash renders its renderer bootstrap inline"
    for body in executable:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src, f"inline script not allowed by CSP: {body[:60]!r}"


def test_csp_lets_the_map_reach_the_configured_tile_server_only() -> None:
    client = client_for(scripted_source(ScriptedReader()), tiles_url="https://tiles.makassarkota.go.id/{z}/{x}/{y}.png")
    csp = csp_directives(client.get("/healthz").headers["Content-Security-Policy"])
    assert "https://tiles.makassarkota.go.id" in csp["img-src"]
    assert "https://tiles.makassarkota.go.id" in csp["connect-src"]
    assert not any("cartocdn" in src for src in csp["connect-src"])
    assert "blob:" in csp["worker-src"]


# -- /metrics ----------------------------------------------------------------------

def metric_value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} {labels} not in metrics")


def test_metrics_expose_requests_latency_snapshot_reads_and_age() -> None:
    client = client_for(scripted_source(ScriptedReader()))
    before = client.get("/metrics").get_data(as_text=True)
    start = metric_value(before, "marvec_dashboard_http_requests_total",
                         endpoint="/api/v1/snapshot", status="200") if "/api/v1/snapshot" in before else 0
    for _ in range(3):
        client.get("/api/v1/snapshot")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert metric_value(text, "marvec_dashboard_http_requests_total",
                        endpoint="/api/v1/snapshot", method="GET", status="200") == start + 3
    assert metric_value(text, "marvec_dashboard_http_request_duration_seconds_count",
                        endpoint="/api/v1/snapshot") >= 3
    assert metric_value(text, "marvec_dashboard_snapshot_reads_total", result="ok") >= 1
    assert 0 <= metric_value(text, "marvec_dashboard_snapshot_age_seconds") < 60
    assert metric_value(text, "marvec_dashboard_redis_up") == 1


def test_metrics_label_routes_not_raw_paths() -> None:
    client = client_for(scripted_source(ScriptedReader()))
    for i in range(5):
        client.get(f"/some/page/{i}")
    text = client.get("/metrics").get_data(as_text=True)
    assert "/some/page/" not in text
    assert 'endpoint="/<path:path>"' in text


def test_unknown_paths_answer_404_and_json_under_api() -> None:
    """Before: every unknown path got Dash's index page with 200 (contract 3 v2: 404)."""
    client = client_for(scripted_source(ScriptedReader()))
    for path in ("/nope", "/walls", "/favicon.ico", "/assets/missing.css", "/admin.php"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"_dash-config" not in response.data, path  # not the Dash index page
    api = client.get("/api/v1/nope")
    assert api.status_code == 404 and api.get_json() == {
        "error": "not_found", "detail": "no API path /api/v1/nope"}
    assert client.get("/api/v2/snapshot").status_code == 404
    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and robots.data == b"User-agent: *\nDisallow: /\n"
    for path in ("/", "/wall", "/mayor", "/crisis", "/wall/", "/crisis/detail"):
        assert client.get(path).status_code == 200, path
    assert client.get("/api/v1/snapshot").status_code == 200


def test_bodies_over_their_paths_limit_are_refused_413_before_they_are_read() -> None:
    """Before: a 10 MB POST /login was parsed (and a 200 MB chunked one took a worker from
    249 to 650 MB)."""
    from dashboard.server import body_limit

    client = client_for(scripted_source(ScriptedReader()))
    big = client.post("/login", data=b"u=" + b"x" * (16 * 1024), content_type="application/x-www-form-urlencoded")
    assert big.status_code == 413 and big.get_json()["error"] == "too_large"
    assert client.post("/login", data={"username": "a", "password": "b"}).status_code != 413
    assert body_limit("/api/v1/events/complaints") == 1024 * 1024
    assert body_limit("/_dash-update-component") == 2 * 1024 * 1024
    assert client.post("/_dash-update-component", data=b"{}" + b" " * (3 * 1024 * 1024),
                       content_type="application/json").status_code == 413
    assert client.post("/anything", data=b"x" * (65 * 1024)).status_code == 413
