"""The wall's crisis focus hold: the pure decision (explicit times), the setting, the
rendered "since" line, and in headless Chromium a crisis that goes away yet still holds.

The hold lives in the browser (``ids.WALL_HOLD``, a session ``dcc.Store`` passed into each
tick), so any worker answers any tick; ``layers.focus.held_focus`` decides.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from dashboard.app import create_app
from dashboard.components import ids
from dashboard.components.context import ScreenContext
from dashboard.pages import wall
from layers.fmt import fmt_clock
from layers.focus import CrisisHold, crisis_hold, held_focus
from layers.mapframe import build_frame
from marvec.errors import SettingsError
from marvec.settings import Settings, load_settings
from tests.snapshot_fixtures import FakeBoundaries, FakeSource, rich_snapshot, with_crisis
from tests.test_screens_rig import (
    HAVE_CHROMIUM,
    AppServer,
    set_viewport,
    severe_console_errors,
    texts,
    wait,
)

pytest_plugins = ["tests.test_screens_rig"]  # boundaries, browser

NOW = 1_790_000_000.0
HOLD = 300.0
ROTATE = 30.0


@pytest.fixture(scope="module")
def calm(boundaries: FakeBoundaries) -> Any:
    return rich_snapshot(NOW, boundaries)


@pytest.fixture(scope="module")
def crisis(calm: Any, boundaries: FakeBoundaries) -> Any:
    return with_crisis(calm, NOW, boundaries)


# -- the decision, with explicit times ----------------------------------------------------
def test_a_crisis_incident_starts_the_hold_and_keeps_its_start() -> None:
    assert crisis_hold(None, False, NOW, HOLD) is None
    started = crisis_hold(None, True, NOW, HOLD)
    assert started == CrisisHold(NOW, NOW)
    assert crisis_hold(started, True, NOW + 40, HOLD) == CrisisHold(NOW, NOW + 40)


def test_the_hold_outlasts_the_incident_then_releases_and_rearms() -> None:
    hold = CrisisHold(NOW, NOW + 40)  # last crisis incident seen at NOW + 40
    assert crisis_hold(hold, False, NOW + 41, HOLD) == hold
    assert crisis_hold(hold, False, NOW + 40 + HOLD - 1, HOLD) == hold
    assert crisis_hold(hold, False, NOW + 40 + HOLD, HOLD) is None, "released once the hold has run"
    rearmed = crisis_hold(None, True, NOW + 400, HOLD)
    assert rearmed == CrisisHold(NOW + 400, NOW + 400), "a new crisis gets a new 'since'"
    # A crisis back within the hold continues the same focus (same since).
    assert crisis_hold(hold, True, NOW + 200, HOLD) == CrisisHold(NOW, NOW + 200)


def test_an_expired_or_future_hold_from_the_browser_is_not_trusted() -> None:
    old = CrisisHold(NOW - 10_000, NOW - 9_000)  # a session store from hours ago
    assert crisis_hold(old, False, NOW, HOLD) is None
    assert crisis_hold(old, True, NOW, HOLD) == CrisisHold(NOW, NOW)
    future = CrisisHold(NOW + 50, NOW + 60)  # the clock went back
    assert crisis_hold(future, False, NOW, HOLD) is None


@pytest.mark.parametrize("data", [None, "x", [1, 2], {"since": "1", "seen": 2}, {"since": 1},
                                  {"since": math.nan, "seen": 2.0}, {"since": True, "seen": 2},
                                  {"since": 5.0, "seen": 4.0}])
def test_a_malformed_stored_hold_reads_as_none(data: Any) -> None:
    assert CrisisHold.from_data(data) is None


def test_a_stored_hold_round_trips() -> None:
    hold = CrisisHold(NOW, NOW + 3)
    assert CrisisHold.from_data(hold.to_data()) == hold


def test_held_focus_is_crisis_while_held_and_rotates_after(calm: Any, crisis: Any) -> None:
    focus, hold = held_focus(crisis, NOW, ROTATE, HOLD, None)
    assert focus.crisis and focus.since == NOW and focus.held_until is None
    focus, hold = held_focus(calm, NOW + 10, ROTATE, HOLD, hold)
    assert focus.crisis and focus.since == NOW and focus.held_until == NOW + HOLD
    focus, after = held_focus(calm, NOW + HOLD, ROTATE, HOLD, hold)
    assert not focus.crisis and after is None
    assert focus.name in ("complaints", "economy", "disasters")


def test_a_declared_siaga_or_awas_holds_crisis_focus_until_lowered(calm: Any) -> None:
    from marvec.snapshot import Ops

    siaga = calm.model_copy(update={"ops": Ops(level="siaga", level_reason="banjir")})
    focus, hold = held_focus(siaga, NOW, ROTATE, HOLD, None)
    assert focus.crisis
    for t in range(60, int(10 * HOLD) + 1, 60):  # however long it lasts (a tick a minute)
        focus, hold = held_focus(siaga, NOW + t, ROTATE, HOLD, hold)
        assert focus.crisis and focus.since == NOW and focus.held_until is None
    waspada = calm.model_copy(update={"ops": Ops(level="waspada")})
    focus, hold = held_focus(waspada, NOW + 10 * HOLD + 1, ROTATE, HOLD, hold)
    assert focus.crisis and focus.held_until == NOW + 11 * HOLD  # lowered: the hold runs out
    focus, _ = held_focus(waspada, NOW + 11 * HOLD, ROTATE, HOLD, hold)
    assert not focus.crisis


# -- the setting ---------------------------------------------------------------------------
def test_the_hold_setting_defaults_to_five_minutes_and_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().crisis_hold_seconds == 300
    monkeypatch.setenv("MARVEC_CRISIS_HOLD_SECONDS", "45")
    assert load_settings().crisis_hold_seconds == 45
    for bad in ("0", "-5", "soon"):
        monkeypatch.setenv("MARVEC_CRISIS_HOLD_SECONDS", bad)
        with pytest.raises(SettingsError) as err:
            load_settings()
        assert err.value.setting == "MARVEC_CRISIS_HOLD_SECONDS"
        assert "\n" not in str(err.value)


# -- the rendered wall ------------------------------------------------------------------------
def _screen(snap: Any, boundaries: FakeBoundaries, now: float) -> ScreenContext:
    return ScreenContext(Settings(auth="open", crisis_hold_seconds=int(HOLD)), build_frame(boundaries.geojson()),
                         tuple(boundaries.names), FakeSource(snap), clock=lambda: now)


def _alarm_text(view: dict[str, Any]) -> list[str]:
    return ["".join(str(c) for c in (line.children if isinstance(line.children, list) else [line.children]))
            for line in view["alarm"]]


def test_the_wall_says_since_when_and_when_it_returns(calm: Any, crisis: Any, boundaries: FakeBoundaries) -> None:
    screen = _screen(crisis, boundaries, NOW)
    read = screen.read(whole_seconds=True)
    focus, hold = wall.decide(screen, read, None)
    view = wall.render(screen, read, "id", 1.0, focus)
    assert "focus-crisis" in view["root_class"]
    lines = _alarm_text(view)
    assert lines[0] == f"Fokus krisis sejak {fmt_clock(NOW)}"
    assert any("Banjir" in line for line in lines[1:]), "the incident line follows"
    english = _alarm_text(wall.render(screen, read, "en", 1.0, focus))
    assert english[0] == f"Crisis focus since {fmt_clock(NOW)}"

    later = _screen(calm, boundaries, NOW + 60)
    read = later.read(whole_seconds=True)
    focus, _ = wall.decide(later, read, hold.to_data() if hold else None)
    view = wall.render(later, read, "id", 1.0, focus)
    assert "focus-crisis" in view["root_class"], "held after the incident went"
    assert _alarm_text(view) == [f"Fokus krisis sejak {fmt_clock(NOW)} · tanpa insiden krisis · "
                                 f"rotasi lagi {fmt_clock(NOW + HOLD)}"]


# -- in the browser ---------------------------------------------------------------------------
SHORT_HOLD = 6


@pytest.fixture(scope="module")
def held_app(boundaries: FakeBoundaries) -> Iterator[tuple[str, FakeSource]]:
    source = FakeSource(rich_snapshot(boundaries=boundaries))
    settings = Settings(auth="open", lang="id", refresh_ms=500, stale_after_seconds=300,
                        crisis_hold_seconds=SHORT_HOLD)
    server = AppServer(create_app(settings, boundaries, source).server)
    yield server.url, source
    server.close()


def _in_crisis(driver: Any) -> bool:
    return "focus-crisis" in (driver.find_element(By.ID, ids.WALL.root).get_attribute("class") or "")


@pytest.mark.browser
@pytest.mark.skipif(not HAVE_CHROMIUM, reason="needs chromium and chromedriver")
def test_the_wall_holds_crisis_focus_after_the_incident_goes(
    browser: Any, held_app: tuple[str, FakeSource], boundaries: FakeBoundaries,
) -> None:
    base, source = held_app
    set_viewport(browser, 1920, 1080)
    source.set(with_crisis(rich_snapshot(boundaries=boundaries), boundaries=boundaries))
    browser.get(base + "/wall")
    browser.execute_script("window.sessionStorage.clear()")
    browser.get(base + "/wall")
    wait(browser).until(_in_crisis)
    since = re.compile(r"^Fokus krisis sejak \d\d:\d\d")
    wait(browser).until(lambda d: since.match((texts(d, ".alarm-since") or [""])[0]))

    source.set(rich_snapshot(boundaries=boundaries))  # the incident goes away
    gone_at = time.monotonic()
    wait(browser).until(lambda d: "tanpa insiden krisis" in " ".join(texts(d, ".alarm-since")))
    assert _in_crisis(browser), "still crisis focus while the hold runs"
    assert browser.find_elements(By.CSS_SELECTOR, ".focus-tab.focus-crisis.active")
    browser.save_screenshot("/tmp/wall_hold.png")
    wait(browser, SHORT_HOLD + 10).until(lambda d: not _in_crisis(d))
    held = time.monotonic() - gone_at
    assert held >= SHORT_HOLD - 1.5, f"released after {held:.1f} s, before the {SHORT_HOLD} s hold"
    assert not texts(browser, ".alarm-since")
    assert severe_console_errors(browser) == []
