"""The wall in real headless Chromium: numbers, map, scale, live patches, language,
freshness, crisis focus, untrusted text, and recovery when the server goes away.

Fixtures and waits: ``tests/test_screens_rig.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By

from dashboard.app import create_app
from dashboard.components import ids
from layers.fmt import fmt_clock, fmt_idr_short, fmt_int
from marvec.settings import Settings
from tests.snapshot_fixtures import (
    XSS_IMG,
    XSS_SCRIPT,
    FakeBoundaries,
    FakeSource,
    rich_snapshot,
    with_crisis,
    with_silent_feed,
    with_xss,
)
from tests.test_screens_rig import (
    BROWSER,
    AppServer,
    plot_traces,
    set_viewport,
    texts,
    tile,
    wait,
    wait_contains,
    wait_gone,
    wait_text,
)

pytestmark = BROWSER
pytest_plugins = ["tests.test_screens_rig"]  # the fixtures: base, browser, driver, source...


def test_wall_shows_the_snapshots_numbers_formatted(driver: Any, base: str, source: FakeSource) -> None:
    snap = source.get().snapshot
    driver.get(base + "/wall")
    wait_text(driver, tile("complaints.open"), fmt_int(snap.complaints.open))
    wait_text(driver, tile("complaints.overdue"), fmt_int(snap.complaints.overdue))
    wait_text(driver, tile("complaints.received_today"), fmt_int(snap.complaints.received_today))
    wait_text(driver, tile("disasters.affected_people"), fmt_int(snap.disasters.affected_people))
    wait_text(driver, tile("disasters.displaced"), fmt_int(snap.disasters.displaced))
    wait_text(driver, tile("economy.tx_amount_today"), fmt_idr_short(snap.economy.transactions_today.amount_idr))
    wait_text(driver, tile("economy.price_alerts"), "3")
    wait_contains(driver, '[data-kpi="economy.tx_amount_today"]', "38.417 transaksi")
    wait_contains(driver, ".clock", "WITA")


def test_wall_map_is_drawn_offline_from_the_boundaries(driver: Any, base: str, boundaries: FakeBoundaries) -> None:
    driver.get(base + "/wall")
    wait(driver).until(lambda d: len(plot_traces(d, ids.WALL.map)) == len(boundaries.names) + 4)
    traces = plot_traces(driver, ids.WALL.map)
    assert [t["name"] for t in traces[: len(boundaries.names)]] == list(boundaries.names)
    assert {t["fill"] for t in traces[: len(boundaries.names)]} == {"toself"}
    names = [t["name"] for t in traces]
    assert names[-1] == "labels", "labels are drawn last: no marker hides them"
    assert traces[names.index("incidents")]["n"] == 4
    assert driver.find_elements(By.CSS_SELECTOR, f"#{ids.WALL.map} svg.main-svg path")
    external = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith(location.origin))")
    assert external == [], "the wall must not fetch anything from outside (no CDN, no tiles)"


def test_wall_has_no_scroll_bars_on_full_hd_and_4k(driver: Any, base: str) -> None:
    for width, height in ((1920, 1080), (3840, 2160)):
        set_viewport(driver, width, height)
        driver.get(base + "/wall")
        wait_text(driver, tile("complaints.open"), "450")
        overflow = driver.execute_script(
            "const e=document.scrollingElement; return [e.scrollWidth - innerWidth, e.scrollHeight - innerHeight]")
        assert overflow == [0, 0], f"{width}x{height} scrolls by {overflow}"
        size = driver.execute_script(
            "return parseFloat(getComputedStyle(document.querySelector('.tile-value')).fontSize)")
        assert size >= 0.05 * height, "headline numbers must be legible from metres away"


def test_wall_updates_live_by_patching_the_map(driver: Any, base: str, source: FakeSource) -> None:
    driver.get(base + "/wall")
    wait_text(driver, tile("complaints.open"), "450")
    wait(driver).until(lambda d: plot_traces(d, ids.WALL.map))
    geometry = len(str(FakeBoundaries().geojson()["features"]))
    for attempt in range(3):  # a rotation (every 30 s) inside the window changes far more: try again
        focus = driver.find_element(By.CSS_SELECTOR, ".focus-tab.active").text
        driver.execute_script("document.querySelector('#wall-map .js-plotly-plot').__marvec_mark = 1;"
                              "performance.clearResourceTimings();")
        snap = source.get().snapshot
        value = 451 + attempt
        source.set(snap.model_copy(update={"complaints": snap.complaints.model_copy(update={"open": value})}))
        wait_text(driver, tile("complaints.open"), str(value), timeout=2.5)
        assert driver.execute_script("return document.querySelector('#wall-map .js-plotly-plot').__marvec_mark") == 1
        sizes = driver.execute_script(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes('_dash-update-component'))"
            ".map(e => e.decodedBodySize)")
        if driver.find_element(By.CSS_SELECTOR, ".focus-tab.active").text == focus:
            break
    assert sizes and max(sizes) < geometry, "a tick must send a patch, not the kecamatan geometry"


def test_language_toggle_switches_labels_and_is_remembered(driver: Any, base: str) -> None:
    driver.get(base + "/wall")
    wait_text(driver, '[data-kpi="complaints.open"] .tile-label', "Aduan terbuka")
    driver.find_element(By.CSS_SELECTOR, ".btn.lang").click()
    wait_text(driver, '[data-kpi="complaints.open"] .tile-label', "Open complaints")
    wait_contains(driver, ".focus-tabs", "Complaints")
    driver.get(base + "/wall")
    wait_text(driver, '[data-kpi="complaints.open"] .tile-label', "Open complaints")
    wait_text(driver, tile("economy.tx_amount_today"), "Rp 4.81B")
    driver.find_element(By.CSS_SELECTOR, ".btn.lang").click()
    wait_text(driver, '[data-kpi="complaints.open"] .tile-label', "Aduan terbuka")


def test_stale_feed_and_unreachable_backend_are_said_plainly_and_clear(
    driver: Any, base: str, source: FakeSource, boundaries: FakeBoundaries
) -> None:
    driver.get(base + "/wall")
    wait_text(driver, tile("complaints.open"), "450")
    assert driver.find_element(By.ID, ids.WALL.banner).get_attribute("class") == "banner hidden"
    fresh = rich_snapshot(boundaries=boundaries)
    quiet = with_silent_feed(fresh, "economy", 1260)
    source.set(quiet)
    since = fmt_clock(quiet.feeds["economy"].last_applied_at)
    wait_text(driver, f"#{ids.WALL.banner}", f"Ekonomi: tidak ada data baru sejak {since}")
    wait_contains(driver, '[data-kpi="economy.tx_amount_today"]', f"data terakhir {since}")
    source.set(fresh)
    wait_gone(driver, f"#{ids.WALL.banner}:not(.hidden)")
    source.set(ok=False, error="ConnectionError")
    wait_contains(driver, f"#{ids.WALL.banner}", "Server data tidak terjangkau")
    wait_contains(driver, f"#{ids.WALL.banner}", f"data terakhir {fmt_clock(fresh.generated_at)}")
    source.set(rich_snapshot(boundaries=boundaries))
    wait_gone(driver, f"#{ids.WALL.banner}:not(.hidden)")


def test_crisis_focus_takes_over_with_a_severity_four_incident(
    driver: Any, base: str, source: FakeSource, boundaries: FakeBoundaries
) -> None:
    driver.get(base + "/wall")
    wait_text(driver, tile("complaints.open"), "450")
    assert not driver.find_elements(By.CSS_SELECTOR, ".focus-tab.focus-crisis")
    source.set(with_crisis(rich_snapshot(boundaries=boundaries), boundaries=boundaries))
    wait_text(driver, ".focus-tab.active", "KRISIS")
    wait_contains(driver, f"#{ids.WALL_ALARM}", "KRISIS · Banjir tingkat 4 · Biringkanaya")
    assert "focus-crisis" in driver.find_element(By.ID, ids.WALL.root).get_attribute("class")
    source.set(rich_snapshot(boundaries=boundaries))
    wait_gone(driver, ".focus-tab.focus-crisis")
    wait_gone(driver, f"#{ids.WALL_ALARM}:not(.hidden)")


def test_script_payloads_show_as_text_on_every_screen(
    driver: Any, base: str, source: FakeSource, boundaries: FakeBoundaries
) -> None:
    source.set(with_xss(with_crisis(rich_snapshot(boundaries=boundaries), boundaries=boundaries)))
    for path, css in (("/wall", ".ticker"), ("/crisis", f"#{ids.CRISIS_LIST}")):
        driver.get(base + path)
        wait_contains(driver, css, XSS_IMG)
        assert not driver.find_elements(By.CSS_SELECTOR, 'img[src="x"]')
        assert driver.execute_script("return window.__xss") is None
    # The mayor's market names and complaint texts are in the detail sheet.
    driver.get(base + "/mayor")
    for tap, css in (('tr[data-select="commodity:cabai_rawit"]', ".market-table"),
                     ('.hot-row[data-select="Manggala"]', ".cp-list")):
        wait(driver).until(lambda d, t=tap: d.find_elements(By.CSS_SELECTOR, t))
        driver.find_element(By.CSS_SELECTOR, tap).click()
        wait_contains(driver, f".detail-sheet {css}", XSS_IMG)
        assert not driver.find_elements(By.CSS_SELECTOR, 'img[src="x"]')
        assert driver.execute_script("return window.__xss") is None
        driver.find_element(By.CSS_SELECTOR, ".detail-sheet .btn.close").click()
        wait_gone(driver, ".detail-sheet:not(.hidden)")
    driver.get(base + "/wall")
    wait_contains(driver, ".ticker", XSS_SCRIPT)
    assert driver.execute_script("return window.__xss") is None




@pytest.mark.slow
def test_wall_says_when_the_server_is_gone_and_recovers_by_itself(
    browser: Any, source: FakeSource, boundaries: FakeBoundaries
) -> None:
    settings = Settings(auth="open", refresh_ms=1000)
    app = create_app(settings, boundaries, source)
    server = AppServer(app.server)
    source.set(rich_snapshot(boundaries=boundaries))
    set_viewport(browser, 1920, 1080)
    browser.get(server.url + "/wall")
    wait_text(browser, tile("complaints.open"), "450")
    assert texts(browser, f"#{ids.WALL.watchdog}:not(.hidden)") == []
    server.close()
    wait_contains(browser, f"#{ids.WALL.watchdog}:not(.hidden)", "Koneksi ke server terputus", timeout=20)
    server = AppServer(app.server, port=server.port)
    try:
        wait_gone(browser, f"#{ids.WALL.watchdog}:not(.hidden)", timeout=20)
        wait_text(browser, tile("complaints.open"), "450")
    finally:
        server.close()
        browser.get_log("browser")  # the refused requests while it was down are expected
