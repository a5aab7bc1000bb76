"""Haversine distance and the flood / complaint join (layers/geo.py)."""

from __future__ import annotations

import pytest

from layers.geo import complaints_near, flood_complaints, haversine_m, is_flood_related
from marvec.snapshot import ComplaintPoint, Incident
from tests.snapshot_fixtures import empty_snapshot

LOSARI = (-5.1436, 119.4078)
FORT_ROTTERDAM = (-5.1339, 119.4053)


def complaint(cid: str, lat: float | None, lon: float | None, category: str | None = "drainage",
              text: str | None = None) -> ComplaintPoint:
    return ComplaintPoint(complaint_id=cid, status="received", category=category, priority="normal",
                          kecamatan="Manggala", lat=lat, lon=lon, occurred_at="2026-11-02T10:00:00+08:00",
                          text=text)


def incident(iid: str = "f1", hazard: str = "flood", status: str = "responding", lat: float | None = -5.17,
             lon: float | None = 119.49) -> Incident:
    return Incident(incident_id=iid, hazard=hazard, severity=3, status=status, lat=lat, lon=lon,
                    kecamatan="Manggala", occurred_at="2026-11-02T08:00:00+08:00")


def test_haversine_one_degree_of_longitude_at_the_equator():
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-3)


def test_haversine_losari_to_fort_rotterdam_is_about_1_1_km():
    assert haversine_m(*LOSARI, *FORT_ROTTERDAM) == pytest.approx(1110, abs=40)


def test_haversine_is_symmetric_and_zero_on_the_same_point():
    assert haversine_m(*LOSARI, *LOSARI) == 0
    assert haversine_m(*LOSARI, *FORT_ROTTERDAM) == pytest.approx(haversine_m(*FORT_ROTTERDAM, *LOSARI))


def test_flood_related_by_category_or_by_words_in_the_text():
    assert is_flood_related(complaint("a", 0, 0, "drainage"))
    assert is_flood_related(complaint("b", 0, 0, "roads", "Jalan tergenang air setinggi lutut"))
    assert is_flood_related(complaint("c", 0, 0, "other", "BANJIR masuk rumah"))
    assert is_flood_related(complaint("d", 0, 0, "waste", "selokan tersumbat sampah"))
    assert not is_flood_related(complaint("e", 0, 0, "street_lighting", "Lampu jalan mati"))
    assert not is_flood_related(complaint("f", 0, 0, "roads", "Jalan berlubang; robek"))


def test_complaints_near_keeps_those_within_the_radius_nearest_first():
    flood = incident(lat=-5.17, lon=119.49)
    far = complaint("far", -5.17, 119.49 + 0.02)        # ~2.2 km east
    near = complaint("near", -5.17 + 0.005, 119.49)     # ~550 m north
    nearer = complaint("nearer", -5.17, 119.49 + 0.002)  # ~220 m east
    found = complaints_near(flood, [far, near, nearer], radius_m=1500)
    assert [n.complaint.complaint_id for n in found] == ["nearer", "near"]
    assert found[0].distance_m == pytest.approx(221, abs=5)


def test_complaints_near_skips_unlocated_and_unrelated_complaints():
    flood = incident()
    found = complaints_near(flood, [
        complaint("nowhere", None, None),
        complaint("lamp", -5.17, 119.49, "street_lighting", "lampu mati"),
    ], radius_m=5000)
    assert found == []
    assert complaints_near(incident(lat=None, lon=None), [complaint("x", -5.17, 119.49)], 5000) == []


def test_flood_complaints_only_for_active_floods_and_tidal_floods():
    snap = empty_snapshot().model_copy(update={
        "disasters": empty_snapshot().disasters.model_copy(update={"incidents": [
            incident("flood"), incident("tide", "tidal_flood"), incident("fire", "fire"),
            incident("old", status="closed"),
        ]}),
        "complaints": empty_snapshot().complaints.model_copy(update={"latest": [complaint("c1", -5.171, 119.491)]}),
    })
    found = flood_complaints(snap, radius_m=1500)
    assert set(found) == {"flood", "tide"}
    assert found["flood"][0].complaint.complaint_id == "c1"
