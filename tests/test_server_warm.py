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


@pytest.mark.parametrize("warmed", [True, False])
def test_concurrent_first_requests_get_every_dash_bundle(warmed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    boundaries = FakeBoundaries()
    paths = scripts_of(boundaries) * 3
    if not warmed:  # shows the race the warm-up removes (Dash's lazy set-up on the first request)
        monkeypatch.setattr(app_module, "warm", lambda app: None)
    failures = 0
    for _ in range(3):
        app = create_app(Settings(auth="open"), boundaries, FakeSource(rich_snapshot(boundaries=boundaries)))
        failures += sum(code != 200 for code in first_requests(app, paths))
    if warmed:
        assert failures == 0
    else:
        assert failures > 0, "without the warm-up a fresh app should have answered some bundles 500"
