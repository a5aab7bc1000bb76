"""The mayor's briefings (issue #16): when they are due, the day's figures (never
invented), a real PDF and PNG from headless Chromium with the day's numbers, stored and
listed at /briefings for the mayor only, the link queued for each contact point, and
``marvec brief``."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import flask
import orjson
import pytest
import redis
from feeds import complaint
from streamrig import boundaries, fold_events, snap

from dashboard.app import create_app
from dashboard.auth import make_display_token
from dashboard.briefings import BriefingClock, make_briefing
from layers.mapframe import build_frame
from marvec.briefing import BriefingStore, day_figures, due, month_before, parse_clock, parse_id
from marvec.contract import WITA
from marvec.keys import Keys
from marvec.settings import Settings
from tests.test_rapor import SECRET, with_publicinfo

CHROMIUM = shutil.which("chromium") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")


def wita(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> float:
    return datetime(y, m, d, hh, mm, tzinfo=WITA).timestamp()


def test_the_daily_briefing_is_due_from_its_time_and_the_monthly_on_the_first() -> None:
    assert due(wita(2026, 12, 3, 6, 29), "06:30") == []
    assert due(wita(2026, 12, 3, 6, 30), "06:30") == [("daily", date(2026, 12, 3))]
    assert due(wita(2026, 12, 1, 7, 0), "06:30") == [("daily", date(2026, 12, 1)), ("monthly", date(2026, 12, 1))]
    assert month_before(date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))
    for bad in ("6.30", "24:00", "06:3", "x"):
        with pytest.raises(ValueError):
            parse_clock(bad)
    assert parse_id("daily-2026-12-03") == ("daily", date(2026, 12, 3))
    assert parse_id("daily-2026-13-03") is None and parse_id("../etc") is None


def test_a_bad_briefing_time_stops_the_command_in_one_line() -> None:
    from marvec.errors import SettingsError
    from marvec.settings import load_settings

    with pytest.raises(SettingsError) as err:
        load_settings(briefing_time="25:99")
    assert "MARVEC_BRIEFING_TIME" in str(err.value) and "\n" not in str(err.value)
    assert Settings(briefing_time="OFF").briefing_time == "off"


def test_a_day_is_known_only_as_far_as_the_data_covers_it() -> None:
    day = date(2026, 12, 2)
    raw = [{b"received": b"12", b"resolved": b"4"}, {b"r:DLH": b"3", b"ok:DLH": b"2", b"r:-": b"1"},
           {}, {b"n:DLH": b"2", b"c:DLH:instagram": b"2"}]
    f = day_figures(raw, day, complaints_since=wita(2026, 11, 1), economy_since=wita(2026, 12, 2, 9, 15),
                    posts_since=None)
    assert (f.received.value, f.resolved.value, f.on_time_pct.value) == (12, 4, 50.0)
    assert f.received.since is None, "covered all day"
    assert (f.tx_count.value, f.tx_amount.value) == (0, 0) and f.tx_count.since == wita(2026, 12, 2, 9, 15)
    assert f.posts.value is None, "no public information ever: unknown, not 0"
    later = day_figures(raw, day, wita(2026, 12, 3, 1), None, None)
    assert later.received.value is None and later.on_time_pct.value is None


# -- real Redis and Chromium --------------------------------------------------------------------
NOW = time.time()
H = 3600


def _yesterday_noon() -> float:
    today = datetime.fromtimestamp(NOW, WITA).date()
    y = today - timedelta(days=1)
    return datetime(y.year, y.month, y.day, 12, tzinfo=WITA).timestamp()


def fill(client: redis.Redis) -> None:
    """Complaints since two days ago: yesterday 3 received (one unassigned), 2 resolved."""
    noon = _yesterday_noon()
    ago = NOW - noon
    events = [
        complaint("B0", "received", ago + 30 * H, now=NOW, opd="DLH"),  # the day before: data began then
        complaint("B1", "received", ago + 2 * H, now=NOW, opd="DLH"),
        complaint("B1", "assigned", ago + 1 * H, now=NOW, opd="DLH"),
        complaint("B1", "resolved", ago, now=NOW, opd="DLH"),
        complaint("B2", "received", ago + 3 * H, now=NOW, opd="DPU"),
        complaint("B2", "resolved", ago - 1 * H, now=NOW, opd="DPU"),
        complaint("B3", "received", ago + 4 * H, now=NOW),
    ]
    res = fold_events(client, "complaints", events, NOW)
    assert res.accepted == len(events)


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


@needs_chromium
@pytest.mark.integration
def test_a_briefing_pdf_and_png_carry_the_days_figures_and_reach_the_contact_points(
    redis_client: redis.Redis, tmp_path: Path,
) -> None:
    fill(redis_client)
    frame = build_frame(boundaries().geojson())
    today = datetime.fromtimestamp(NOW, WITA).date()
    # Marvec began receiving just now (a backlog with older times): yesterday is not whole
    fresh = make_briefing(Settings(chromium=Path("/nonexistent")), redis_client, frame, snap(redis_client, NOW),
                          "daily", today, NOW, notify=False)
    named = dict(re.findall(r'<div class="name">([^<]*)</div><div class="value">([^<]*)</div>',
                            (BriefingStore(redis_client).file(fresh.stored.id, "html") or b"").decode()))
    assert named["Aduan masuk"] == "–" and named["Aduan selesai"] == "–", named
    redis_client.hset(Keys().feed("complaints"), "first_applied_ts", NOW - 3 * 86400)  # receiving for 3 days
    s = snap(redis_client, NOW)
    settings = Settings(alert_webhook_urls="http://hooks.example/a,http://hooks.example/b",
                        public_url="https://marvec.example")
    made = make_briefing(settings, redis_client, frame, s, "daily", today, NOW)
    assert made.rendered, made.why_not
    pdf = BriefingStore(redis_client).file(made.stored.id, "pdf")
    png = BriefingStore(redis_client).file(made.stored.id, "png")
    html = (BriefingStore(redis_client).file(made.stored.id, "html") or b"").decode()
    assert pdf is not None and pdf.startswith(b"%PDF-") and pdf_pages(pdf) >= 1
    assert png is not None and png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == 1240
    (tmp_path / "b.png").write_bytes(png)
    shutil.copy(tmp_path / "b.png", "/tmp/briefing_daily.png")
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\s+", " ", text)
    assert "Kemarin, sehari penuh" in text
    day = re.search(r'data-part="day">(.*?)</div></div></div>(?!<div class="tile)', html)
    assert day is not None
    tiles = re.findall(r'<div class="name">([^<]*)</div><div class="value">([^<]*)</div>', html)
    named = dict(tiles)
    assert named["Aduan masuk"] == "3" and named["Aduan selesai"] == "2", named
    assert named["Selesai tepat waktu"] == "100%" and named["Pos informasi OPD"] == "–"
    assert named["Aduan terbuka"] == str(s.complaints.open)
    listed = BriefingStore(redis_client).list()
    assert [b.id for b in listed] == [made.stored.id] and "aduan terbuka" in listed[0].summary
    outbox = [orjson.loads(m) for m in redis_client.zrange(Keys().alerts_outbox, 0, -1)]
    assert sorted(n["url"] for n in outbox) == ["http://hooks.example/a", "http://hooks.example/b"]
    link = outbox[0]["body"]["alerts"][0]["annotations"]["link"]
    assert link == f"https://marvec.example/briefings/{made.stored.id}.pdf"
    entry = orjson.loads(redis_client.lindex(Keys().warroom_log, 0))
    assert entry["kind"] == "briefing" and entry["link"] == link
    ttl = redis_client.ttl(Keys().briefing(made.stored.id))
    assert 88 * 86400 < ttl <= 90 * 86400, "kept 90 days"


@pytest.mark.integration
def test_without_chromium_the_html_is_kept_and_the_reason_said(redis_client: redis.Redis, tmp_path: Path) -> None:
    fill(redis_client)
    missing = tmp_path / "no-chromium"
    settings = Settings(chromium=missing)
    frame = build_frame(boundaries().geojson())
    made = make_briefing(settings, redis_client, frame, snap(redis_client, NOW), "monthly", date(2026, 12, 1), NOW)
    assert not made.rendered and "MARVEC_CHROMIUM" in (made.why_not or "")
    assert set(made.stored.sizes) == {"html"}
    html = (BriefingStore(redis_client).file(made.stored.id, "html") or b"").decode()
    assert "Rapor OPD bulanan" in html and "November 2026" in html


@pytest.mark.integration
def test_the_clock_makes_each_due_briefing_once_and_waits_for_data(redis_client: redis.Redis) -> None:
    settings = Settings(chromium=Path("/nonexistent"), briefing_time="06:30")
    frame = build_frame(boundaries().geojson())
    at = wita(2026, 12, 1, 6, 45)
    state: dict[str, Any] = {"snap": None}
    clocks = [BriefingClock(settings, lambda: redis_client, frame, lambda: state["snap"], clock=lambda: at)
              for _ in range(3)]
    assert [c.tick() for c in clocks] == [[], [], []], "no picture yet: nothing made"
    fill(redis_client)
    state["snap"] = snap(redis_client, NOW)
    made = [m.stored.id for c in clocks for m in c.tick()]
    assert sorted(made) == ["daily-2026-12-01", "monthly-2026-12-01"], "each once, by one of three workers"
    assert [m for c in clocks for m in c.tick()] == []


@pytest.fixture
def guarded(redis_client: redis.Redis, users_file: Any) -> Iterator[flask.Flask]:  # noqa: F811
    from dashboard.source import SnapshotSource
    from geodata import load_boundaries
    from tests.snapshot_fixtures import rich_snapshot

    b = load_boundaries(None)
    source = SnapshotSource(lambda: redis_client, b.names, refresh_s=60,
                            reader=lambda c, names: with_publicinfo(rich_snapshot(time.time(), b)))
    yield create_app(Settings(auth="required", secret_key=SECRET, users_file=users_file,
                              chromium=Path("/nonexistent")), b, source).server


@pytest.mark.integration
def test_briefings_are_listed_for_the_mayor_and_refused_to_a_wall(guarded: flask.Flask,
                                                                  redis_client: redis.Redis) -> None:
    fill(redis_client)
    frame = build_frame(boundaries().geojson())
    made = make_briefing(Settings(chromium=Path("/nonexistent")), redis_client, frame, snap(redis_client, NOW),
                         "daily", date(2026, 12, 3), NOW, notify=False)
    wall = guarded.test_client()
    token = make_display_token(Settings(auth="required", secret_key=SECRET), "lobby")
    wall.get(f"/login/token?t={token}")
    assert wall.get("/briefings").status_code == 403
    assert wall.get(f"/briefings/{made.stored.id}.html").status_code == 403
    mayor = guarded.test_client()
    assert log_in(mayor, "walikota").status_code == 302
    page = mayor.get("/briefings")
    assert page.status_code == 200 and made.stored.id in page.get_data(as_text=True)
    assert "Kamis, 3 Desember 2026" in page.get_data(as_text=True)
    one = mayor.get(f"/briefings/{made.stored.id}.html")
    assert one.status_code == 200 and one.mimetype == "text/html" and b"Briefing harian" in one.data
    assert "default-src 'none'" in one.headers["Content-Security-Policy"]
    assert mayor.get(f"/briefings/{made.stored.id}.pdf").status_code == 404, "not rendered: no PDF"
    assert mayor.get("/briefings/daily-2026-12-04.html").status_code == 404
    assert mayor.get("/briefings/..%2Fsecret.html").status_code == 404


from tests.test_auth import log_in, users_file  # noqa: E402, F401 -- fixture


@needs_chromium
@pytest.mark.integration
def test_marvec_brief_makes_one_on_demand_and_a_bad_date_is_one_line(
    redis_server: str, redis_client: redis.Redis, tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    fill(redis_client)
    env = {**os.environ, "MARVEC_REDIS_URL": redis_server, "MARVEC_LOG_LEVEL": "WARNING"}
    run = subprocess.run([sys.executable, "-m", "marvec", "brief", "--date", "2026-12-01", "--kind", "monthly",
                          "--out", str(tmp_path), "--no-notify"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("briefing monthly-2026-12-01 made (html ")
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["marvec-monthly-2026-12-01.html", "marvec-monthly-2026-12-01.pdf",
                     "marvec-monthly-2026-12-01.png"]
    assert (tmp_path / "marvec-monthly-2026-12-01.pdf").read_bytes().startswith(b"%PDF-")
    shutil.copy(tmp_path / "marvec-monthly-2026-12-01.png", "/tmp/briefing_monthly.png")
    assert redis_client.zcard(Keys().alerts_outbox) == 0, "--no-notify"
    bad = subprocess.run([sys.executable, "-m", "marvec", "brief", "--date", "3 Dec"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "marvec brief: error: --date: expected YYYY-MM-DD, got '3 Dec'")


def test_the_home_page_links_the_replay_and_the_briefings() -> None:
    from dashboard.pages import home
    from tests.test_rapor import text_of

    page = home.layout("id")
    links = [c for c in page.children[1].children]
    assert [getattr(c, "href", None) for c in links][-2:] == ["/wall/replay", "/briefings"]
    assert "Briefing harian Wali Kota dan rapor bulanan" in text_of(page)
