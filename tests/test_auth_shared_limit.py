"""Login limits shared by every dashboard worker through Redis, with a per-worker fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash
import flask
import pytest
import redis
from dash import html
from redis.backoff import NoBackoff
from redis.retry import Retry
from test_auth import PASSWORDS, log_in, required, snapshot, users_file  # noqa: F401 -- fixture

from dashboard.security import RateLimiter, SharedRateLimiter
from dashboard.server import install_server
from dashboard.source import SnapshotSource


def limiter(client: redis.Redis, now: list[float]) -> SharedRateLimiter:
    return SharedRateLimiter(lambda: client, limit=5, window_s=60, clock=lambda: now[0],
                             fallback=RateLimiter(5, 60, clock=lambda: now[0]))


def test_failures_in_two_workers_add_up(redis_client: redis.Redis) -> None:
    now = [1_000_000.0]
    a, b = limiter(redis_client, now), limiter(redis_client, now)
    for _ in range(3):
        a.fail("ip:10.0.0.1")
        now[0] += 1
    b.fail("ip:10.0.0.1")
    assert a.retry_after("ip:10.0.0.1") == 0 and b.retry_after("ip:10.0.0.1") == 0
    b.fail("ip:10.0.0.1")
    assert a.retry_after("ip:10.0.0.1") == 57  # the oldest of the five leaves the window in 57 s
    assert b.retry_after("ip:10.0.0.2") == 0
    now[0] += 57
    assert a.retry_after("ip:10.0.0.1") == 0
    assert redis_client.zcard("mv:auth:fail:ip:10.0.0.1") == 4  # the oldest was trimmed
    assert 0 < redis_client.pttl("mv:auth:fail:ip:10.0.0.1") <= 61_000


def test_a_success_in_one_worker_clears_the_user_in_all(redis_client: redis.Redis) -> None:
    now = [1_000_000.0]
    a, b = limiter(redis_client, now), limiter(redis_client, now)
    for _ in range(5):
        a.fail("user:admin")
    assert b.retry_after("user:admin") > 0
    b.reset("user:admin")
    assert a.retry_after("user:admin") == 0


def test_while_redis_is_down_the_worker_limits_on_its_own(caplog: pytest.LogCaptureFixture) -> None:
    now = [1_000_000.0]
    calls = []

    def dead() -> redis.Redis:
        calls.append(1)
        return redis.Redis(port=1, retry=Retry(NoBackoff(), 0))

    lim = SharedRateLimiter(dead, limit=5, window_s=60, clock=lambda: now[0],
                            fallback=RateLimiter(5, 60, clock=lambda: now[0]))
    for _ in range(5):
        lim.fail("ip:10.9.9.9")
    assert lim.retry_after("ip:10.9.9.9") == 60
    assert caplog.text.count("count in this worker only") == 1  # said once, not per attempt
    assert len(calls) == 1, "after a failure Redis is left alone for a while"


def make_worker(users: Path, client: redis.Redis) -> flask.Flask:
    """One dashboard worker: its own Flask app and source, the shared Redis."""
    app = dash.Dash(__name__)
    app.layout = html.Div("Marvec", id="page")
    source = SnapshotSource(lambda: client, ["Mariso"], refresh_s=60,
                            reader=lambda c, names: snapshot(names))
    install_server(app.server, required(users), source, dash_app=app)
    return app.server


def test_two_workers_share_the_five_tries(users_file: Path, redis_client: redis.Redis) -> None:  # noqa: F811
    one, two = make_worker(users_file, redis_client).test_client(), make_worker(users_file, redis_client).test_client()
    codes: list[Any] = []
    for i in range(5):
        worker = one if i % 2 else two
        codes.append(log_in(worker, "admin", "nope", ip=f"10.4.0.{i}").status_code)
    assert codes == [401] * 5
    response = log_in(one, "admin", PASSWORDS["admin"], ip="10.4.0.99")
    assert response.status_code == 429, "each worker saw fewer than five failures, together five"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
