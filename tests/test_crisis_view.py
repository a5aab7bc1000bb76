"""The crisis team's screen people act on: totals that follow the filters, filters that
survive the language toggle, a layout that holds with few or no rows, Indonesian dropdown
texts; the citizen's own report near a flood (kept through the fold); unknown paths 404.

Browser tests run in headless Chromium (``tests/test_screens_rig.py``).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import redis
from feeds import complaint
from selenium.webdriver.common.by import By
from streamrig import boundaries as real_boundaries
from streamrig import snap

from dashboard.app import create_app
from dashboard.components import ids
from dashboard.components.context import ScreenContext
from dashboard.pages import crisis
from layers.fmt import DASH
from layers.mapframe import build_frame
from marvec.keys import Keys
from marvec.settings import Settings
from marvec.snapshot import ComplaintPoint, Snapshot
from marvec.timeutil import iso
from streams.decode import Record, decode_batch
from streams.sink import RedisFold
from tests.snapshot_fixtures import FakeBoundaries, FakeSource, rich_snapshot, with_crisis
from tests.test_screens_rig import (
    HAVE_CHROMIUM,
    AppServer,
    set_viewport,
    severe_console_errors,
    texts,
    wait,
    wait_contains,
    wait_text,
)

pytest_plugins = ["tests.test_screens_rig"]  # boundaries, browser

NOW = 1_790_000_000.0
CITIZEN = "Got tersumbat di depan rumah, air setinggi lutut"
NOTE = "DPU: tim sudah turun ke lokasi"
browser_test = [pytest.mark.browser, pytest.mark.skipif(not HAVE_CHROMIUM, reason="needs chromium and chromedriver")]


def _screen(snapshot: Snapshot, b: FakeBoundaries, now: float = NOW) -> ScreenContext:
    return ScreenContext(Settings(auth="open"), build_frame(b.geojson()), tuple(b.names), FakeSource(snapshot),
                         clock=lambda: now)


def _totals(view: dict[str, Any]) -> dict[str, str]:
    return {getattr(t, "data-total"): t.children[0].children for t in view["totals"]}


# -- totals and filters (render) ----------------------------------------------------------------
def test_totals_follow_the_filter_and_say_unknown_as_a_dash(boundaries: FakeBoundaries) -> None:
    snapshot = with_crisis(rich_snapshot(NOW, boundaries), NOW, boundaries)
    screen = _screen(snapshot, boundaries)
    read = screen.read()
    everything = _totals(crisis.render(screen, read, "id", 1.0))
    assert everything == {"disasters.active": "5", "affected": "3.078", "displaced": "863", "injured": "2",
                          "deaths": "0"}
    fire = crisis.render(screen, read, "id", 1.0, ["fire"])
    assert _totals(fire) == {"disasters.active": "1", "affected": "18", "displaced": "18", "injured": "2",
                             "deaths": DASH}, "deaths not reported by the fire: unknown, not 0"
    assert fire["totals_class"] == "totals filtered"
    floods = _totals(crisis.render(screen, read, "id", 1.0, ["flood"], ["Biringkanaya", "Manggala"]))
    assert floods["disasters.active"] == "2" and floods["affected"] == "2.940" and floods["displaced"] == "845"
    none = crisis.render(screen, read, "id", 1.0, ["earthquake"])
    assert _totals(none) == {"disasters.active": "0", "affected": "0", "displaced": "0", "injured": "0",
                             "deaths": "0"}
    assert none["count"] == "0 dari 5 insiden aktif"
    assert [c.children for c in none["cards"]] == ["Tidak ada insiden yang cocok dengan saringan"]


def test_the_dropdowns_speak_the_pages_language(boundaries: FakeBoundaries) -> None:
    screen = _screen(rich_snapshot(NOW, boundaries), boundaries)
    found = {}
    for lang in ("id", "en"):
        page = crisis.layout(screen, lang).to_plotly_json()
        found[lang] = next(c for c in _walk(page) if c.get("props", {}).get("id") == ids.CRISIS_HAZARD)["props"]
    assert found["id"]["placeholder"] == "Semua" and found["en"]["placeholder"] == "All"
    assert found["id"]["labels"]["no_options_found"] == "Tidak ada hasil"
    assert found["id"]["labels"]["clear_selection"] == "Hapus pilihan"
    assert found["en"]["labels"]["no_options_found"] == "No results"
    assert found["id"]["persistence_type"] == "session" and found["id"]["persistence"] is True


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if hasattr(node, "to_plotly_json"):
        node = node.to_plotly_json()
    if isinstance(node, dict):
        if "props" in node:
            yield node
            yield from _walk(node["props"].get("children"))
    elif isinstance(node, list | tuple):
        for child in node:
            yield from _walk(child)


# -- the citizen's report near a flood -------------------------------------------------------
def _near_flood(snapshot: Snapshot, text: str | None, status: str = "in_progress",
                age_s: float = 2 * 3600, now: float = NOW) -> Snapshot:
    flood = next(i for i in snapshot.disasters.incidents if i.incident_id == "d-flood-1")
    assert flood.lat is not None
    point = ComplaintPoint(complaint_id="C-NEAR", status=status, category="drainage", priority="high",
                           kecamatan="Manggala", lat=flood.lat + 0.001, lon=flood.lon, occurred_at=_iso(now - age_s),
                           text=text)
    others = [c for c in snapshot.complaints.latest if c.category not in ("drainage", "flood")]
    return snapshot.model_copy(update={"complaints": snapshot.complaints.model_copy(
        update={"latest": [point, *others]})})


def _iso(ts: float) -> str:
    return iso(ts)


def test_a_complaint_near_a_flood_shows_the_citizens_text_its_status_and_age(boundaries: FakeBoundaries) -> None:
    snapshot = _near_flood(rich_snapshot(NOW, boundaries), CITIZEN)
    view = crisis.render(_screen(snapshot, boundaries), _screen(snapshot, boundaries).read(), "id", 1.0)
    items = [n for c in view["cards"] for n in _walk(c) if n["props"].get("data-complaint") == "C-NEAR"]
    assert len(items) == 1
    parts = {p["props"]["className"].split()[0]: p["props"]["children"] for p in _walk(items[0]["props"]["children"])}
    assert parts["near-text"] == CITIZEN
    assert parts["near-status"] == "diproses"
    assert parts["near-age"] == "kabar terakhir 2 jam lalu"
    blank = _near_flood(rich_snapshot(NOW, boundaries), None, "received", 30)
    view = crisis.render(_screen(blank, boundaries), _screen(blank, boundaries).read(), "en", 1.0)
    item = next(n for c in view["cards"] for n in _walk(c) if n["props"].get("data-complaint") == "C-NEAR")
    parts = {p["props"]["className"].split()[0]: p["props"]["children"] for p in _walk(item["props"]["children"])}
    assert parts["near-text"] == "(no text)" and parts["near-status"] == "received"
    assert parts["near-age"] == "last update <1 min ago"


FEED_OF = {f"t.{f}": f for f in ("complaints", "economy", "disasters")}
_offsets = itertools.count()


def _apply(client: redis.Redis, events: list[dict[str, Any]], now: float) -> None:
    fold = RedisFold(client, dedupe_hours=168, retention_hours=168)
    fold.claim_epoch("test")
    records = [Record("t.complaints", 0, next(_offsets), orjson.dumps(ev)) for ev in events]
    fold.apply(decode_batch(records, FEED_OF, now, real_boundaries()), now, "test")


@pytest.mark.parametrize("order", ["in_order", "note_first", "one_batch"])
def test_the_fold_keeps_the_citizens_first_text_through_status_updates(
    redis_client: redis.Redis, order: str,
) -> None:
    now = time.time()
    received = complaint("C-1", "received", 900, now=now, category="drainage", text=CITIZEN)
    update = complaint("C-1", "in_progress", 120, now=now, opd="DPU", text=NOTE)
    later = complaint("C-1", "assigned", 60, now=now, opd="DPU", text="dialihkan ke Dinas PU")
    if order == "in_order":
        for ev in (received, update, later):
            _apply(redis_client, [ev], now)
    elif order == "note_first":  # the OPD's updates reach the consumer before the report
        for ev in (update, later, received):
            _apply(redis_client, [ev], now)
    else:
        _apply(redis_client, [update, received, later], now)
    state = {k.decode(): v.decode() for k, v in redis_client.hgetall(Keys().complaint("C-1")).items()}
    assert state["txt"] == CITIZEN
    assert state["txt_k"].startswith("0|"), "came from the received event"
    assert state["st"] == "assigned" and state["opd"] == "DPU"
    latest = [c for c in snap(redis_client, now).complaints.latest if c.complaint_id == "C-1"]
    assert [(c.text, c.status) for c in latest] == [(CITIZEN, "assigned")]


def test_a_note_is_shown_only_until_the_citizens_report_arrives(redis_client: redis.Redis) -> None:
    now = time.time()
    _apply(redis_client, [complaint("C-2", "received", 900, now=now, category="roads")], now)  # no text
    _apply(redis_client, [complaint("C-2", "in_progress", 300, now=now, text="catatan pertama")], now)
    _apply(redis_client, [complaint("C-2", "in_progress", 100, now=now, text="catatan kedua")], now)
    key = Keys().complaint("C-2")
    assert redis_client.hget(key, "txt") == b"catatan pertama", "the earliest text, not the latest note"
    _apply(redis_client, [complaint("C-2", "received", 950, now=now, category="roads", text=CITIZEN)], now)
    assert redis_client.hget(key, "txt") == CITIZEN.encode()


# -- unknown paths --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(boundaries: FakeBoundaries) -> Any:
    app = create_app(Settings(auth="open", lang="id"), boundaries, FakeSource(rich_snapshot(boundaries=boundaries)))
    return app.server.test_client()


def test_unknown_paths_answer_404_json_under_api_and_an_html_page_elsewhere(client: Any) -> None:
    for path in ("/api/nope", "/api/v1/nope", "/api/v1/snapshot/extra"):
        res = client.get(path)
        assert res.status_code == 404 and res.mimetype == "application/json", path
        assert res.get_json()["error"] == "not_found"
    for path in ("/nope", "/walls", "/crisis-team", "/nope/deeper"):
        res = client.get(path)
        body = res.get_data(as_text=True)
        assert res.status_code == 404 and res.mimetype == "text/html", path
        assert "Halaman tidak ditemukan" in body and "Page not found" in body and 'href="/"' in body
        assert "_dash-config" not in body and "nope" not in body, "not the index page; the path is not echoed"
        assert "Content-Security-Policy" in res.headers
    for path in ("/", "/wall", "/mayor", "/crisis", "/_dash-layout", "/_dash-dependencies", "/assets/marvec.js",
                 "/healthz"):
        assert client.get(path).status_code == 200, path
    assert b"_dash-config" in client.get("/crisis").data


# -- in the browser -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def crisis_url(boundaries: FakeBoundaries) -> Iterator[tuple[str, FakeSource]]:
    source = FakeSource(with_crisis(rich_snapshot(boundaries=boundaries), boundaries=boundaries))
    settings = Settings(auth="open", lang="id", refresh_ms=1000, stale_after_seconds=300)
    server = AppServer(create_app(settings, boundaries, source).server)
    yield server.url, source
    server.close()


@pytest.fixture
def page(browser: Any, crisis_url: tuple[str, FakeSource]) -> Iterator[Any]:
    base, _ = crisis_url
    set_viewport(browser, 1920, 1080)
    browser.get(base + "/")
    browser.execute_script("window.localStorage.clear(); window.sessionStorage.clear()")
    browser.get(base + "/crisis")
    wait_text(browser, f"#{ids.CRISIS_COUNT}", "5 dari 5 insiden aktif")
    yield browser
    assert severe_console_errors(browser) == []


def _pick(driver: Any, dropdown: str, option: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f"#{dropdown}").click()
    found = wait(driver).until(lambda d: [
        o for o in d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option") if o.text.strip() == option])
    found[0].click()
    driver.find_element(By.CSS_SELECTOR, f"#{ids.CRISIS_COUNT}").click()  # close the menu


def _total(driver: Any, name: str) -> str:
    return (texts(driver, f'[data-total="{name}"] .total-value') or [""])[0]


def _box(driver: Any, css: str) -> dict[str, float]:
    return driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {top: r.top, height: r.height, width: r.width};", css)


@pytest.mark.browser
@pytest.mark.skipif(not HAVE_CHROMIUM, reason="needs chromium and chromedriver")
def test_filters_survive_the_language_toggle_and_totals_follow_them(page: Any) -> None:
    assert _total(page, "affected") == "3.078"
    _pick(page, ids.CRISIS_HAZARD, "Kebakaran")
    wait_text(page, f"#{ids.CRISIS_COUNT}", "1 dari 5 insiden aktif")
    wait(page).until(lambda d: _total(d, "disasters.active") == "1" and _total(d, "affected") == "18")
    assert _total(page, "deaths") == DASH
    page.find_element(By.CSS_SELECTOR, ".btn.lang").click()
    wait_text(page, f"#{ids.CRISIS_COUNT}", "1 of 5 active incidents")
    wait_contains(page, f"#{ids.CRISIS_HAZARD}", "Fire")
    assert _total(page, "affected") == "18"
    assert texts(page, ".incident-card .card-hazard") == ["Fire"]
    page.find_element(By.CSS_SELECTOR, ".btn.lang").click()
    wait_text(page, f"#{ids.CRISIS_COUNT}", "1 dari 5 insiden aktif")
    wait_contains(page, f"#{ids.CRISIS_HAZARD}", "Kebakaran")
    page.refresh()  # a reload in the same tab keeps it too
    wait_text(page, f"#{ids.CRISIS_COUNT}", "1 dari 5 insiden aktif")
    wait(page).until(lambda d: _total(d, "affected") == "18")


@pytest.mark.browser
@pytest.mark.skipif(not HAVE_CHROMIUM, reason="needs chromium and chromedriver")
def test_the_layout_holds_when_a_filter_leaves_few_or_no_rows(page: Any) -> None:
    before = {css: _box(page, css) for css in (".crisis-map", ".incident-list", ".totals", ".filters")}
    _pick(page, ids.CRISIS_KECAMATAN, "Tallo")
    wait_text(page, f"#{ids.CRISIS_COUNT}", "1 dari 5 insiden aktif")
    one = {css: _box(page, css) for css in before}
    _pick(page, ids.CRISIS_HAZARD, "Banjir")
    wait_text(page, f"#{ids.CRISIS_COUNT}", "0 dari 5 insiden aktif")
    wait_text(page, f"#{ids.CRISIS_LIST} .empty", "Tidak ada insiden yang cocok dengan saringan")
    none = {css: _box(page, css) for css in before}
    page.save_screenshot("/tmp/crisis_empty.png")
    for css in before:
        for state in (one, none):
            assert abs(state[css]["height"] - before[css]["height"]) <= 2, (css, before[css], state[css])
            assert abs(state[css]["width"] - before[css]["width"]) <= 2, (css, before[css], state[css])
    assert none[".crisis-map"]["height"] > 700, "the map keeps the screen's height"
    assert _total(page, "disasters.active") == "0" and _total(page, "affected") == "0"
    overflow = page.execute_script(
        "const e=document.scrollingElement; return [e.scrollWidth - innerWidth, e.scrollHeight - innerHeight]")
    assert overflow == [0, 0]


@pytest.mark.browser
@pytest.mark.skipif(not HAVE_CHROMIUM, reason="needs chromium and chromedriver")
def test_the_dropdown_itself_speaks_indonesian(page: Any) -> None:
    assert texts(page, f"#{ids.CRISIS_HAZARD} .dash-dropdown-placeholder") == ["Semua"]
    page.find_element(By.CSS_SELECTOR, f"#{ids.CRISIS_KECAMATAN}").click()
    search = wait(page).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-search"))[0]
    assert search.get_attribute("placeholder") == "Cari"
    search.send_keys("zzzz")
    wait(page).until(lambda d: any("Tidak ada hasil" in t for t in texts(d, ".dash-dropdown-content")))
    page.find_element(By.CSS_SELECTOR, f"#{ids.CRISIS_COUNT}").click()
    _pick(page, ids.CRISIS_HAZARD, "Banjir")
    _pick(page, ids.CRISIS_HAZARD, "Kebakaran")
    wait_contains(page, f"#{ids.CRISIS_HAZARD}", "2 dipilih")
    clear = page.find_element(By.CSS_SELECTOR, f"#{ids.CRISIS_HAZARD} .dash-dropdown-clear")
    assert clear.get_attribute("title") == "Hapus pilihan"
    text = page.find_element(By.CSS_SELECTOR, f"#{ids.CRISIS_HAZARD}").text
    assert "selected" not in text and "Select" not in text


@pytest.mark.browser
@pytest.mark.skipif(not HAVE_CHROMIUM, reason="needs chromium and chromedriver")
def test_screenshots_with_a_filter_at_desk_and_tablet_size(page: Any, crisis_url: tuple[str, FakeSource],
                                                           boundaries: FakeBoundaries) -> None:
    _, source = crisis_url
    now = time.time()
    source.set(_near_flood(with_crisis(rich_snapshot(now, boundaries), now, boundaries), CITIZEN, now=now))
    _pick(page, ids.CRISIS_HAZARD, "Banjir")
    wait_text(page, f"#{ids.CRISIS_COUNT}", "2 dari 5 insiden aktif")
    wait_contains(page, '[data-complaint="C-NEAR"] .near-text', CITIZEN)
    page.save_screenshot("/tmp/crisis_1920x1080.png")
    set_viewport(page, 1180, 820)
    page.refresh()  # as a tablet opens it; the filter is kept
    wait_text(page, f"#{ids.CRISIS_COUNT}", "2 dari 5 insiden aktif")
    wait_contains(page, '[data-complaint="C-NEAR"] .near-text', CITIZEN)
    wait(page).until(lambda d: d.execute_script(
        "const gd = document.querySelector('#crisis-map .js-plotly-plot'); return !!(gd && gd._fullLayout)"))
    page.save_screenshot("/tmp/crisis_1180x820.png")
    overflow = page.execute_script("const e=document.scrollingElement; return e.scrollWidth - innerWidth")
    assert overflow == 0
