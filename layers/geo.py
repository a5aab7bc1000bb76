"""Distances and the flood/complaint join for the crisis screen (pure)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from marvec.snapshot import ComplaintPoint, Incident, Snapshot

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""

FLOOD_HAZARDS = frozenset({"flood", "tidal_flood"})
FLOOD_CATEGORIES = frozenset({"drainage"})
_FLOOD_WORDS = re.compile(
    r"\b(banjir|genang\w*|tergenang|luapan|meluap|rob|flood\w*|drain\w*|got|selokan)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NearbyComplaint:
    """A flood-related complaint and its distance to one flood incident."""

    complaint: ComplaintPoint
    distance_m: float


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def is_flood_related(complaint: ComplaintPoint) -> bool:
    """A drainage complaint, or one whose text speaks of flooding or standing water."""
    if complaint.category in FLOOD_CATEGORIES:
        return True
    return bool(complaint.text and _FLOOD_WORDS.search(complaint.text))


def is_flood(incident: Incident) -> bool:
    """An active flood or tidal flood."""
    return incident.hazard in FLOOD_HAZARDS and incident.status != "closed"


def complaints_near(
    incident: Incident, complaints: list[ComplaintPoint], radius_m: float
) -> list[NearbyComplaint]:
    """Flood-related complaints within ``radius_m`` of ``incident``, nearest first."""
    if incident.lat is None or incident.lon is None:
        return []
    found = []
    for c in complaints:
        if c.lat is None or c.lon is None or not is_flood_related(c):
            continue
        d = haversine_m(incident.lat, incident.lon, c.lat, c.lon)
        if d <= radius_m:
            found.append(NearbyComplaint(c, d))
    return sorted(found, key=lambda n: (n.distance_m, n.complaint.complaint_id))


def flood_complaints(snapshot: Snapshot, radius_m: float,
                     incidents: Sequence[Incident] | None = None) -> dict[str, list[NearbyComplaint]]:
    """For each active flood/tidal flood (of ``incidents``, default all): the flood-related
    complaints near it.

    Keys are incident ids (only floods with at least one nearby complaint appear).
    A complaint near two floods is listed with both.
    """
    out: dict[str, list[NearbyComplaint]] = {}
    related = [c for c in snapshot.complaints.latest
               if c.lat is not None and c.lon is not None and is_flood_related(c)]  # once, not per flood
    for incident in snapshot.disasters.incidents if incidents is None else incidents:
        if not is_flood(incident):
            continue
        near = complaints_near(incident, related, radius_m)
        if near:
            out[incident.incident_id] = near
    return out
