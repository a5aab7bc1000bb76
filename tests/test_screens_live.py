"""The screens on real data: events through Kafka and the real consumer into a real Redis,
read by the real ``SnapshotSource``, shown in headless Chromium.

Each test seeds its own topics (``make_settings``) and runs a real consumer while the
page is open, so an event produced mid-test travels the whole way: Kafka, decode,
kecamatan lookup, the Redis fold, the snapshot read, the page's next tick. What the
screen shows is compared with the snapshot read from the same Redis and formatted by
``layers``. Waits poll the page (never sleep-and-hope); every test ends with a clean
browser console and ``window.__xss`` unset.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import feeds
import pytest
import redis
from helpers import produce_json, produce_raw, topic_of
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from streamrig import boundaries as real_boundaries
from streamrig import running_consumer, snap, wait_consumed

from dashboard.app import create_app
from dashboard.components import ids
from dashboard.source import SnapshotSource
from layers.fmt import fmt_clock, fmt_int
from layers.report import opd_ranking
from marvec.embedded import start_embedded_redis
from marvec.settings import Settings
from marvec.snapshot import Snapshot
from streams.consumer import Consumer
from streams.sources.sim.simulate import Simulator
from tests.test_screens_rig import (
    BROWSER,
    AppServer,
    expected_kpis,
    make_driver,
    plot_traces,
    quit_driver,
    set_viewport,
    severe_console_errors,
    shown_kpis,
    tap_at,
    texts,
    tile,
    wait,
    wait_contains,
    wait_gone,
    wait_text,
)

pytestmark = [*BROWSER, pytest.mark.integration]
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per tick otherwise

XSS_TEXT = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
XSS_MARKET = "<script>window.__xss=1</script>Pasar"
STALE_S = 10
REFRESH_MS = 500
LIVE_S = 6.0
"""How soon an event produced while a page is open must be on screen."""

FLOOD_AT = feeds.PLACES[3]  # Manggala
BIRINGKANAYA = {"lat": -5.0900, "lon": 119.5100}


# -- the world: a deterministic hour in Makassar, through the real pipeline ---------------
def base_events() -> list[tuple[str, dict[str, Any], str]]:
    """``(feed, event, key field)`` for every screen: complaints with agencies and some
    resolved, prices in three markets, transaction reports, two active incidents (no
    crisis), and a drainage complaint by the flood."""
    out: list[tuple[str, dict[str, Any], str]] = []
    cats = ["roads", "drainage", "waste", "water", "health", "street_lighting"]
    prios = ["normal", "high", "low", "urgent"]
    for i in range(24):
        ago = 3000 - i * 100
        out.append(("complaints", feeds.complaint(
            f"C{i}", "received", ago, location=feeds.PLACES[i % len(feeds.PLACES)], category=cats[i % len(cats)],
            priority=prios[i % len(prios)], text=f"Laporan warga nomor {i}"), "complaint_id"))
        if i % 4 == 0:
            out.append(("complaints", feeds.complaint(f"C{i}", "assigned", ago - 50, opd="DPU"), "complaint_id"))
        if i % 8 == 0:
            out.append(("complaints", feeds.complaint(f"C{i}", "resolved", ago - 90, opd="DPU"), "complaint_id"))
    for m, market in enumerate(("Pasar Terong", "Pasar Daya", "Pasar Pannampu")):
        for c, (commodity, idr) in enumerate((("beras", 14_500), ("cabai_rawit", 61_000), ("telur_ayam", 29_500))):
            out.append(("economy", feeds.price(market, commodity, idr + 500 * m, 1200 - 10 * (3 * m + c),
                                               kecamatan="Tallo"), "market"))
    for r, kec in enumerate(("Tallo", "Panakkukang", "Rappocini", "Manggala", "Tamalate", "Wajo")):
        out.append(("economy", feeds.transactions(f"R{r}", 40 + r, 2_500_000 + 750_000 * r, 900 - 60 * r,
                                                  kecamatan=kec), "report_id"))
    out.append(("disasters", feeds.incident("I-flood", "reported", 2400, hazard="flood", severity=3,
                                            location=FLOOD_AT, water_level_cm=80), "incident_id"))
    out.append(("disasters", feeds.incident("I-flood", "responding", 1800, affected_people=320, displaced=45,
                                            injured=2, location=FLOOD_AT), "incident_id"))
    out.append(("disasters", feeds.incident("I-fire", "responding", 1500, hazard="fire", severity=2,
                                            location=feeds.PLACES[1], affected_people=12), "incident_id"))
    out.append(("complaints", feeds.complaint("C-near", "received", 200, location=FLOOD_AT, category="drainage",
                                              priority="high", text="Selokan meluap ke rumah warga"), "complaint_id"))
    return out


def script_events() -> list[tuple[str, dict[str, Any], str]]:
    """A drainage complaint by the flood whose text is markup, and the dearest rice at a
    market whose name is a script."""
    return [("complaints", feeds.complaint("C-xss", "received", 60, location=FLOOD_AT, category="drainage",
                                           priority="high", text=XSS_TEXT), "complaint_id"),
            ("economy", feeds.price(XSS_MARKET, "beras", 19_000, 30, kecamatan="Wajo"), "market")]


def produce(settings: Settings, events: list[tuple[str, dict[str, Any], str]]) -> int:
    """Send each event to its feed's topic, in order; returns how many were sent."""
    for feed, event, key in events:
        produce_json(settings, feed, [event], key)
    return len(events)


