"""The HTTP shell around the real screens: ``dashboard.app.create_app`` + ``install_server``."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from typing import Any

import dash
import flask
import pytest
import redis
from snapshot_fixtures import rich_snapshot

from dashboard.app import create_app
from dashboard.auth import make_display_token
from dashboard.source import SnapshotSource
from dashboard.wsgi import build_wsgi_app
from geodata import load_boundaries
from marvec.settings import Settings
from marvec.snapshot import Snapshot

SECRET = "real-app-secret-0123456789"


@pytest.fixture(scope="module")
def boundaries() -> Any:
    return load_boundaries(None)


def real_app(settings: Settings, boundaries: Any, client: redis.Redis | None = None) -> dash.Dash:
    """The real screens over a fixed snapshot; sessions in ``client`` (default: a Redis that
    never answers, so nobody can log in)."""
    def reader(client: redis.Redis, names: Sequence[str]) -> Snapshot:
        return rich_snapshot(boundaries=boundaries)

    redis_client = client or redis.Redis(port=1)
    source = SnapshotSource(lambda: redis_client, boundaries.names, refresh_s=60, reader=reader)
    return create_app(settings, boundaries, source)


def inline_script_hashes(page: str) -> list[str]:
    page = re.sub(r"<!--.*?-->", "", page, flags=re.S)
    found = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", page, re.S)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for attrs, body in found if "application/json" not in attrs
    ]


@pytest.mark.parametrize("path", ["/wall", "/mayor", "/crisis", "/"])
def test_real_screens_csp_allows_each_of_their_inline_scripts(boundaries: Any, path: str) -> None:
    response = real_app(Settings(auth="open"), boundaries).server.test_client().get(path)
    assert response.status_code == 200
    script_src = response.headers["Content-Security-Policy"].split("script-src", 1)[1].split(";")[0]
    hashes = inline_script_hashes(response.get_data(as_text=True))
    assert hashes, "Dash's renderer bootstrap is inline"
    for digest in hashes:
        assert digest in script_src
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src


def test_real_app_serves_health_snapshot_and_metrics(boundaries: Any) -> None:
    client = real_app(Settings(auth="open"), boundaries).server.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200 and set(health.get_json()["feeds"]) >= {"complaints", "economy", "disasters"}
    snap = client.get("/api/v1/snapshot").get_json()
    assert snap["kecamatan"] == list(boundaries.names)
    assert client.get("/metrics").status_code == 200


def test_real_app_wall_token_opens_the_wall_and_its_callbacks_only(boundaries: Any, redis_client: redis.Redis) -> None:
    settings = Settings(auth="required", secret_key=SECRET)
    server: flask.Flask = real_app(settings, boundaries, redis_client).server
    client = server.test_client()
    assert client.get("/wall").status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    token = make_display_token(settings, "lobby")
    assert client.get(f"/login/token?t={token}").headers["Location"] == "/wall"
    assert client.get("/wall").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/_dash-dependencies").status_code == 200
    assert client.get("/mayor").status_code == 403
    assert client.get("/crisis").status_code == 403


def test_real_app_without_a_secret_refuses_to_start(boundaries: Any) -> None:
    from marvec.errors import SettingsError

    with pytest.raises(SettingsError, match="MARVEC_SECRET_KEY"):
        real_app(Settings(auth="required"), boundaries)


@pytest.mark.integration
def test_build_wsgi_app_wires_settings_boundaries_source_and_screens(redis_client: redis.Redis, redis_server: str) -> None:
    server = build_wsgi_app(Settings(auth="open", redis_url=redis_server, refresh_ms=500))
    assert isinstance(server, flask.Flask)
    client = server.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["redis_ok"] is True
    assert client.get("/api/v1/snapshot").get_json()["kecamatan"] == list(load_boundaries(None).names)
    assert client.get("/wall").status_code == 200
    loop = server.extensions["marvec_alerts"]
    assert loop.service is not None, "the worker joined alert evaluation on its first request"
    loop.service.stop()  # it would otherwise go on evaluating against the session's Redis
    clock = server.extensions["marvec_briefing"]
    assert clock.settings.briefing_time == "06:30", "the worker's briefing clock started with the alerts"
    clock.stop()  # nor may it make briefings from the session's Redis
