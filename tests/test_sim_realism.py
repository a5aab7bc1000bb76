"""The simulated city in numbers: volumes, lifecycles and prices of a city of 1.5 million.

Pure: three weeks of ``Simulator.advance`` in event time (the rainy season), no Kafka.
The ranges are the ones docs/sources/simulator.md states, from DOMAIN.md where it has them.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime
from itertools import pairwise
from typing import Any

import orjson
import pytest

from marvec.contract import COMMODITIES, SLA_SECONDS
from streams.sources.sim import data as D
from streams.sources.sim.simulate import Simulator

START = 1_768_000_000.0  # 2026-01-10 07:06 WITA: rainy season
DAY, H = 86_400.0, 3600.0
WEEKS = 3


def _at(body: dict[str, Any]) -> float:
    return datetime.fromisoformat(body["occurred_at"]).timestamp()


@pytest.fixture(scope="module")
def city() -> dict[str, list[dict[str, Any]]]:
    """Three weeks of the city, valid messages only, bodies by feed."""
    sim = Simulator(2026, START)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for batch in sim.backfill(START + WEEKS * 7 * DAY):
        for m in batch:
            if m.label == "valid":
                out[m.feed].append(orjson.loads(m.value))
    return out


@pytest.fixture(scope="module")
def complaints(city: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Complaints received in the first week: received/resolved times, priority, agency."""
    seen: dict[str, dict[str, Any]] = {}
    for b in city["complaints"]:
        c = seen.setdefault(b["complaint_id"], {})
        if b["status"] == "received":
            c.update(received=_at(b), priority=b["priority"])
        elif b["status"] in ("resolved", "rejected"):
            c[b["status"]] = _at(b)
        if "opd" in b:
            c["opd"] = b["opd"]
    return {k: c for k, c in seen.items() if START <= c.get("received", 0) < START + 7 * DAY}


