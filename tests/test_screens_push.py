"""The wall in Chromium follows the push stream, and falls back to polling when it is refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from dashboard.app import create_app
from dashboard.source import SnapshotSource
from marvec.settings import Settings
from marvec.snapshot import Snapshot
from tests.helpers import wait_for
from tests.snapshot_fixtures import FakeBoundaries, rich_snapshot
from tests.test_screens_rig import (
    BROWSER,
    AppServer,
    expected_kpis,
    make_driver,
    quit_driver,
    severe_console_errors,
    tile,
    wait_text,
)

pytestmark = BROWSER

KEY = "complaints.open"


class Holder:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def __call__(self, client: Any, names: Any) -> Snapshot:
        return self.snapshot


@pytest.fixture
def wall(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any, Holder]]:
    refresh_ms, max_streams = request.param
    boundaries = FakeBoundaries()
    holder = Holder(rich_snapshot(boundaries=boundaries))
    source = SnapshotSource(lambda: None, boundaries.names, refresh_s=refresh_ms / 1000,  # type: ignore[arg-type,return-value]
                            reader=holder, refresh_every_s=0.1)
    app = create_app(Settings(auth="open", lang="id", refresh_ms=refresh_ms, stale_after_seconds=300),
                     boundaries, source)
    streams = app.server.extensions["marvec_push"]
    streams.max_streams = max_streams
    server = AppServer(app.server)
    driver = make_driver(1920, 1080)
    driver.get(server.url + "/wall")
    wait_text(driver, tile(KEY), expected_kpis(holder.snapshot)[KEY])
    yield driver, streams, holder
    quit_driver(driver)
    server.close()
    source.close()


def bump(holder: Holder) -> str:
    snap = holder.snapshot
    holder.snapshot = snap.model_copy(update={"complaints": snap.complaints.model_copy(
        update={"open": snap.complaints.open + 1234})})
    return expected_kpis(holder.snapshot)[KEY]


def update_posts(driver: Any) -> int:
    return driver.execute_script("return performance.getEntriesByType('resource')"
                                 ".filter(e => e.name.includes('_dash-update-component')).length")


@pytest.mark.parametrize("wall", [(6000, 64)], indirect=True)
def test_a_change_is_pushed_to_the_wall_long_before_the_refresh_period(wall: tuple[Any, Any, Holder]) -> None:
    driver, streams, holder = wall
    wait_for(lambda: streams.open >= 1, timeout=10, interval=0.05, message="no push stream opened")
    assert streams.open == 1, "the wall keeps one push stream open"
    time.sleep(1.0)
    posts = update_posts(driver)
    time.sleep(2.0)
    assert update_posts(driver) - posts <= 1, "no change, stream up: the page does not poll"
    for _ in range(3):
        expected = bump(holder)
        started = time.monotonic()
        wait_text(driver, tile(KEY), expected, timeout=5)
        took = time.monotonic() - started
        assert took < 2.0, f"pushed in {took:.2f} s; polling would take up to 6 s"
    assert driver.execute_script("return document.querySelector('.watchdog').className") == "watchdog hidden"
    assert severe_console_errors(driver) == []


@pytest.mark.parametrize("wall", [(1000, 0)], indirect=True)
def test_a_refused_stream_falls_back_to_polling_at_the_refresh_period(wall: tuple[Any, Any, Holder]) -> None:
    driver, streams, holder = wall
    wait_for(lambda: streams.refused >= 1, timeout=10, interval=0.05, message="the stream was not refused")
    assert streams.open == 0
    posts = update_posts(driver)
    time.sleep(3.0)
    assert 2 <= update_posts(driver) - posts <= 5, "polls about once per refresh period"
    expected = bump(holder)
    wait_text(driver, tile(KEY), expected, timeout=4)
    assert severe_console_errors(driver) == [], "a refused stream is not an error"
