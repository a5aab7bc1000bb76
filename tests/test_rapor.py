"""/rapor, the OPD report card: the score (hand-worked), the table's text, the awareness
map, the page in headless Chromium at the tablet's two sizes, and its roles."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import flask
import pytest
import redis
from selenium.webdriver.common.by import By

from dashboard.app import create_app
from dashboard.auth import make_display_token
from dashboard.components import ids
from dashboard.pages import rapor as page
from layers.mapframe import build_frame
from layers.rapor import (
    UNASSIGNED_KEY,
    UNSURVEYED_FILL,
    awareness_layers,
    awareness_split,
    opd_scores,
    rank_scores,
    rapor_detail,
    rapor_table,
    score_opd,
)
from marvec.i18n import translator
from marvec.settings import Settings
from marvec.snapshot import Awareness, OpdStats, PublicInfo, Snapshot
from tests.snapshot_fixtures import FakeBoundaries, FakeSource, rich_snapshot
from tests.test_screens_rig import (
    BROWSER,
    set_viewport,
    wait,
    wait_contains,
    wait_gone,
    wait_text,
)

pytest_plugins = ["tests.test_screens_rig"]  # base, browser, driver, source...
TR = translator("id")


def hand_set() -> Snapshot:
    """Four OPDs worked by hand (POSTS_TARGET 7, REACH_TARGET 10 000):

    A: sla 90, backlog 100*(1-2/10)=80 -> service 85; posts 100, reach 100 -> info 100;
       0.6*85 + 0.4*100 = 91.0
    B: sla 30, backlog 100*(1-12/20)=40 -> 35; posts 100, reach 20 -> 60; 21 + 24 = 45.0 (lags)
    C: sla unknown, backlog 100*(1-2/8)=75 -> 75; posts 100, reach unknown -> 100; 45 + 40 = 85.0
    D: open 0 (no backlog), sla unknown, no posts or reach: no score, unranked
    """
    snap = rich_snapshot(now=1_780_000_000.0)
    by_opd = {
        "A": OpdStats(open=10, overdue=2, resolved=30, median_resolution_h=5.0, within_sla_share=0.9),
        "B": OpdStats(open=20, overdue=12, resolved=4, median_resolution_h=80.0, within_sla_share=0.3),
        "C": OpdStats(open=8, overdue=2, resolved=None, median_resolution_h=None, within_sla_share=None),
        "D": OpdStats(open=0, overdue=0, resolved=None, median_resolution_h=None, within_sla_share=None),
    }
    pi = PublicInfo(posts_7d={"A": 7, "B": 14, "C": 9}, reach_7d={"A": 20_000, "B": 2_000},
                    posts_7d_by_channel={"A": {"instagram": 5, "website": 2}, "B": {"x": 14}, "C": {"tiktok": 9}})
    unassigned = OpdStats(open=6, overdue=3, resolved=None)
    return snap.model_copy(update={
        "complaints": snap.complaints.model_copy(update={"by_opd": by_opd, "unassigned": unassigned}),
        "publicinfo": pi})


def with_publicinfo(snap: Snapshot) -> Snapshot:
    """The rich fixture plus a week of posts and two survey topics (some kecamatan unsurveyed)."""
    pi = PublicInfo(
        posts_7d={"DPU": 3, "DLH": 9, "PDAM": 1, "DISHUB": 12, "SATPOLPP": 5, "DINKES": 7, "DISKOMINFO": 21},
        reach_7d={"DPU": 4_200, "DLH": 15_300, "DISHUB": 8_800, "DINKES": 12_000, "DISKOMINFO": 56_000},
        posts_7d_by_channel={"DLH": {"instagram": 6, "facebook": 3}, "DISKOMINFO": {"instagram": 11, "website": 10}},
        awareness={
            "makaverse": Awareness(respondents=1_240, aware_pct=41.5, want_to_know_pct=38.0, not_interested_pct=20.5,
                                   by_kecamatan={"Mariso": 62.0, "Tamalate": 18.5, "Panakkukang": 47.0, "Wajo": 0.0}),
            "sombere_smart_city": Awareness(respondents=300, aware_pct=70.0, want_to_know_pct=20.0,
                                            not_interested_pct=10.0, by_kecamatan={"Tallo": 81.0}),
        })
    return snap.model_copy(update={
        "publicinfo": pi, "complaints": snap.complaints.model_copy(update={"unassigned": OpdStats(open=17, overdue=4)})})


# -- the score ------------------------------------------------------------------------
def test_the_hand_worked_set_scores_and_ranks_exactly() -> None:
    scores = {s.opd: s for s in opd_scores(hand_set())}
    assert [(s.opd, s.score, s.rank, s.lagging) for s in opd_scores(hand_set())] == [
        ("A", 91.0, 1, False), ("C", 85.0, 2, False), ("B", 45.0, 3, True), ("D", None, None, False)]
    a, b, c = scores["A"], scores["B"], scores["C"]
    assert (a.sla, a.backlog, a.service, a.posts, a.reach, a.information) == (90.0, 80.0, 85.0, 100.0, 100.0, 100.0)
    assert (b.service, b.information) == (35.0, 60.0)
    assert (c.sla, c.backlog, c.service, c.reach, c.information) == (None, 75.0, 75.0, None, 100.0), \
        "C's unknown SLA and reach leave their weight out"


def test_unknown_sub_scores_are_renormalised_and_no_data_is_unranked() -> None:
    info_only = score_opd("E", None, 14, 1_000)
    assert (info_only.service, info_only.information, info_only.score) == (None, 55.0, 55.0), "40% -> 100%"
    service_only = score_opd("F", OpdStats(open=4, overdue=1, within_sla_share=0.5), None, None)
    assert (service_only.service, service_only.score) == (62.5, 62.5)
    nothing = score_opd("G", OpdStats(open=0, overdue=0, resolved=None), None, None)
    assert nothing.score is None and rank_scores([nothing])[0].rank is None


def test_ties_share_a_rank_and_the_bottom_quartile_lags() -> None:
    eight = [score_opd(f"O{i}", None, 7, 10_000 - 1_000 * i) for i in range(8)]  # 100 ... 65
    eight.append(score_opd("T", None, 7, 9_000))  # ties O1 at 95
    ranked = rank_scores(eight)
    assert [(s.opd, s.rank) for s in ranked[:4]] == [("O0", 1), ("O1", 2), ("T", 2), ("O2", 4)]
    assert [s.opd for s in ranked if s.lagging] == ["O6", "O7"], "9 ranked: the 2 lowest ranks, all scores >= 50"


# -- the table and the detail ---------------------------------------------------------
def text_of(node: Any) -> str:
    if isinstance(node, str | int | float):
        return str(node)
    if node is None:
        return ""
    children = getattr(node, "children", None)
    if isinstance(children, list | tuple):
        return " ".join(" ".join(t.split()) for t in (text_of(c) for c in children) if t.strip())
    return text_of(children)


def rows_of(table: Any) -> list[list[str]]:
    body = table.children[1]
    return [[text_of(td) for td in tr.children] for tr in body.children]


def test_the_table_shows_ranks_scores_and_dashes_never_zero() -> None:
    rows = rows_of(rapor_table(hand_set(), TR, "id"))
    assert rows == [
        ["1", "A", "91", "10", "2", "90%", "–", "–", "7", "20.000", "–"],
        ["2", "C", "85", "8", "2", "–", "–", "–", "9", "–", "–"],
        ["3", "B tertinggal", "45", "20", "12", "30%", "–", "–", "14", "2.000", "–"],
        ["–", "D", "–", "0", "0", "–", "–", "–", "–", "–", "–"],
        ["–", "Belum didisposisi", "–", "6", "3", "–", "–", "–", "–", "–", "–"],
    ]
    table = rapor_table(hand_set(), TR, "id")
    lagging = [getattr(tr, "data-opd") for tr in table.children[1].children if "rapor-lagging" in tr.className]
    assert lagging == ["B"]


def test_the_detail_sheet_has_its_numbers_channels_and_parts() -> None:
    text = text_of(rapor_detail(hand_set(), "A", TR, "id"))
    for part in ("peringkat 1 dari 3", "Instagram 5", "Situs web 2", "Jangkauan 20.000", "Median selesai 5,0 jam",
                 "Selesai 30", "Layanan (60%) 85", "tepat waktu 90"):
        assert part in text, part
    c = text_of(rapor_detail(hand_set(), "C", TR, "id"))
    assert "Jangkauan –" in c and "Selesai –" in c and "TikTok 9" in c
    assert "tanpa peringkat" in text_of(rapor_detail(hand_set(), "D", TR, "id"))
    assert "Terbuka 6" in text_of(rapor_detail(hand_set(), UNASSIGNED_KEY, TR, "id"))
    assert rapor_detail(hand_set(), "NOPE", TR, "id") is None


def test_unsurveyed_kecamatan_are_grey_dashes_not_zero() -> None:
    b = FakeBoundaries()
    frame = build_frame(b.geojson())
    aw = with_publicinfo(rich_snapshot(boundaries=b)).publicinfo.awareness["makaverse"]
    layers = awareness_layers(frame, aw, "id")
    by_name = dict(zip(frame.names, zip(layers.fills, layers.labels, strict=True), strict=True))
    assert by_name["Tallo"][0] == UNSURVEYED_FILL and by_name["Tallo"][1].endswith("<b>–</b>")
    assert by_name["Wajo"][0] != UNSURVEYED_FILL and by_name["Wajo"][1].endswith("<b>0%</b>"), "surveyed 0% is 0%"
    assert by_name["Mariso"][1].endswith("<b>62%</b>")
    assert "Tahu 41,5%" in text_of(awareness_split(aw, TR, "id"))
    assert "Belum ada survei" in text_of(awareness_split(None, TR, "id"))


def test_the_page_renders_before_any_data_and_in_english() -> None:
    from dashboard.components.context import ScreenContext

    b = FakeBoundaries()
    source = FakeSource(None)
    screen = ScreenContext(Settings(auth="open"), build_frame(b.geojson()), tuple(b.names), source,
                           clock=lambda: 1_780_000_000.0)
    view = page.render(screen, screen.read(), "id", 1.0, "DPU", None)
    assert text_of(view["table"]) == "Belum ada data OPD"
    assert view["detail"] is None and view["detail_class"] == "rapor-sheet hidden", "nothing to open yet"
    assert set(view["layers"].fills) == {UNSURVEYED_FILL} and view["topic_options"] == []
    source.set(with_publicinfo(rich_snapshot(boundaries=b)))
    en = page.render(screen, screen.read(), "en", 1.0, "DLH", "sombere_smart_city")
    assert text_of(en["table"]).startswith("# Agency Score Open Overdue Within SLA Response 4 wks Posts 7 days Reach Website")
    assert "rank 5 of 8" in text_of(en["detail"]) and en["detail_class"] == "rapor-sheet"
    assert en["topic"] == "sombere_smart_city" and "Aware 70.0%" in text_of(en["split"])
    assert page.render(screen, screen.read(), "id", 1.0, None, "gone")["topic"] == "makaverse", "most respondents"


# -- in the browser ---------------------------------------------------------------------
def _open(driver: Any, base: str, source: FakeSource, boundaries: FakeBoundaries, w: int, h: int) -> Snapshot:
    snap = with_publicinfo(rich_snapshot(boundaries=boundaries))
    source.set(snap)
    set_viewport(driver, w, h, touch=True)
    driver.get(base + "/rapor")
    wait_contains(driver, f"#{page.TABLE} tbody", "DISKOMINFO")
    return snap


@pytest.mark.parametrize(("width", "height"), [(1180, 820), (820, 1180)])
@BROWSER[0]
@BROWSER[1]
def test_rapor_fits_the_tablet_and_a_tap_opens_the_detail(
    driver: Any, base: str, source: FakeSource, boundaries: FakeBoundaries, width: int, height: int,
) -> None:
    snap = _open(driver, base, source, boundaries, width, height)
    scores = opd_scores(snap)
    rows = driver.execute_script(
        "return [...document.querySelectorAll('#' + arguments[0] + ' tbody tr')].map(r =>"
        " [r.dataset.opd, r.querySelector('td.name').firstChild.textContent, !!r.querySelector('.rapor-lag-badge')])",
        page.TABLE)
    assert [r[1] for r in rows] == [s.opd for s in scores] + ["Belum didisposisi"], "best first, unassigned last"
    assert [r[0] for r in rows if r[2]] == [s.opd for s in scores if s.lagging] != [], "lagging ones flagged"
    fit = driver.execute_script(
        "const w = document.querySelector('.rapor-table-wrap');"
        "return [document.documentElement.scrollHeight, innerHeight, w.scrollHeight, w.clientHeight,"
        " document.documentElement.scrollWidth, innerWidth]")
    assert fit[0] == fit[1], "the page itself never scrolls"
    assert fit[2] <= fit[3], "every row of the table is in view, no scrolling inside it either"
    assert fit[4] <= fit[5], "no sideways scrolling"
    small = driver.execute_script(
        "return [...document.querySelectorAll('.rapor button, .rapor a, .rapor-row')]"
        ".map(e => e.getBoundingClientRect()).filter(r => r.width > 0 && (r.width < 44 || r.height < 44)).length")
    assert small == 0, "touch targets are 44 px or more"
    if width == 1180:
        driver.save_screenshot("/tmp/rapor_1180x820.png")
    else:
        driver.save_screenshot("/tmp/rapor_820x1180.png")
    driver.find_element(By.CSS_SELECTOR, f'#{page.TABLE} tr[data-opd="DLH"]').click()
    wait_text(driver, ".rapor-sheet:not(.hidden) h2", "DLH")
    wait_contains(driver, '.rapor-sheet [data-section="channels"]', "Instagram\n6")
    wait_contains(driver, '.rapor-sheet [data-section="info"]', "15.300")
    driver.save_screenshot(f"/tmp/rapor_{width}x{height}_detail.png")
    driver.find_element(By.CSS_SELECTOR, ".rapor-sheet .rapor-close").click()
    wait_gone(driver, ".rapor-sheet:not(.hidden)")
    driver.find_element(By.CSS_SELECTOR, f'#{page.TABLE} tr[data-opd="-"]').click()
    wait_text(driver, ".rapor-sheet:not(.hidden) h2", "Belum didisposisi")
    driver.find_element(By.CSS_SELECTOR, f"#{page.SCRIM}").click()
    wait_gone(driver, ".rapor-sheet:not(.hidden)")


@BROWSER[0]
@BROWSER[1]
def test_choosing_a_topic_shades_the_map_by_its_awareness(
    driver: Any, base: str, source: FakeSource, boundaries: FakeBoundaries,
) -> None:
    _open(driver, base, source, boundaries, 1180, 820)
    wait_contains(driver, f"#{page.SPLIT}", "Tahu\n41,5%")

    def fills() -> dict[str, str]:
        return driver.execute_script(
            "const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
            "return gd && gd.data ? Object.fromEntries(gd.data.filter(t => t.fill === 'toself')"
            ".map(t => [t.name, t.fillcolor])) : {};", page.PAGE.map)

    wait(driver).until(lambda d: fills().get("Tallo") == UNSURVEYED_FILL)
    driver.find_element(By.CSS_SELECTOR, f"#{page.TOPIC}").click()
    option = wait(driver).until(lambda d: [
        o for o in d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option") if "sombere_smart_city" in o.text])
    option[0].click()
    wait_contains(driver, f"#{page.SPLIT}", "Tahu\n70,0%")
    wait(driver).until(lambda d: fills().get("Tallo") not in (None, UNSURVEYED_FILL))
    assert fills()["Mariso"] == UNSURVEYED_FILL, "Mariso was not surveyed on this topic"


@BROWSER[0]
@BROWSER[1]
def test_the_fourth_nav_link_keeps_the_tablet_top_bars_on_one_row(driver: Any, base: str) -> None:
    set_viewport(driver, 1180, 820, touch=True)
    for path in ("/mayor", "/rapor"):
        driver.get(base + path)
        wait_contains(driver, ".topbar .nav-link.active", "Wali Kota" if path == "/mayor" else "Rapor")
        span, tallest = driver.execute_script(
            "const r = [...document.querySelectorAll('.topbar > *')].filter(e => e.offsetWidth)"
            ".map(e => e.getBoundingClientRect());"
            "return [Math.max(...r.map(b => b.bottom)) - Math.min(...r.map(b => b.top)), Math.max(...r.map(b => b.height))]")
        assert span <= tallest + 1, f"{path}: the top bar wrapped onto a second row"


# -- roles ----------------------------------------------------------------------------
SECRET = "rapor-test-secret-0123456789"
CALLBACK = "/_dash-update-component"


def router_body(pathname: str) -> dict[str, Any]:
    """The router's callback asked to render ``pathname`` (as ``tests/test_auth_callbacks.py``)."""
    return {"output": f"{ids.PAGE}.children", "outputs": {"id": ids.PAGE, "property": "children"},
            "inputs": [{"id": ids.URL, "property": "pathname", "value": pathname},
                       {"id": ids.LANG, "property": "data", "value": "id"},
                       {"id": ids.URL, "property": "search", "value": ""}],  # the wall's replay: ?replay=N
            "changedPropIds": [f"{ids.URL}.pathname"], "state": []}


