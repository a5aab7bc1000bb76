"""The mayor's week and month: the period sums (pure, by hand), from Redis, and the API."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import dash
import orjson
import pytest
import redis
from dash import html
from feeds import UNHAS, complaint, transactions
from streamrig import boundaries

from dashboard.auth import make_display_token
from dashboard.server import install_server
from dashboard.source import SnapshotSource
from layers.fmt import DASH
from layers.kpi import kpi_views
from layers.period import kecamatan_trend, map_values, period_views, valid_choice
from layers.tiles import kpi_tile
from marvec.contract import WITA
from marvec.keys import DAY_KEY_TTL, Keys
from marvec.period import MAX_DAYS, PeriodReader, build_period, window_days
from marvec.settings import Settings
from marvec.timeutil import day_start, iso, wita_day
from streams.decode import Record, decode_batch
from streams.sink import RedisFold

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=WITA).timestamp()  # Thursday 3 Dec, 15:00 WITA
NAMES = ["Tallo", "Wajo"]


def wita(day: int, hour: int = 0, month: int = 12) -> float:
    return datetime(2026, month, day, hour, 0, tzinfo=WITA).timestamp()


def day_hashes(days: int, by_date: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    return [by_date.get(wita_day(s + 43200), {}) for s in window_days(NOW, days)]


# -- pure: a hand-worked week ---------------------------------------------------------
# The complaints feed's oldest event is 30 Nov 08:00, but Marvec began receiving it on
# 1 Dec at 10:00 (a backlog loaded then): its days count from 1 Dec 10:00. 30 Nov's hash
# holds only what the backlog had: it must not be counted.
COMPLAINT_FEED = {"accepted": "40", "first_event_ts": repr(wita(30, 8, 11)), "first_applied_ts": repr(wita(1, 10))}
COMPLAINT_DAYS = {
    "20261130": {"received": "4", "k:Tallo": "4"},
    "20261201": {"received": "3", "resolved": "1", "k:Tallo": "2", "k:Wajo": "1"},
    "20261202": {"received": "5", "resolved": "2", "k:Tallo": "3"},  # k: short of received: no breakdown
    "20261203": {"received": "2", "k:Wajo": "2"},
}


def week(**extra: Any) -> Any:
    raw = {"feeds": {"complaints": COMPLAINT_FEED, "economy": {}},
           "complaint_days": day_hashes(7, COMPLAINT_DAYS), "tx_days": day_hashes(7, {})} | extra
    return build_period(raw, NOW, 7, NAMES)


def test_a_week_sums_only_the_days_after_the_data_began_and_says_since_when():
    p = week()
    assert p.day_starts[0] == iso(wita(27, 0, 11)) and p.day_starts[-1] == iso(wita(3))
    c = p.complaints
    assert c.received_per_day == [None, None, None, None, 3, 5, 2]  # 30 Nov's backlog: unknown
    assert c.resolved_per_day == [None, None, None, None, 1, 2, 0]
    assert (c.received, c.resolved) == (10, 3)
    assert c.since == iso(wita(1, 10))  # counted since receiving began, not "7 days"
    # Per kecamatan: only the latest run of days whose k: fields add up (3 Dec).
    assert c.received_by_kecamatan == {"Tallo": 0, "Wajo": 2}
    assert c.kecamatan_since == iso(wita(3))
    assert c.received_by_kecamatan_per_day["Tallo"] == [None, None, None, None, 2, None, 0]
    # No economy data at all: unknown, never 0.
    t = p.transactions
    assert (t.count, t.amount_idr, t.since) == (None, None, None)
    assert t.count_per_day == [None] * 7


def test_a_window_wholly_after_the_start_covers_every_day_and_zero_days_are_zero():
    econ = {"accepted": "9", "first_event_ts": repr(wita(1, 0, 11)), "first_applied_ts": repr(wita(1, 0, 11))}
    tx = {"20261203": {"count": "7", "amount": "70000"}, "20261125": {"count": "2", "amount": "5000"}}
    raw = {"feeds": {"complaints": {}, "economy": econ}, "complaint_days": day_hashes(7, {}),
           "tx_days": day_hashes(7, tx)}
    t = build_period(raw, NOW, 7, NAMES).transactions
    assert t.since is None  # the data began before the window: it covers all 7 days
    assert t.count_per_day == [0, 0, 0, 0, 0, 0, 7]  # a known day without a hash had none
    assert (t.count, t.amount_idr) == (7, 70000)
    month = build_period({"feeds": {"economy": econ}, "complaint_days": day_hashes(30, {}),
                          "tx_days": day_hashes(30, tx)}, NOW, 30, NAMES).transactions
    assert month.count_per_day[:5] == [0] * 5  # 4..8 Nov: after the data began on 1 Nov
    assert (month.count, month.amount_idr) == (9, 75000)
    assert month.since is None


def test_a_month_on_a_stack_two_days_old_is_counted_since_then_and_unknown_before():
    econ = {"accepted": "3", "first_event_ts": repr(wita(2, 9)), "first_applied_ts": repr(wita(2, 9))}
    tx = {"20261202": {"count": "1", "amount": "10"}, "20261203": {"count": "2", "amount": "20"}}
    month = build_period({"feeds": {"economy": econ}, "complaint_days": day_hashes(30, {}),
                          "tx_days": day_hashes(30, tx)}, NOW, 30, NAMES)
    assert month.transactions.count_per_day == [None] * 28 + [1, 2]
    assert (month.transactions.count, month.transactions.since) == (3, iso(wita(2, 9)))
    assert month.complaints.received is None and month.complaints.received_by_kecamatan is None


def test_a_store_from_before_first_event_ts_counts_the_days_it_has():
    legacy = {"accepted": "12"}
    p = build_period({"feeds": {"complaints": legacy}, "complaint_days": day_hashes(7, COMPLAINT_DAYS),
                      "tx_days": day_hashes(7, {})}, NOW, 7, NAMES)
    assert p.complaints.received_per_day == [None, None, None, 4, 3, 5, 2]
    assert p.complaints.since == iso(wita(30, 0, 11))


def test_days_outside_1_to_30_are_refused():
    with pytest.raises(ValueError, match=r"1\.\.30"):
        window_days(NOW, 31)
    with pytest.raises(ValueError):
        window_days(NOW, 0)
    assert MAX_DAYS * 86400 < DAY_KEY_TTL  # a 30-day window never reads an expired day


# -- pure: the page's figures ---------------------------------------------------------
def test_the_period_tiles_show_the_sums_since_when_and_one_bar_per_day():
    from layers.freshness import freshness
    from tests.snapshot_fixtures import rich_snapshot
    snap = rich_snapshot(NOW)
    views = period_views(kpi_views(snap, freshness(snap, True, NOW, 60)), week(), 7)
    by = {v.spec.key: v for v in views}
    received = by["complaints.received_today"]
    assert (received.value, received.window, received.spark) == (10.0, 7, [None] * 4 + [3.0, 5.0, 2.0])
    tx = by["economy.tx_amount_today"]
    assert tx.value is None and tx.detail == []
    assert by["complaints.open"].window is None  # a state: as today
    tr = lambda k: {"kpi.period.complaints.received_today": "Masuk · {n} hari",  # noqa: E731
                    "kpi.period.since": "dihitung sejak {time}", "kpi.period.unknown": "belum ada data"}.get(k, k)
    text = str(kpi_tile(received, tr, "id").to_plotly_json())
    assert "Masuk · 7 hari" in text and "dihitung sejak 1 Des" in text and "vs kemarin" not in text
    tx_text = str(kpi_tile(tx, tr, "id").to_plotly_json())
    assert f"'{DASH}'" in tx_text and "belum ada data" in tx_text
    assert map_values(week()) == {"Tallo": 0.0, "Wajo": 2.0}
    assert [v for _, v in kecamatan_trend(week(), "Tallo")] == [None, None, None, None, 2, None, 0]
    assert valid_choice("7d") == "7d" and valid_choice("<script>") == "today" and valid_choice(None) == "today"


def test_a_flow_tile_in_a_period_opens_the_periods_detail_not_todays():
    from dashboard.pages.mayor import sheet
    from layers.freshness import freshness
    from marvec.i18n import translator
    from tests.snapshot_fixtures import rich_snapshot
    from tests.test_rapor import text_of
    snap = rich_snapshot(NOW)
    tr = translator("id")
    fresh = freshness(snap, True, NOW, 60)
    text = text_of(sheet(snap, "kpi:complaints.received_today", tr, "id", NOW, fresh, period=week(), days=7))
    assert text.startswith("Masuk hari ini · 7 hari"), text
    assert "10 dihitung sejak 1 Des" in text, "the period's sum, counted since the data began"
    bars = re.findall(r"(–|\d+) (?:Kam|Jum|Sab|Min|Sen|Sel|Rab) \d+|(\d+|–) Hari ini", text)
    assert [a or b for a, b in bars] == ["–", "–", "–", "–", "3", "5", "2"], bars
    assert "Masuk per kecamatan Wajo 2" in text
    today = text_of(sheet(snap, "kpi:complaints.received_today", tr, "id", NOW, fresh))
    assert today.startswith("Masuk hari ini") and "7 hari" not in today
    kept = text_of(sheet(snap, "kpi:complaints.open", tr, "id", NOW, fresh, period=week(), days=7))
    assert "7 hari" not in kept, "a state tile opens what it is now"


# -- Redis: events over several WITA days -----------------------------------------------
FEED_OF = {f"t.{f}": f for f in ("complaints", "economy", "disasters")}


def apply_day(client: redis.Redis, events: list[tuple[str, dict[str, Any]]], now: float, offset: list[int]) -> None:
    """Fold ``events`` as a consumer running at ``now`` would (its first apply sets
    ``first_applied_ts``)."""
    records = []
    for feed, ev in events:
        records.append(Record(f"t.{feed}", 0, offset[0], orjson.dumps(ev)))
        offset[0] += 1
    fold = RedisFold(client, dedupe_hours=24 * 40, retention_hours=24 * 40)
    fold.claim_epoch("test")
    fold.apply(decode_batch(records, FEED_OF, now, boundaries()), now, "test")


@pytest.mark.integration
def test_events_over_several_wita_days_give_the_7_day_sums(redis_client: redis.Redis) -> None:
    import time
    real_now = time.time()
    today = day_start(real_now)
    offset = [0]
    # (days ago, complaints received in Ujung Pandang, in Tamalanrea, resolved, tx count, tx amount)
    plan = [(8, 5, 0, 0, 1, 1000), (5, 2, 1, 1, 3, 30000), (3, 0, 4, 2, 0, 0), (1, 1, 1, 0, 2, 5000),
            (0, 3, 0, 1, 4, 40000)]
    for ago, up, th, res, n, amount in plan:
        at = min(real_now, today - ago * 86400 + 10 * 3600)  # 10:00 WITA that day (or now, today)
        seconds = max(1.0, min(600.0, at - (today - ago * 86400) - 1))
        evs: list[tuple[str, dict[str, Any]]] = []
        for i in range(up + th):
            cid = f"C-{ago}-{i}"
            evs.append(("complaints", complaint(cid, "received", seconds, now=at, **({"location": UNHAS} if i >= up else {}))))
        for i in range(res):
            evs.append(("complaints", complaint(f"C-{ago}-{i}", "resolved", seconds / 2, now=at)))
        if n:
            evs.append(("economy", transactions(f"R-{ago}", n, amount, 0) | {"occurred_at": iso(at - seconds)}))
        apply_day(redis_client, evs, at, offset)
    names = boundaries().names
    p = PeriodReader(redis_client).read(7, names, real_now)
    c, t = p.complaints, p.transactions
    assert c.received_per_day == [0, 3, 0, 4, 0, 2, 3]  # 8 days ago is outside the window
    assert (c.received, c.resolved) == (12, 4)
    assert c.since is None  # receiving began 8 days ago: the whole week is covered
    assert c.received_by_kecamatan is not None
    assert c.received_by_kecamatan["Ujung Pandang"] == 6 and c.received_by_kecamatan["Tamalanrea"] == 6
    assert (t.count, t.amount_idr) == (9, 75000)
    # The day hash carries the kecamatan counts, summing to received, and lives 35 days.
    key = Keys().complaint_day(wita_day(today - 3 * 86400 + 43200))
    h = {k.decode(): v.decode() for k, v in redis_client.hgetall(key).items()}
    assert h["received"] == "4" and h["k:Tamalanrea"] == "4"
    assert redis_client.ttl(key) > 30 * 86400
    assert redis_client.hget(Keys().meta, "days_kept_from") is not None  # the writer said it keeps 35 days
    month = PeriodReader(redis_client).read(30, names, real_now)
    # ... but not the whole month: counted since the first apply, 8 days ago at 10:00.
    assert month.complaints.received == 17
    assert month.complaints.since == iso(today - 8 * 86400 + 10 * 3600)
    assert month.complaints.received_per_day[-9] == 5
    assert month.complaints.received_per_day[:21] == [None] * 21


# -- the API ---------------------------------------------------------------------------
def api_server(settings: Settings, client: redis.Redis) -> Any:
    app = dash.Dash(__name__)
    app.layout = html.Div("Marvec", id="page")
    install_server(app.server, settings, SnapshotSource(lambda: client, ["Mariso"], refresh_s=60), dash_app=app)
    return app.server.test_client()


@pytest.mark.integration
def test_the_period_api_answers_nulls_for_unknown_refuses_bad_days_and_needs_a_login(
        redis_client: redis.Redis) -> None:
    open_client = api_server(Settings(auth="open"), redis_client)
    body = open_client.get("/api/v1/period?days=30").get_json()
    assert body["days"] == 30 and len(body["day_starts"]) == 30
    assert body["complaints"]["received"] is None and body["transactions"]["amount_idr"] is None
    assert body["complaints"]["received_per_day"] == [None] * 30
    for bad in ("0", "31", "x", "-1", "7.5"):
        r = open_client.get(f"/api/v1/period?days={bad}")
        assert r.status_code == 400 and r.get_json()["error"] == "bad_days"
    assert open_client.get("/api/v1/period").get_json()["days"] == 7
    settings = Settings(auth="required", secret_key="test-secret-0123456789abcdef")
    guarded = api_server(settings, redis_client)
    assert guarded.get("/api/v1/period?days=7").status_code == 401
    token = make_display_token(settings, "lobby")  # a wall's token: it may read the snapshot, and this
    ok = guarded.get("/api/v1/period?days=7", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.get_json()["days"] == 7


def test_days_that_may_have_expired_under_the_old_9_day_retention_are_unknown_not_zero():
    """Marvec kept day keys 9 days before; the writer that keeps 35 began today at noon
    (``days_kept_from``): a day that ended more than 9 days before that may be gone."""
    econ = {"accepted": "9", "first_event_ts": repr(wita(1, 0, 10)), "first_applied_ts": repr(wita(1, 0, 10))}
    tx = {"20261110": {"count": "5", "amount": "50"}, "20261124": {"count": "2", "amount": "20"}}
    raw = {"feeds": {"economy": econ}, "complaint_days": day_hashes(30, {}), "tx_days": day_hashes(30, tx),
           "days_kept_from": repr(wita(3, 12))}
    t = build_period(raw, NOW, 30, NAMES).transactions
    assert t.count_per_day[:20] == [None] * 20  # 4..23 Nov: ended before 24 Nov 12:00
    assert t.count_per_day[20:] == [2] + [0] * 9  # 24 Nov: it ended after, so it is kept
    assert (t.count, t.since) == (2, iso(wita(24, 0, 11)))
    raw["days_kept_from"] = "0"  # after marvec rebuild: every day key was rewritten
    assert build_period(raw, NOW, 30, NAMES).transactions.count == 7


@pytest.mark.integration
def test_the_source_reads_a_period_at_most_every_5_s_and_keeps_the_last_one_while_redis_is_down(
        redis_client: redis.Redis) -> None:
    clock = [1_000.0]
    source = SnapshotSource(lambda: redis_client, ["Mariso"], refresh_s=1, clock=lambda: clock[0])
    first = source.period(7)
    assert first is not None and first.generated_at == iso(1_000.0)
    clock[0] += 3
    assert source.period(7) is first  # within 5 s: no second read
    clock[0] += 3
    again = source.period(7)
    assert again is not None and again is not first and again.generated_at == iso(1_006.0)
    with pytest.raises(ValueError):
        source.period(31)
    dead = SnapshotSource(lambda: redis.Redis(port=1, socket_connect_timeout=0.2), ["Mariso"], refresh_s=1,
                          clock=lambda: clock[0])
    assert dead.period(7) is None  # never read: none, not an invented one
    source._client = redis.Redis(port=1, socket_connect_timeout=0.2)  # Redis gone
    clock[0] += 6
    assert source.period(7) is again  # the last good one
