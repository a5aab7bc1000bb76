"""What a client sends that the screens must not trust: the page's ``scale``, and paths
that are not there (component suites, assets, favicon)."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import pytest
from test_screens_memo import NOW, Clock, dash_body

from dashboard.app import create_app
from dashboard.components.context import SCALE_MAX, SCALE_MIN, clamp_scale
from marvec.settings import Settings
from tests.snapshot_fixtures import FakeBoundaries, FakeSource, rich_snapshot


@pytest.fixture(scope="module")
def boundaries() -> FakeBoundaries:
    return FakeBoundaries()


def _app(boundaries: FakeBoundaries) -> Any:
    return create_app(Settings(auth="open"), boundaries, FakeSource(rich_snapshot(NOW, boundaries)),
                      clock=Clock(NOW + 0.1))


def test_clamp_scale() -> None:
    assert clamp_scale(2.5) == 2.5 and clamp_scale(2) == 2.0
    for bad, safe in ((1e308, SCALE_MAX), (-5, SCALE_MIN), (0, SCALE_MIN), (math.nan, 1.0),
                      (math.inf, 1.0), (-math.inf, 1.0), ([1, 2], 1.0), ("3", 1.0), (True, 1.0),
                      (None, 1.0), ({"a": 1}, 1.0)):
        assert clamp_scale(bad) == safe, bad


@pytest.mark.parametrize("page", ["wall", "mayor", "crisis"])
def test_a_crafted_scale_is_clamped_or_refused_cleanly(boundaries: FakeBoundaries, page: str,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    """Before: 1e308, NaN, -5 and a list reached the map builders (a list answered 500)."""
    app = _app(boundaries)
    client = app.server.test_client()

    def tick(scale: Any) -> Any:
        body = dash_body(app, f"{page}-tick", {f"{page}-tick.n_intervals": 1,
                                               "lang-store.data": "id", f"{page}-scale.data": scale})
        res = client.post("/_dash-update-component", data=json.dumps(body),
                          content_type="application/json")
        assert res.status_code == 200, (scale, res.status_code, res.get_data(as_text=True)[:300])
        return res.get_json()["response"]

    with caplog.at_level(logging.ERROR):
        assert tick(1e308) == tick(SCALE_MAX)
        assert tick(-5) == tick(SCALE_MIN)
        assert tick(float("nan")) == tick(1.0) == tick([1, 2]) == tick("big")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.mark.parametrize("path", ["/_dash-component-suites/dash/nope.js",
                                  "/_dash-component-suites/nopackage/x.js",
                                  "/favicon.ico", "/assets/nope.css", "/assets/../app.py"])
def test_unknown_suites_assets_and_favicon_are_404_not_500_nor_the_index(
        boundaries: FakeBoundaries, path: str, caplog: pytest.LogCaptureFixture) -> None:
    client = _app(boundaries).server.test_client()
    with caplog.at_level(logging.ERROR):
        res = client.get(path)
    assert res.status_code == 404
    assert "_dash-renderer" not in res.get_data(as_text=True) and "<div id=\"react-entry-point\"" \
        not in res.get_data(as_text=True)
    assert "Traceback" not in caplog.text and not caplog.records
