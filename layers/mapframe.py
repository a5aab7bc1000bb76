"""The map's drawing frame: kecamatan outlines in plain x/y, with an inset for far islands.

The screens draw the city on ordinary cartesian axes (SVG): it needs no tile server,
no WebGL and no network, so it works offline and in any browser. Longitude is x and
latitude is y, with the y axis stretched by ``1/cos(latitude)`` so shapes keep their
proportions. Kota Makassar's Kepulauan Sangkarrang lies 20-40 km out at sea; drawn
in place it would shrink the mainland to a third of the map, so districts far from
the rest are moved, scaled down, into an inset box in the emptiest corner. Points
(complaints, incidents) that fall in the inset's area are moved with it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

Ring = list[tuple[float, float]]
Box = tuple[float, float, float, float]
"""(minx, miny, maxx, maxy)."""


@dataclass(frozen=True)
class Inset:
    """Affine move of a far-away area into a box on the map: ``x = ox + s * (lon - minlon)``."""

    names: frozenset[str]
    source: Box
    scale: float
    origin: tuple[float, float]

    @property
    def box(self) -> Box:
        """Where the inset is drawn, in map coordinates."""
        w = (self.source[2] - self.source[0]) * self.scale
        h = (self.source[3] - self.source[1]) * self.scale
        return (self.origin[0], self.origin[1], self.origin[0] + w, self.origin[1] + h)

    def covers(self, lon: float, lat: float) -> bool:
        """Whether a real-world point lies in the inset's area (with a 10% margin)."""
        minx, miny, maxx, maxy = self.source
        mx, my = (maxx - minx) * 0.1, (maxy - miny) * 0.1
        return minx - mx <= lon <= maxx + mx and miny - my <= lat <= maxy + my

    def move(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            self.origin[0] + self.scale * (lon - self.source[0]),
            self.origin[1] + self.scale * (lat - self.source[1]),
        )


@dataclass(frozen=True)
class Callout:
    """A label moved out of its small district: ``box`` (label, map units) and a leader line
    from ``anchor`` (inside the district) to ``end`` (the label's nearest edge)."""

    name: str
    anchor: tuple[float, float]
    box: Box

    @property
    def center(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)

    @property
    def end(self) -> tuple[float, float]:
        return (min(max(self.anchor[0], self.box[0]), self.box[2]), min(max(self.anchor[1], self.box[1]), self.box[3]))


@dataclass(frozen=True)
class MapFrame:
    """Kecamatan outlines ready to draw, and how to place any point on the same map."""

    names: tuple[str, ...]
    rings: Mapping[str, tuple[Ring, ...]]
    bounds: Box
    inset: Inset | None = None
    labels: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    label_weight: Mapping[str, float] = field(default_factory=dict)
    """0-1 per kecamatan: square root of its drawn area over the largest (label sizing)."""
    callouts: Mapping[str, Callout] = field(default_factory=dict)
    """Kecamatan too small for their label: the label sits in free space (``labels`` holds
    its centre) with a leader line to the district."""

    @property
    def y_ratio(self) -> float:
        """Pixels per degree of latitude over pixels per degree of longitude."""
        mid = (self.bounds[1] + self.bounds[3]) / 2
        return 1 / math.cos(math.radians(mid))

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        """A WGS84 point in map coordinates (moved into the inset when it lies there)."""
        if self.inset is not None and self.inset.covers(lon, lat):
            return self.inset.move(lon, lat)
        return (lon, lat)

    def outline(self, name: str) -> tuple[list[float | None], list[float | None]]:
        """x and y of a kecamatan's rings, separated by ``None`` gaps (one fill each)."""
        xs: list[float | None] = []
        ys: list[float | None] = []
        for ring in self.rings[name]:
            if xs:
                xs.append(None)
                ys.append(None)
            xs.extend(p[0] for p in ring)
            ys.extend(p[1] for p in ring)
        return xs, ys


def _rings_of(geometry: Mapping[str, Any]) -> list[Ring]:
    kind, coords = geometry.get("type"), geometry.get("coordinates", [])
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    return [[(float(p[0]), float(p[1])) for p in poly[0]] for poly in polygons if poly]


def _box(rings: Iterable[Ring]) -> Box:
    pts = [p for ring in rings for p in ring]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys))


def _area(box: Box) -> float:
    return max(box[2] - box[0], 1e-9) * max(box[3] - box[1], 1e-9)