@contextlib.contextmanager
def world(settings: Settings, client: redis.Redis,
          events: list[tuple[str, dict[str, Any], str]] | None = None) -> Iterator[Consumer]:
    """A real consumer that has applied ``events`` (default: ``base_events()``) and keeps
    running, so events produced inside the block reach Redis too."""
    events = base_events() if events is None else events
    sent = produce_batch(settings, events)
    with running_consumer(settings, client) as worker:
        wait_consumed([worker], sent)
        yield worker


def produce_batch(settings: Settings, events: list[tuple[str, dict[str, Any], str]]) -> int:
    """Like ``produce`` but one producer per feed (a seed of hundreds of events)."""
    for feed in ("complaints", "economy", "disasters"):
        mine = [e for f, e, _ in events if f == feed]
        keys = {k for f, _, k in events if f == feed}
        if mine:
            produce_json(settings, feed, mine, keys.pop() if len(keys) == 1 else None)
    return len(events)


def send_and_apply(settings: Settings, worker: Consumer, events: list[tuple[str, dict[str, Any], str]]) -> None:
    """Produce while the page is open and wait until the consumer applied them."""
    before = worker.stats.polled
    produce(settings, events)
    wait_consumed([worker], before + len(events), timeout=20)


# -- the app on a real SnapshotSource ------------------------------------------------------
@pytest.fixture(scope="module")
def city() -> Any:
    return real_boundaries()


def serve(redis_url: str, city: Any, **overrides: Any) -> tuple[AppServer, SnapshotSource]:
    # A 2 s crisis hold: the wall leaves crisis focus soon after the incident closes.
    settings = Settings(**{"auth": "open", "lang": "id", "refresh_ms": REFRESH_MS, "crisis_hold_seconds": 2,
                           **overrides})
    source = SnapshotSource(redis_url, city.names, refresh_s=0.5)
    return AppServer(create_app(settings, city, source).server), source


@pytest.fixture(scope="module")
def app_url(redis_server: str, city: Any) -> Iterator[str]:
    """The app on the session's Redis (each test seeds it; it is flushed after each)."""
    server, _ = serve(redis_server, city)
    yield server.url
    server.close()


@pytest.fixture(scope="module")
def stale_url(redis_server: str, city: Any) -> Iterator[str]:
    """The same, but a feed counts as stale after ``STALE_S`` seconds of silence."""
    server, _ = serve(redis_server, city, stale_after_seconds=STALE_S)
    yield server.url
    server.close()


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    driver = make_driver(1920, 1080)
    yield driver
    quit_driver(driver)


def reset(driver: Any, url: str) -> None:
    """1920x1080, the default language (nothing remembered), an empty console log."""
    set_viewport(driver, 1920, 1080)
    driver.get(url + "/")
    driver.execute_script("window.localStorage.clear()")
    driver.get_log("browser")


@pytest.fixture
def page(chrome: Any, app_url: str) -> Iterator[Any]:
    """Chromium at 1920x1080, Indonesian; afterwards: a clean console and no script ran."""
    reset(chrome, app_url)
    yield chrome
    assert severe_console_errors(chrome) == []
    assert chrome.execute_script("return window.__xss") is None