def test_hundreds_of_complaints_a_day_busier_by_day_than_at_night(
        city: dict[str, list[dict[str, Any]]]) -> None:
    received = [_at(b) for b in city["complaints"] if b["status"] == "received"]
    per_day = Counter(int((t - START) // DAY) for t in received)
    assert sorted(per_day) == list(range(WEEKS * 7))
    assert all(300 <= n <= 560 for n in per_day.values()), per_day  # ~420 a day
    by_hour = Counter(int(((t + 8 * H) % DAY) // H) for t in received)
    assert by_hour[10] > 4 * by_hour[3]  # mid-morning against the small hours


def test_resolution_takes_hours_to_days_by_priority(complaints: dict[str, dict[str, Any]]) -> None:
    hours: dict[str, list[float]] = defaultdict(list)
    for c in complaints.values():
        if "resolved" in c:
            hours[c["priority"]].append((c["resolved"] - c["received"]) / H)
    medians = {p: statistics.median(v) for p, v in hours.items()}
    assert 1 <= medians["urgent"] <= 8, medians  # hours
    assert 4 <= medians["high"] <= 30, medians  # hours, in office hours
    assert 18 <= medians["normal"] <= 60, medians  # a day or two
    assert 48 <= medians["low"] <= 168, medians  # days
    assert medians["urgent"] < medians["high"] < medians["normal"] < medians["low"]
    quick = sum(v < 0.25 for vs in hours.values() for v in vs) / sum(map(len, hours.values()))
    assert quick < 0.05  # the old bug resolved nearly every complaint within seconds


def test_a_minority_is_late_and_agencies_differ(complaints: dict[str, dict[str, Any]]) -> None:
    late_by_opd: dict[str, list[bool]] = defaultdict(list)
    for c in complaints.values():
        if "rejected" in c:
            continue
        due = c["received"] + SLA_SECONDS[c["priority"]]
        late = c.get("resolved", START + WEEKS * 7 * DAY) > due
        late_by_opd[c.get("opd", "-")].append(late)
    everyone = [x for v in late_by_opd.values() for x in v]
    share = sum(everyone) / len(everyone)
    assert 0.03 <= share <= 0.25, share
    on_time = {o: 1 - sum(v) / len(v) for o, v in late_by_opd.items() if len(v) >= 30 and o != "-"}
    assert len(on_time) >= 8
    assert on_time["DUKCAPIL"] < 0.7, on_time  # chronically late
    assert max(on_time.values()) >= 0.97, on_time
    assert max(on_time.values()) - min(on_time.values()) >= 0.3, on_time


def test_open_complaints_hold_steady(city: dict[str, list[dict[str, Any]]]) -> None:
    state: dict[str, str] = {}
    open_at: list[int] = []
    day = 1
    for b in sorted(city["complaints"], key=_at):
        while _at(b) >= START + day * DAY:
            open_at.append(sum(s in ("received", "assigned", "in_progress") for s in state.values()))
            day += 1
        state[b["complaint_id"]] = b["status"]
    later = open_at[7:]  # after a week, the population is in its steady state
    assert min(later) >= 700 and max(later) <= 1800, open_at


def test_prices_at_makassar_levels_three_rounds_a_day(city: dict[str, list[dict[str, Any]]]) -> None:
    prices = [b for b in city["economy"] if b["kind"] == "price"]
    per_market_day = Counter((b["market"], b["commodity"], int((_at(b) - START) // DAY)) for b in prices)
    assert set(per_market_day.values()) <= {2, 3, 4}  # a day from 07:06 holds 3 rounds, give or take
    assert statistics.mean(per_market_day.values()) == pytest.approx(3, abs=0.1)
    assert len({k[:2] for k in per_market_day}) == len(D.MARKETS) * len(COMMODITIES)
    median = {c: statistics.median(b["price_idr"] for b in prices if b["commodity"] == c)
              for c in COMMODITIES}
    assert 55_000 <= median["cabai_rawit"] <= 95_000  # DOMAIN.md: Rp 60-90k
    assert 28_000 <= median["bawang_merah"] <= 45_000  # 30-40k
    assert 13_500 <= median["beras"] <= 16_500  # premium ~15k
    assert 24_000 <= median["telur_ayam"] <= 32_000  # ~53k a tray of 30, ~1.9 kg


def test_qris_reports_every_five_minutes_per_kecamatan_and_category(
        city: dict[str, list[dict[str, Any]]]) -> None:
    reports = [b for b in city["economy"] if b["kind"] == "transactions"]
    times = sorted({_at(b) for b in reports})
    assert {round(b - a) for a, b in pairwise(times)} == {300}
    # (a late one of the last hours may still be held back)
    per_time = Counter(_at(b) for b in reports if _at(b) < START + WEEKS * 7 * DAY - 4 * H)
    assert set(per_time.values()) == {len(D.KECAMATAN_ECONOMY) * len(D.MERCHANT_CATEGORIES)}
    assert sum(b["merchant_category"] == "kuliner" for b in reports) == pytest.approx(len(reports) / 3, abs=5)
    count: Counter[str] = Counter()
    for b in reports:
        count[b["merchant_category"]] += b["count"]
    assert count.most_common(1)[0][0] == "kuliner"  # DOMAIN.md: "Makassar Kota Makan Enak"
    per_day = sum(count.values()) / (WEEKS * 7)
    assert 200_000 <= per_day <= 1_000_000  # QRIS payments a day in the city


def _incidents(city: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for b in city["disasters"]:
        by_id[b["incident_id"]].append(b)
    return {k: sorted(v, key=_at) for k, v in by_id.items()}


def test_fires_last_hours_and_floods_grow_then_recede_over_a_day(
        city: dict[str, list[dict[str, Any]]]) -> None:
    incidents = _incidents(city)
    done = {k: v for k, v in incidents.items() if v[0]["status"] == "reported" and v[-1]["status"] == "closed"}
    hours = defaultdict(list)
    for v in done.values():
        hours[v[0]["hazard"]].append((_at(v[-1]) - _at(v[0])) / H)
    assert 2 <= statistics.median(hours["fire"]) <= 10, hours["fire"]
    assert 10 <= len(hours["fire"]) <= 40  # ~0.8 a day in the rainy season
    big = [v for v in done.values() if v[0]["hazard"] == "flood" and len(v) >= 10]
    assert len(big) >= 5  # storms bring floods to the known spots
    assert statistics.median((_at(v[-1]) - _at(v[0])) / H for v in big) >= 18
    for v in big:
        levels = [b["water_level_cm"] for b in v[:-1]]
        peak = levels.index(max(levels))
        assert 0 < peak < len(levels) - 1, levels  # rises, then recedes
        affected = [b.get("affected_people", 0) for b in v]
        assert affected == sorted(affected)  # people affected only grow
        displaced = [b.get("displaced", 0) for b in v]
        assert displaced[-1] == 0 and max(displaced) >= displaced[-2]
    per_day_active = []
    for d in range(WEEKS * 7):
        noon = START + d * DAY + 5 * H
        per_day_active.append(sum(_at(v[0]) <= noon < _at(v[-1]) for v in incidents.values()))
    assert statistics.median(per_day_active) <= 10 and max(per_day_active) >= 3, per_day_active


def test_public_information_a_handful_of_posts_a_day_and_surveys(
        city: dict[str, list[dict[str, Any]]]) -> None:
    posts = [b for b in city["publicinfo"] if b["kind"] == "post"]
    first = {}
    for b in posts:
        first.setdefault(b["post_id"], b)
    per_channel_day = Counter(b["channel"] for b in first.values())
    days = WEEKS * 7
    assert set(per_channel_day) == set(D.POSTS_PER_DAY)
    for channel, n in per_channel_day.items():
        assert 0.3 * D.POSTS_PER_DAY[channel] * days <= n <= 1.7 * D.POSTS_PER_DAY[channel] * days + 5
    assert 15 <= len(first) / days <= 35
    reach: dict[str, list[int]] = defaultdict(list)
    for b in posts:
        reach[b["post_id"]].append(b["reach"])
    assert all(r == sorted(r) and len(r) <= 3 for r in reach.values())  # reach grows, two updates
    surveys = [b for b in city["publicinfo"] if b["kind"] == "survey"]
    assert len(surveys) % len(D.KECAMATAN) == 0 and 2 <= len(surveys) / len(D.KECAMATAN) <= 16
    for s in surveys:
        assert s["aware"] + s["want_to_know"] + s["not_interested"] == s["respondents"] > 0
    maka = [s for s in surveys if s["topic"] == "makaverse"]
    if maka:
        aware = sum(s["aware"] for s in maka) / sum(s["respondents"] for s in maka)
        assert 0.03 <= aware <= 0.15  # the city's 8% (2022)


def test_the_city_is_driven_by_arrival_rates_not_an_event_rate(
        city: dict[str, list[dict[str, Any]]]) -> None:
    total = sum(map(len, city.values())) / (WEEKS * 7)
    assert 14_000 <= total <= 20_000  # ~13,000 of them QRIS reports; ~0.2 events a second
