"""The report card's history (issue #16): weekly and monthly figures per OPD for 13 months
from the day hashes, the time to first response, and what the table and sheet show of
them. Hand-worked days (pure), then the write path on a real Redis."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from feeds import complaint
from streamrig import boundaries, fold_events, snap

from layers.rapor import rapor_detail, rapor_table
from marvec.history import MONTHS, build_history, read_history, wita_date
from marvec.i18n import translator
from marvec.keys import HISTORY_DAY_TTL, Keys
from marvec.timeutil import wita_day
from tests.test_rapor import hand_set, rows_of, text_of

TR = translator("id")
TODAY = date(2026, 12, 3)  # a Thursday: its ISO week runs Mon 30 Nov - Sun 6 Dec


def hand_days() -> dict[date, tuple[dict[str, str], dict[str, str]]]:
    d = {
        date(2026, 12, 1): ({"r:A": "2", "ok:A": "1", "rs:A": "21600", "f:A": "2", "fs:A": "2160",
                             "r:-": "1", "ok:-": "0", "rs:-": "900000"}, {}),
        date(2026, 11, 25): ({"r:A": "1", "ok:A": "1", "rs:A": "3600"}, {}),
        date(2026, 12, 2): ({}, {"n:A": "3", "r:A": "500", "rk:A": "2", "c:A:instagram": "2", "c:A:website": "1"}),
        date(2026, 11, 20): ({}, {"n:A": "1", "r:A": "0", "rk:A": "0", "c:A:website": "1"}),
    }
    return {k: (dict(v[0]), dict(v[1])) for k, v in d.items()}


def hand_history():
    return build_history(hand_days(), TODAY, complaints_since=date(2026, 11, 18), posts_since=date(2026, 11, 20))


def test_weeks_are_counted_from_when_the_data_began_never_zero_before() -> None:
    h = hand_history()
    assert [(s.label, s.start, s.end) for s in h.weeks] == [
        ("2026-W46", date(2026, 11, 9), date(2026, 11, 15)),
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 22)),
        ("2026-W48", date(2026, 11, 23), date(2026, 11, 29)),
        ("2026-W49", date(2026, 11, 30), date(2026, 12, 3)),  # the current week, up to today
    ]
    w46, w47, w48, w49 = (s.get("A") for s in h.weeks)
    assert (w46.resolved, w46.on_time_pct, w46.posts) == (None, None, None), "before the data: unknown"
    assert h.weeks[1].complaints_from == date(2026, 11, 18) and h.weeks[1].posts_from == date(2026, 11, 20)
    assert (w47.resolved, w47.on_time_pct, w47.mean_resolution_h) == (0, None, None), "nothing resolved: 0, no share"
    assert (w47.posts, w47.reach, w47.posts_by_channel) == (1, None, {"website": 1}), "no reach known: None"
    assert (w48.resolved, w48.on_time_pct, w48.mean_resolution_h) == (1, 100.0, 1.0)
    assert (w48.posts, w48.reach) == (0, None)
    assert (w49.resolved, w49.within_sla, w49.on_time_pct, w49.mean_resolution_h) == (2, 1, 50.0, 3.0)
    assert (w49.first_responses, w49.mean_first_response_h) == (2, 0.3)
    assert (w49.posts, w49.reach, w49.posts_by_channel) == (3, 500, {"instagram": 2, "website": 1})
    assert h.weeks[3].get("-").resolved == 1 and h.weeks[3].get("-").on_time_pct == 0.0


def test_thirteen_months_with_the_ones_before_the_data_unknown() -> None:
    h = hand_history()
    assert len(h.months) == MONTHS == 13
    assert (h.months[0].label, h.months[-1].label) == ("2025-12", "2026-12")
    nov, dec = h.months[-2].get("A"), h.months[-1].get("A")
    assert (nov.resolved, nov.on_time_pct, nov.posts) == (1, 100.0, 1)
    assert (dec.resolved, dec.mean_resolution_h, dec.posts, dec.reach) == (2, 3.0, 3, 500)
    assert h.months[-2].complaints_from == date(2026, 11, 18)
    assert all(m.get("A").resolved is None and m.complaints_from is None for m in h.months[:-2])
    assert h.days_since_website("A") == 1 and h.days_since_website("B") is None


def test_the_table_shows_the_four_week_trend_and_days_since_the_website() -> None:
    h = hand_history()
    table = rapor_table(hand_set(), TR, "id", h)
    trend = {getattr(tr, "data-opd"): getattr(tr.children[7], "data-trend") for tr in table.children[1].children}
    assert trend["A"] == "–,–,100,50", "on-time share per week, unknown weeks as dashes"
    assert trend["B"] == "–,–,–,–"
    rows = {r[1]: r for r in rows_of(table)}
    assert rows["A"][10] == "1 hr lalu" and rows["C"][10] == "–"
    sheet = text_of(rapor_detail(hand_set(), "A", TR, "id", h))
    assert "Riwayat 4 minggu" in sheet and "Riwayat 13 bulan" in sheet
    assert "30/11–06/12 2 50% 3,0 jam 18 mnt 3 500" in sheet, sheet
    assert "16/11–22/11 · sejak 18/11 0 – – – 1 –" in sheet
    assert "09/11–15/11 – – – – – –" in sheet
    assert "Des 2026 2 50% 3,0 jam 18 mnt 3 500" in sheet and "Okt 2026 – – – – – –" in sheet


# -- the write path on a real Redis -------------------------------------------------------------
NOW = time.time()
def apply(client, events):
    return fold_events(client, "complaints", events, NOW)


@pytest.mark.integration
def test_first_responses_and_resolutions_land_in_their_days_once(redis_client) -> None:
    h = 3600
    c1 = [complaint("C1", "received", 50 * h, now=NOW), complaint("C1", "assigned", 49 * h, now=NOW, opd="DLH"),
          complaint("C1", "resolved", 26 * h, now=NOW, opd="DLH")]
    c2 = [complaint("C2", "received", 3 * h, now=NOW, opd="DLH"), complaint("C2", "in_progress", 1 * h, now=NOW)]
    # C3's first status arrives before its received (out of order): counted when both are known
    c3 = [complaint("C3", "in_progress", 1 * h, now=NOW, opd="DPU"), complaint("C3", "received", 2 * h, now=NOW)]
    res = apply(redis_client, [*c1, *c2, c3[0]])
    assert res.accepted == 6
    s = snap(redis_client, NOW)
    assert s.complaints.by_opd["DLH"].median_first_response_h == 1.5, "median of 1 h and 2 h"
    assert s.complaints.by_opd["DPU"].median_first_response_h is None, "no received yet: not known"
    apply(redis_client, [c3[1], c1[2], c1[1]])  # C3 completes; C1's events resent: duplicates
    s = snap(redis_client, NOW)
    assert s.complaints.by_opd["DPU"].median_first_response_h == 1.0
    k = Keys()
    day_res = redis_client.hgetall(k.opd_day(wita_day(NOW - 26 * h)))
    assert (day_res[b"r:DLH"], day_res[b"rs:DLH"], day_res[b"ok:DLH"]) == (b"1", b"86400", b"1")
    ttl = redis_client.ttl(k.opd_day(wita_day(NOW - 26 * h)))
    assert HISTORY_DAY_TTL - 3 * 86400 < ttl <= HISTORY_DAY_TTL + 86400, "kept 13 months and more"
    first = wita_date(NOW - 50 * h)
    hist = read_history(redis_client, k, NOW, NOW - 50 * h, None)
    dlh = [m.get("DLH") for m in hist.months if m.complaints_from is not None]
    assert sum(f.resolved or 0 for f in dlh) == 1 and sum(f.first_responses or 0 for f in dlh) == 2
    assert sum(f.first_responses or 0 for m in hist.months if (f := m.get("DPU")).first_responses) == 1
    assert all(m.get("DLH").posts is None for m in hist.months), "no public information yet: unknown"
    before = [m for m in hist.months if m.end < first]
    assert before and all(m.get("DLH").resolved is None for m in before)
    assert hist.weeks[-1].end == wita_date(NOW) and hist.today == wita_date(NOW) - timedelta(days=0)


def test_days_since_the_website_reads_today_not_zero_days() -> None:
    from layers.rapor import days_ago

    assert [days_ago(d, TR, "id") for d in (None, 0, 1, 12)] == ["–", "hari ini", "1 hr lalu", "12 hr lalu"]


@pytest.mark.integration
def test_the_screens_read_the_history_once_a_minute_through_the_source(redis_client, monkeypatch) -> None:
    import dashboard.source as source_module
    from dashboard.source import SnapshotSource

    apply(redis_client, [complaint("H1", "received", 3 * 3600, now=NOW, opd="DLH"),
                         complaint("H1", "resolved", 3600, now=NOW, opd="DLH")])
    reads = []
    real = source_module.read_history
    monkeypatch.setattr(source_module, "read_history", lambda *a: reads.append(a) or real(*a))
    clock = [NOW]
    src = SnapshotSource(lambda: redis_client, boundaries().names, refresh_s=60, clock=lambda: clock[0])
    s = snap(redis_client, NOW)
    first = src.history(s)
    assert first is not None and sum(m.get("DLH").resolved or 0 for m in first.months) == 1
    clock[0] += 59
    assert src.history(s) is first and len(reads) == 1, "one read a minute, whoever asks"
    clock[0] += 2
    assert src.history(s) is not first and len(reads) == 2