def screen_matches(driver: Any, client: redis.Redis, lang: str = "id") -> Callable[[Any], bool]:
    """A wait condition: every tile equals the snapshot read *now* (robust to the clock)."""
    return lambda _: shown_kpis(driver) == expected_kpis(snap(client), lang)


def assert_tiles_match(driver: Any, client: redis.Redis, lang: str = "id") -> Snapshot:
    try:
        wait(driver).until(screen_matches(driver, client, lang))
    except Exception:
        raise AssertionError(f"tiles {shown_kpis(driver)} != snapshot {expected_kpis(snap(client), lang)}") from None
    return snap(client)


# -- numbers, map, language ------------------------------------------------------------------
def test_every_screen_shows_the_snapshots_numbers(page: Any, app_url: str, make_settings: Any,
                                                  redis_client: redis.Redis) -> None:
    settings = make_settings()
    with world(settings, redis_client):
        s = snap(redis_client)
        assert s.complaints.open > 20 and s.disasters.active == 2 and s.economy.transactions_today.count > 0
        page.get(app_url + "/wall")
        assert_tiles_match(page, redis_client)
        wait_text(page, tile("complaints.open"), fmt_int(s.complaints.open))  # and said plainly
        wait_contains(page, '[data-kpi="economy.tx_amount_today"]',
                      f"{fmt_int(s.economy.transactions_today.count)} transaksi")
        assert "hidden" in page.find_element(By.ID, ids.WALL.banner).get_attribute("class")

        set_viewport(page, 1180, 820, touch=True)
        page.get(app_url + "/mayor")
        assert_tiles_match(page, redis_client)
        worst = sorted(s.complaints.by_kecamatan, key=lambda k: (
            -s.disasters.by_kecamatan.get(k, 0), -s.complaints.by_kecamatan[k], k))[0]
        wait_text(page, ".hot-row .hot-name", worst)
        first = opd_ranking(s)[0].opd or "Belum didisposisi"  # unassigned first when worst
        wait_text(page, f"#{ids.MAYOR_REPORT} tbody tr:first-child td:first-child", first)

        set_viewport(page, 1920, 1080)
        page.get(app_url + "/crisis")
        d = snap(redis_client).disasters
        wait_text(page, f"#{ids.CRISIS_COUNT}", f"{d.active} dari {d.active} insiden aktif")
        wait_text(page, '[data-total="affected"] .total-value', fmt_int(d.affected_people))
        wait_text(page, '[data-total="displaced"] .total-value', fmt_int(d.displaced))
        assert texts(page, ".incident-card .card-head .sev") == [str(i.severity) for i in d.incidents]


def test_numbers_match_on_a_busy_simulated_stream(page: Any, app_url: str, make_settings: Any,
                                                  redis_client: redis.Redis) -> None:
    """The simulator's backlog (open complaints from past days, overdue ones, incidents)
    and half an hour of its traffic: every tile still equals the snapshot."""
    settings = make_settings()
    sim = Simulator(20260301, time.time() - 1800)
    messages = sim.history() + sim.next_batch(time.time(), 1500)
    for feed in sorted({m.feed for m in messages}):  # publicinfo posts too
        produce_raw(settings, topic_of(settings, feed), [m.value for m in messages if m.feed == feed])
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], len(messages))
        s = snap(redis_client)
        assert s.complaints.overdue > 0 and s.disasters.active > 0 and s.economy.prices
        page.get(app_url + "/wall")
        assert_tiles_match(page, redis_client)
        set_viewport(page, 820, 1180, touch=True)
        page.get(app_url + "/mayor")
        assert_tiles_match(page, redis_client)
        page.find_element(By.CSS_SELECTOR, '.prices [data-select="list:prices"]').click()  # the whole table
        n = len(snap(redis_client).economy.prices)
        wait(page).until(lambda d: len(d.find_elements(
            By.CSS_SELECTOR, '.detail-sheet [data-section="prices"] tbody tr')) == n)


