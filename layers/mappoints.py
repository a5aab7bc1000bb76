"""Point layers on the city map: latest complaints, incidents, flood complaints near floods (pure)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from layers.fmt import Translate, label
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
        pts.hover.append(f"{label(tr, 'cat', c.category)} · {html.escape(c.kecamatan or '')}")
        pts.ids.append(c.complaint_id)
    return pts


def incident_points(incidents: Sequence[Incident], frame: MapFrame, tr: Translate, scale: float) -> Points:
    pts = Points()
    for i in sorted(incidents, key=lambda i: i.severity):  # most severe drawn last, on top
        if i.lat is None or i.lon is None:
            continue
        x, y = frame.project(i.lon, i.lat)
        pts.x.append(x)
        pts.y.append(y)
        pts.color.append(SEVERITY.get(i.severity, SEVERITY[5]))
        pts.size.append(round((14 + 6 * i.severity) * scale, 1))
        pts.text.append(str(i.severity))
        pts.hover.append(
            f"{label(tr, 'hazard', i.hazard)} · {html.escape(i.kecamatan or '')} · {label(tr, 'istatus', i.status)}"
        )
        pts.ids.append(i.incident_id)
    return pts


def near_points(snapshot: Snapshot, frame: MapFrame, radius_m: float, scale: float) -> Points:
    pts = Points()
    seen: set[str] = set()
    for near in flood_complaints(snapshot, radius_m).values():
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
