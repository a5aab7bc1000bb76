"""The simulator: deterministic, contract-exact, realistic, and honest about its invalid messages.

Messages are checked by a small checker written here from CONTRACT.md, independent of
``streams.decode``, so that the simulator's labels are a second opinion on the consumer.
"""

from __future__ import annotations

import argparse
import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
import pytest

from marvec.contract import (
    CHANNELS,
    COMMODITIES,
    COMPLAINT_CATEGORIES,
    COMPLAINT_STATUSES,
    ECONOMY_KINDS,
    FEEDS,
    HAZARDS,
    INCIDENT_STATUSES,
    MAX_FUTURE_SECONDS,
    MAX_MESSAGE_BYTES,
    PRIORITIES,
    SLA_SECONDS,
    UNITS,
)
from streams.sources.sim import data as simdata
from streams.sources.sim.simulate import (
    INVALID_KINDS,
    SimMessage,
    Simulator,
    add_simulate_arguments,
)

START = 1_768_000_000.0  # 2026-01-10 07:06 WITA: rainy season, morning
GEODATA = Path(__file__).resolve().parents[1].parent / "shared" / "geodata"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
COMMON = {"event_id", "occurred_at", "source"}


# --- an independent reading of CONTRACT.md ----------------------------------------------

class Checker:
    """Predicts the consumer's verdict for each message, in the order they arrive."""

    def __init__(self, city: Any = None) -> None:
        self.city = city  # a shapely geometry in WGS84, or None to skip the city test
        self.accepted: set[str] = set()
        self.incidents: set[str] = set()

    def verdict(self, msg: SimMessage, now: float) -> str:
        if len(msg.value) > MAX_MESSAGE_BYTES:
            return "too_large"
        try:
            obj = orjson.loads(msg.value)
        except orjson.JSONDecodeError:
            return "invalid_json"
        if not isinstance(obj, dict):
            return "invalid_json"
        reason = self._common(obj, now) or getattr(self, "_" + msg.feed)(obj)
        if reason:
            return reason
        if obj["event_id"] in self.accepted:
            return "duplicate"
        self.accepted.add(obj["event_id"])
        if msg.feed == "disasters":
            self.incidents.add(obj["incident_id"])
        return "valid"

    def _common(self, obj: dict[str, Any], now: float) -> str | None:
        if not all(_text(obj.get(k), 128) for k in COMMON) or len(obj["source"]) > 64:
            return "schema"
        if not RFC3339.match(obj["occurred_at"]):
            return "schema"
        if datetime.fromisoformat(obj["occurred_at"]).timestamp() > now + MAX_FUTURE_SECONDS:
            return "future_time"
        return None

    def _located(self, obj: dict[str, Any], required: bool) -> str | None:
        loc = obj.get("location")
        if loc is None:
            return "schema" if required else None
        ok = isinstance(loc, dict) and all(type(loc.get(k)) is float for k in ("lat", "lon"))
        return None if ok else "schema"

    def _in_city(self, obj: dict[str, Any]) -> str | None:
        if obj.get("kecamatan") is not None:
            return None if obj["kecamatan"] in simdata.KECAMATAN else "schema"
        if "location" not in obj:
            return "schema"
        if self.city is None:
            return None
        from shapely.geometry import Point

        inside = self.city.covers(Point(obj["location"]["lon"], obj["location"]["lat"]))
        return None if inside else "outside_city"

    def _complaints(self, obj: dict[str, Any]) -> str | None:
        status = obj.get("status")
        if not _text(obj.get("complaint_id"), 128) or status not in COMPLAINT_STATUSES:
            return "schema"
        if obj.get("category", "other") not in COMPLAINT_CATEGORIES or (
                status == "received" and "category" not in obj):
            return "schema"
        if obj.get("priority", "normal") not in PRIORITIES or len(obj.get("text", "")) > 2000:
            return "schema"
        if "opd" in obj and not _text(obj["opd"], 32):
            return "schema"
        return self._located(obj, False) or self._in_city(obj)

    def _economy(self, obj: dict[str, Any]) -> str | None:
        if obj.get("kind") not in ECONOMY_KINDS:
            return "schema"
        if obj["kind"] == "price":
            ok = (obj.get("commodity") in COMMODITIES and obj.get("unit") in UNITS
                  and _int(obj.get("price_idr"), 1) and _text(obj.get("market"), 128))
            return None if ok else "schema"
        ok = (_text(obj.get("report_id"), 128) and _text(obj.get("merchant_category"), 64)
              and _int(obj.get("count"), 0) and _int(obj.get("amount_idr"), 0))
        return (None if ok else "schema") or self._located(obj, False) or self._in_city(obj)

    def _publicinfo(self, obj: dict[str, Any]) -> str | None:
        if obj.get("kind") == "post":
            ok = (_text(obj.get("opd"), 32) and obj.get("channel") in CHANNELS
                  and _text(obj.get("post_id"), 128)
                  and all(_int(obj[k], 0) for k in ("reach", "engagements") if k in obj))
            return None if ok else "schema"
        if obj.get("kind") != "survey":
            return "schema"
        counts = [obj.get(k) for k in ("aware", "want_to_know", "not_interested")]
        ok = (_text(obj.get("survey_id"), 128) and _text(obj.get("topic"), 64)
              and _int(obj.get("respondents"), 1) and all(_int(c, 0) for c in counts)
              and sum(counts) == obj["respondents"])
        return (None if ok else "schema") or self._located(obj, False) or self._in_city(obj)

    def _disasters(self, obj: dict[str, Any]) -> str | None:
        if not _text(obj.get("incident_id"), 128) or obj.get("status") not in INCIDENT_STATUSES:
            return "schema"
        known = obj["incident_id"] in self.incidents
        if obj.get("hazard", None if known else "missing") not in (None, *HAZARDS):
            return "schema"
        if "severity" in obj and not (_int(obj["severity"], 1) and obj["severity"] <= 5):
            return "schema"
        if not known and "severity" not in obj:
            return "schema"
        if not all(_int(obj[k], 0) for k in ("affected_people", "displaced", "injured", "deaths")
                   if k in obj):
            return "schema"
        return self._located(obj, True)


