"""Access control: logins, display tokens, roles, rate limits, open mode, secrets in logs."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dash
import flask
import pytest
import redis
from dash import html
from redis.backoff import NoBackoff
from redis.retry import Retry

from dashboard import auth
from dashboard.auth import (
    hash_password,
    make_display_token,
    may_open,
    read_display_token,
    safe_next,
    save_user,
    verify_password,
)
from dashboard.security import redact
from dashboard.server import install_server
from dashboard.source import SnapshotSource
from marvec.contract import FEEDS
from marvec.errors import SettingsError
from marvec.settings import Settings
from marvec.snapshot import Complaints, Disasters, Economy, FeedStats, Snapshot
from marvec.timeutil import iso

SECRET = "test-secret-0123456789abcdef"
PASSWORDS = {"walikota": "Losari-2024!", "pusdalops": "Banjir#Tamalate", "admin": "Fort-Rotterdam9",
             "layar": "Karebosi-wall"}
ROLES = {"walikota": "mayor", "pusdalops": "crisis", "admin": "admin", "layar": "wall"}


def snapshot(names: Sequence[str] = ("Mariso",)) -> Snapshot:
    return Snapshot(generated_at=iso(time.time()), feeds={f: FeedStats() for f in FEEDS},
                    complaints=Complaints(), economy=Economy(), disasters=Disasters(),
                    kecamatan=list(names))


_REDIS: list[redis.Redis] = []


@pytest.fixture(autouse=True)
def _session_redis(redis_client: redis.Redis) -> Any:
    """Sessions and login limits live in the session's real Redis (flushed after each test)."""
    _REDIS[:] = [redis_client]
    yield
    _REDIS.clear()


def fake_source() -> SnapshotSource:
    """Snapshots from memory; sessions and login limits in the test session's Redis."""
    client = _REDIS[0]
    return SnapshotSource(lambda: client, ["Mariso"], refresh_s=60, reader=lambda c, names: snapshot(names))


def dead_source() -> SnapshotSource:
    """Like ``fake_source``, but its Redis never answers."""
    return SnapshotSource(lambda: redis.Redis(port=1, retry=Retry(NoBackoff(), 0)), ["Mariso"],
                          refresh_s=60, reader=lambda client, names: snapshot(names))


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.json"
    for name, password in PASSWORDS.items():
        save_user(path, name, password, ROLES[name])
    return path


def make_server(settings: Settings) -> flask.Flask:
    app = dash.Dash(__name__)
    app.layout = html.Div("Marvec", id="page")
    install_server(app.server, settings, fake_source(), dash_app=app)
    return app.server


def required(users_file: Path | None, **overrides: Any) -> Settings:
    return Settings(auth="required", secret_key=SECRET, users_file=users_file, **overrides)


@pytest.fixture
def server(users_file: Path) -> flask.Flask:
    return make_server(required(users_file))


@pytest.fixture
def client(server: flask.Flask) -> flask.testing.FlaskClient:
    return server.test_client()


