"""CAP 1.2 alerts (one file, or an RSS/Atom list of CAP links) -> disasters events. Pure.

An alert becomes an incident when one of its ``area/polygon`` rings ("lat,lon lat,lon ...")
intersects the city's boundaries (shapely). ``reported`` at ``effective``, ``closed`` at
``expires`` once due. Ids come from the CAP ``identifier``.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from shapely import unary_union
from shapely.geometry import Polygon, shape
from shapely.geometry.base import BaseGeometry

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
ALERT_TAG = "{urn:oasis:names:tc:emergency:cap:1.2}alert"
SEVERITY = {"extreme": 5, "severe": 4, "moderate": 3, "minor": 2, "unknown": 1}
# (word in the CAP ``event``, lower case) -> hazard; the first entry found wins, so rain
# before wind: "Hujan Lebat disertai Petir dan Angin Kencang" is extreme_weather.
HAZARDS: list[tuple[str, str]] = [
    ("banjir rob", "tidal_flood"), ("rob", "tidal_flood"), ("coastal flood", "tidal_flood"),
    ("banjir", "flood"), ("flood", "flood"),
    ("hujan lebat", "extreme_weather"), ("hujan", "extreme_weather"), ("petir", "extreme_weather"),
    ("heavy rain", "extreme_weather"), ("thunderstorm", "extreme_weather"),
    ("cuaca ekstrem", "extreme_weather"),
    ("angin kencang", "strong_wind"), ("puting beliung", "strong_wind"), ("wind", "strong_wind"),
    ("longsor", "landslide"), ("landslide", "landslide"),
    ("gempa", "earthquake"), ("earthquake", "earthquake"), ("kebakaran", "fire"), ("fire", "fire"),
]


class CapFormatError(ValueError):
    """Not a CAP 1.2 alert or feed."""


def city_shape(boundaries: Any) -> BaseGeometry:
    """The union of the loaded boundaries' polygons (their map GeoJSON, ~tens of metres)."""
    return unary_union([shape(f["geometry"]) for f in boundaries.geojson()["features"]])


def hazard_of(event: str) -> str:
    low = event.lower()
    return next((h for word, h in HAZARDS if word in low), "other")


def parse_polygon(text: str) -> Polygon:
    """CAP's ``"lat,lon lat,lon ..."`` (first == last) -> a shapely polygon in lon/lat."""
    try:
        pts = [(float(p.split(",")[1]), float(p.split(",")[0])) for p in text.split()]
    except (IndexError, ValueError):
        raise CapFormatError(f"polygon {text[:60]!r}: expected 'lat,lon lat,lon ...'") from None
    if len(pts) < 4:
        raise CapFormatError("polygon: fewer than 4 points")
    return Polygon(pts)


def links(body: bytes) -> list[str] | None:
    """CAP file links of an RSS/Atom list; None when ``body`` is a CAP alert itself."""
    root = _root(body)
    if root.tag == ALERT_TAG:
        return None
    found = [el.text.strip() for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "link" and el.text]
    found += [el.attrib["href"] for el in root.iter()
              if el.tag.rsplit("}", 1)[-1] == "link" and "href" in el.attrib]
    return found


def _root(body: bytes) -> ET.Element:
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise CapFormatError(f"not XML: {exc}") from None


def events(body: bytes, city: BaseGeometry, now: datetime) -> list[dict[str, Any]]:
    """Events of one CAP alert whose area touches ``city`` (the union of the boundaries)."""
    root = _root(body)
    ident = root.findtext("cap:identifier", namespaces=NS)
    if root.tag != ALERT_TAG or not ident:
        raise CapFormatError("not a CAP 1.2 alert (no cap:alert/cap:identifier)")
    out: list[dict[str, Any]] = []
    for n, info in enumerate(root.findall("cap:info", NS)):
        polys = [parse_polygon(p.text or "") for p in info.iterfind("cap:area/cap:polygon", NS)]
        touching = [p for p in polys if p.intersects(city)]
        if not touching:
            continue
        try:
            effective = datetime.fromisoformat(info.findtext("cap:effective", namespaces=NS)
                                               or root.findtext("cap:sent", namespaces=NS) or "")
            expires_s = info.findtext("cap:expires", namespaces=NS)
            expires = datetime.fromisoformat(expires_s) if expires_s else None
        except ValueError as exc:
            raise CapFormatError(f"{ident}: {exc}") from None
        iid = "cap-" + hashlib.sha1(f"{ident}|{n}".encode()).hexdigest()[:16]
        centre = touching[0].intersection(city).representative_point()
        base = {"source": "bmkg", "incident_id": iid,
                "hazard": hazard_of(info.findtext("cap:event", namespaces=NS) or ""),
                "severity": SEVERITY.get((info.findtext("cap:severity", namespaces=NS) or "").lower(), 1),
                "location": {"lat": round(centre.y, 6), "lon": round(centre.x, 6)},
                "cap_identifier": ident,
                "area": "; ".join(a.text or "" for a in info.iterfind("cap:area/cap:areaDesc", NS))}
        out.append({**base, "event_id": f"{iid}-reported", "status": "reported",
                    "occurred_at": effective.isoformat()})
        if expires is not None and expires <= now:
            out.append({**base, "event_id": f"{iid}-closed", "status": "closed",
                        "occurred_at": expires.isoformat()})
    return out