def test_the_map_is_drawn_with_every_kecamatan_and_point(page: Any, app_url: str, make_settings: Any,
                                                         redis_client: redis.Redis, city: Any) -> None:
    with world(make_settings(), redis_client):
        s = snap(redis_client)
        page.get(app_url + "/wall")
        n = len(city.names)
        points = len([c for c in s.complaints.latest if c.lat is not None])
        def counts(d: Any) -> dict[str, int]:
            return {t["name"]: t["n"] for t in plot_traces(d, ids.WALL.map)[n:]}

        wait(page).until(lambda d: (counts(d).get("complaints"), counts(d).get("incidents")) == (points, 2))
        assert plot_traces(page, ids.WALL.map)[-1]["name"] == "labels"  # drawn above every marker
        traces = plot_traces(page, ids.WALL.map)
        assert [t["name"] for t in traces[:n]] == list(city.names)
        assert {t["fill"] for t in traces[:n]} == {"toself"}
        assert len(page.find_elements(By.CSS_SELECTOR, f"#{ids.WALL.map} svg.main-svg .scatterlayer path")) > n
        labels = page.execute_script(
            "return document.querySelector('#wall-map .js-plotly-plot').data.find(t => t.name === 'labels').text")
        # "Ujung<br>Tanah<br><b>12</b>" on the map, "Ujung Pandang<br><b>12</b>" in a callout
        assert [t.rsplit("<br><b>", 1)[0].replace("<br>", " ") for t in labels] == list(city.names)
        assert all("<b>" in t and not t.endswith("<b>–</b>") for t in labels)


def test_language_toggle_switches_labels_numbers_and_html_lang(page: Any, app_url: str, make_settings: Any,
                                                               redis_client: redis.Redis) -> None:
    with world(make_settings(), redis_client):
        page.get(app_url + "/wall")
        wait_text(page, '[data-kpi="complaints.open"] .tile-label', "Aduan terbuka")
        assert page.execute_script("return document.documentElement.lang") == "id"
        page.find_element(By.CSS_SELECTOR, ".btn.lang").click()
        wait_text(page, '[data-kpi="complaints.open"] .tile-label', "Open complaints")
        wait(page).until(lambda d: d.execute_script("return document.documentElement.lang") == "en")
        assert_tiles_match(page, redis_client, "en")  # Rp 9.5M, 1,234: English number formats
        page.get(app_url + "/mayor")  # the choice is remembered across pages
        wait_text(page, f"#{ids.MAYOR_REPORT} thead th:first-child", "Agency")
        assert page.execute_script("return document.documentElement.lang") == "en"
        page.find_element(By.CSS_SELECTOR, ".btn.lang").click()
        wait_text(page, f"#{ids.MAYOR_REPORT} thead th:first-child", "OPD")
        wait(page).until(lambda d: d.execute_script("return document.documentElement.lang") == "id")


# -- live ----------------------------------------------------------------------------------
def test_an_event_produced_while_the_wall_is_open_is_on_screen_in_seconds(
        page: Any, app_url: str, make_settings: Any, redis_client: redis.Redis) -> None:
    settings = make_settings()
    with world(settings, redis_client) as worker:
        page.get(app_url + "/wall")
        before = assert_tiles_match(page, redis_client).complaints.open
        started = time.monotonic()
        send_and_apply(settings, worker, [("complaints", feeds.complaint(
            "C-live", "received", 1, location=feeds.UNHAS, category="roads", text="Jalan berlubang depan kampus"),
            "complaint_id")])
        wait_text(page, tile("complaints.open"), fmt_int(before + 1), timeout=LIVE_S)
        wait_contains(page, ".ticker", "Jalan berlubang depan kampus", timeout=LIVE_S)
        assert time.monotonic() - started < LIVE_S + 2
        assert_tiles_match(page, redis_client)


