"""BMKG adapter, pure: fixture files in BMKG's own format (every value a string)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from streams.sources import bmkg

FIX = Path(__file__).parent / "fixtures" / "sources"


def test_strings_are_parsed():
    assert bmkg.parse_km("10 km") == 10.0
    assert bmkg.parse_latlon_words("5.21 LS", "107.84 BT") == (-5.21, 107.84)
    assert bmkg.parse_tanggal("28 Agu 2024") == (2024, 8, 28)
    assert bmkg.parse_tanggal("02 Des 2026") == (2026, 12, 2)
    assert bmkg.max_intensity("III Makassar, II-III Maros") == 3
    assert bmkg.max_intensity("-") is None


def test_severity_rule():
    assert bmkg.severity(3.2, None) == 1
    assert bmkg.severity(4.6, 3) == 2
    assert bmkg.severity(4.6, 5) == 3
    assert bmkg.severity(6.5, None) == 4
    assert bmkg.severity(5.0, 8) == 5


def test_one_quake_in_two_feeds_is_one_incident_and_the_far_one_is_dropped():
    quakes = bmkg.parse_feed((FIX / "autogempa.json").read_bytes())
    quakes += bmkg.parse_feed((FIX / "gempaterkini.json").read_bytes())
    now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    evs = bmkg.events(quakes, now)
    assert [e["status"] for e in evs] == ["reported"]
    (ev,) = evs
    assert ev["incident_id"].startswith("bmkg-20261202021230-")
    assert ev["occurred_at"] == "2026-12-02T02:12:30+00:00"
    assert ev["location"] == {"lat": -5.31, "lon": 119.62}
    assert (ev["magnitude"], ev["depth_km"], ev["severity"]) == (4.6, 10.0, 2)
    assert ev["tsunami_potential"] == "Tidak berpotensi tsunami"
    # Garut is ~1,200 km away: kept only with a huge radius
    assert [e["status"] for e in bmkg.events(quakes, now, radius_km=5000)] == ["reported", "closed", "reported"]


def test_closed_event_is_emitted_once_due_with_a_fixed_id():
    quakes = bmkg.parse_feed((FIX / "autogempa.json").read_bytes())
    later = datetime(2026, 12, 2, 8, 12, 30, tzinfo=UTC)
    evs = bmkg.events(quakes, later)
    assert [e["status"] for e in evs] == ["reported", "closed"]
    assert evs[1]["occurred_at"] == "2026-12-02T08:12:30+00:00"
    assert evs == bmkg.events(quakes, later)  # same ids on every poll


@pytest.mark.parametrize("body, says", [(b"{not json", "not JSON"), (b'{"x": 1}', "Infogempa"),
                                        (b'{"Infogempa": {"gempa": {"Magnitude": "4"}}}', "DateTime")])
def test_malformed_replies_say_what_is_wrong(body, says):
    with pytest.raises(bmkg.BmkgFormatError, match=says):
        bmkg.parse_feed(body)
