"""Pure snapshot building: medians, yesterday, series, text shortening."""

from __future__ import annotations

from typing import Any

from marvec.contract import COMMODITIES, FEEDS
from marvec.store import read_request
from marvec.store_build import build_snapshot, median, shorten
from marvec.timeutil import day_start

NOW = 1_795_400_000.0  # a fixed evening, WITA


def empty_raw(req: dict[str, Any]) -> dict[str, Any]:
    n = len(COMMODITIES)
    return {"feeds": [[] for _ in FEEDS], "c_totals": [], "c_kec": [], "c_cat": [], "c_opd": [],
            "c_kc": [], "c_overdue": 0, "c_today": [], "opds": [], "latest": [],
            "prices": [{} for _ in range(n)], "prices_week": [[{}, {}, {}] for _ in range(n)],
            "prices_yesterday": [{} for _ in range(n)],
            "tx_today": [], "d_totals": [], "d_hazard": [], "d_kec": [], "incidents": [],
            "minutes": [[] for _ in req["minutes"]], "hours": [[] for _ in req["hours"]],
            "g_minutes": [[] for _ in req["gauge_minutes"]],
            "g_hours": [[] for _ in req["gauge_hours"]], "ticker": []}


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert median([13000, 17000, 15000, 16000]) == 15500
    assert median([3, 1, 2]) == 2


def test_prices_take_the_median_across_markets_and_the_7_day_change():
    req = read_request(NOW)
    raw = empty_raw(req)
    i = COMMODITIES.index("cabai_rawit")
    raw["prices"][i] = {"n": 2, "median": "60000", "unit": "kg",
                        "top": [["Pasar Terong", "66000"], ["Pasar Daya", "54000"]]}
    raw["prices_week"][i][0] = {"n": 1, "median": "50000"}
    s = build_snapshot(raw, req, ["Tallo"])
    p = s.economy.prices["cabai_rawit"]
    assert (p.latest_idr, p.markets, p.change_7d_pct, p.unit) == (60000, 2, 20.0, "kg")
    assert p.by_market == {"Pasar Daya": 54000, "Pasar Terong": 66000}
    assert p.change_1d_pct is None  # no market had a price yesterday: unknown, not 0
    assert set(s.economy.prices) == {"cabai_rawit"}


def test_the_day_on_day_change_compares_with_yesterdays_median():
    req = read_request(NOW)
    raw = empty_raw(req)
    i = COMMODITIES.index("bawang_merah")
    raw["prices"][i] = {"n": 2, "median": "38000", "unit": "kg", "top": []}
    raw["prices_yesterday"][i] = {"n": 3, "median": "32000"}
    p = build_snapshot(raw, req, ["Tallo"]).economy.prices["bawang_merah"]
    assert p.change_1d_pct == 18.8  # 38,000 against 32,000
    assert p.change_7d_pct is None


def with_feeds(raw: dict[str, Any], first: dict[str, float]) -> dict[str, Any]:
    """``raw`` whose feeds accepted data from ``first[feed]`` on (event time)."""
    raw["feeds"] = [["accepted", "5", "first_event_ts", repr(first[f])] if f in first else []
                    for f in FEEDS]
    return raw


