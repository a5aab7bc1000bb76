"""BMKG earthquake feeds (autogempa.json, gempaterkini.json, gempadirasakan.json) -> disasters events.

Every value in BMKG's JSON is a string. One quake appears in several feeds: it is one
incident, keyed by ``DateTime`` + ``Coordinates``. Pure functions; no I/O here.

Severity rule (documented in docs/sources/bmkg.md): the larger of a magnitude step
(M < 4: 1, < 5: 2, < 6: 3, < 7: 4, else 5) and a felt-intensity step from the highest
MMI Roman numeral in ``Dirasakan`` (I-II: 1, III: 2, IV-V: 3, VI-VII: 4, VIII+: 5).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

CITY_CENTRE = (-5.14, 119.43)
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8,
         "IX": 9, "X": 10, "XI": 11, "XII": 12}
_ROMAN_RE = re.compile(r"\b(XII|XI|X|IX|VIII|VII|VI|V|IV|III|II|I)\b")
MONTHS_ID = {"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Mei": 5, "Jun": 6, "Jul": 7,
             "Agu": 8, "Agt": 8, "Sep": 9, "Okt": 10, "Nov": 11, "Des": 12}


class BmkgFormatError(ValueError):
    """A BMKG reply that is not the documented format."""


@dataclass(frozen=True)
class Quake:
    occurred_at: datetime
    lat: float
    lon: float
    magnitude: float
    depth_km: float
    wilayah: str
    potensi: str | None
    max_mmi: int | None

    @property
    def incident_id(self) -> str:
        digest = hashlib.sha1(f"{self.occurred_at.isoformat()}|{self.lat},{self.lon}".encode())
        return f"bmkg-{self.occurred_at:%Y%m%d%H%M%S}-{digest.hexdigest()[:8]}"


def parse_km(value: str) -> float:
    """``"10 km"`` -> 10.0."""
    return float(value.strip().lower().removesuffix("km").strip().replace(",", "."))


def parse_latlon_words(lintang: str, bujur: str) -> tuple[float, float]:
    """``"5.21 LS"``, ``"107.84 BT"`` -> (-5.21, 107.84). LU/LS north/south, BT/BB east/west."""
    lat_v, lat_h = lintang.split()
    lon_v, lon_h = bujur.split()
    lat = float(lat_v) * (-1 if lat_h.upper() == "LS" else 1)
    lon = float(lon_v) * (-1 if lon_h.upper() == "BB" else 1)
    return lat, lon


def parse_tanggal(tanggal: str) -> tuple[int, int, int]:
    """``"28 Agu 2024"`` -> (2024, 8, 28)."""
    day, month, year = tanggal.split()
    if month[:3].title() not in MONTHS_ID:
        raise BmkgFormatError(f"Tanggal {tanggal!r}: unknown month {month!r}")
    return int(year), MONTHS_ID[month[:3].title()], int(day)


def max_intensity(dirasakan: str | None) -> int | None:
    """Highest MMI Roman numeral in ``"III Makassar, II-III Maros"``; None for ``"-"``/absent."""
    if not dirasakan or dirasakan.strip() == "-":
        return None
    found = [ROMAN[m] for m in _ROMAN_RE.findall(dirasakan)]
    return max(found) if found else None


def severity(magnitude: float, mmi: int | None) -> int:
    """The documented rule: the larger of the magnitude step and the felt-intensity step."""
    by_mag = 1 if magnitude < 4 else 2 if magnitude < 5 else 3 if magnitude < 6 else 4 if magnitude < 7 else 5
    by_mmi = 0 if mmi is None else 1 if mmi <= 2 else 2 if mmi == 3 else 3 if mmi <= 5 else 4 if mmi <= 7 else 5
    return max(by_mag, by_mmi)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine, R = 6371 km)."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def parse_quake(g: dict[str, Any]) -> Quake:
    """One ``gempa`` object -> Quake; ``BmkgFormatError`` naming the field otherwise."""
    try:
        when = datetime.fromisoformat(g["DateTime"])
        if when.tzinfo is None:
            raise BmkgFormatError(f"DateTime {g['DateTime']!r} has no offset")
        if "Coordinates" in g:
            lat_s, lon_s = g["Coordinates"].split(",")
            lat, lon = float(lat_s), float(lon_s)
        else:
            lat, lon = parse_latlon_words(g["Lintang"], g["Bujur"])
        return Quake(when, lat, lon, float(g["Magnitude"]), parse_km(g["Kedalaman"]),
                     g.get("Wilayah", ""), g.get("Potensi"), max_intensity(g.get("Dirasakan")))
    except KeyError as exc:
        raise BmkgFormatError(f"gempa object has no {exc.args[0]!r}") from None
    except (ValueError, AttributeError) as exc:
        if isinstance(exc, BmkgFormatError):
            raise
        raise BmkgFormatError(f"gempa object: {exc}") from None


def parse_feed(body: bytes | str) -> list[Quake]:
    """A whole reply ``{"Infogempa": {"gempa": object or list}}`` -> quakes."""
    try:
        doc = json.loads(body)
        gempa = doc["Infogempa"]["gempa"]
    except json.JSONDecodeError as exc:
        raise BmkgFormatError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (KeyError, TypeError):
        raise BmkgFormatError('expected {"Infogempa": {"gempa": ...}}') from None
    items = gempa if isinstance(gempa, list) else [gempa]
    return [parse_quake(g) for g in items]


def merge(quakes: list[Quake]) -> dict[str, Quake]:
    """One quake per incident id across feeds; the highest felt intensity seen is kept."""
    out: dict[str, Quake] = {}
    for q in quakes:
        old = out.get(q.incident_id)
        if old is None or (q.max_mmi or 0) > (old.max_mmi or 0) or (old.potensi is None and q.potensi):
            out[q.incident_id] = Quake(q.occurred_at, q.lat, q.lon, q.magnitude, q.depth_km,
                                       q.wilayah or (old.wilayah if old else ""),
                                       q.potensi or (old.potensi if old else None),
                                       max(q.max_mmi or 0, (old.max_mmi or 0) if old else 0) or None)
    return out


def events(quakes: list[Quake], now: datetime, *, radius_km: float = 300.0,
           close_after_hours: float = 6.0,
           centre: tuple[float, float] = CITY_CENTRE) -> list[dict[str, Any]]:
    """Feed events for the quakes within ``radius_km``: ``reported``, and ``closed`` once due.

    The reported event's id depends on its severity, so a later felt report that raises
    the severity is a new event of the same incident; re-polling the same data is a duplicate.
    """
    out: list[dict[str, Any]] = []
    for iid, q in sorted(merge(quakes).items()):
        if distance_km(centre, (q.lat, q.lon)) > radius_km:
            continue
        sev = severity(q.magnitude, q.max_mmi)
        base = {"source": "bmkg", "incident_id": iid, "hazard": "earthquake", "severity": sev,
                "location": {"lat": q.lat, "lon": q.lon}, "magnitude": q.magnitude,
                "depth_km": q.depth_km, "tsunami_potential": q.potensi, "wilayah": q.wilayah}
        out.append({**base, "event_id": f"{iid}-reported-s{sev}", "status": "reported",
                    "occurred_at": q.occurred_at.isoformat()})
        closes = q.occurred_at + timedelta(hours=close_after_hours)
        if closes <= now:
            out.append({**base, "event_id": f"{iid}-closed", "status": "closed",
                        "occurred_at": closes.isoformat()})
    return out
