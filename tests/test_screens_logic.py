"""Screen plumbing without a browser: the app factory, outputs per tick, taps, reads."""

from __future__ import annotations

import json
from typing import Any

import plotly.utils
import pytest
from dash import Patch, no_update

from dashboard.app import create_app
from dashboard.components.context import ScreenContext
from dashboard.components.live import changed_only, digest, page_outputs
from dashboard.pages import crisis, mayor, wall
from dashboard.pages.mayor import tapped_kecamatan
from layers.mapframe import build_frame
from marvec.settings import Settings
from tests.snapshot_fixtures import FakeBoundaries, FakeSource, rich_snapshot, with_crisis

NOW = 1_795_000_000.0


@pytest.fixture(scope="module")
def boundaries() -> FakeBoundaries:
    return FakeBoundaries()


@pytest.fixture
def screen(boundaries: FakeBoundaries) -> ScreenContext:
    source = FakeSource(rich_snapshot(NOW, boundaries))
    return ScreenContext(Settings(auth="open"), build_frame(boundaries.geojson()), tuple(boundaries.names),
                         source, clock=lambda: NOW + 1)


def test_create_app_serves_every_screen_offline(boundaries: FakeBoundaries) -> None:
    app = create_app(Settings(auth="open"), boundaries, FakeSource(rich_snapshot(boundaries=boundaries)))
    assert app.title == "Marvec"
    assert app.config.serve_locally is True
    client = app.server.test_client()
    for path in ("/", "/wall", "/mayor", "/crisis"):
        page = client.get(path)
        assert page.status_code == 200
        assert "unpkg.com" not in page.get_data(as_text=True) and "cdn.plot.ly" not in page.get_data(as_text=True)
    assert client.get("/assets/marvec.js").status_code == 200


def test_every_page_renders_one_value_per_output(screen: ScreenContext) -> None:
    read = screen.read()
    for module, extra in ((wall, ()), (mayor, ("Tallo",)), (crisis, ())):
        view = module.render(screen, read, "id", 1.0, *extra)
        assert set(module.KEYS) <= set(view), module.__name__
        values, hashes = page_outputs(screen.frame, view, module.KEYS, None)
        assert isinstance(values[0], Patch)
        assert len(values) == len(hashes) == len(module.KEYS) + 1
        json.dumps(values[1:], cls=plotly.utils.PlotlyJSONEncoder)  # every output serialises


def test_a_quiet_tick_sends_nothing_but_what_moved(screen: ScreenContext) -> None:
    view = wall.render(screen, screen.read(), "id", 1.0)
    _, shown = page_outputs(screen.frame, view, wall.KEYS, None)
    again, _ = page_outputs(screen.frame, wall.render(screen, screen.read(), "id", 1.0), wall.KEYS, shown)
    moved = [k for k, v in zip(("map", *wall.KEYS), again, strict=True) if v is not no_update]
    assert moved == [], "same snapshot, same second: nothing to send"
    snap = screen.source.get().snapshot
    screen.source.set(snap.model_copy(update={"complaints": snap.complaints.model_copy(update={"open": 451})}))
    changed, _ = page_outputs(screen.frame, wall.render(screen, screen.read(), "id", 1.0), wall.KEYS, shown)
    moved = [k for k, v in zip(("map", *wall.KEYS), changed, strict=True) if v is not no_update]
    assert moved == ["kpi0"], "one number moved: one tile goes over the wire"


def test_changed_only_compares_hashes_in_order() -> None:
    values, hashes = changed_only(["a", "b"], ["a", "b"], [digest("a"), "stale"])
    assert values == [no_update, "b"] and hashes == [digest("a"), digest("b")]
    assert changed_only(["a"], ["a"], None)[0] == ["a"]


def test_crisis_wall_turns_red_and_names_the_incident(screen: ScreenContext, boundaries: FakeBoundaries) -> None:
    screen.source.set(with_crisis(rich_snapshot(NOW, boundaries), NOW, boundaries))
    view = wall.render(screen, screen.read(), "id", 1.0)
    assert "focus-crisis" in view["root_class"]
    assert view["alarm_class"] == "alarm"


def test_a_source_that_raises_reads_as_unreachable_with_the_last_snapshot(screen: ScreenContext) -> None:
    first = screen.read()
    assert first.ok and first.snapshot is not None

    class Broken:
        def get(self) -> Any:
            raise RuntimeError("boom")

    screen.source = Broken()
    read = screen.read()
    assert not read.ok and read.snapshot is first.snapshot and "boom" in (read.error or "")


@pytest.mark.parametrize(("click", "expected"), [
    ({"points": [{"curveNumber": 3, "customdata": "Tallo"}]}, "Tallo"),
    ({"points": [{"curveNumber": 1}]}, "Mamajang"),
    ({"points": [{"curveNumber": 16, "customdata": "c-1010"}]}, None),
    (None, None),
])
def test_a_tap_on_the_map_names_the_district_under_it(click: Any, expected: str | None) -> None:
    names = ("Mariso", "Mamajang", "Makassar", "Tallo")
    assert tapped_kecamatan(click, names) == expected