def _text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= limit


def _int(value: Any, minimum: int) -> bool:
    return type(value) is int and value >= minimum


def _load_city() -> Any:
    if not GEODATA.is_dir():
        return None
    import geopandas as gpd

    return gpd.read_file(GEODATA / "makassar_kecamatan_from_kelurahan.geojson").union_all()


@pytest.fixture(scope="module")
def city() -> Any:
    """The real city outline (WGS84) or ``None`` when the shared geodata is absent."""
    return _load_city()


@pytest.fixture(scope="module")
def kecamatan_utm() -> dict[str, Any]:
    """Real kecamatan polygons in UTM 50S (metres); the test is skipped without them."""
    if not GEODATA.is_dir():
        pytest.skip(f"shared geodata not found at {GEODATA}")
    import geopandas as gpd

    frame = gpd.read_file(GEODATA / "makassar_kecamatan_from_kelurahan.geojson").to_crs(32750)
    return dict(zip(frame["kecamatan"], frame.geometry, strict=True))


def run(sim: Simulator, seconds: float, rate: float, batch_s: float = 10.0) -> list[tuple[float, SimMessage]]:
    """History, then ``seconds`` of stream at ``rate``, each message with its batch's ``now``."""
    out = [(sim.clock, m) for m in sim.history()]
    now = sim.clock
    while now < START + seconds:
        now += batch_s
        out += [(now, m) for m in sim.next_batch(now, int(rate * batch_s))]
    return out


def bodies(stream: list[tuple[float, SimMessage]], feed: str) -> list[dict[str, Any]]:
    """The JSON bodies of one feed's valid messages, in arrival order."""
    return [orjson.loads(m.value) for _, m in stream if m.feed == feed and m.label == "valid"]


# --- the stream as a whole -------------------------------------------------------------

def test_same_seed_gives_the_same_stream_and_another_seed_does_not() -> None:
    a, b, c = Simulator(42, START, 0.1), Simulator(42, START, 0.1), Simulator(43, START, 0.1)
    assert a.history() == b.history()
    assert a.next_batch(START + 60, 2000) == b.next_batch(START + 60, 2000)
    c.next_batch(START + 60, 2000)
    assert a.next_batch(START + 120, 500) != c.next_batch(START + 120, 500)


def test_every_valid_message_follows_the_contract(city: Any) -> None:
    checker = Checker(city)
    stream = run(Simulator(1, START), seconds=1800, rate=20)
    labels = Counter(m.label for _, m in stream)
    assert set(labels) == {"valid", "duplicate"}
    assert 0 < labels["duplicate"] < 0.01 * len(stream)
    for now, msg in stream:
        assert checker.verdict(msg, now) == msg.label, msg.value[:300]
        assert len(msg.value) <= MAX_MESSAGE_BYTES
        assert msg.key, msg
        body = orjson.loads(msg.value)
        assert body["occurred_at"].endswith("+08:00")
        assert datetime.fromisoformat(body["occurred_at"]).timestamp() <= now + 1