def form_token(client: flask.testing.FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "the login form carries a signed form token"
    return match.group(1)


def log_in(client: flask.testing.FlaskClient, user: str, password: str | None = None,
           ip: str = "10.1.1.1", **form: str) -> Any:
    data = {"username": user, "password": PASSWORDS.get(user, "") if password is None else password,
            "csrf": form_token(client), **form}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": ip})


# -- required mode: who gets in ------------------------------------------------------

@pytest.mark.parametrize("path", ["/wall", "/mayor", "/crisis", "/", "/anything"])
def test_pages_redirect_to_login_without_a_session(client: flask.testing.FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/api/v1/snapshot", "/_dash-layout", "/_dash-dependencies"])
def test_api_and_dash_routes_answer_401_json_without_credentials(client: flask.testing.FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_dash_callbacks_need_a_login(client: flask.testing.FlaskClient) -> None:
    assert client.post("/_dash-update-component", json={}).status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/metrics", "/login"])
def test_health_metrics_and_login_never_need_a_login(client: flask.testing.FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_login_with_the_right_password_opens_the_users_screen(client: flask.testing.FlaskClient) -> None:
    response = log_in(client, "walikota", **{"next": "/crisis"})
    assert response.status_code == 302 and response.headers["Location"] == "/crisis"
    assert client.get("/mayor").status_code == 200
    assert client.get("/api/v1/snapshot").status_code == 200


def test_login_without_next_goes_to_the_roles_home(client: flask.testing.FlaskClient) -> None:
    assert log_in(client, "pusdalops").headers["Location"] == "/crisis"


def test_wrong_password_is_refused_and_opens_nothing(client: flask.testing.FlaskClient) -> None:
    response = log_in(client, "walikota", "wrong")
    assert response.status_code == 401
    assert "salah" in response.get_data(as_text=True) and "Wrong" in response.get_data(as_text=True)
    assert client.get("/mayor").status_code == 302


def test_unknown_user_is_refused_like_a_wrong_password(client: flask.testing.FlaskClient) -> None:
    response = log_in(client, "nobody", "whatever")
    assert response.status_code == 401 and "Wrong username or password" in response.get_data(as_text=True)


def test_login_form_is_bilingual(client: flask.testing.FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    for label in ("Masuk", "Login", "Kata sandi", "Password", "Nama pengguna", "Username"):
        assert label in page


def test_login_post_without_the_signed_form_token_is_refused(client: flask.testing.FlaskClient) -> None:
    client.get("/login")
    for csrf in ("", "forged", auth.URLSafeTimedSerializer("other-secret-xxxxxxxx", salt="marvec.login-form.v1").dumps("x")):
        data = {"username": "admin", "password": PASSWORDS["admin"], "csrf": csrf}
        assert client.post("/login", data=data).status_code == 400
    assert client.get("/admin").status_code == 302


def test_form_token_from_another_browser_is_refused(server: flask.Flask) -> None:
    attacker, victim = server.test_client(), server.test_client()
    stolen = form_token(attacker)
    victim.get("/login")
    data = {"username": "admin", "password": PASSWORDS["admin"], "csrf": stolen}
    assert victim.post("/login", data=data).status_code == 400


def test_session_cookie_is_httponly_and_samesite_lax(client: flask.testing.FlaskClient) -> None:
    response = log_in(client, "admin")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("marvec_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_session(client: flask.testing.FlaskClient) -> None:
    log_in(client, "admin")
    assert client.get("/mayor").status_code == 200
    assert client.get("/logout").headers["Location"] == "/login"
    assert client.get("/mayor").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "/api/v1/snapshot", "javascript:alert(1)"])
def test_next_never_redirects_off_site_or_to_non_pages(client: flask.testing.FlaskClient, target: str) -> None:
    assert log_in(client, "admin", **{"next": target}).headers["Location"] == "/"


# -- rate limits -------------------------------------------------------------------

def test_sixth_attempt_for_a_user_from_one_address_is_429_with_retry_after(client: flask.testing.FlaskClient) -> None:
    for _ in range(5):
        assert log_in(client, "admin", "nope", ip="10.2.0.1").status_code == 401
    response = log_in(client, "admin", ip="10.2.0.1")  # right password, same address: delayed
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 900
    assert log_in(client, "admin", ip="10.2.0.99").status_code == 302, "another address is not delayed"


def test_guessed_names_from_an_address_do_not_delay_a_real_user_there(client: flask.testing.FlaskClient) -> None:
    for attempt in range(5):
        assert log_in(client, f"guess{attempt}", "nope", ip="10.3.0.1").status_code == 401
    assert log_in(client, "guess9", "nope", ip="10.3.0.1").status_code == 429
    assert log_in(client, "walikota", ip="10.3.0.1").status_code == 302


def test_bad_display_tokens_are_rate_limited_per_ip(client: flask.testing.FlaskClient) -> None:
    for _ in range(5):
        assert client.get("/login/token?t=bogus").status_code == 401
    assert client.get("/login/token?t=bogus").status_code == 429


# -- display tokens ----------------------------------------------------------------

def test_display_token_logs_a_wall_in_and_opens_only_the_wall(users_file: Path, client: flask.testing.FlaskClient) -> None:
    token = make_display_token(required(users_file), "lobby-balaikota")
    response = client.get(f"/login/token?t={token}")
    assert response.status_code == 302 and response.headers["Location"] == "/wall"
    assert "Expires=" in response.headers["Set-Cookie"], "a kiosk's cookie outlives a reboot"
    assert client.get("/wall").status_code == 200
    assert client.get("/api/v1/snapshot").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/mayor").status_code == 403
    assert client.get("/crisis").status_code == 403
    assert client.get("/").headers["Location"] == "/wall"


def test_display_token_works_as_a_bearer_token(users_file: Path, client: flask.testing.FlaskClient) -> None:
    token = make_display_token(required(users_file), "ops-screen")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/snapshot", headers=headers).status_code == 200
    assert client.get("/wall", headers=headers).status_code == 200
    assert client.get("/mayor", headers=headers).status_code == 403


def test_tampered_display_token_is_rejected(users_file: Path, client: flask.testing.FlaskClient) -> None:
    token = make_display_token(required(users_file), "lobby", role="wall")
    body, sig = token.rsplit(".", 1)
    promoted = auth.URLSafeSerializer("x" * 20).dump_payload({"v": 1, "n": "lobby", "r": "admin", "e": 2**40, "i": "x"})
    tampered = [f"{promoted.decode()}.{sig}", f"{body}.{sig[:-2]}AA", token[:-1], ""]
    for bad in tampered:
        assert read_display_token(SECRET, bad) is None
        assert client.get("/login/token", query_string={"t": bad}, environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 401
        assert client.get("/api/v1/snapshot", headers={"Authorization": f"Bearer {bad}"}).status_code == 401


def test_display_token_from_another_secret_or_expired_is_rejected(users_file: Path) -> None:
    other = make_display_token(Settings(auth="required", secret_key="another-secret-abcdefgh"), "x")
    assert read_display_token(SECRET, other) is None
    old = make_display_token(required(users_file), "x", days=1, now=time.time() - 2 * 86400)
    assert read_display_token(SECRET, old) is None
    fresh = read_display_token(SECRET, make_display_token(required(users_file), "x", role="crisis", days=30))
    assert fresh is not None and fresh.role == "crisis" and fresh.via == "token"
    assert 29 * 86400 < fresh.expires_at - time.time() <= 30 * 86400


def test_make_display_token_checks_its_arguments(users_file: Path) -> None:
    with pytest.raises(ValueError, match="role must be one of"):
        make_display_token(required(users_file), "x", role="root")
    with pytest.raises(ValueError, match="days"):
        make_display_token(required(users_file), "x", days=0)
    with pytest.raises(SettingsError, match="MARVEC_SECRET_KEY"):
        make_display_token(Settings(auth="required"), "x")


# -- roles -------------------------------------------------------------------------

ACCESS = {
    "wall": {"/wall": True, "/crisis": False, "/mayor": False, "/admin": False},
    "crisis": {"/wall": True, "/crisis": True, "/mayor": False, "/admin": False},
    "mayor": {"/wall": True, "/crisis": True, "/mayor": True, "/admin": False},
    "admin": {"/wall": True, "/crisis": True, "/mayor": True, "/admin": True},
}


@pytest.mark.parametrize("role", list(ACCESS))
def test_each_role_opens_exactly_its_screens(role: str, users_file: Path) -> None:
    client = make_server(required(users_file)).test_client()
    user = next(name for name, r in ROLES.items() if r == role)
    assert log_in(client, user, ip=f"10.4.0.{len(role)}").status_code == 302
    for path, allowed in ACCESS[role].items():
        assert may_open(role, path) is allowed
        status = client.get(path).status_code
        assert status == (200 if allowed else 403), f"{role} {path}: {status}"
        assert client.get(path + "/detail").status_code == (200 if allowed else 403)
    assert client.get("/api/v1/snapshot").status_code == 200


def test_a_user_removed_from_the_file_loses_the_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth.UserStore, "CHECK_EVERY_S", 0.0)
    path = tmp_path / "users.json"
    save_user(path, "admin", PASSWORDS["admin"], "admin")
    client = make_server(required(path)).test_client()
    log_in(client, "admin")
    assert client.get("/mayor").status_code == 200
    save_user(path, "walikota", PASSWORDS["walikota"], "mayor")
    data = json.loads(path.read_text())
    del data["admin"]
    path.write_text(json.dumps(data))
    assert client.get("/mayor").status_code == 302
    assert log_in(client, "walikota").status_code == 302, "a user added while running can log in"


# -- open mode, start-up checks -----------------------------------------------------

@pytest.mark.parametrize("path", ["/wall", "/mayor", "/crisis", "/", "/api/v1/snapshot", "/_dash-layout"])
def test_open_mode_needs_no_login(path: str) -> None:
    client = make_server(Settings(auth="open")).test_client()
    assert client.get(path).status_code == 200
    assert client.get("/login").headers["Location"] == "/"


def test_required_mode_without_a_secret_refuses_to_start(users_file: Path) -> None:
    with pytest.raises(SettingsError) as err:
        make_server(Settings(auth="required", users_file=users_file))
    assert err.value.setting == "MARVEC_SECRET_KEY"
    assert "\n" not in str(err.value) and "MARVEC_AUTH=open" in str(err.value)


def test_required_mode_with_a_short_secret_refuses_to_start(users_file: Path) -> None:
    with pytest.raises(SettingsError, match="too short"):
        make_server(Settings(auth="required", secret_key="short", users_file=users_file))


def test_unreadable_users_file_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        make_server(required(tmp_path / "missing.json"))
    assert err.value.setting == "MARVEC_USERS_FILE"


@pytest.mark.parametrize("content, why", [
    ("{not json", "not valid"),
    ('{"a": {"password_hash": "x", "role": "root"}}', "role must be one of"),
    ('{"a": {"role": "admin"}}', "password_hash"),
    ("[]", "expected an object"),
])
def test_invalid_users_file_names_the_problem(tmp_path: Path, content: str, why: str) -> None:
    path = tmp_path / "users.json"
    path.write_text(content)
    with pytest.raises(SettingsError, match=why):
        make_server(required(path))


def test_users_file_may_be_toml(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    path.write_text(f'[walikota]\npassword_hash = "{hash_password("pw-for-toml")}"\nrole = "mayor"\n')
    client = make_server(required(path)).test_client()
    assert log_in(client, "walikota", "pw-for-toml").headers["Location"] == "/mayor"


# -- passwords and secrets in logs ------------------------------------------------

def test_hash_password_is_salted_scrypt() -> None:
    first, second = hash_password("Losari"), hash_password("Losari")
    assert first.startswith("scrypt:") and first != second
    assert verify_password(first, "Losari") and not verify_password(first, "losari")
    assert not verify_password("garbage", "Losari")


def test_save_user_writes_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    save_user(path, "admin", "pw-1234567", "admin")
    assert path.stat().st_mode & 0o077 == 0
    entry = json.loads(path.read_text())["admin"]
    assert entry["role"] == "admin" and "pw-1234567" not in path.read_text()


def test_logs_never_contain_passwords_tokens_or_the_secret(
    users_file: Path, client: flask.testing.FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = make_display_token(required(users_file), "lobby")
    log_in(client, "admin", "Wrong-Password-42")
    log_in(client, "Fort-Rotterdam9-typed-as-name", "x", ip="10.7.7.7")
    log_in(client, "admin", ip="10.7.7.8")
    client.get(f"/login/token?t={token}")
    client.get("/login/token?t=tampered.value")
    text = caplog.text
    assert "login failed" in text and "login: admin" in text
    for secret in ("Wrong-Password-42", PASSWORDS["admin"], token, SECRET):
        assert secret not in text


def test_access_log_lines_are_redacted() -> None:
    line = '127.0.0.1 - - "GET /login/token?t=eyJ2IjoxfQ.abc-DEF_1 HTTP/1.1" 302 Authorization: Bearer eyJ.x.y'
    cleaned = redact(line)
    assert "eyJ2IjoxfQ" not in cleaned and "eyJ.x.y" not in cleaned
    assert "t=[redacted]" in cleaned and "Bearer [redacted]" in cleaned


def test_safe_next_keeps_local_pages_only() -> None:
    assert safe_next("/crisis?kec=Mariso", "/") == "/crisis?kec=Mariso"
    assert safe_next("//x", "/") == "/" and safe_next(None, "/wall") == "/wall"


def test_session_cookie_is_secure_over_https(client: flask.testing.FlaskClient) -> None:
    https = "https://marvec.example"
    page = client.get("/login", base_url=https)
    assert "Secure" in page.headers["Set-Cookie"]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    data = {"username": "admin", "password": PASSWORDS["admin"], "csrf": csrf}
    response = client.post("/login", data=data, base_url=https)
    assert response.status_code == 302 and "Secure" in response.headers["Set-Cookie"]
    assert "Secure" not in log_in(client, "admin").headers["Set-Cookie"]


class ProxiedSettings(Settings):
    """Settings with the proposed ``trusted_proxies`` field (one reverse proxy in front)."""

    trusted_proxies: int = 1


def test_behind_a_trusted_proxy_limits_apply_per_forwarded_client(users_file: Path) -> None:
    server = make_server(ProxiedSettings(auth="required", secret_key=SECRET, users_file=users_file))
    client = server.test_client()

    def attempt(user: str, password: str, client_ip: str) -> int:
        data = {"username": user, "password": password, "csrf": form_token(client)}
        headers = {"X-Forwarded-For": client_ip, "X-Forwarded-Proto": "https"}
        return client.post("/login", data=data, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code

    for _ in range(5):
        assert attempt("walikota", "nope", "203.0.113.5") == 401
    assert attempt("walikota", PASSWORDS["walikota"], "203.0.113.5") == 429
    assert attempt("walikota", PASSWORDS["walikota"], "198.51.100.7") == 302, "other clients behind the proxy are not locked out"


def test_open_mode_accepts_a_missing_or_short_secret() -> None:
    for secret in (None, "short"):
        client = make_server(Settings(auth="open", secret_key=secret)).test_client()
        assert client.get("/wall").status_code == 200