def fill_yesterday(raw: dict[str, Any], req: dict[str, Any]) -> int:
    """4 complaints and Rp 1,000 in every hour of yesterday up to this time; the hours."""
    start_h = int(day_start(NOW - 86400) // 3600)
    for idx, h in enumerate(req["hours"]):
        if start_h <= h <= int((NOW - 86400) // 3600):
            raw["hours"][idx] = ["c:received", "4", "e:tx_amount", "1000"]
    return int((NOW - 86400) // 3600) - start_h + 1


def test_yesterday_flows_are_given_only_when_the_feed_had_data_before_yesterday_began():
    req = read_request(NOW)
    yesterday = day_start(NOW - 86400)
    raw = empty_raw(req)
    hours = fill_yesterday(raw, req)
    # The stack started yesterday at 01:00: yesterday's count so far misses an hour.
    s = build_snapshot(with_feeds(raw, {"complaints": yesterday + 3600, "economy": yesterday - 60}), req, [])
    assert "complaints.received_today" not in s.yesterday  # partial yesterday: unknown ("–")
    assert s.yesterday["economy.tx_amount_today"] == 1000 * hours  # economy began before: known
    s = build_snapshot(with_feeds(raw, {"complaints": yesterday, "economy": yesterday}), req, [])
    assert s.yesterday["complaints.received_today"] == 4 * hours
    # A backlog loaded this morning with old event times (an import of the open complaints):
    # the data reach back, but Marvec was not receiving yesterday, so yesterday is partial.
    raw = with_feeds(raw, {"complaints": yesterday - 5 * 86400})
    raw["feeds"][FEEDS.index("complaints")] += ["first_applied_ts", repr(NOW - 3600)]
    assert "complaints.received_today" not in build_snapshot(raw, req, []).yesterday
    raw["feeds"][FEEDS.index("complaints")][-1] = repr(yesterday - 60)  # receiving since before
    assert build_snapshot(raw, req, []).yesterday["complaints.received_today"] == 4 * hours
    # A fresh stack: no feed has data before today.
    s = build_snapshot(with_feeds(empty_raw(req), {"complaints": NOW - 600}), req, [])
    assert not {"complaints.received_today", "economy.tx_amount_today"} & set(s.yesterday)


def test_a_store_from_before_first_event_ts_keeps_the_older_rule():
    req = read_request(NOW)
    start_h = int(day_start(NOW - 86400) // 3600)
    raw = empty_raw(req)
    hours = fill_yesterday(raw, req)
    raw["feeds"] = [["accepted", "5"] for _ in FEEDS]  # data, but no first_event_ts
    assert "complaints.received_today" not in build_snapshot(raw, req, []).yesterday
    raw["hours"][req["hours"].index(start_h - 1)] = ["complaints", "1"]  # data before yesterday
    assert build_snapshot(raw, req, []).yesterday["complaints.received_today"] == 4 * hours


def test_hours_before_the_data_began_are_unknown_not_zero():
    req = read_request(NOW)
    raw = empty_raw(req)
    h_now = int(NOW // 3600)
    raw["hours"][-1] = ["c:received", "9", "complaints", "9"]
    raw["g_hours"][-2] = ["c:open", "40"]
    s = build_snapshot(with_feeds(raw, {"complaints": (h_now - 2) * 3600 + 1800}), req, [])
    received = s.trends.hours["complaints.received"]
    assert received[-1] == 9 and received[-2] == 0 and received[-3] == 0  # covered, quiet: 0
    assert received[:-3] == [None] * 21  # ended before the first complaint: unknown
    assert s.trends.hours["complaints.open"][-3:] == [None, 40, 40]  # no sample yet, then carried
    assert s.trends.hours["economy.tx_count"] == [None] * 24  # a feed without data: unknown
    assert s.feeds["complaints"].first_event_at is not None


def test_gauge_series_carry_forward_and_flow_series_do_not():
    req = read_request(NOW)
    raw = with_feeds(empty_raw(req), {"complaints": req["minutes"][0] * 60})
    raw["g_minutes"][0] = ["c:open", "7"]
    raw["minutes"][0] = ["complaints", "3"]
    s = build_snapshot(raw, req, [])
    assert s.trends.minutes["complaints.open"][:3] == [7, 7, 7]
    assert s.trends.minutes["events.complaints"][:3] == [3, 0, 0]
    assert len(s.trends.minutes["complaints.open"]) == 60 and len(s.trends.hours["complaints.open"]) == 24


def test_shorten_cuts_long_citizen_text_and_folds_whitespace():
    assert shorten("a  b\n c") == "a b c"
    long = shorten("x" * 500)
    assert long is not None and len(long) == 140 and long.endswith("…")
    assert shorten("") is None