def test_messages_are_keyed_by_their_entity() -> None:
    key_field = {"complaints": ("complaint_id",), "disasters": ("incident_id",),
                 "economy": ("market", "report_id"), "publicinfo": ("post_id", "survey_id")}
    for _, msg in run(Simulator(2, START), seconds=300, rate=50):
        body = orjson.loads(msg.value)
        assert msg.key in [body.get(f) for f in key_field[msg.feed]]


def test_event_ids_are_unique_except_for_true_resends() -> None:
    seen: dict[str, bytes] = {}
    for _, msg in run(Simulator(3, START), seconds=1200, rate=50):
        event_id = orjson.loads(msg.value)["event_id"]
        if msg.label == "duplicate":
            assert seen[event_id] == msg.value  # the very same bytes, sent again
        else:
            assert event_id not in seen
            seen[event_id] = msg.value


def test_lifecycles_are_ordered_per_entity_and_few_events_arrive_late() -> None:
    stream = run(Simulator(4, START), seconds=3600, rate=20)
    for feed, id_field, statuses in (("complaints", "complaint_id", COMPLAINT_STATUSES),
                                     ("disasters", "incident_id", INCIDENT_STATUSES)):
        events: dict[str, list[tuple[str, str]]] = defaultdict(list)
        late = 0
        for body in bodies(stream, feed):
            history = events[body[id_field]]
            late += bool(history) and body["occurred_at"] < max(history)[0]
            history.append((body["occurred_at"], body["status"]))
        for history in events.values():
            in_time = sorted(history)
            ranks = [min(statuses.index(s), 3) for _, s in in_time]  # resolved ~ rejected
            assert ranks == sorted(ranks), in_time
            assert len({t for t, _ in in_time}) == len(in_time)  # no ties within an entity
            assert in_time[0][1] in ("received", "reported") or len(in_time) < len(statuses)
        assert 0 < late < 0.01 * sum(map(len, events.values())), feed


def test_most_events_update_existing_entities_and_populations_stay_bounded() -> None:
    sim = Simulator(5, START)
    stream = run(sim, seconds=2000, rate=50)
    complaints = bodies(stream, "complaints")
    new = sum(b["status"] == "received" for b in complaints)
    assert new < 0.45 * len(complaints)
    # load mode: new complaints until 1,000 are open, then progress notes on open ones
    # (a real lifecycle takes hours to days; the city alone keeps ~1,100 open)
    assert 200 <= sim.complaints.active <= 1500
    assert 3 <= sim.disasters.active <= 40
    prices = sum(b["kind"] == "price" for b in bodies(stream, "economy"))
    assert prices > 0.4 * len(bodies(stream, "economy"))


def test_feed_mix_over_a_day_is_about_45_45_10() -> None:
    # at 5 events/s, not 2: the city's own ~16,000 a day (mostly QRIS reports) ride in the
    # load and would tilt the mix towards economy at a lower rate
    sim = Simulator(6, START)
    counts = Counter(m.feed for batch in sim.backfill(START + 86_400, rate=5.0) for m in batch)
    total = sum(counts.values())
    assert abs(total - 5 * 86_400) < 50
    assert abs(counts["complaints"] / total - 0.45) < 0.035
    assert abs(counts["economy"] / total - 0.45) < 0.035
    assert abs(counts["disasters"] / total - 0.10) < 0.01


def test_the_backlog_has_open_and_overdue_complaints() -> None:
    sim = Simulator(7, START)
    latest: dict[str, dict[str, Any]] = {}
    for msg in sim.history():
        body = orjson.loads(msg.value)
        assert datetime.fromisoformat(body["occurred_at"]).timestamp() < START
        if msg.feed == "complaints":
            if body["status"] == "received":
                latest[body["complaint_id"]] = {"at": body["occurred_at"], **body}
            latest[body["complaint_id"]]["status"] = body["status"]
    open_ = [c for c in latest.values() if c["status"] in ("received", "assigned", "in_progress")]
    overdue = [c for c in open_ if datetime.fromisoformat(c["at"]).timestamp()
               + SLA_SECONDS[c["priority"]] < START]
    assert len(open_) == sim.complaints.active > 500  # ~420 a day, open for a day or more
    assert 5 <= len(overdue) < 0.3 * len(open_)
    incidents = {orjson.loads(m.value)["incident_id"] for m in sim.history() if m.feed == "disasters"}
    assert len(incidents) == sim.disasters.active  # a quiet morning may have none


# --- invalid messages -------------------------------------------------------------------

