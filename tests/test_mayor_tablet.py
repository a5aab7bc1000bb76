"""The mayor's tablet: ranked "Perlu perhatian", a page that fits the screen, details in the sheet.

The ranking (``layers.attention``) is tested pure; the page in real headless Chromium
on the richest fixture snapshot (rig: ``tests/test_screens_rig.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from dashboard.pages.mayor import valid_selection
from layers.attention import attention_items, overdue_points, rising, unassigned_points
from layers.fmt import fmt_int
from layers.freshness import freshness
from marvec.snapshot import Snapshot
from marvec.timeutil import iso
from tests.snapshot_fixtures import (
    FakeBoundaries,
    FakeSource,
    rich_snapshot,
    with_crisis,
    with_silent_feed,
)
from tests.test_screens_rig import (
    BROWSER,
    set_viewport,
    texts,
    tile,
    wait,
    wait_contains,
    wait_text,
)

pytest_plugins = ["tests.test_screens_rig"]  # the fixtures: base, browser, driver, source...

NOW = 1_780_000_000.0
B = FakeBoundaries()


def browser(test: Callable[..., None]) -> Callable[..., None]:
    for mark in BROWSER:
        test = mark(test)
    return test


def shown(source: FakeSource) -> Snapshot:
    """The snapshot the page is serving."""
    snap = source.get().snapshot
    assert snap is not None
    return snap


def ranked(snap: Snapshot, ok: bool = True) -> list[str]:
    return [a.select for a in attention_items(snap, freshness(snap, ok, NOW, 300))]


# -- ranking (pure) ------------------------------------------------------------------------
def test_the_rich_afternoon_ranks_escalating_incidents_then_overdue_then_price_spikes() -> None:
    snap = rich_snapshot(NOW, B)
    assert ranked(snap) == [
        "incident:d-flood-1",  # severity 3, rising, 640 affected
        "incident:d-fire-1",  # severity 3, rising, 18 affected
        "incident:d-tide-1",  # severity 2 but rising along its timeline
        "kpi:complaints.overdue",  # 55 overdue
        "commodity:cabai_rawit", "commodity:cabai_merah", "commodity:bawang_merah",  # +24.3, +12.6, +11.2 %
    ]  # the fallen tree (severity 1, not rising) and every staple under +10 % are left out


def test_a_crisis_comes_first_and_a_stale_feed_before_escalations() -> None:
    snap = with_silent_feed(with_crisis(rich_snapshot(NOW, B), NOW, B), "economy", 1260, NOW)
    order = ranked(snap)
    assert order[:3] == ["incident:d-flood-crisis", "feed:economy", "incident:d-flood-1"]
    unreachable = ranked(rich_snapshot(NOW, B), ok=False)
    assert unreachable[:1] == ["feed:all"] and "feed:economy" not in unreachable


def test_unassigned_complaints_and_a_one_day_price_jump_are_listed() -> None:
    snap = rich_snapshot(NOW, B)
    c, e = snap.complaints, snap.economy
    latest = [p.model_copy(update={"opd": None}) if i < 3 else p for i, p in enumerate(c.latest)]
    prices = {**e.prices, "beras": e.prices["beras"].model_copy(update={"change_1d_pct": 8.0})}
    snap = snap.model_copy(update={"complaints": c.model_copy(update={"latest": latest}),
                                   "economy": e.model_copy(update={"prices": prices})})
    items = attention_items(snap, freshness(snap, True, NOW, 300))
    assert items[-1].select == "complaints:unassigned" and dict(items[-1].facts)["count"] == 3
    assert len(unassigned_points(snap)) == 3
    # +8 % in a day counts as +16 %: between cabai rawit (+24.3) and cabai merah (+12.6)
    prices_ranked = [a.key for a in items if a.kind == "price"]
    assert prices_ranked == ["cabai_rawit", "beras", "cabai_merah", "bawang_merah"]


def test_overdue_points_follow_each_prioritys_sla() -> None:
    snap = rich_snapshot(NOW, B)
    first = snap.complaints.latest[0]
    old = [first.model_copy(update={"complaint_id": "u", "priority": "urgent", "occurred_at": iso(NOW - 25 * 3600)}),
           first.model_copy(update={"complaint_id": "n", "priority": "normal", "occurred_at": iso(NOW - 25 * 3600)}),
           first.model_copy(update={"complaint_id": "r", "priority": "urgent", "status": "resolved",
                                    "occurred_at": iso(NOW - 30 * 3600)})]
    snap = snap.model_copy(update={"complaints": snap.complaints.model_copy(update={"latest": old})})
    assert [p.complaint_id for p, _ in overdue_points(snap, NOW)] == ["u"]  # 24 h SLA; 7 days for normal
    assert overdue_points(rich_snapshot(NOW, B), NOW) == []  # the fixture's latest are minutes old


def test_rising_and_selection_values() -> None:
    snap = rich_snapshot(NOW, B)
    by_id = {i.incident_id: i for i in snap.disasters.incidents}
    assert rising(by_id["d-tide-1"]) and not rising(by_id["d-tree-1"])
    names = tuple(snap.kecamatan)
    for ok in ("Tamalate", "kpi:complaints.overdue", "incident:d-fire-1", "commodity:beras", "feed:economy",
               "list:attention", "complaints:unassigned"):
        assert valid_selection(ok, snap, names) == ok
    for bad in (None, "", "Atlantis", "kpi:nope", "incident:d-gone", "commodity:kopi", "list:secret", "feed:x"):
        assert valid_selection(bad, snap, names) is None


def test_every_sheet_renders_on_a_rich_an_empty_and_no_snapshot() -> None:
    import json

    import plotly

    from dashboard.pages.mayor import KPIS, sheet
    from marvec.i18n import translator
    from tests.snapshot_fixtures import empty_snapshot

    rich = rich_snapshot(NOW, B)
    values = ["Tamalate", *(f"kpi:{k.key}" for k in KPIS), "incident:d-fire-1", "commodity:beras", "feed:economy",
              "feed:all", "complaints:unassigned", "list:attention", "list:hotspots", "list:report", "list:prices"]
    for snap in (rich, empty_snapshot(NOW, B), None):
        for lang in ("id", "en"):
            for value in values:
                if valid_selection(value, snap, tuple(rich.kecamatan)) is None:
                    continue  # an incident or staple this snapshot does not have
                tree = sheet(snap, value, translator(lang), lang, NOW, freshness(snap, True, NOW, 300))
                text = json.dumps(tree, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)
                assert "Tutup" in text or "Close" in text, value
                if snap is None:  # nothing read yet: unknown, never 0
                    assert "\"0\"" not in text and "· 0" not in text, value


# -- the page in a browser -------------------------------------------------------------
def open_mayor(driver: Any, base: str, width: int, height: int) -> None:
    set_viewport(driver, width, height, touch=True)
    driver.get(base + "/mayor")
    wait_text(driver, tile("complaints.open"), "450")


def sheet_title(driver: Any, expected: str) -> None:
    wait_text(driver, ".detail-sheet:not(.hidden) h2", expected)


def close_sheet(driver: Any) -> None:
    driver.find_element(By.CSS_SELECTOR, ".detail-sheet .btn.close").click()
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".detail-sheet:not(.hidden)"))


def tap(driver: Any, css: str) -> None:
    """Tap the element (the page re-renders every second: retry a stale one once)."""
    for attempt in range(2):
        try:
            driver.find_element(By.CSS_SELECTOR, css).click()
            return
        except Exception:
            if attempt:
                raise
            time.sleep(0.2)


@browser
@pytest.mark.parametrize(("width", "height", "stale"), [(1180, 820, False), (820, 1180, False), (1180, 820, True)])
def test_the_whole_page_fits_the_tablet_without_scrolling(
    driver: Any, base: str, source: FakeSource, boundaries: FakeBoundaries, width: int, height: int, stale: bool
) -> None:
    if stale:  # the banner takes a row, a crisis and a silent feed lead the list: still no scroll
        source.set(with_silent_feed(with_crisis(rich_snapshot(boundaries=boundaries), boundaries=boundaries),
                                    "economy", 1260))
    open_mayor(driver, base, width, height)
    if stale:
        wait_contains(driver, ".banner", "Ekonomi")
        wait_text(driver, "#mayor-attention .attn-head", "Banjir · Biringkanaya")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .scatterlayer .trace"))
    size = driver.execute_script("const e=document.documentElement;return [e.scrollHeight, innerHeight, e.scrollWidth, innerWidth]")
    assert size == [height, height, width, width]
    # Every card is on screen in full (nothing pushed below the fold or cut at the edge).
    boxes = driver.execute_script(
        "return [...document.querySelectorAll('.mayor-grid .card')].map(e => {const r=e.getBoundingClientRect();"
        "return [e.className, r.top, r.bottom, r.right, r.height]})")
    assert len(boxes) == 6
    for name, top, bottom, right, h in boxes:
        assert top >= 0 and bottom <= height and right <= width and h > 100, name
    map_h = driver.execute_script("return document.querySelector('.mayor .map-box').getBoundingClientRect().height")
    assert map_h >= 250, "the map keeps a usable size"
    small = driver.execute_script(
        "return [...document.querySelectorAll('button, a, [data-select]')].map(e => e.getBoundingClientRect())"
        ".filter(r => r.width > 0 && (r.width < 44 || r.height < 44)).length")
    assert small == 0


def visible_rows(driver: Any) -> int:
    """Attention rows shown in full inside their card (not hidden, not wrapped off it)."""
    return driver.execute_script(
        "const card = document.querySelector('.mayor .attention').getBoundingClientRect();"
        "return [...document.querySelectorAll('#mayor-attention .attn-row')].filter(e => {"
        "const r = e.getBoundingClientRect(); return e.offsetParent && r.right <= card.right && r.bottom <= card.bottom;"
        "}).length")


@browser
def test_the_attention_list_is_ranked_with_the_fixtures_facts(driver: Any, base: str, source: FakeSource) -> None:
    open_mayor(driver, base, 1180, 820)
    wait_text(driver, "#mayor-attention-count", "7")
    heads = driver.execute_script(
        "return [...document.querySelectorAll('#mayor-attention .attn-head')].map(e => e.textContent)")
    assert heads == ["Banjir · Manggala", "Kebakaran · Tallo", "Banjir rob · Tamalanrea", "55 aduan lewat tenggat",
                     "Harga Cabai rawit melonjak", "Harga Cabai merah melonjak", "Harga Bawang merah melonjak"]
    assert texts(driver, "#mayor-attention .attn-sub")[:4] == [
        "tingkat 3 · memburuk · 640 terdampak", "tingkat 3 · memburuk · 18 terdampak",
        "tingkat 2 · memburuk · 120 terdampak", "DPU 31 · DLH 12 · PDAM 9"]
    assert visible_rows(driver) == 5  # the rest: "Semua"; portrait has the room for all 7
    set_viewport(driver, 820, 1180, touch=True)
    wait(driver).until(lambda d: visible_rows(d) == 7)
    tap(driver, '.attention .btn.more')
    sheet_title(driver, "Perlu perhatian")
    assert len(driver.find_elements(By.CSS_SELECTOR, ".detail-sheet .attn-row")) == 7


@browser
def test_tapping_an_attention_item_opens_its_detail(driver: Any, base: str, source: FakeSource) -> None:
    open_mayor(driver, base, 1180, 820)
    tap(driver, '#mayor-attention [data-attention="d-fire-1"]')
    sheet_title(driver, "Kebakaran · Tallo")
    wait_contains(driver, '.detail-sheet [data-fact="injured"]', "2 luka")
    steps = texts(driver, ".detail-sheet .timeline .tl-step")
    assert len(steps) == 3 and "dilaporkan" in steps[0] and "ditangani" in steps[-1]  # reported ... responding
    close_sheet(driver)
    tap(driver, '#mayor-attention [data-attention="cabai_rawit"]')
    sheet_title(driver, "Cabai rawit")
    price = shown(source).economy.prices["cabai_rawit"]
    markets = texts(driver, ".detail-sheet .market-table tbody td.name")
    assert markets == sorted(price.by_market, key=lambda m: -price.by_market[m])
    wait_contains(driver, ".detail-sheet .facts", "+24,3%")


@browser
def test_tapping_a_tile_opens_its_rows(driver: Any, base: str, source: FakeSource) -> None:
    open_mayor(driver, base, 820, 1180)
    snap = shown(source)
    tap(driver, '[data-select="kpi:complaints.overdue"]')
    sheet_title(driver, "Lewat tenggat")
    rows = texts(driver, '.detail-sheet [data-section="by_opd"] .bar-row')
    assert [r.split("\n")[0] for r in rows] == ["DPU", "DLH", "PDAM", "DISHUB", "DINKES"]
    assert [r.split("\n")[-1] for r in rows] == ["31", "12", "9", "2", "1"]
    wait_contains(driver, '.detail-sheet [data-section="overdue_list"]', "belum ada yang lewat tenggat")
    close_sheet(driver)
    tap(driver, '[data-select="kpi:disasters.active"]')
    sheet_title(driver, "Insiden aktif")
    assert len(driver.find_elements(By.CSS_SELECTOR, ".detail-sheet [data-incident]")) == len(snap.disasters.incidents)
    close_sheet(driver)
    tap(driver, '[data-select="kpi:economy.price_alerts"]')
    sheet_title(driver, "Harga naik >10%")
    wait(driver).until(lambda d: len(texts(d, '.detail-sheet [data-section="prices"] tbody tr')) == len(snap.economy.prices))
    first = texts(driver, '.detail-sheet [data-section="markets:cabai_rawit"] tbody td.name')
    assert len(first) == snap.economy.prices["cabai_rawit"].markets


@browser
def test_the_kecamatan_sheet_lists_its_complaints(driver: Any, base: str, source: FakeSource) -> None:
    open_mayor(driver, base, 1180, 820)
    snap = shown(source)
    name = "Manggala"
    tap(driver, f'.hot-row[data-select="{name}"]')
    sheet_title(driver, name)
    points = [p for p in snap.complaints.latest if p.kecamatan == name]
    assert points, "the fixture has complaints in Manggala"
    rows = texts(driver, '.detail-sheet [data-section="latest"] .cp-row')
    assert len(rows) == len(points)
    assert any("Perumnas Antang Blok 10" in r and "Drainase" in r for r in rows)
    wait_text(driver, '.detail-sheet [data-fact="open"] .big', fmt_int(snap.complaints.by_kecamatan[name]))
    tap(driver, '.detail-sheet [data-incident="d-flood-1"]')  # its incident, one more tap
    sheet_title(driver, "Banjir · Manggala")
