"""The mayor's tablet and the crisis team's screen in real headless Chromium.

Fixtures and waits: ``tests/test_screens_rig.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By

from dashboard.components import ids
from layers.fmt import fmt_int
from tests.snapshot_fixtures import FakeBoundaries, FakeSource, rich_snapshot, with_crisis
from tests.test_screens_rig import (
    BROWSER,
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
    wait_contains(driver, f"#{ids.MAYOR_PRICES} tbody tr:first-child", "Cabai rawit")
    # The page shows the steepest rises; the whole table, alerts marked, is one tap away.
    driver.find_element(By.CSS_SELECTOR, '.prices [data-select="list:prices"]').click()
    wait_contains(driver, '.detail-sheet [data-section="prices"] tbody tr:first-child', "naik >10%")


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