def test_invalid_messages_of_every_kind_carry_the_reason_the_consumer_will_give(city: Any) -> None:
    checker = Checker(city)
    whole = run(Simulator(8, START, invalid_ratio=0.2), seconds=1000, rate=20)
    for now, m in whole[:-20_000]:  # the checker must see what came before (originals of resends)
        checker.verdict(m, now)
    stream = whole[-20_000:]
    labels = Counter(m.label for _, m in stream)
    invalid = sum(labels[k] for k in INVALID_KINDS)
    assert abs(invalid / len(stream) - 0.2) < 0.02
    for kind in INVALID_KINDS:
        assert labels[kind] > 0.15 * invalid, kind
    wrong = [(m.label, checker.verdict(m, now), m.value[:200]) for now, m in stream
             if m.label != "outside_city" or city is not None]
    assert [w for w in wrong if w[0] != w[1]] == []


def test_future_times_are_an_hour_ahead_even_in_a_backfill() -> None:
    sim = Simulator(9, START - 3 * 3600, invalid_ratio=0.3)
    for batch in sim.backfill(START, rate=2.0):
        for msg in batch:
            if msg.label == "future_time":
                at = datetime.fromisoformat(orjson.loads(msg.value)["occurred_at"]).timestamp()
                assert START + 3000 < at < START + 4 * 3600


def test_outside_city_points_are_well_outside(city: Any) -> None:
    if city is None:
        pytest.skip(f"shared geodata not found at {GEODATA}")
    from shapely.geometry import box

    for boxes in (simdata.SEA_BOXES, simdata.MAROS_BOXES, simdata.GOWA_BOXES):
        for la0, la1, lo0, lo1 in boxes:
            assert city.distance(box(lo0, la0, lo1, la1)) > 0.005  # about 550 m
    for la0, la1, lo0, lo1 in simdata.QUAKE_BOXES:
        assert city.distance(box(lo0, la0, lo1, la1)) > 0.1


# --- geography --------------------------------------------------------------------------

def test_places_and_markets_lie_in_their_kecamatan(kecamatan_utm: dict[str, Any]) -> None:
    from pyproj import Transformer
    from shapely.geometry import Point

    to_utm = Transformer.from_crs(4326, 32750, always_xy=True)
    assert set(simdata.KECAMATAN) == set(kecamatan_utm)
    for spot in (*simdata.PLACES, *simdata.MARKETS):
        point = Point(to_utm.transform(spot.lon, spot.lat))
        assert kecamatan_utm[spot.kecamatan].buffer(150).contains(point), spot.name
    for place in simdata.PLACES:  # reports are jittered within radius_m: still inside
        disc = Point(to_utm.transform(place.lon, place.lat)).buffer(place.radius_m)
        assert kecamatan_utm[place.kecamatan].buffer(10).contains(disc), place.name


def test_places_cover_every_kecamatan_the_islands_and_the_flood_spots() -> None:
    assert {p.kecamatan for p in simdata.PLACES} == set(simdata.KECAMATAN)
    names = " ".join(p.name for p in simdata.PLACES)
    for must in ("Barrang Lompo", "Barrang Caddi", "Kodingareng", "Antang", "Paccerakkang",
                 "Daya", "Tamalanrea Indah", "Kapasa"):
        assert must in names
    markets = " ".join(m.name for m in simdata.MARKETS)
    for must in ("Terong", "Pa'baeng-baeng", "Daya", "Sentral", "Pannampu", "Kalimbu"):
        assert must in markets
    assert len(simdata.PLACES) >= 60


def test_reported_locations_stay_on_land_in_their_kecamatan(kecamatan_utm: dict[str, Any]) -> None:
    import shapely
    from pyproj import Transformer
    from shapely.geometry import Point

    to_utm = Transformer.from_crs(4326, 32750, always_xy=True)
    city = shapely.union_all(list(kecamatan_utm.values()))
    stream = run(Simulator(10, START), seconds=1500, rate=20)
    for feed in ("complaints", "disasters"):
        for body in bodies(stream, feed):
            if "location" not in body or body.get("hazard") == "earthquake":
                continue
            point = Point(to_utm.transform(body["location"]["lon"], body["location"]["lat"]))
            assert city.contains(point), body
            if "kecamatan" in body:
                assert kecamatan_utm[body["kecamatan"]].contains(point), body


