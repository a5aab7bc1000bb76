"""The mayor's period toggle in a browser: the tiles and the map follow it, the choice
outlives the language toggle and a reload, the page still fits both tablet sizes, and
the kecamatan sheet shows the last 7 days (unknown days dotted, "–")."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By

from layers.fmt import DASH, fmt_idr_short, fmt_int
from marvec.period import Period
from tests.snapshot_fixtures import FakeBoundaries, FakeSource, rich_period
from tests.test_mayor_tablet import browser, open_mayor, sheet_title, shown, tap
from tests.test_screens_rig import set_viewport, texts, tile, wait, wait_contains, wait_text

pytest_plugins = ["tests.test_screens_rig"]

RECEIVED = tile("complaints.received_today")
AMOUNT = tile("economy.tx_amount_today")


def fits(driver: Any, width: int, height: int) -> None:
    set_viewport(driver, width, height, touch=True)
    wait(driver).until(lambda d: d.execute_script("return innerWidth") == width)
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .scatterlayer .trace"))
    size = driver.execute_script(
        "const e=document.documentElement;return [e.scrollHeight, innerHeight, e.scrollWidth, innerWidth]")
    assert size == [height, height, width, width]
    boxes = driver.execute_script(
        "return [...document.querySelectorAll('.mayor-grid .card')].map(e => {const r=e.getBoundingClientRect();"
        "return [e.className, r.top, r.bottom, r.right]})")
    for name, top, bottom, right in boxes:
        assert top >= 0 and bottom <= height and right <= width, name
    small = driver.execute_script(
        "return [...document.querySelectorAll('button, a, [data-select]')].map(e => e.getBoundingClientRect())"
        ".filter(r => r.width > 0 && (r.width < 44 || r.height < 44)).length")
    assert small == 0


def pressed(driver: Any) -> list[str]:
    return [e.get_attribute("id") for e in driver.find_elements(By.CSS_SELECTOR, ".period-toggle .btn.period.on")]


@browser
def test_the_toggle_changes_the_tiles_and_the_map_persists_and_still_fits(
        driver: Any, base: str, source: FakeSource, boundaries: FakeBoundaries) -> None:
    names = list(boundaries.names)
    week, month = rich_period(7, names=names), rich_period(30, names=names)
    source.periods = {7: week, 30: month}
    open_mayor(driver, base, 1180, 820)
    driver.execute_script("window.sessionStorage.clear()")
    open_mayor(driver, base, 1180, 820)
    snap = shown(source)
    wait_text(driver, RECEIVED, fmt_int(snap.complaints.received_today))
    assert pressed(driver) == ["mayor-period-today"]

    tap(driver, "#mayor-period-7d")
    assert week.complaints.received is not None and week.transactions.amount_idr is not None
    wait_text(driver, RECEIVED, fmt_int(week.complaints.received))
    wait_text(driver, AMOUNT, fmt_idr_short(week.transactions.amount_idr))
    wait_contains(driver, '[data-kpi="complaints.received_today"] .tile-label', "Masuk · 7 hari")
    wait_contains(driver, '[data-kpi="complaints.received_today"] .tile-sub', "7 hari terakhir")
    assert len(driver.find_elements(By.CSS_SELECTOR, '[data-kpi="complaints.resolved_today"] .spark > div')) == 7
    wait_contains(driver, ".mayor .legend", "Aduan masuk · 7 hari")  # the map shades by the week's received
    assert pressed(driver) == ["mayor-period-7d"]
    wait_text(driver, tile("complaints.open"), "450")  # a state: the same in every period
    fits(driver, 1180, 820)
    fits(driver, 820, 1180)

    # The choice outlives the language toggle and a reload.
    driver.find_element(By.CSS_SELECTOR, ".btn.lang").click()
    wait_contains(driver, '[data-kpi="complaints.received_today"] .tile-label', "Received · 7 days")
    wait_text(driver, RECEIVED, fmt_int(week.complaints.received, "en"))
    driver.refresh()
    wait_contains(driver, '[data-kpi="complaints.received_today"] .tile-label', "Received · 7 days")
    assert pressed(driver) == ["mayor-period-7d"]
    driver.find_element(By.CSS_SELECTOR, ".btn.lang").click()
    wait_contains(driver, '[data-kpi="complaints.received_today"] .tile-label', "Masuk · 7 hari")

    # 30 days on a stack 12 days old: counted since it began, not "30 days".
    tap(driver, "#mayor-period-30d")
    wait_text(driver, RECEIVED, fmt_int(month.complaints.received))
    wait_contains(driver, '[data-kpi="complaints.received_today"] .tile-sub', "dihitung sejak")
    assert len(driver.find_elements(By.CSS_SELECTOR, '[data-kpi="complaints.received_today"] .spark > div.unknown')) == 17
    fits(driver, 1180, 820)

    tap(driver, "#mayor-period-today")
    wait_text(driver, RECEIVED, fmt_int(snap.complaints.received_today))
    wait_contains(driver, '[data-kpi="complaints.received_today"] .tile-sub', "kemarin")


def trend(driver: Any) -> tuple[list[str], int]:
    return (texts(driver, '.detail-sheet [data-section="trend"] .day .n'),
            len(driver.find_elements(By.CSS_SELECTOR, '.detail-sheet [data-section="trend"] .bar.unknown')))


@browser
def test_the_kecamatan_sheet_shows_the_last_7_days_with_unknown_days_dotted(
        driver: Any, base: str, source: FakeSource, boundaries: FakeBoundaries) -> None:
    names = list(boundaries.names)
    week: Period = rich_period(7, names=names)
    source.periods = {7: week}
    open_mayor(driver, base, 1180, 820)
    tap(driver, '.hot-row[data-select="Manggala"]')
    sheet_title(driver, "Manggala")
    want = [fmt_int(v) for v in week.complaints.received_by_kecamatan_per_day["Manggala"]]
    wait(driver).until(lambda d: trend(d) == (want, 0))
    assert texts(driver, '.detail-sheet [data-section="trend"] .day .d')[-1] == "Hari ini"
    # Marvec began receiving yesterday at 09:00: the five days before are unknown, never 0.
    young = rich_period(7, names=names, began_days_ago=1)
    source.periods = {7: young}
    series = young.complaints.received_by_kecamatan_per_day["Manggala"]
    assert series[:5] == [None] * 5
    want = [DASH] * 5 + [fmt_int(v) for v in series[5:]]
    wait(driver, 15).until(lambda d: trend(d) == (want, 5))