def test_the_mayors_kecamatan_sheet_opens_on_tap_and_closes_by_tapping_outside(
        page: Any, app_url: str, make_settings: Any, redis_client: redis.Redis) -> None:
    settings = make_settings()
    with world(settings, redis_client) as worker:
        set_viewport(page, 1180, 820, touch=True)
        page.get(app_url + "/mayor")
        assert_tiles_match(page, redis_client)
        row = page.find_elements(By.CSS_SELECTOR, ".hot-row")[0]
        name = row.find_element(By.CSS_SELECTOR, ".hot-name").text
        row.click()
        wait_text(page, ".detail-sheet:not(.hidden) h2", name)
        count = snap(redis_client).economy.by_kecamatan_count[name]
        wait_contains(page, ".district-detail", f"{fmt_int(count)} transaksi")
        tap_at(page, 40, 600)  # on the dimmed page, left of the sheet
        wait_gone(page, ".detail-sheet:not(.hidden)")
        wait_gone(page, ".detail-scrim:not(.hidden)")
        overflow = page.execute_script(
            "const l=document.querySelector('.hot-list'); return l.scrollHeight - l.clientHeight")
        assert overflow <= 0, "the hotspot list must not scroll inside its card"

        # A finger that lands just before an update and lifts just after still selects:
        # Dash replaces the whole list when it re-sends it, row under the finger included.
        row = page.find_elements(By.CSS_SELECTOR, ".hot-row")[1]
        name = row.find_element(By.CSS_SELECTOR, ".hot-name").text
        page.execute_script("arguments[0].__marvec_mark = 1", row)
        ActionChains(page).click_and_hold(row).perform()
        send_and_apply(settings, worker, [("complaints", feeds.complaint(
            "C-during-tap", "received", 1, kecamatan=name, location=None, category="roads"), "complaint_id")])
        wait(page, LIVE_S).until(lambda d: not d.execute_script(
            "return [...document.querySelectorAll('.hot-row')].some(e => e.__marvec_mark)"))
        ActionChains(page).release().perform()
        wait_text(page, ".detail-sheet:not(.hidden) h2", name)


# -- freshness -------------------------------------------------------------------------------
def test_a_silent_feed_is_called_stale_and_clears_when_it_speaks(
        chrome: Any, stale_url: str, make_settings: Any, redis_client: redis.Redis) -> None:
    """Economy stops; complaints and disasters keep coming every 2 s. After ``STALE_S``
    the wall says which feed is silent since when, and clears on its next event."""
    settings = make_settings()
    reset(chrome, stale_url)
    with world(settings, redis_client) as worker:
        chrome.get(stale_url + "/wall")
        wait(chrome).until(lambda d: shown_kpis(d) == expected_kpis(snap(redis_client)))
        banner = f"#{ids.WALL.banner}"
        assert texts(chrome, f"{banner}:not(.hidden)") == []
        stop = threading.Event()

        def keep_talking() -> None:
            n = 0
            while not stop.wait(2.0):
                n += 1
                produce(settings, [
                    ("complaints", feeds.complaint(f"C-talk-{n}", "received", 1, category="waste"), "complaint_id"),
                    ("disasters", feeds.incident("I-fire", "responding", 1, affected_people=12 + n), "incident_id")])

        talker = threading.Thread(target=keep_talking, daemon=True)
        talker.start()
        try:
            since = fmt_clock(snap(redis_client).feeds["economy"].last_applied_at)
            wait_contains(chrome, f"{banner}.stale", f"Ekonomi: tidak ada data baru sejak {since}", timeout=STALE_S + 10)
            assert not any("Aduan" in t or "Bencana" in t for t in texts(chrome, f"{banner} .banner-line"))
            wait_contains(chrome, '[data-kpi="economy.tx_amount_today"]', f"data terakhir {since}")
            assert "stale" in chrome.find_element(By.CSS_SELECTOR, '[data-kpi="economy.tx_amount_today"]') \
                .get_attribute("class")
            send_and_apply(settings, worker, [("economy", feeds.transactions("R-late", 3, 150_000, 1), "report_id")])
            wait_gone(chrome, f"{banner}:not(.hidden)", timeout=LIVE_S)
        finally:
            stop.set()
            talker.join(timeout=10)
    assert severe_console_errors(chrome) == []


def test_redis_down_says_so_and_recovers_when_a_new_redis_is_seeded(
        chrome: Any, make_settings: Any, city: Any, tmp_path: Path) -> None:
    """A dedicated Redis is stopped under the open wall: a red banner names the time of
    the figures shown; a new Redis on the same port, seeded again, clears it by itself."""
    red = start_embedded_redis(None, tmp_path)
    port = red.port
    server, source = serve(red.url, city)
    client = redis.Redis.from_url(red.url)
    try:
        with world(make_settings(redis_url=red.url), client):
            reset(chrome, server.url)
            chrome.get(server.url + "/wall")
            shown = assert_tiles_match(chrome, client)
        client.close()
        red.stop()
        banner = f"#{ids.WALL.banner}"
        wait_contains(chrome, f"{banner}.down", "Server data tidak terjangkau", timeout=LIVE_S)
        last = source.peek()
        assert last is not None and last.snapshot is not None and not last.ok
        wait_contains(chrome, banner, f"data terakhir {fmt_clock(last.snapshot.generated_at)}")
        assert "is-stale" in chrome.find_element(By.ID, ids.WALL.root).get_attribute("class")
        assert shown_kpis(chrome) == expected_kpis(shown), "the last good figures stay on screen"

        red = start_embedded_redis(port, tmp_path)
        client = redis.Redis.from_url(red.url)
        again = [e for e in base_events() if e[0] != "complaints"] + [
            ("complaints", feeds.complaint("C-new", "received", 30, category="roads"), "complaint_id")]
        with world(make_settings(redis_url=red.url), client, again):
            wait_gone(chrome, f"{banner}:not(.hidden)", timeout=LIVE_S + 4)
            assert_tiles_match(chrome, client)
            wait_text(chrome, tile("complaints.open"), "1")
        assert severe_console_errors(chrome) == []
    finally:
        server.close()
        client.close()
        red.stop()


