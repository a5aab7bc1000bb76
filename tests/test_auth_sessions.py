"""Sessions end (issue #13): logout, a password or role change, ``marvec token revoke``.

Before: a copied session cookie still worked after logout, a changed password left old
sessions valid, and a display token lived until it expired unless the secret was
rotated. Each "worker" is its own Flask app on the session's real Redis; the last test
runs real gunicorn workers and the real ``marvec token`` command.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import flask
import pytest
import redis
from test_auth import PASSWORDS, SECRET, log_in, required, users_file  # noqa: F401 -- fixture
from test_auth_shared_limit import make_worker

from dashboard import auth
from dashboard.auth import issue_display_token, save_user
from dashboard.sessions import CACHE_S, list_display_tokens, revoke_display
from marvec.embedded import free_port
from marvec.keys import Keys

ROOT = Path(__file__).resolve().parents[1]
AFTER_CACHE = CACHE_S + 0.2


def copy_cookie(source: flask.testing.FlaskClient, target: flask.testing.FlaskClient) -> None:
    cookie = source.get_cookie("marvec_session")
    assert cookie is not None
    target.set_cookie("marvec_session", cookie.value)


def sessions_in_redis(client: redis.Redis) -> int:
    return len(list(client.scan_iter("mv:auth:session:*")))


def test_logout_ends_the_session_for_a_copied_cookie_on_another_worker(
        users_file: Path, redis_client: redis.Redis) -> None:  # noqa: F811
    one, two = make_worker(users_file, redis_client), make_worker(users_file, redis_client)
    browser, thief = one.test_client(), two.test_client()
    assert log_in(browser, "walikota").status_code == 302
    assert sessions_in_redis(redis_client) == 1
    copy_cookie(browser, thief)
    assert thief.get("/mayor").status_code == 200, "the copied cookie works while the session lives"
    assert browser.get("/logout").headers["Location"] == "/login"
    assert sessions_in_redis(redis_client) == 0
    time.sleep(AFTER_CACHE)
    assert thief.get("/mayor").status_code == 302, "after logout the copy is dead on the other worker too"
    assert thief.get("/api/v1/snapshot").status_code == 401


def test_a_password_change_ends_the_users_sessions(
        tmp_path: Path, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth.UserStore, "CHECK_EVERY_S", 0.0)
    path = tmp_path / "users.json"
    save_user(path, "walikota", PASSWORDS["walikota"], "mayor")
    save_user(path, "admin", PASSWORDS["admin"], "admin")
    server = make_worker(path, redis_client)
    mayor, admin = server.test_client(), server.test_client()
    assert log_in(mayor, "walikota").status_code == 302 and log_in(admin, "admin").status_code == 302
    assert mayor.get("/mayor").status_code == 200
    save_user(path, "walikota", "a-new-password-2025", "mayor")
    assert mayor.get("/mayor").status_code == 302, "the old password's session has ended"
    assert admin.get("/mayor").status_code == 200, "other users keep their sessions"
    assert log_in(mayor, "walikota").status_code == 401
    assert log_in(mayor, "walikota", "a-new-password-2025").status_code == 302


def test_a_role_change_ends_the_users_sessions(
        tmp_path: Path, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth.UserStore, "CHECK_EVERY_S", 0.0)
    path = tmp_path / "users.json"
    save_user(path, "pusdalops", PASSWORDS["pusdalops"], "mayor")
    client = make_worker(path, redis_client).test_client()
    assert log_in(client, "pusdalops").headers["Location"] == "/mayor"
    save_user(path, "pusdalops", PASSWORDS["pusdalops"], "crisis")
    assert client.get("/crisis").status_code == 302, "a new role means a new login"
    assert log_in(client, "pusdalops").headers["Location"] == "/crisis"
    assert client.get("/mayor").status_code == 403


def test_revoking_a_display_ends_its_kiosk_session_and_bearer_use_on_every_worker(
        users_file: Path, redis_client: redis.Redis) -> None:  # noqa: F811
    settings = required(users_file)
    token = issue_display_token(redis_client, settings, "lobby-balaikota")
    other = issue_display_token(redis_client, settings, "crisis-room", role="crisis")
    one, two = make_worker(users_file, redis_client), make_worker(users_file, redis_client)
    kiosk, script = one.test_client(), two.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert kiosk.get(f"/login/token?t={token}").headers["Location"] == "/wall"
    assert kiosk.get("/wall").status_code == 200
    assert script.get("/api/v1/snapshot", headers=bearer).status_code == 200
    assert revoke_display(redis_client, Keys(), "lobby-balaikota") == 1
    time.sleep(AFTER_CACHE)
    assert kiosk.get("/wall").headers["Location"].startswith("/login"), "the kiosk gets the login page"
    assert script.get("/api/v1/snapshot", headers=bearer).status_code == 401
    assert one.test_client().get(f"/login/token?t={token}").status_code == 401, "its start URL is dead too"
    crisis = {"Authorization": f"Bearer {other}"}
    assert two.test_client().get("/api/v1/snapshot", headers=crisis).status_code == 200, "other displays go on"
    fresh = issue_display_token(redis_client, settings, "lobby-balaikota")
    assert one.test_client().get(f"/login/token?t={fresh}").headers["Location"] == "/wall", \
        "a token issued after the revocation works"
    rows = {(r.name, r.revoked is not None) for r in list_display_tokens(redis_client, Keys())}
    assert rows == {("lobby-balaikota", True), ("crisis-room", False), ("lobby-balaikota", False)}


# -- the real command and real gunicorn workers ------------------------------------------

SERVE_SCRIPT = textwrap.dedent("""
    import sys
    import dash
    from dash import html
    import dashboard.wsgi as w
    from dashboard.server import install_server
    from dashboard.source import SnapshotSource
    from marvec.logs import setup_logging
    from marvec.settings import Settings

    def build(settings):
        app = dash.Dash(__name__)
        app.layout = html.Div("Marvec")
        source = SnapshotSource(settings.redis_url, ["Mariso"], settings.refresh_ms / 1000)
        install_server(app.server, settings, source, dash_app=app)
        return app.server

    w.build_wsgi_app = build
    setup_logging("text", "INFO")
    settings = Settings(auth="required", secret_key=sys.argv[3], redis_url=sys.argv[1])
    w.serve(settings, "127.0.0.1", int(sys.argv[2]), workers=2, threads=2)
