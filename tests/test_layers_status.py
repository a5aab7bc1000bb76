"""Freshness, focus rotation, KPI numbers and tiles (layers/freshness, focus, kpi, tiles)."""

from __future__ import annotations

from typing import Any

import pytest

from layers.fmt import fmt_clock
from layers.focus import crisis_incidents, wall_focus
from layers.freshness import banner, banner_lines, freshness, status_pills
from layers.kpi import KPI_BY_KEY, KPIS, kpi_view, kpi_views, price_alerts, sparkline_values
from layers.tiles import kpi_tile, sparkline
from marvec.i18n import translator
from tests.snapshot_fixtures import empty_snapshot, rich_snapshot, with_crisis, with_silent_feed

NOW = 1_795_000_000.0
TR = translator("id")
EN = translator("en")


def text_of(node: Any) -> str:
    """All text in a Dash component tree, in order."""
    if node is None:
        return ""
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list | tuple):
        return "".join(text_of(n) for n in node)
    return text_of(getattr(node, "children", None))


@pytest.fixture(scope="module")
def snap():
    return rich_snapshot(NOW)


# -- freshness -----------------------------------------------------------------------
def test_every_feed_live_when_recent(snap):
    fresh = freshness(snap, True, NOW + 1, 300)
    assert fresh.ok and fresh.all_live
    assert banner_lines(fresh, TR) == []
    assert banner(fresh, TR)[1] == "banner hidden"


def test_a_silent_feed_is_stale_with_the_time_of_its_last_data(snap):
    stale = with_silent_feed(snap, "economy", 1260, NOW)
    fresh = freshness(stale, True, NOW, 300)
    assert fresh.of("economy").state == "stale"
    assert fresh.of("economy").since == fmt_clock(NOW - 1260)
    assert fresh.of("complaints").live
    assert banner_lines(fresh, TR) == [f"Ekonomi: tidak ada data baru sejak {fmt_clock(NOW - 1260)}"]
    assert banner_lines(fresh, EN) == [f"Economy: no new data since {fmt_clock(NOW - 1260)}"]


def test_silence_grows_with_the_snapshots_own_age(snap):
    quiet = with_silent_feed(snap, "disasters", 200, NOW)
    assert freshness(quiet, True, NOW + 50, 300).of("disasters").live
    assert not freshness(quiet, True, NOW + 150, 300).of("disasters").live


def test_unreachable_backend_says_so_with_the_last_snapshot_time(snap):
    fresh = freshness(snap, False, NOW + 5, 300)
    assert not fresh.ok
    assert {s.state for s in fresh.feeds.values()} == {"down"}
    [line] = banner_lines(fresh, TR)
    assert "tidak terjangkau" in line and fmt_clock(NOW) in line
    assert banner(fresh, TR)[1] == "banner down"


def test_an_old_snapshot_served_as_ok_still_counts_as_down(snap):
    assert not freshness(snap, True, NOW + 301, 300).ok


def test_redis_not_ok_in_the_snapshot_counts_as_down(snap):
    assert not freshness(snap.model_copy(update={"redis_ok": False}), True, NOW, 300).ok


def test_no_snapshot_yet():
    assert banner_lines(freshness(None, False, NOW, 300), TR) == [TR("fresh.down_nodata")]
    fresh = freshness(empty_snapshot(NOW), True, NOW, 300)
    assert {s.state for s in fresh.feeds.values()} == {"none"}
    assert len(banner_lines(fresh, TR)) == 3


def test_pills_say_live_or_since_when(snap):
    fresh = freshness(with_silent_feed(snap, "economy", 1260, NOW), True, NOW, 300)
    pills = [text_of(p) for p in status_pills(fresh, TR)]
    assert pills[0] == "Aduan · langsung"
    assert pills[1] == f"Ekonomi · data terakhir {fmt_clock(NOW - 1260)}"
    compact = [text_of(p) for p in status_pills(fresh, TR, compact=True)]
    assert compact[0] == "Aduan"
    assert compact[1] == pills[1]


# -- focus ---------------------------------------------------------------------------
def test_focus_rotates_complaints_economy_disasters(snap):
    names = [wall_focus(snap, t, 30).name for t in (0, 31, 61, 91)]
    assert names == ["complaints", "economy", "disasters", "complaints"]
    assert wall_focus(snap, 15, 30).progress == pytest.approx(0.5)


def test_severity_four_takes_the_wall_to_crisis_and_keeps_it(snap):
    crisis = with_crisis(snap, NOW)
    assert {wall_focus(crisis, t, 30).name for t in range(0, 300, 7)} == {"crisis"}
    assert [i.incident_id for i in crisis_incidents(crisis)] == ["d-flood-crisis"]


def test_severity_three_does_not(snap):
    assert crisis_incidents(with_crisis(snap, NOW, severity=3)) == []


# -- KPIs ----------------------------------------------------------------------------
def test_nine_tiles_with_snapshot_values(snap):
    views = kpi_views(snap, freshness(snap, True, NOW, 300))
    assert [v.spec.key for v in views] == [s.key for s in KPIS]
    values = {v.spec.key: v.value for v in views}
    assert values["complaints.open"] == snap.complaints.open
    assert values["economy.tx_amount_today"] == snap.economy.transactions_today.amount_idr
    assert values["economy.price_alerts"] == 3


def test_delta_against_the_same_time_yesterday(snap):
    view = kpi_view(KPI_BY_KEY["complaints.open"], snap, freshness(snap, True, NOW, 300))
    assert view.delta == snap.complaints.open - snap.yesterday["complaints.open"]
    assert view.tone == "bad"
    resolved = kpi_view(KPI_BY_KEY["complaints.resolved_today"], snap, freshness(snap, True, NOW, 300))
    assert resolved.tone == "bad"  # fewer resolved than yesterday