# -- crisis, untrusted text -------------------------------------------------------------------
def test_a_severity_four_incident_switches_the_wall_to_crisis_and_back(
        page: Any, app_url: str, make_settings: Any, redis_client: redis.Redis) -> None:
    settings = make_settings()
    with world(settings, redis_client) as worker:
        page.get(app_url + "/wall")
        assert_tiles_match(page, redis_client)
        assert not page.find_elements(By.CSS_SELECTOR, ".focus-tab.focus-crisis")
        send_and_apply(settings, worker, [("disasters", feeds.incident(
            "I-big", "responding", 5, hazard="flood", severity=4, location=BIRINGKANAYA,
            affected_people=760, displaced=210), "incident_id")])
        wait_text(page, ".focus-tab.active", "KRISIS", timeout=LIVE_S)
        wait_contains(page, f"#{ids.WALL_ALARM}", "KRISIS · Banjir tingkat 4 · Biringkanaya · ditangani · 760 terdampak")
        assert "focus-crisis" in page.find_element(By.ID, ids.WALL.root).get_attribute("class")
        wait_contains(page, f"#{ids.WALL_PANEL}", "Banjir · Biringkanaya · 760 terdampak")
        assert_tiles_match(page, redis_client)

        page.get(app_url + "/crisis")
        wait_text(page, ".incident-card:first-child .card-head .sev", "4")
        wait_contains(page, ".incident-card:first-child .card-kec", "Biringkanaya")

        page.get(app_url + "/wall")
        wait_text(page, ".focus-tab.active", "KRISIS")
        send_and_apply(settings, worker, [("disasters", feeds.incident("I-big", "closed", 1), "incident_id")])
        wait_gone(page, ".focus-tab.focus-crisis", timeout=LIVE_S)
        wait_gone(page, f"#{ids.WALL_ALARM}:not(.hidden)")


def test_script_payloads_from_the_feeds_stay_text_on_every_screen(
        page: Any, app_url: str, make_settings: Any, redis_client: redis.Redis) -> None:
    """A complaint's text and a market's name carrying markup arrive through Kafka and are
    shown as the characters they are: nothing parsed, nothing run."""
    settings = make_settings()
    with world(settings, redis_client) as worker:
        page.get(app_url + "/wall")
        assert_tiles_match(page, redis_client)
        send_and_apply(settings, worker, script_events())
        wait_contains(page, ".ticker", f"“{XSS_TEXT}”")
        wait_contains(page, ".ticker", XSS_MARKET)
        set_viewport(page, 1180, 820, touch=True)
        page.get(app_url + "/mayor")
        wait(page).until(lambda d: d.find_elements(By.CSS_SELECTOR, '.prices [data-select="list:prices"]'))
        page.find_element(By.CSS_SELECTOR, '.prices [data-select="list:prices"]').click()  # the full table
        wait_contains(page, '.detail-sheet [data-section="prices"]', f"tertinggi: {XSS_MARKET} Rp 19.000")
        set_viewport(page, 1920, 1080)
        page.get(app_url + "/crisis")
        wait_contains(page, '[data-incident="I-flood"] .near-list', XSS_TEXT)
        for path in ("/wall", "/mayor", "/crisis"):
            page.get(app_url + path)
            wait_contains(page, "body", "MARVEC")
            assert not page.find_elements(By.CSS_SELECTOR, 'img[src="x"]')
            assert page.execute_script("return [...document.scripts].filter(s => s.text.includes('__xss')).length") == 0
            assert page.execute_script("return window.__xss") is None