""")


def marvec(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MARVEC_")}
    return subprocess.run([sys.executable, "-m", "marvec", *args], env={**base, **env},
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def status(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.integration
def test_marvec_token_revoke_ends_a_token_at_once_on_real_gunicorn_workers(
        redis_server: str, redis_client: redis.Redis, tmp_path: Path) -> None:
    env = {"MARVEC_SECRET_KEY": SECRET, "MARVEC_REDIS_URL": redis_server}
    issued = marvec("token", "--name", "wall-2", env=env)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT, redis_server, str(port), SECRET],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/snapshot"
        deadline = time.monotonic() + 30
        while True:
            try:
                first = status(url, token)
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
                time.sleep(0.2)
        assert first == 200
        assert {status(url, token) for _ in range(12)} == {200}, "both workers take the token"
        listed = marvec("token", "list", env=env)
        assert listed.returncode == 0, listed.stderr
        header, row = listed.stdout.splitlines()
        assert header.split() == ["NAME", "ROLE", "CREATED", "EXPIRES", "REVOKED"]
        assert row.split()[:2] == ["wall-2", "wall"] and row.split()[-1] == "-"
        revoked = marvec("token", "revoke", "wall-2", env=env)
        assert revoked.returncode == 0 and "1 recorded token(s) ended" in revoked.stderr
        time.sleep(AFTER_CACHE)
        assert {status(url, token) for _ in range(12)} == {401}, "no worker takes it any more"
        row = marvec("token", "list", env=env).stdout.splitlines()[1]
        assert row.split()[-1] != "-", "list shows when it was revoked"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    assert log_path.read_text().count("Booting worker") >= 2
