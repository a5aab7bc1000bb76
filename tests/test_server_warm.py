"""A fresh app serves Dash's own script bundles to concurrent first requests (no 500)."""

from __future__ import annotations

import re
import threading

import pytest

from dashboard import app as app_module
from dashboard.app import create_app
from marvec.settings import Settings
from tests.snapshot_fixtures import FakeBoundaries, FakeSource, rich_snapshot


def scripts_of(boundaries: FakeBoundaries) -> list[str]:
    page = create_app(Settings(auth="open"), boundaries, FakeSource(rich_snapshot(boundaries=boundaries)))
    html = page.server.test_client().get("/wall").get_data(as_text=True)
    found = re.findall(r'src="(/_dash-component-suites/[^"]+)"', html)
    assert len(found) >= 5, html[:500]
    return found


def first_requests(app: object, paths: list[str]) -> list[int]:
    """Every path at once, as a browser and other screens hit a worker that just started."""
    client = app.server.test_client()  # type: ignore[attr-defined]
    barrier = threading.Barrier(len(paths))
    codes: list[int] = [0] * len(paths)

    def get(i: int) -> None:
        barrier.wait()
        codes[i] = client.get(paths[i]).status_code

    threads = [threading.Thread(target=get, args=(i,)) for i in range(len(paths))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return codes


def test_concurrent_first_requests_get_every_dash_bundle() -> None:
    boundaries = FakeBoundaries()
    paths = scripts_of(boundaries) * 3
    failures = 0
    for _ in range(3):
        app = create_app(Settings(auth="open"), boundaries, FakeSource(rich_snapshot(boundaries=boundaries)))
        failures += sum(code != 200 for code in first_requests(app, paths))
    assert failures == 0


@pytest.mark.parametrize("warmed", [True, False])
def test_the_bundles_are_registered_before_the_first_request(warmed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the race needs: Dash registers its bundles lazily, on the first request (on
    this machine, 7 of 7 runs of concurrent first requests got some 500s without the
    warm-up). ``create_app`` registers them before any request, so there is no window."""
    if not warmed:
        monkeypatch.setattr(app_module, "warm", lambda app: None)
    boundaries = FakeBoundaries()
    app = create_app(Settings(auth="open"), boundaries, FakeSource(rich_snapshot(boundaries=boundaries)))
    registered = app.registered_paths.get("dash", set())
    if warmed:
        assert "dash-renderer/build/dash_renderer.min.js" in registered
        assert any(p.startswith("dcc/") for p in registered)
    else:
        assert not registered, "Dash registered its bundles without a request: the warm-up may be moot"