@pytest.fixture
def guarded(redis_client: redis.Redis, users_file: Any) -> Iterator[flask.Flask]:  # noqa: F811
    from dashboard.source import SnapshotSource
    from geodata import load_boundaries

    b = load_boundaries(None)
    source = SnapshotSource(lambda: redis_client, b.names, refresh_s=60,
                            reader=lambda c, names: with_publicinfo(rich_snapshot(time.time(), b)))
    yield create_app(Settings(auth="required", secret_key=SECRET, users_file=users_file), b, source).server


def test_a_wall_token_cannot_open_rapor_but_the_mayor_can(guarded: flask.Flask) -> None:
    wall = guarded.test_client()
    token = make_display_token(Settings(auth="required", secret_key=SECRET), "lobby")
    assert wall.get(f"/login/token?t={token}").headers["Location"] == "/wall"
    assert wall.get("/rapor").status_code == 403
    denied = wall.post(CALLBACK, json=router_body("/rapor"))
    assert denied.status_code == 403 and "rapor-table" not in denied.get_data(as_text=True)
    pages = guarded.extensions["marvec_auth"].callback_pages
    own = [o for o, p in pages.items() if p == "rapor"]
    assert own, "the page's own callbacks are placed on /rapor"
    for output in own:
        spec = {"output": output, "inputs": [], "state": [], "changedPropIds": []}
        assert wall.post(CALLBACK, json=spec).status_code == 403, output
    crisis = guarded.test_client()
    assert log_in(crisis, "pusdalops").status_code == 302
    assert crisis.get("/rapor").status_code == 403
    mayor = guarded.test_client()
    assert log_in(mayor, "walikota").status_code == 302
    assert mayor.get("/rapor").status_code == 200
    body = mayor.post(CALLBACK, json=router_body("/rapor")).get_data(as_text=True)
    assert "rapor-table" in body and "DISKOMINFO" in body


from tests.test_auth import log_in, users_file  # noqa: E402, F401 -- fixture
