"""Login throttle (issue #13): per (user, address), progressive, shared by every worker through Redis.

Before: five wrong passwords for a user from any address gave that user 429 from every
address, and five bad ``/login/token?t=`` from the war room's NAT address kept a valid
kiosk token out. Each worker here is its own Flask app and source on the session's real
Redis, as gunicorn workers or dashboard hosts are.
"""

from __future__ import annotations

from pathlib import Path

import dash
import flask
import pytest
import redis
from dash import html
from redis.backoff import NoBackoff
from redis.retry import Retry
from test_auth import PASSWORDS, SECRET, log_in, required, snapshot, users_file  # noqa: F401 -- fixture

from dashboard.auth import make_display_token
from dashboard.security import LoginThrottle
from dashboard.server import install_server
from dashboard.source import SnapshotSource

MAYOR = "walikota"
NAT = "203.0.113.10"  # the war room's one public address


def make_worker(users: Path, client: redis.Redis) -> flask.Flask:
    """One dashboard worker: its own Flask app and source, the shared Redis."""
    app = dash.Dash(__name__)
    app.layout = html.Div("Marvec", id="page")
    source = SnapshotSource(lambda: client, ["Mariso"], refresh_s=60,
                            reader=lambda c, names: snapshot(names))
    install_server(app.server, required(users), source, dash_app=app)
    return app.server


@pytest.fixture
def workers(users_file: Path, redis_client: redis.Redis) -> tuple[flask.Flask, flask.Flask]:  # noqa: F811
    return make_worker(users_file, redis_client), make_worker(users_file, redis_client)


def test_failures_for_the_mayor_from_anywhere_never_lock_out_her_known_address(
        workers: tuple[flask.Flask, flask.Flask], redis_client: redis.Redis) -> None:
    one, two = workers[0].test_client(), workers[1].test_client()
    assert log_in(workers[0].test_client(), MAYOR, ip="10.20.0.5").status_code == 302  # now a known address
    assert redis_client.zscore(f"mv:auth:known:{MAYOR}", "10.20.0.5") is not None
    codes = [log_in(one if i % 2 else two, MAYOR, "guess", ip=f"198.51.100.{i % 7}").status_code
             for i in range(40)]
    assert codes.count(401) >= 5 and 429 in codes, "the attackers are slowed down"
    response = log_in(two, MAYOR, ip="10.20.0.5")
    assert response.status_code == 302, "the right password from her known address still works"
    assert log_in(one, "admin", ip="198.51.100.1").status_code == 302, "other users are not affected"


def test_five_wrong_passwords_delay_only_that_user_at_that_address(
        workers: tuple[flask.Flask, flask.Flask], redis_client: redis.Redis) -> None:
    one, two = workers[0].test_client(), workers[1].test_client()
    for i in range(5):  # alternating workers: the count is shared
        assert log_in(one if i % 2 else two, MAYOR, "nope", ip="198.51.100.9").status_code == 401
    assert redis_client.hget(f"mv:auth:fail:pair:{MAYOR}|198.51.100.9", "n") == b"5"
    delayed = log_in(one, MAYOR, ip="198.51.100.9")
    assert delayed.status_code == 429 and 1 <= int(delayed.headers["Retry-After"]) <= 900
    assert log_in(two, MAYOR, ip="198.51.100.10").status_code == 302, "a fresh address is not locked out"


def test_delays_grow_with_each_failure_and_a_success_clears_the_pair(redis_client: redis.Redis) -> None:
    now = [1_000_000.0]
    throttle = LoginThrottle(lambda: redis_client, clock=lambda: now[0])
    waits = []
    for _ in range(9):
        wait, _known = throttle.attempt(MAYOR, "10.0.0.1")
        if wait:
            waits.append(wait)
            now[0] += wait  # the client waits as told, then fails again
            assert throttle.attempt(MAYOR, "10.0.0.1")[0] == 0
        now[0] += 0.01
    assert waits == [1, 2, 4, 8], "free tries first, then 1, 2, 4, 8 s"
    assert redis_client.hget(f"mv:auth:fail:pair:{MAYOR}|10.0.0.1", "n") == b"9"
    assert 0 < redis_client.pttl(f"mv:auth:fail:pair:{MAYOR}|10.0.0.1") <= 3_600_000
    assert redis_client.hget(f"mv:auth:fail:user:{MAYOR}", "n") == b"9", "a new address: the user counts too"
    throttle.succeeded(MAYOR, "10.0.0.1", known=False)
    assert not redis_client.exists(f"mv:auth:fail:pair:{MAYOR}|10.0.0.1")
    assert redis_client.hget(f"mv:auth:fail:user:{MAYOR}", "n") == b"8", "the successful attempt is taken back"
    assert 0 < redis_client.pttl(f"mv:auth:fail:user:{MAYOR}") <= 3_600_000
    assert throttle.attempt(MAYOR, "10.0.0.1") == (0, True), "now a known address"


def test_the_delay_is_capped(redis_client: redis.Redis) -> None:
    now = [1_000_000.0]
    throttle = LoginThrottle(lambda: redis_client, clock=lambda: now[0], max_delay_s=60)
    for _ in range(30):
        wait, _ = throttle.attempt("admin", "10.0.0.2")
        now[0] += wait
        throttle.attempt("admin", "10.0.0.2")
    assert throttle.attempt("admin", "10.0.0.2")[0] == 60


def test_bad_tokens_from_the_war_rooms_nat_never_block_a_valid_kiosk_token(
        users_file: Path, workers: tuple[flask.Flask, flask.Flask], redis_client: redis.Redis) -> None:  # noqa: F811
    one, two = workers[0].test_client(), workers[1].test_client()
    nat = {"REMOTE_ADDR": NAT}
    codes = [(one if i % 2 else two).get("/login/token?t=bogus", environ_base=nat).status_code for i in range(8)]
    assert codes[:5] == [401] * 5 and codes[5] == 429, "bad tokens are slowed down"
    token = make_display_token(required(users_file), "lobby-balaikota")
    kiosk = two.get(f"/login/token?t={token}", environ_base=nat)
    assert kiosk.status_code == 302 and kiosk.headers["Location"] == "/wall"
    assert two.get("/wall").status_code == 200
    assert one.get("/api/v1/snapshot", headers={"Authorization": f"Bearer {token}"},
                   environ_base=nat).status_code == 200


def test_while_redis_is_down_login_answers_503_not_a_free_pass(users_file: Path) -> None:  # noqa: F811
    app = dash.Dash(__name__)
    app.layout = html.Div("Marvec", id="page")
    source = SnapshotSource(lambda: redis.Redis(port=1, retry=Retry(NoBackoff(), 0)), ["Mariso"],
                            refresh_s=60, reader=lambda c, names: snapshot(names))
    install_server(app.server, required(users_file), source, dash_app=app)
    client = app.server.test_client()
    response = log_in(client, "admin")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert client.get("/admin").status_code == 302
    assert SECRET not in response.get_data(as_text=True)