def test_thresholds_colour_the_tiles(snap):
    fresh = freshness(snap, True, NOW, 300)
    assert kpi_view(KPI_BY_KEY["complaints.overdue"], snap, fresh).level == "alert"  # 55 >= 50
    assert kpi_view(KPI_BY_KEY["disasters.active"], snap, fresh).level == "warn"
    crisis = with_crisis(snap, NOW)
    assert kpi_view(KPI_BY_KEY["disasters.active"], crisis, freshness(crisis, True, NOW, 300)).level == "alert"


def test_price_alerts_are_rises_over_ten_percent_steepest_first(snap):
    assert [c for c, _ in price_alerts(snap)] == ["cabai_rawit", "cabai_merah", "bawang_merah"]


def test_tiles_of_a_stale_feed_say_from_when(snap):
    stale = with_silent_feed(snap, "economy", 1260, NOW)
    view = kpi_view(KPI_BY_KEY["economy.tx_amount_today"], stale, freshness(stale, True, NOW, 300))
    assert view.stale
    tile = kpi_tile(view, TR)
    assert "stale" in tile.className
    assert f"data terakhir {fmt_clock(NOW - 1260)}" in text_of(tile)


def test_tile_text_is_formatted_indonesian(snap):
    fresh = freshness(snap, True, NOW, 300)
    tile = kpi_tile(kpi_view(KPI_BY_KEY["economy.tx_amount_today"], snap, fresh), TR)
    text = text_of(tile)
    assert "Transaksi hari ini" in text and "Rp 4,81 M" in text and "38.417 transaksi" in text
    assert tile.to_plotly_json()["props"]["data-kpi"] == "economy.tx_amount_today"


def test_tile_without_snapshot_shows_a_dash(snap):
    tile = kpi_tile(kpi_view(KPI_BY_KEY["complaints.open"], None, freshness(None, False, NOW, 300)), TR)
    assert "–" in text_of(tile)


def test_sparkline_prefers_hourly_series_and_scales_bars(snap):
    values = sparkline_values(snap, ("complaints.received",))
    assert len(values) == 24
    bars = sparkline([0, 5, 10]).children
    assert [b.style["height"] for b in bars] == ["2%", "50%", "100%"]
    assert sparkline([]).className == "spark empty"
    assert sparkline_values(snap, ("no.such.series",)) == []


def test_price_spikes_unknown_without_a_price_seven_days_ago(snap):
    """No staple has a price a week ago: the tile says "–", not 0 (contract 3)."""
    prices = {c: p.model_copy(update={"change_7d_pct": None}) for c, p in snap.economy.prices.items()}
    fresh_stack = snap.model_copy(update={"economy": snap.economy.model_copy(update={"prices": prices})})
    view = kpi_view(KPI_BY_KEY["economy.price_alerts"], fresh_stack, freshness(fresh_stack, True, NOW, 300))
    assert view.value is None
    assert view.level == "ok"
    assert "–" in text_of(kpi_tile(view, TR))
    assert "belum ada harga 7 hari lalu" in text_of(kpi_tile(view, TR))  # and says why
    assert "no price from 7 days ago yet" in text_of(kpi_tile(view, translator("en"), "en"))


def test_unknown_hours_are_drawn_as_unknown_not_as_zero_bars():
    bars = sparkline([None, None, 4, 0, 8]).children
    assert [getattr(b, "className", None) for b in bars[:2]] == ["unknown", "unknown"]
    assert [b.style["height"] for b in bars[2:]] == ["50%", "2%", "100%"]
    assert sparkline([None, 3], filling=True).children[-1].className == "filling"
    assert sparkline([3, None], filling=True).children[-1].className == "unknown"


def test_a_fresh_stack_shows_a_dash_for_yesterday_not_a_delta(snap):
    """Data began this morning: yesterday is unknown, the tile says so ("kemarin: –")."""
    today_only = snap.model_copy(update={"yesterday": {}})
    view = kpi_view(KPI_BY_KEY["complaints.received_today"], today_only, freshness(today_only, True, NOW, 300))
    assert view.delta is None
    text = text_of(kpi_tile(view, TR))
    assert "kemarin: –" in text and "▲" not in text and "▼" not in text


def test_a_day_count_begun_today_says_since_when_not_a_whole_day(snap):
    """Marvec began receiving complaints at 21:14 today: 'Masuk hari ini' counts since then."""
    from datetime import datetime

    from marvec.timeutil import day_start, iso

    now = datetime.fromisoformat(snap.generated_at).timestamp()
    began = max(day_start(now) + 60, now - 600)
    feeds = {**snap.feeds, "complaints": snap.feeds["complaints"].model_copy(update={"receiving_since": iso(began)})}
    today = snap.model_copy(update={"feeds": feeds, "yesterday": {}})
    view = kpi_view(KPI_BY_KEY["complaints.received_today"], today, freshness(today, True, NOW, 300))
    assert view.counted_since == iso(began)
    assert "dihitung sejak" in text_of(kpi_tile(view, TR))
    open_view = kpi_view(KPI_BY_KEY["complaints.open"], today, freshness(today, True, NOW, 300))
    assert open_view.counted_since is None  # a level, not a day's count
    feeds["complaints"] = feeds["complaints"].model_copy(update={"receiving_since": iso(day_start(now) - 5)})
    before = today.model_copy(update={"feeds": feeds})
    assert kpi_view(KPI_BY_KEY["complaints.received_today"], before,
                    freshness(before, True, NOW, 300)).counted_since is None  # since before today
