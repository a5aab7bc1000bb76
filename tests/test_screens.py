"""The three screens in real headless Chromium, fed by a controllable snapshot source.

The source is injected (``FakeSource`` now; a real Redis seeded through the consumers
later). Every test waits for text rather than sleeping, and ends with a clean browser
console (SEVERE entries other than a missing favicon fail it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from dashboard.components import ids
from layers.fmt import fmt_clock, fmt_idr_short, fmt_int
from marvec.settings import Settings
from tests.snapshot_fixtures import (
    XSS_IMG,
    XSS_SCRIPT,
    AppServer,
    FakeBoundaries,
    FakeSource,
    make_driver,
    rich_snapshot,
    set_viewport,
    severe_console_errors,
    with_crisis,
    with_silent_feed,
    with_xss,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                       reason="needs chromium and chromedriver (apt-get install chromium chromium-driver)"),
]

WAIT_S = 15


def wait(driver: Any, timeout: float = WAIT_S) -> WebDriverWait:
    """A wait that shrugs off elements replaced mid-check (the screens re-render live)."""
    return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,))


def texts(driver: Any, css: str) -> list[str]:
    """The text of every element matching ``css`` (read in the page, so never stale)."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText.trim())", css)


@pytest.fixture(scope="module")
def boundaries() -> FakeBoundaries:
    return FakeBoundaries()


@pytest.fixture(scope="module")
def source(boundaries: FakeBoundaries) -> FakeSource:
    return FakeSource(rich_snapshot(boundaries=boundaries))


@pytest.fixture(scope="module")
def base(source: FakeSource, boundaries: FakeBoundaries) -> Iterator[str]:
    settings = Settings(auth="open", lang="id", refresh_ms=1000, stale_after_seconds=300)
    server = AppServer(create_app(settings, boundaries, source).server)
    yield server.url
    server.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = make_driver(1920, 1080)
    yield driver
    driver.quit()


@pytest.fixture
def driver(browser: Any, base: str, source: FakeSource, boundaries: FakeBoundaries) -> Iterator[Any]:
    """A fresh snapshot, Indonesian, 1920x1080; afterwards the console must be clean."""
    source.set(rich_snapshot(boundaries=boundaries))
    set_viewport(browser, 1920, 1080)
    browser.get(base + "/")
    browser.execute_script("window.localStorage.clear()")
    yield browser
    assert severe_console_errors(browser) == []
    assert browser.execute_script("return window.__xss") is None


def wait_text(driver: Any, css: str, expected: str, timeout: float = WAIT_S) -> None:
    """Wait until the first element matching ``css`` shows exactly ``expected``."""
    try:
        wait(driver, timeout).until(lambda d: texts(d, css)[:1] == [expected])
    except TimeoutException:
        got = texts(driver, css)[:1] or ["<no element>"]
        raise AssertionError(f"{css!r} never showed {expected!r}; it shows {got[0]!r}") from None


def wait_contains(driver: Any, css: str, expected: str, timeout: float = WAIT_S) -> None:
    """Wait until some element matching ``css`` contains ``expected``."""
    try:
        wait(driver, timeout).until(lambda d: any(expected in t for t in texts(d, css)))
    except TimeoutException:
        raise AssertionError(f"no {css!r} ever contained {expected!r}; they show {texts(driver, css)!r}") from None


def wait_gone(driver: Any, css: str, timeout: float = WAIT_S) -> None:
    wait(driver, timeout).until(lambda d: not d.find_elements(By.CSS_SELECTOR, css))


def tile(key: str) -> str:
    return f'[data-kpi="{key}"] .tile-value'


