"""The wall's replay: the hour aggregation by hand (hours before the data began are
unknown, never 0), the per-kecamatan hour counts written by the real fold into Redis,
the read, the page's parts, the URL and the setting; in headless Chromium
``/wall?replay=6`` shows the banner, steps to the next hour and reshades the map.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
import pytest
import redis
from feeds import LOSARI, UNHAS, complaint, incident, transactions
from selenium.webdriver.common.by import By
from streamrig import boundaries

from dashboard.app import create_app
from dashboard.components.context import ScreenContext
from dashboard.pages import replay as page
from dashboard.source import REPLAY_REFRESH_S, SnapshotSource
from layers.fmt import DASH
from layers.mapframe import build_frame
from layers.palette import NONE_FILL, UNKNOWN_FILL
from layers.replay import banner_text, replay_layers, replay_parts, step_index
from marvec.contract import WITA
from marvec.errors import SettingsError
from marvec.i18n import translator
from marvec.keys import HOUR_BUCKET_TTL, Keys
from marvec.replay import ReplayReader, build_replay, window_hours
from marvec.settings import Settings, load_settings
from marvec.timeutil import iso
from streams.decode import Record, decode_batch
from streams.sink import RedisFold
from tests.snapshot_fixtures import FakeBoundaries, FakeSource, rich_replay, rich_snapshot
from tests.test_screens_rig import (
    HAVE_CHROMIUM,
    AppServer,
    set_viewport,
    severe_console_errors,
    texts,
    wait,
)

pytest_plugins = ["tests.test_screens_rig"]  # boundaries, browser

NOW = datetime(2026, 12, 3, 15, 30, tzinfo=WITA).timestamp()  # Thursday 3 Dec, 15:30 WITA
H = int(NOW // 3600)  # the hour 15:00-16:00 WITA, the current one
NAMES = ["Tallo", "Wajo"]


def wita(hour: int, minute: int = 0) -> float:
    return datetime(2026, 12, 3, hour, minute, tzinfo=WITA).timestamp()


# -- pure: six hand-worked hours, 10:00 to 16:00 WITA ----------------------------------------
# Complaints: the oldest event is 08:00, but Marvec began receiving at 12:15 (a backlog
# loaded then): 10:00 and 11:00 are unknown even though the backlog wrote into them; 12:00
# counts since 12:15. Disasters: received since yesterday. Economy: never received.
FEEDS = {
    "complaints": {"accepted": "14", "first_event_ts": repr(wita(8)), "first_applied_ts": repr(wita(12, 15))},
    "disasters": {"accepted": "3", "first_event_ts": repr(wita(0) - 86400), "first_applied_ts": repr(wita(0) - 86400)},
    "economy": {},
}
BUCKETS = [
    {"c:received": "2", "c:k:Tallo": "2"},                                   # 10:00 backlog only
    {"d:new": "1", "d:k:Wajo": "1"},                                          # 11:00
    {"c:received": "4", "c:resolved": "1", "c:k:Tallo": "3", "c:k:Wajo": "1"},  # 12:00
    {"c:received": "5", "c:k:Tallo": "2"},                                   # 13:00 k: short: no breakdown
    {},                                                                      # 14:00 quiet
    {"c:received": "2", "c:k:?": "2", "d:new": "2", "d:k:Tallo": "1", "d:k:?": "1"},  # 15:00 so far
]
GAUGES = [{}, {}, {"c:open": "10", "c:overdue": "1", "d:active": "1"}, {"c:open": "14", "c:overdue": "2", "d:active": "1"},
          {}, {"c:open": "16", "c:overdue": "2", "d:active": "3"}]


def six(**extra: Any) -> Any:
    raw = {"feeds": FEEDS, "buckets": BUCKETS, "gauges": GAUGES} | extra
    return build_replay(raw, NOW, 6, NAMES)


def test_the_window_is_the_last_hours_the_current_one_last() -> None:
    assert window_hours(NOW, 6) == list(range(H - 5, H + 1))
    r = six()
    assert [i.start for i in r.items] == [iso(wita(h)) for h in range(10, 16)]
    assert r.items[0].end == iso(wita(11))
    assert [i.current for i in r.items] == [False] * 5 + [True]
    for bad in (0, 7, 25, 48):
        with pytest.raises(ValueError, match="6, 8, 12, 24"):
            window_hours(NOW, bad)
    with pytest.raises(ValueError, match="expected 6 hour hashes"):
        build_replay({"feeds": FEEDS, "buckets": BUCKETS[:5], "gauges": GAUGES}, NOW, 6, NAMES)


def test_hours_before_the_data_began_are_unknown_not_zero() -> None:
    r = six()
    assert [i.received for i in r.items] == [None, None, 4, 5, 0, 2]
    assert [i.resolved for i in r.items] == [None, None, 1, 0, 0, 0]
    assert r.items[2].since == {"complaints": iso(wita(12, 15))}, "12:00 counts since 12:15"
    assert all(not i.since for i in r.items if i is not r.items[2])
    assert [i.incidents_new for i in r.items] == [0, 1, 0, 0, 0, 2], "disasters: known all along"
    assert [i.tx_count for i in r.items] == [None] * 6, "economy: never received"
    assert [i.tx_amount_idr for i in r.items] == [None] * 6


def test_per_kecamatan_counts_and_an_hour_without_the_breakdown() -> None:
    r = six()
    assert [i.received_by_kecamatan for i in r.items] == [
        None, None, {"Tallo": 3, "Wajo": 1}, None, {"Tallo": 0, "Wajo": 0}, {"Tallo": 0, "Wajo": 0, "?": 2}]
    assert [i.incidents_by_kecamatan for i in r.items] == [
        {"Tallo": 0, "Wajo": 0}, {"Tallo": 0, "Wajo": 1}, {"Tallo": 0, "Wajo": 0}, {"Tallo": 0, "Wajo": 0},
        {"Tallo": 0, "Wajo": 0}, {"Tallo": 1, "Wajo": 0, "?": 1}]
    assert r.received_max == 3, "the map's one scale: the busiest kecamatan-hour (outside the city aside)"


def test_gauges_are_the_hours_sample_and_unknown_where_none_was_taken() -> None:
    r = six()
    assert [i.open for i in r.items] == [None, None, 10, 14, None, 16]
    assert [i.overdue for i in r.items] == [None, None, 1, 2, None, 2]
    assert [i.active for i in r.items] == [None, None, 1, 1, None, 3]


def test_a_store_from_before_first_event_ts_knows_the_hours_it_has_counts_for() -> None:
    legacy = {f: {"accepted": "5"} for f in ("complaints", "disasters", "economy")}
    r = six(feeds=legacy)
    # An hour is known for a feed when the bucket has that feed's counts (11:00: d: only).
    assert [i.received for i in r.items] == [2, None, 4, 5, None, 2]
    assert [i.incidents_new for i in r.items] == [None, 1, None, None, None, 2]


# -- the page's parts ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def frame() -> Any:
    return build_frame(FakeBoundaries().geojson())


def _by_name(frame: Any, layers: Any) -> dict[str, tuple[str, str]]:
    return dict(zip(frame.names, zip(layers.fills, layers.labels, strict=True), strict=True))


def test_the_map_is_unknown_before_the_data_began_and_shaded_on_one_scale(frame: Any) -> None:
    names = list(frame.names)
    r = build_replay({"feeds": FEEDS, "buckets": BUCKETS, "gauges": GAUGES}, NOW, 6, names)
    first = replay_layers(r, 0, frame)
    assert set(first.fills) == {UNKNOWN_FILL}
    assert all(label.endswith(f"<b>{DASH}</b>") for label in first.labels)
    noon = _by_name(frame, replay_layers(r, 2, frame))
    quiet = _by_name(frame, replay_layers(r, 4, frame))
    assert noon["Tallo"][1].endswith("<b>3</b>") and noon["Wajo"][1].endswith("<b>1</b>")
    assert noon["Tallo"][0] not in (NONE_FILL, UNKNOWN_FILL) and noon["Tallo"][0] != noon["Wajo"][0]
    assert quiet["Tallo"] [0] == NONE_FILL and quiet["Tallo"][1].endswith("<b>0</b>")
    assert not first.complaints.x and not first.incidents.x, "no live points on a replayed hour"
    no_breakdown = replay_layers(r, 3, frame)
    assert set(no_breakdown.fills) == {UNKNOWN_FILL}


def test_banner_tiles_and_progress_say_which_hour_and_what_is_unknown() -> None:
    r = six()
    tr_id, tr_en = translator("id"), translator("en")
    assert banner_text(r, 2, tr_id, "id", NOW) == "PUTAR ULANG · 12:00–13:00 WITA · jam 3 dari 6"
    assert banner_text(r, 2, tr_en, "en", NOW) == "REPLAY · 12:00–13:00 WITA · hour 3 of 6"
    assert banner_text(r, 5, tr_id, "id", NOW) == "PUTAR ULANG · 15:00–sekarang WITA · jam 6 dari 6"
    assert banner_text(r, 0, tr_id, "id", NOW + 86400) == "PUTAR ULANG · 3 Des 10:00–11:00 WITA · jam 1 dari 6"
    assert [step_index(n, r) for n in (0, 1, 5, 6, 13)] == [0, 1, 5, 0, 1], "loops"
    parts = replay_parts(r, 0, tr_id, "id", NOW, 6)
    tiles = {t.children[0].children: (t.children[1].children, t.children[2].children) for t in parts["tiles"]}
    assert tiles["Aduan masuk"] == (DASH, "sebelum data dimulai")
    assert tiles["Insiden baru"] == ("0", "dalam jam ini")
    assert tiles["Aduan terbuka"] == (DASH, "tak tercatat jam ini")
    noon = replay_parts(r, 2, tr_id, "id", NOW, 6)
    tiles = {t.children[0].children: (t.children[1].children, t.children[2].children) for t in noon["tiles"]}
    assert tiles["Aduan masuk"] == ("4", "dihitung sejak 12:15")
    assert tiles["Aduan terbuka"] == ("10", "di akhir jam ini")
    assert tiles["Transaksi"][0] == DASH
    total = noon["tiles"][-1]
    assert [c.children for c in total.children] == ["Total 6 jam", "11", "aduan masuk", "selesai 1 · insiden baru 3",
                                                     "dihitung sejak 12:15"], "over the known hours, since when"
    segs = noon["progress"]
    assert [s.className.split()[1] for s in segs] == ["done", "done", "now", "next", "next", "next"]
    assert [s.children[2].children for s in segs] == [DASH, DASH, "4", "5", "0", "2"]
    assert noon["panel"][0].children[1].children == "Tallo 3 · Wajo 1"
    assert replay_parts(r, 5, tr_id, "id", NOW, 6)["panel"][1].children[1].children == "Tallo 1 · di luar kota 1"


def test_nothing_read_yet_still_says_replay_and_shows_no_number(frame: Any) -> None:
    parts = replay_parts(None, 0, translator("id"), "id", NOW, 6)
    assert parts["banner"].startswith("PUTAR ULANG")
    assert {t.children[1].children for t in parts["tiles"]} == {DASH}
    assert set(replay_layers(None, 0, frame).fills) == {UNKNOWN_FILL}


# -- the URL and the setting -------------------------------------------------------------------
def test_the_url_asks_for_the_replay_and_its_hours() -> None:
    assert page.wanted("/wall/replay", "") and page.wanted("/wall", "?replay=8") and page.wanted("/wall", "?replay")
    assert not page.wanted("/wall", "") and not page.wanted("/mayor", "?replay=8") and not page.wanted(None, None)
    assert page.hours_asked("?jam=12", 8) == (12, None)
    assert page.hours_asked("?replay=24", 8) == (24, None)
    assert page.hours_asked("", 8) == (8, None) and page.hours_asked("?replay=", 6) == (6, None)
    assert page.hours_asked("?jam=7", 8) == (None, "7")
    assert page.hours_asked("?replay=<b>x</b>", 8) == (None, "<b>x</b>")


def test_a_bad_choice_gets_a_clear_error_on_the_page(boundaries: FakeBoundaries) -> None:
    screen = ScreenContext(Settings(auth="open"), build_frame(boundaries.geojson()), tuple(boundaries.names),
                           FakeSource(None))
    root = page.layout(screen, "id", "?jam=7")
    banner = root.children[0]
    assert banner.role == "alert"
    assert banner.children[1].children == "Bukan pilihan putar ulang: 7. Pilih 6, 8, 12, 24 jam."
    assert page.layout(screen, "en", "?jam=5").children[0].children[1].children == \
        "Not a replay choice: 5. Choose 6, 8, 12, 24 hours."


def test_the_replay_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings().replay_hours, Settings().replay_step_seconds) == (8, 6)
    monkeypatch.setenv("MARVEC_REPLAY_HOURS", "12")
    monkeypatch.setenv("MARVEC_REPLAY_STEP_SECONDS", "3")
    s = load_settings()
    assert (s.replay_hours, s.replay_step_seconds) == (12, 3)
    for name, bad in (("MARVEC_REPLAY_HOURS", "7"), ("MARVEC_REPLAY_HOURS", "eight"), ("MARVEC_REPLAY_STEP_SECONDS", "1")):
        monkeypatch.setenv("MARVEC_REPLAY_HOURS", "8")
        monkeypatch.setenv("MARVEC_REPLAY_STEP_SECONDS", "6")
        monkeypatch.setenv(name, bad)
        with pytest.raises(SettingsError) as err:
            load_settings()
        assert err.value.setting == name and "\n" not in str(err.value)


# -- Redis: events in three hours land in those hours, per kecamatan ----------------------------
FEED_OF = {f"t.{f}": f for f in ("complaints", "economy", "disasters")}


def _fold(client: redis.Redis, events: list[dict[str, Any]], feeds: list[str], now: float) -> None:
    records = [Record(f"t.{feed}", 0, i, orjson.dumps(ev)) for i, (feed, ev) in enumerate(zip(feeds, events, strict=True))]
    fold = RedisFold(client, dedupe_hours=48, retention_hours=48)
    fold.claim_epoch("test")
    fold.apply(decode_batch(records, FEED_OF, now, boundaries()), now, "test")


@pytest.mark.integration
def test_events_in_three_hours_land_in_those_hours_buckets_per_kecamatan(redis_client: redis.Redis) -> None:
    real_now = time.time()
    h = int(real_now // 3600)
    # Three hours ago, two hours ago, this hour: (minutes into the hour, Losari complaints,
    # Unhas complaints, new incidents in Tallo, transactions).
    plan = {h - 2: (10, 2, 1, 1, 3), h - 1: (20, 0, 3, 0, 0), h: (0, 1, 0, 2, 1)}
    events, feeds = [], []
    for hour, (minute, up, th, inc, tx) in plan.items():
        t = hour * 3600 + minute * 60 + 5
        ago = real_now - t
        for i in range(up + th):
            events.append(complaint(f"C-{hour}-{i}", "received", ago, now=real_now,
                                    location=LOSARI if i < up else UNHAS))
            feeds.append("complaints")
        for i in range(inc):
            events.append(incident(f"I-{hour}-{i}", "reported", ago, hazard="flood", severity=2, kecamatan="Tallo"))
            feeds.append("disasters")
        if tx:
            events.append(transactions(f"R-{hour}", tx, tx * 1000, ago))
            feeds.append("economy")
    events.append(complaint(f"C-{h - 2}-0", "resolved", real_now - (h - 1) * 3600 - 60, now=real_now))
    feeds.append("complaints")  # resolved in the hour before this one
    _fold(redis_client, events, feeds, real_now)

    k = Keys()
    bucket = {hour: {f.decode(): int(v) for f, v in redis_client.hgetall(k.hour_bucket(hour)).items()}
              for hour in plan}
    assert bucket[h - 2]["c:received"] == 3
    assert (bucket[h - 2]["c:k:Ujung Pandang"], bucket[h - 2]["c:k:Tamalanrea"]) == (2, 1)
    assert bucket[h - 2]["d:new"] == 1 and bucket[h - 2]["d:k:Tallo"] == 1
    assert bucket[h - 1]["c:k:Tamalanrea"] == 3 and "c:k:Ujung Pandang" not in bucket[h - 1]
    assert bucket[h - 1]["c:resolved"] == 1 and "d:new" not in bucket[h - 1]
    assert bucket[h]["c:k:Ujung Pandang"] == 1 and bucket[h]["d:k:Tallo"] == 2
    assert 0 < redis_client.ttl(k.hour_bucket(h)) <= HOUR_BUCKET_TTL
    # The per-kecamatan fields are in the hour buckets only, not in the 25 h of minutes.
    minute = int((h - 2) * 60 + 10)
    m = {f.decode() for f in redis_client.hgetall(k.minute_bucket(minute))}
    assert "c:received" in m and not any(f.startswith(("c:k:", "d:k:")) for f in m)

    names = boundaries().names
    r = ReplayReader(redis_client).read(6, names, real_now)
    # Marvec began receiving now (first_applied_ts): the backlog's earlier hours are not
    # known complete, so they are unknown, never counted as 0; this hour is known.
    assert [i.received for i in r.items][:-1] == [None] * 5
    assert r.items[-1].received == 1 and r.items[-1].current
    assert r.items[-1].received_by_kecamatan is not None
    assert r.items[-1].received_by_kecamatan["Ujung Pandang"] == 1
    assert r.items[-1].incidents_by_kecamatan is not None and r.items[-1].incidents_by_kecamatan["Tallo"] == 2
    assert (r.items[-1].open, r.items[-1].active) == (6, 3), "sampled at the commit, this hour"
    assert r.items[-2].open is None, "nothing was committed in the hour before"

    # Once Marvec has been receiving all along, the same buckets read as those hours' counts.
    for feed in ("complaints", "disasters", "economy"):
        redis_client.hset(k.feed(feed), mapping={"first_event_ts": repr(real_now - 86400),
                                                 "first_applied_ts": repr(real_now - 86400)})
    r = ReplayReader(redis_client).read(6, names, real_now)
    assert [i.received for i in r.items] == [0, 0, 0, 3, 3, 1]
    assert [i.resolved for i in r.items] == [0, 0, 0, 0, 1, 0]
    assert [i.incidents_new for i in r.items] == [0, 0, 0, 1, 0, 2]
    assert [i.tx_count for i in r.items] == [0, 0, 0, 3, 0, 1]
    assert [(i.received_by_kecamatan or {}).get("Tamalanrea") for i in r.items] == [0, 0, 0, 1, 3, 0]
    assert r.received_max == 3


@pytest.mark.integration
def test_the_source_reads_the_replay_once_per_refresh_and_keeps_the_last(redis_client: redis.Redis) -> None:
    clock = [NOW]
    calls = []
    source = SnapshotSource(lambda: redis_client, kecamatan_names=NAMES, clock=lambda: clock[0])
    real = ReplayReader.raw

    def counting(self: ReplayReader, now: float, hours: int) -> dict[str, Any]:
        calls.append(hours)
        return real(self, now, hours)

    ReplayReader.raw = counting  # type: ignore[method-assign]
    try:
        first = source.replay(8)
        assert first is not None and first.hours == 8 and source.replay(8) is first
        clock[0] += REPLAY_REFRESH_S - 0.5
        assert source.replay(8) is first and calls == [8]
        clock[0] += 1
        assert source.replay(8) is not first and calls == [8, 8]
        with pytest.raises(ValueError):
            source.replay(7)
    finally:
        ReplayReader.raw = real  # type: ignore[method-assign]


# -- in the browser ------------------------------------------------------------------------------
STEP_S = 2


@pytest.fixture(scope="module")
def replay_app(boundaries: FakeBoundaries) -> Iterator[tuple[str, FakeSource]]:
    source = FakeSource(rich_snapshot(boundaries=boundaries))
    source.replays[6] = rich_replay(6, names=boundaries.names)
    settings = Settings(auth="open", lang="id", refresh_ms=500, replay_step_seconds=STEP_S)
    server = AppServer(create_app(settings, boundaries, source).server)
    yield server.url, source
    server.close()


def _fills(driver: Any) -> list[str]:
    """The kecamatan fills as drawn (the polygon traces come first)."""
    return driver.execute_script(
        "var g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        "return g && g.data ? g.data.slice(0, arguments[1]).map(function (t) { return t.fillcolor; }) : [];",
        page.PAGE.map, len(FakeBoundaries().names))


@pytest.mark.browser
@pytest.mark.skipif(not HAVE_CHROMIUM, reason="needs chromium and chromedriver")
def test_the_wall_replays_the_hours_and_the_map_moves_with_them(
    browser: Any, replay_app: tuple[str, FakeSource],
) -> None:
    base, source = replay_app
    r = source.replays[6]
    tr = translator("id")
    set_viewport(browser, 1920, 1080)
    browser.get(base + "/wall?replay=6")
    wait(browser).until(lambda d: texts(d, ".replay-banner") and len(set(_fills(d))) > 1)

    def shown(d: Any) -> tuple[int, str, list[str], str]:
        """The hour on screen (banner, fills, received tile), read in one go: one step's
        response updates them together, so they belong to the same hour."""
        banner, fills, value = d.execute_script(
            "var g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
            "var t = document.querySelector(\"[data-kpi='replay.received'] .tile-value\");"
            "return [document.querySelector('.replay-banner').innerText.trim(),"
            " g.data.slice(0, arguments[1]).map(function (x) { return x.fillcolor; }), t ? t.innerText : ''];",
            page.PAGE.map, len(FakeBoundaries().names))
        n = int(banner.rsplit(" jam ", 1)[1].split(" ")[0])
        return n, banner, fills, value

    n, banner, fills, value = shown(browser)
    assert banner == banner_text(r, n - 1, tr, "id", time.time()), "PUTAR ULANG · hh:00–hh:00 WITA · jam n dari 6"
    assert value == str(r.items[n - 1].received)
    assert not browser.find_elements(By.CSS_SELECTOR, ".pills .pill"), "no live freshness pills"
    assert not browser.find_elements(By.CSS_SELECTOR, ".ticker"), "no live ticker"
    following = n % 6 + 1
    _, banner2, fills2, value2 = wait(browser, STEP_S + 8).until(
        lambda d: (now := shown(d))[0] == following and now)
    assert banner2.endswith(f"jam {following} dari 6") and banner2 != banner
    assert fills2 != fills, "the map's shading follows the hour"
    assert value2 == str(r.items[following - 1].received)
    assert texts(browser, ".replay-seg.now .replay-seg-time") == [texts(browser, ".replay-seg-time")[following - 1]]
    link = browser.find_element(By.CSS_SELECTOR, "a.replay-live")
    assert link.get_attribute("href").endswith("/wall")
    browser.save_screenshot("/tmp/wall_replay.png")
    assert severe_console_errors(browser) == []


@pytest.mark.browser
@pytest.mark.skipif(not HAVE_CHROMIUM, reason="needs chromium and chromedriver")
def test_space_pauses_the_replay_and_the_arrows_step_it(browser: Any, replay_app: tuple[str, FakeSource]) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys as Key

    base, _ = replay_app
    set_viewport(browser, 1920, 1080)
    browser.get(base + "/wall/replay?jam=6")
    wait(browser).until(lambda d: " dari 6" in (texts(d, ".replay-banner") or [""])[0])

    def hour() -> int:
        banner = (texts(browser, ".replay-banner") or [" jam 0 dari"])[0]
        return int(banner.rsplit(" jam ", 1)[1].split(" ")[0])

    def said_paused() -> str:  # the banner's ::after (not in innerText)
        return str(browser.execute_script(
            "return getComputedStyle(document.querySelector('.replay-banner'), '::after').content"))

    def plus(n: int, k: int) -> int:
        return (n - 1 + k) % 6 + 1

    keys = ActionChains(browser)
    assert said_paused() in ("none", "normal", "")
    keys.send_keys(" ").perform()
    wait(browser).until(lambda d: "paused" in (d.find_element(By.ID, page.PAGE.root).get_attribute("class") or ""))
    assert said_paused() == '" · JEDA"'
    time.sleep(1.0)  # a step already in flight when Space was pressed lands
    held = hour()
    time.sleep(STEP_S + 1.5)
    assert hour() == held, "paused: no step"
    keys.send_keys(Key.ARROW_RIGHT).send_keys(Key.ARROW_RIGHT).perform()
    wait(browser).until(lambda d: hour() == plus(held, 2))
    keys.send_keys(Key.ARROW_LEFT).perform()
    wait(browser).until(lambda d: hour() == plus(held, 1))
    for _ in range(held + 1):  # from hour held + 1, back past the first: the last hour
        keys.send_keys(Key.ARROW_LEFT).perform()
    wait(browser).until(lambda d: hour() == 6)
    keys.send_keys(" ").perform()
    moved = hour()
    wait(browser, STEP_S + 8).until(lambda d: hour() != moved)
    assert said_paused() in ("none", "normal", ""), "resumed"
    browser.find_element(By.CSS_SELECTOR, ".btn.lang").click()
    wait(browser).until(lambda d: (texts(d, ".replay-banner") or [""])[0].startswith("REPLAY · "))
    assert " of 6" in texts(browser, ".replay-banner")[0] and texts(browser, "a.replay-live") == ["← Back to live"]
    browser.find_element(By.CSS_SELECTOR, ".btn.lang").click()  # the next test's page in Bahasa again
    wait(browser).until(lambda d: (texts(d, ".replay-banner") or [""])[0].startswith("PUTAR ULANG · "))
    assert severe_console_errors(browser) == []
