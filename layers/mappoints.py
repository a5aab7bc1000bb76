"""Point layers on the city map: latest complaints, incidents, flood complaints near floods (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from layers.fmt import Translate, label, plot_text
from layers.geo import flood_complaints
from layers.mapframe import MapFrame
from layers.palette import NEAR_FLOOD, PRIORITY, SEVERITY
from marvec.snapshot import Incident, Snapshot


@dataclass(frozen=True)
class Points:
    """One point layer in map coordinates; ``ids`` ride along as customdata for taps."""

    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    color: list[str] = field(default_factory=list)
    size: list[float] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    hover: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


def complaint_points(snapshot: Snapshot, frame: MapFrame, tr: Translate, scale: float) -> Points:
    pts = Points()
    for c in snapshot.complaints.latest:
        if c.lat is None or c.lon is None:
            continue
        x, y = frame.project(c.lon, c.lat)
        pts.x.append(x)
        pts.y.append(y)
        pts.color.append(PRIORITY.get(c.priority, PRIORITY["normal"]))
        pts.size.append(round(8 * scale, 1))
        pts.hover.append(f"{label(tr, 'cat', c.category)} · {plot_text(c.kecamatan or '')}")
        pts.ids.append(c.complaint_id)
    return pts


SAME_SPOT = 0.0025
"""Incidents closer than this (map units, about degrees: ~250 m) share a spot."""
SPREAD = 0.0035
"""Radius of the ring incidents sharing a spot are spread on (~350 m): each number stays legible."""


def spread_spots(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points that share a spot moved onto a small ring around it, so markers do not hide
    each other (recurring flood spots report several incidents at one place)."""
    groups: list[list[int]] = []
    for k, (x, y) in enumerate(points):
        for g in groups:
            gx, gy = points[g[0]]
            if abs(x - gx) < SAME_SPOT and abs(y - gy) < SAME_SPOT:
                g.append(k)
                break
        else:
            groups.append([k])
    out = list(points)
    for g in groups:
        if len(g) < 2:
            continue
        cx = sum(points[k][0] for k in g) / len(g)
        cy = sum(points[k][1] for k in g) / len(g)
        for n, k in enumerate(g):
            angle = math.pi / 2 + 2 * math.pi * n / len(g)
            out[k] = (cx + SPREAD * math.cos(angle), cy + SPREAD * math.sin(angle))
    return out


def incident_points(incidents: Sequence[Incident], frame: MapFrame, tr: Translate, scale: float) -> Points:
    pts = Points()
    placed = [i for i in sorted(incidents, key=lambda i: i.severity)  # most severe drawn last, on top
              if i.lat is not None and i.lon is not None]
    spots = spread_spots([frame.project(i.lon or 0.0, i.lat or 0.0) for i in placed])
    for i, (x, y) in zip(placed, spots, strict=True):
        pts.x.append(x)
        pts.y.append(y)
        pts.color.append(SEVERITY.get(i.severity, SEVERITY[5]))
        pts.size.append(round((14 + 6 * i.severity) * scale, 1))
        pts.text.append(str(i.severity))
        pts.hover.append(
            f"{label(tr, 'hazard', i.hazard)} · {plot_text(i.kecamatan or '')} · {label(tr, 'istatus', i.status)}"
        )
        pts.ids.append(i.incident_id)
    return pts


def near_points(snapshot: Snapshot, frame: MapFrame, radius_m: float, scale: float,
                incidents: Sequence[Incident] | None = None) -> Points:
    """The ring around flood-related complaints near the floods of ``incidents`` (default all)."""
    pts = Points()
    seen: set[str] = set()
    for near in flood_complaints(snapshot, radius_m, incidents).values():
        for n in near:
            c = n.complaint
            if c.complaint_id in seen or c.lat is None or c.lon is None:
                continue
            seen.add(c.complaint_id)
            x, y = frame.project(c.lon, c.lat)
            pts.x.append(x)
            pts.y.append(y)
            pts.color.append(NEAR_FLOOD)
            pts.size.append(round(16 * scale, 1))
            pts.ids.append(c.complaint_id)
    return pts


def incident_text_size(scale: float) -> float:
    """The severity digit inside an incident marker."""
    return round(15 * scale, 1)