def _centroid(ring: Ring) -> tuple[float, float]:
    """Area centroid of a ring (falls back to the vertex mean for degenerate rings)."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(a) < 1e-12:
        return (statistics.fmean(p[0] for p in ring), statistics.fmean(p[1] for p in ring))
    return (cx / (3 * a), cy / (3 * a))


def _ring_area(ring: Ring) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)))


def _remote(boxes: Mapping[str, Box]) -> set[str]:
    """Districts far from the rest whose removal shrinks the map by more than half."""
    if len(boxes) < 3:
        return set()
    centers = {n: ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for n, b in boxes.items()}
    mx = statistics.median(c[0] for c in centers.values())
    my = statistics.median(c[1] for c in centers.values())
    dist = {n: math.hypot(c[0] - mx, c[1] - my) for n, c in centers.items()}
    typical = statistics.median(dist.values()) or 1e-9
    far = {n for n, d in dist.items() if d > 3 * typical}
    if not far or len(far) > len(boxes) // 3:
        return set()
    near_box = _box([[(b[0], b[1]), (b[2], b[3])] for n, b in boxes.items() if n not in far])
    all_box = _box([[(b[0], b[1]), (b[2], b[3])] for b in boxes.values()])
    return far if _area(near_box) < 0.5 * _area(all_box) else set()


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place_inset(names: set[str], boxes: Mapping[str, Box], main: Box) -> Inset:
    """Scale the remote area to 30% of the map's width and put it in the emptiest corner."""
    source = _box([[(b[0], b[1]), (b[2], b[3])] for n, b in boxes.items() if n in names])
    scale = 0.3 * (main[2] - main[0]) / max(source[2] - source[0], 1e-9)
    w, h = (source[2] - source[0]) * scale, (source[3] - source[1]) * scale
    corners = [  # top-left first: ties go to it
        (main[0], main[3] - h), (main[2] - w, main[3] - h), (main[0], main[1]), (main[2] - w, main[1]),
    ]
    others = [b for n, b in boxes.items() if n not in names]

    def crowding(corner: tuple[float, float]) -> float:
        box = (corner[0], corner[1], corner[0] + w, corner[1] + h)
        return sum(1 for b in others if _overlaps(box, b))

    origin = min(corners, key=crowding)
    return Inset(frozenset(names), source, scale, origin)


def build_frame(geojson: Mapping[str, Any], name_key: str = "id") -> MapFrame:
    """Prepare a FeatureCollection (feature ``id`` = kecamatan name) for drawing.

    ``name_key="id"`` reads the feature id; any other value reads that property.
    """
    rings: dict[str, list[Ring]] = {}
    for feature in geojson.get("features", []):
        props = feature.get("properties") or {}
        name = (feature.get("id") or props.get("kecamatan")) if name_key == "id" else props.get(name_key)
        found = _rings_of(feature.get("geometry") or {})
        if name and found:
            rings.setdefault(str(name), []).extend(found)
    if not rings:
        raise ValueError("boundaries: no Polygon/MultiPolygon feature with a name to draw")
    boxes = {n: _box(r) for n, r in rings.items()}
    far = _remote(boxes)
    main = _box([[(b[0], b[1]), (b[2], b[3])] for n, b in boxes.items() if n not in far])
    inset = _place_inset(far, boxes, main) if far else None
    drawn = {n: tuple(_moved(r, inset) if n in far and inset else r for r in rs) for n, rs in rings.items()}
    labels = {n: _centroid(max(rs, key=_ring_area)) for n, rs in drawn.items()}
    areas = {n: sum(_ring_area(r) for r in rs) for n, rs in drawn.items()}
    top = max(areas.values()) or 1.0
    weight = {n: math.sqrt(a / top) for n, a in areas.items()}
    return with_callouts(MapFrame(tuple(rings), drawn, _pad(main, 0.03), inset, labels, weight))


def _moved(ring: Ring, inset: Inset) -> Ring:
    return [inset.move(x, y) for x, y in ring]


def _pad(box: Box, share: float) -> Box:
    dx, dy = (box[2] - box[0]) * share, (box[3] - box[1]) * share
    return (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)


# -- labels of the crowded old town ------------------------------------------------
OLD_TOWN = ("Wajo", "Bontoala", "Ujung Pandang", "Makassar", "Mariso")
"""The old-town kecamatan: too small on the wall for a label inside, so theirs are called out."""
WALL_MAP_PX = (960.0, 820.0)
"""The wall's map box at scale 1 (1920x1080; 3840x2160 is the same at scale 2), CSS px."""
LABEL_PX = 17.0
"""A called-out label's font size at scale 1 (the wall's ``LABEL_BASE``)."""
VALUE_CHARS = 9
"""Widest value line a label carries (``Rp 999 jt``)."""


def px_per_unit(bounds: Box, y_ratio: float, map_px: tuple[float, float] = WALL_MAP_PX) -> float:
    """Screen px per map x unit when ``bounds`` is fitted into ``map_px`` (aspect kept)."""
    return min(map_px[0] / max(bounds[2] - bounds[0], 1e-9),
               map_px[1] / max((bounds[3] - bounds[1]) * y_ratio, 1e-9))


def text_box(center: tuple[float, float], lines: list[int], size_px: float, k: float, y_ratio: float) -> Box:
    """The box (map units) of centred text: ``lines`` = characters per line, ``k`` px per unit.

    Conservative: 0.62 em per character (bold digits), 1.25 em per line, 4 px margin.
    """
    w = (max(lines, default=0) * 0.62 * size_px + 8) / k
    h = (len(lines) * 1.25 * size_px + 8) / (k * y_ratio)
    return (center[0] - w / 2, center[1] - h / 2, center[0] + w / 2, center[1] + h / 2)


def _inside(x: float, y: float, ring: Ring) -> bool:
    hit = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            hit = not hit
    return hit