def plot_traces(driver: Any, graph_id: str) -> list[dict[str, Any]]:
    return driver.execute_script(
        "const gd=document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        "return gd && gd.data ? gd.data.map(t => ({type: t.type, fill: t.fill || null, name: t.name,"
        " n: (t.x || []).length})) : [];", graph_id)


# -- wall ------------------------------------------------------------------------------
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
    assert traces[-1]["name"] == "incidents" and traces[-1]["n"] == 4
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
    driver.execute_script("document.querySelector('#wall-map .js-plotly-plot').__marvec_mark = 1;"
                          "performance.clearResourceTimings();")
    snap = source.get().snapshot
    complaints = snap.complaints.model_copy(update={"open": 451})
    source.set(snap.model_copy(update={"complaints": complaints}))
    wait_text(driver, tile("complaints.open"), "451", timeout=2.5)
    assert driver.execute_script("return document.querySelector('#wall-map .js-plotly-plot').__marvec_mark") == 1
    sizes = driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('_dash-update-component'))"
        ".map(e => e.decodedBodySize)")
    geometry = len(str(FakeBoundaries().geojson()["features"]))
    assert sizes and max(sizes) < geometry, "a tick must send a patch, not the kecamatan geometry"


def test_language_toggle_switches_labels_and_is_remembered(driver: Any, base: str) -> None:
    driver.get(base + "/wall")
    wait_text(driver, '[data-kpi="complaints.open"] .tile-label', "Aduan terbuka")
    driver.find_element(By.CSS_SELECTOR, ".btn.lang").click()
    wait_text(driver, '[data-kpi="complaints.open"] .tile-label', "Open complaints")
    wait_contains(driver, ".focus-tabs", "Complaints")
    driver.get(base + "/wall")
    wait_text(driver, '[data-kpi="complaints.open"] .tile-label', "Open complaints")
    wait_text(driver, tile("economy.tx_amount_today"), "Rp 4.8B")
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
    for path, css in (("/wall", ".ticker"), ("/mayor", f"#{ids.MAYOR_PRICES}"), ("/crisis", f"#{ids.CRISIS_LIST}")):
        driver.get(base + path)
        wait_contains(driver, css, XSS_IMG)
        assert not driver.find_elements(By.CSS_SELECTOR, 'img[src="x"]')
        assert driver.execute_script("return window.__xss") is None
    driver.get(base + "/wall")
    wait_contains(driver, ".ticker", XSS_SCRIPT)
    assert driver.execute_script("return window.__xss") is None


# -- mayor -----------------------------------------------------------------------------
@pytest.mark.parametrize(("width", "height"), [(1180, 820), (820, 1180)])
def test_mayor_touch_targets_are_at_least_44px(driver: Any, base: str, width: int, height: int) -> None:
    set_viewport(driver, width, height, touch=True)
    driver.get(base + "/mayor")
    wait_text(driver, tile("complaints.open"), "450")
    small = driver.execute_script(
        "return [...document.querySelectorAll('button, a, .hot-row')].map(e => e.getBoundingClientRect())"
        ".filter(r => r.width > 0 && (r.width < 44 || r.height < 44)).length")
    assert small == 0
    overflow_x = driver.execute_script("return document.scrollingElement.scrollWidth - innerWidth")
    assert overflow_x <= 0, "no sideways scrolling on the tablet"


def test_mayor_tapping_a_kecamatan_opens_its_detail(driver: Any, base: str, source: FakeSource) -> None:
    set_viewport(driver, 1180, 820, touch=True)
    driver.get(base + "/mayor")
    wait_text(driver, tile("complaints.open"), "450")
    first = driver.find_elements(By.CSS_SELECTOR, ".hot-row")[0]
    name = first.find_element(By.CSS_SELECTOR, ".hot-name").text
    first.click()
    wait_text(driver, ".detail-sheet:not(.hidden) h2", name)
    snap = source.get().snapshot
    wait_contains(driver, ".district-detail", f"{fmt_int(snap.economy.by_kecamatan_count[name])} transaksi")
    wait_contains(driver, '.district-detail [data-section="complaints"]', "Drainase")
    driver.find_element(By.CSS_SELECTOR, ".detail-sheet .btn.close").click()
    wait_gone(driver, ".detail-sheet:not(.hidden)")


def test_mayor_report_card_is_worst_first(driver: Any, base: str) -> None:
    driver.get(base + "/mayor")
    wait_text(driver, f"#{ids.MAYOR_REPORT} tbody tr:first-child td:first-child", "DPU")
    wait_contains(driver, f"#{ids.MAYOR_PRICES} tbody tr:first-child", "naik >10%")


# -- crisis ----------------------------------------------------------------------------
def test_crisis_lists_incidents_by_severity_and_filters_them(
    driver: Any, base: str, source: FakeSource, boundaries: FakeBoundaries
) -> None:
    source.set(with_crisis(rich_snapshot(boundaries=boundaries), boundaries=boundaries))
    driver.get(base + "/crisis")
    wait_text(driver, f"#{ids.CRISIS_COUNT}", "5 dari 5 insiden aktif")
    severities = texts(driver, ".incident-card .card-head .sev")
    assert severities == ["4", "3", "3", "2", "1"]
    wait_contains(driver, '[data-incident="d-flood-1"]', "aduan banjir/drainase dalam 1,5 km")
    driver.find_element(By.CSS_SELECTOR, f"#{ids.CRISIS_HAZARD}").click()
    option = wait(driver).until(lambda d: [
        o for o in d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option") if o.text.strip() == "Kebakaran"])
    option[0].click()
    wait_text(driver, f"#{ids.CRISIS_COUNT}", "1 dari 5 insiden aktif")
    wait_contains(driver, ".incident-card .card-hazard", "Kebakaran")


def test_mayor_tapping_the_map_opens_that_kecamatan(driver: Any, base: str) -> None:
    set_viewport(driver, 1180, 820, touch=True)
    driver.get(base + "/mayor")
    wait_text(driver, tile("complaints.open"), "450")
    wait(driver).until(lambda d: plot_traces(d, ids.MAYOR.map))
    x, y = driver.execute_script("""
        const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
        const labels = gd.data.find(t => t.name === 'labels');
        const i = gd.data.findIndex(t => t.name === arguments[1]);
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
        return [box.left + xa._offset + xa.l2p(labels.x[i]), box.top + ya._offset + ya.l2p(labels.y[i]) + 25];
    """, ids.MAYOR.map, "Biringkanaya")
    from selenium.webdriver.common.action_chains import ActionChains
    actions = ActionChains(driver)
    actions.w3c_actions.pointer_action.move_to_location(int(x), int(y)).click()
    actions.perform()
    wait_text(driver, ".detail-sheet:not(.hidden) h2", "Biringkanaya")


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
