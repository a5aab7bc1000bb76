"""CAP 1.2, pure: an alert over the city, one elsewhere, the RSS list, closing at expires."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamrig import boundaries

from streams.sources import cap

FIX = Path(__file__).parent / "fixtures" / "sources"
BEFORE = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
AFTER = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def city():
    return cap.city_shape(boundaries())


def test_alert_over_the_city_opens_then_closes(city):
    body = (FIX / "cap_makassar.xml").read_bytes()
    (ev,) = cap.events(body, city, BEFORE)
    assert (ev["hazard"], ev["severity"], ev["status"]) == ("extreme_weather", 4, "reported")
    assert ev["occurred_at"] == "2026-12-02T14:30:00+07:00"
    evs = cap.events(body, city, AFTER)
    assert [e["status"] for e in evs] == ["reported", "closed"]
    assert evs[0]["event_id"] == ev["event_id"]
    assert evs[1]["occurred_at"] == "2026-12-02T17:30:00+07:00"


def test_alert_elsewhere_is_nothing_and_rss_lists_links(city):
    assert cap.events((FIX / "cap_luwu.xml").read_bytes(), city, AFTER) == []
    assert cap.links((FIX / "cap_rss.xml").read_bytes()) == ["http://HOST/cap_makassar.xml",
                                                             "http://HOST/cap_luwu.xml"]
    assert cap.links((FIX / "cap_makassar.xml").read_bytes()) is None


def test_hazard_words():
    assert cap.hazard_of("Banjir Rob") == "tidal_flood"
    assert cap.hazard_of("Angin Kencang") == "strong_wind"
    assert cap.hazard_of("Heavy Rain") == "extreme_weather"
    assert cap.hazard_of("Kabut") == "other"


def test_not_xml_is_one_line(city):
    with pytest.raises(cap.CapFormatError, match="not XML"):
        cap.events(b"<alert", city, AFTER)