def _on_land(box: Box, rings: list[tuple[Box, Ring]]) -> bool:
    """Whether any land touches ``box``: a sample point of the box on land, or a vertex
    of a ring inside the box (a small island between the samples)."""
    xs = [box[0] + (box[2] - box[0]) * i / 8 for i in range(9)]
    ys = [box[1] + (box[3] - box[1]) * i / 4 for i in range(5)]
    for rb, ring in rings:
        if not _overlaps(box, rb):
            continue
        if any(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in ring):
            return True
        if any(_inside(x, y, ring) for x in xs for y in ys):
            return True
    return False


def _crosses(a: tuple[float, float], b: tuple[float, float], box: Box) -> bool:
    """Whether the segment a-b passes through ``box`` (sampled)."""
    for i in range(1, 20):
        t = i / 20
        x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        if box[0] < x < box[2] and box[1] < y < box[3]:
            return True
    return False


def place_callouts(
    names: Iterable[str], rings: Mapping[str, tuple[Ring, ...]], labels: Mapping[str, tuple[float, float]],
    fixed: Mapping[str, Box], bounds: Box, y_ratio: float, avoid: Iterable[Box] = (),
    size_px: float = LABEL_PX, map_px: tuple[float, float] = WALL_MAP_PX,
) -> dict[str, Callout]:
    """Labels for ``names`` placed in free space (the sea, mostly), nearest first (pure).

    Each label (name on one line, value under it, ``size_px`` on a ``map_px`` map) goes to
    the free spot closest to its district, preferring level leader lines: not on land,
    not over ``fixed`` (other labels' boxes), ``avoid`` (the inset) or a label placed
    before, and its leader line crosses no other label. North to south, so the lines do
    not cross each other. A name with no free spot keeps its label in place (absent).
    """
    k = px_per_unit(bounds, y_ratio, map_px)
    land = [(_box([r]), r) for rs in rings.values() for r in rs]
    blocked = [*fixed.values(), *avoid]
    placed: dict[str, Callout] = {}
    todo = sorted((n for n in names if n in labels), key=lambda n: -labels[n][1])
    for name in todo:
        ax, ay = labels[name]
        probe = text_box((0.0, 0.0), [len(name), VALUE_CHARS], size_px, k, y_ratio)
        w, h = probe[2] - probe[0], probe[3] - probe[1]
        cands = []
        steps_x = max(1, int((bounds[2] - bounds[0]) / (w / 4)))
        steps_y = max(1, int((bounds[3] - bounds[1]) / (h / 4)))
        for i in range(steps_x + 1):
            cx = bounds[0] + w / 2 + i * (w / 4)
            for j in range(steps_y + 1):
                cy = bounds[1] + h / 2 + j * (h / 4)
                if cx + w / 2 > bounds[2] or cy + h / 2 > bounds[3]:
                    continue
                cands.append((abs(cx - ax) + 2.5 * abs(cy - ay) * y_ratio, cx, cy))
        cands.sort()
        others = [c.box for c in placed.values()]
        for _, cx, cy in cands:
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if any(_overlaps(box, b) for b in blocked) or any(_overlaps(box, b) for b in others):
                continue
            if box[0] <= ax <= box[2] and box[1] <= ay <= box[3]:
                continue
            if _on_land(box, land):
                continue
            co = Callout(name, (ax, ay), box)
            if any(_crosses(co.anchor, co.end, b) for b in others) or any(
                    _crosses(c.anchor, c.end, box) for c in placed.values()):
                continue
            placed[name] = co
            break
    return placed


def label_lines(name: str, weight: float, small: float = 0.5) -> list[int]:
    """Characters per line of a label drawn in place (two-word small names on two lines)."""
    words = name.split(" ", 1)
    name_lines = [len(w) for w in words] if weight < small and len(words) == 2 else [len(name)]
    return [*name_lines, VALUE_CHARS]


def in_place_size(weight: float, base: float = LABEL_PX) -> float:
    """Font size (px at scale 1) of a label drawn inside its district: smaller for small ones."""
    return round(base * (0.72 + 0.38 * weight), 1)


def with_callouts(frame: MapFrame, names: Iterable[str] = OLD_TOWN,
                  map_px: tuple[float, float] = WALL_MAP_PX) -> MapFrame:
    """The frame with ``names``' labels called out into free space (the rest stay in place)."""
    wanted = [n for n in names if n in frame.labels and not (frame.inset and n in frame.inset.names)]
    k = px_per_unit(frame.bounds, frame.y_ratio, map_px)
    fixed = {n: text_box(frame.labels[n], label_lines(n, frame.label_weight.get(n, 1.0)),
                         in_place_size(frame.label_weight.get(n, 1.0)), k, frame.y_ratio)
             for n in frame.names if n not in wanted}
    avoid = [_pad(frame.inset.box, 0.05)] if frame.inset else []
    callouts = place_callouts(wanted, frame.rings, frame.labels, fixed, frame.bounds, frame.y_ratio,
                              avoid, map_px=map_px)
    labels = {**frame.labels, **{n: c.center for n, c in callouts.items()}}
    return replace(frame, labels=labels, callouts=callouts)