def test_earthquakes_are_out_at_sea_with_magnitude_and_depth(city: Any) -> None:
    sim = Simulator(11, START - 86_400 * 4)
    quakes = [orjson.loads(m.value) for batch in sim.backfill(START, rate=0.4) for m in batch
              if m.feed == "disasters" and b'"earthquake"' in m.value]
    assert quakes
    for quake in quakes:
        assert 2.0 <= quake["magnitude"] <= 7.0 and 0 < quake["depth_km"] <= 700
        if city is not None:
            from shapely.geometry import Point

            assert not city.intersects(Point(quake["location"]["lon"], quake["location"]["lat"]))
        assert "kecamatan" not in quake


# --- backfill, economy, options ---------------------------------------------------------

def test_backfill_covers_the_last_hours_in_time_order() -> None:
    sim = Simulator(12, START - 2 * 3600)
    times = [datetime.fromisoformat(orjson.loads(m.value)["occurred_at"]).timestamp()
             for batch in sim.backfill(START, rate=5.0, chunk=1000) for m in batch]
    assert abs(len(times) - 2 * 3600 * 5) <= 1
    assert min(times) > START - 2 * 3600 and max(times) <= START + 0.01
    assert times[-1] > START - 1
    backwards = sum(b < a - 0.002 for a, b in pairwise(times))
    assert backwards < 0.02 * len(times)  # only the late and the resent ones
    assert sim.clock == START


def test_prices_stay_plausible_and_chillies_move_most() -> None:
    sim = Simulator(13, START - 3 * 86_400)
    prices: dict[str, list[int]] = defaultdict(list)
    for batch in sim.backfill(START, rate=0.5):
        for m in batch:
            body = orjson.loads(m.value)
            if body.get("kind") == "price" and body["market"] == "Pasar Terong":
                prices[body["commodity"]].append(body["price_idr"])
    assert set(prices) == set(COMMODITIES)
    for commodity, series in prices.items():
        base = simdata.COMMODITY_SPECS[commodity].base_idr
        assert 0.6 * base < statistics.median(series) < 1.6 * base, commodity
        assert all(p % 500 == 0 and p > 0 for p in series)
    spread = {c: statistics.pstdev(s) / statistics.mean(s) for c, s in prices.items()}
    assert spread["cabai_rawit"] > 2 * spread["beras"]
    assert spread["cabai_merah"] > 2 * spread["minyak_goreng"] / 2


def test_transactions_are_mostly_kuliner_with_plausible_amounts() -> None:
    stream = run(Simulator(14, START), seconds=600, rate=50)
    reports = [b for b in bodies(stream, "economy") if b["kind"] == "transactions"]
    categories = Counter(r["merchant_category"] for r in reports)
    assert categories.most_common(1)[0][0] == "kuliner"
    assert set(categories) == {"kuliner", "retail", "jasa"}
    for r in reports:
        assert r["kecamatan"] in simdata.KECAMATAN
        assert r["count"] == 0 or 5_000 <= r["amount_idr"] / r["count"] <= 500_000


def test_options_have_the_documented_defaults_and_check_the_ratio(
        capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="marvec simulate")
    add_simulate_arguments(parser)
    args = parser.parse_args([])
    assert (args.rate, args.duration, args.seed, args.invalid_ratio, args.backfill_hours) == (
        None, None, None, 0.0, 0.0)  # the city in real time
    args = parser.parse_args(["--rate", "500", "--duration", "3", "--seed", "7",
                              "--invalid-ratio", "0.05", "--backfill-hours", "6"])
    assert (args.rate, args.duration, args.seed, args.invalid_ratio, args.backfill_hours) == (
        500.0, 3.0, 7, 0.05, 6.0)
    for bad in ("1.5", "-0.1", "lots"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--invalid-ratio", bad])
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert "--invalid-ratio" in err and bad in err


def test_a_bad_invalid_ratio_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid_ratio"):
        Simulator(1, START, invalid_ratio=2.0)


@pytest.mark.integration
def test_run_simulate_sends_every_feed_to_kafka(make_settings: Any) -> None:
    from helpers import read_topic

    from streams.sources.sim.simulate import run_simulate

    settings = make_settings(partitions=1)
    lines: list[str] = []
    result = run_simulate(settings, rate=400, duration=2.0, seed=5, invalid_ratio=0.05,
                          backfill_hours=0.02, log=lines.append)
    assert result["seed"] == 5 and result["failed"] == 0
    assert set(result["feeds"]) == set(FEEDS)
    assert result["sent"] == sum(result["feeds"].values()) == sum(result["labels"].values())
    assert result["sent"] > 0.02 * 3600 * 400 + 400  # backfill, then about 2 s live
    for feed in FEEDS:
        records = read_topic(settings, settings.topics[feed], n=result["feeds"][feed])
        assert len(records) == result["feeds"][feed]
    assert any("backfilled" in line for line in lines)
