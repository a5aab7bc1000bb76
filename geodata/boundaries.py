"""Kecamatan boundaries loaded once, then fast vectorised point-in-polygon lookups.

``load_boundaries`` reads a file (or the bundled approximation) through
``geodata.reading``; ``Boundaries`` answers "which kecamatan is this point in"
for whole batches of points at once.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import logging
import math
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from geodata.names import NameMatcher
from geodata.reading import read_polygons
from marvec.errors import BoundaryError

logger = logging.getLogger(__name__)

BUNDLED_FILE = "makassar_kecamatan.geojson"
# Metres per degree of latitude (and of longitude at the equator), spherical Earth.
METRES_PER_DEGREE = 111_195.0
DEFAULT_TOLERANCE_M = 100.0
SIMPLIFY_DEGREES = 0.0003
GEOJSON_DECIMALS = 5


def load_boundaries(path: Path | None = None, field: str = "kecamatan") -> Boundaries:
    """Load kecamatan polygons from ``path`` (GeoJSON, GeoPackage or Shapefile, any CRS).

    ``None`` loads the bundled approximation shipped with the package. ``field`` is
    the property holding the district name. Raises ``BoundaryError`` with one line
    naming the setting to fix.
    """
    if path is None:
        resource = importlib.resources.files("geodata").joinpath("data", BUNDLED_FILE)
        with importlib.resources.as_file(resource) as bundled:
            polygons = read_polygons(Path(bundled), field)
        return Boundaries(polygons, source=f"bundled approximation ({BUNDLED_FILE})")
    path = Path(path).expanduser()
    return Boundaries(read_polygons(path, field), source=str(path))


class Boundaries:
    """Named kecamatan polygons in WGS84, prepared for batch point lookups.

    Polygons are tried in the order given (the file's order): a point in an
    overlap of two polygons gets the first. A point in no polygon goes to the
    nearest one within ``tolerance_m`` metres (gaps and slivers between
    simplified polygons, points on the coast), else to ``None``.
    """

    def __init__(
        self,
        polygons: Mapping[str, shapely.Geometry],
        source: str,
        tolerance_m: float = DEFAULT_TOLERANCE_M,
    ) -> None:
        if not polygons:
            raise BoundaryError(f"{source}: no kecamatan polygons")
        self.names: tuple[str, ...] = tuple(polygons)
        self.source = source
        self.tolerance_m = float(tolerance_m)
        self._geoms = np.array([polygons[name] for name in self.names], dtype=object)
        _check_names(self.names, source)
        _check_polygonal(self.names, self._geoms, source)
        shapely.prepare(self._geoms)
        self._boxes = shapely.bounds(self._geoms)
        minx, miny = self._boxes[:, :2].min(axis=0)
        maxx, maxy = self._boxes[:, 2:].max(axis=0)
        self.bounds: tuple[float, float, float, float] = (
            float(minx),
            float(miny),
            float(maxx),
            float(maxy),
        )
        # Nearest-polygon search in a local equirectangular frame, so distances are metres.
        self._x_scale = math.cos(math.radians((miny + maxy) / 2))
        scaled = shapely.transform(self._geoms, lambda c: c * [self._x_scale, 1.0])
        self._tree = shapely.STRtree(scaled)
        self._tolerance_deg = self.tolerance_m / METRES_PER_DEGREE
        # Where the nearest-polygon fallback can succeed: testing this one prepared shape
        # first spares the costly nearest search for the many points far outside.
        self._reach = shapely.buffer(shapely.union_all(scaled), self._tolerance_deg, quad_segs=4)
        shapely.prepare(self._reach)
        self.centroids: dict[str, tuple[float, float]] = {
            name: (float(p.x), float(p.y))
            for name, p in zip(self.names, shapely.point_on_surface(self._geoms), strict=True)
        }
        self._matcher = NameMatcher(self.names)
        self._geojson: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"Boundaries({len(self.names)} kecamatan from {self.source})"

    @property
    def fingerprint(self) -> str:
        """A stable hash (SHA-256, hex) of the names, their order and their polygons' WKB.

        Aggregates in Redis are counted per kecamatan of the boundaries that located the
        events; this says whether two loads are the same boundaries (``marvec.datameta``).
        """
        digest = hashlib.sha256(b"marvec-boundaries-v1\0")
        wkb = shapely.to_wkb(self._geoms, output_dimension=2, byte_order=1, include_srid=False)
        for name, blob in zip(self.names, wkb, strict=True):
            for part in (name.encode(), bytes(blob)):
                digest.update(len(part).to_bytes(8, "little"))
                digest.update(part)
        return digest.hexdigest()

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The kecamatan of each point (object array of names, ``None`` outside the city).

        ``lon`` and ``lat`` are broadcast together; NaN coordinates give ``None``.
        """
        x, y = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        shape = x.shape
        x, y = x.ravel(), y.ravel()
        index = np.full(x.shape, -1, dtype=np.intp)
        near = self._near_city(x, y)
        pending = near.copy()
        for i, (geom, box) in enumerate(zip(self._geoms, self._boxes, strict=True)):
            candidates = np.flatnonzero(
                pending & (x >= box[0]) & (y >= box[1]) & (x <= box[2]) & (y <= box[3])
            )
            if candidates.size:
                hits = candidates[shapely.contains_xy(geom, x[candidates], y[candidates])]
                index[hits] = i
                pending[hits] = False
        if pending.any():
            self._nearest(x, y, pending, index)
        names = np.array((*self.names, None), dtype=object)
        return names[index].reshape(shape)

    def locate_one(self, lon: float, lat: float) -> str | None:
        """The kecamatan of one point, or ``None`` outside the city."""
        found = self.locate(np.array([lon], dtype=float), np.array([lat], dtype=float))[0]
        return None if found is None else str(found)

    def match_name(self, name: str) -> str | None:
        """The loaded kecamatan ``name`` refers to, leniently ("Kec. Panakukkang"), or None."""
        return self._matcher.match(name)

    def geojson(self) -> dict[str, Any]:
        """A small FeatureCollection for the map: simplified, 5 decimals, ``id`` = name.

        Computed once; callers must not mutate the result.
        """
        if self._geojson is None:
            simple = shapely.simplify(self._geoms, SIMPLIFY_DEGREES, preserve_topology=True)
            rounded = shapely.transform(simple, lambda c: np.round(c, GEOJSON_DECIMALS))
            features = [
                {
                    "type": "Feature",
                    "id": name,
                    "properties": {"kecamatan": name},
                    "geometry": json.loads(shapely.to_geojson(geom)),
                }
                for name, geom in zip(self.names, rounded, strict=True)
            ]
            self._geojson = {"type": "FeatureCollection", "features": features}
            size = len(json.dumps(self._geojson, separators=(",", ":")))
            logger.debug("boundaries map geometry: %d features, %d bytes", len(features), size)
        return self._geojson

    def _near_city(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Finite points within the tolerance of the overall bounding box."""
        pad_y = self._tolerance_deg
        pad_x = pad_y / self._x_scale
        minx, miny, maxx, maxy = self.bounds
        with np.errstate(invalid="ignore"):
            return (
                (x >= minx - pad_x)
                & (x <= maxx + pad_x)
                & (y >= miny - pad_y)
                & (y <= maxy + pad_y)
            )

    def _nearest(
        self, x: np.ndarray, y: np.ndarray, pending: np.ndarray, index: np.ndarray
    ) -> None:
        """Give pending points the nearest polygon within tolerance (ties: the first polygon)."""
        rows = np.flatnonzero(pending)
        rows = rows[shapely.contains_xy(self._reach, x[rows] * self._x_scale, y[rows])]
        if rows.size == 0:
            return
        points = shapely.points(x[rows] * self._x_scale, y[rows])
        pairs = self._tree.query_nearest(points, max_distance=self._tolerance_deg, all_matches=True)
        if pairs.shape[1] == 0:
            return
        order = np.lexsort((pairs[1], pairs[0]))  # by point, then by polygon order
        point_idx, first = np.unique(pairs[0][order], return_index=True)
        index[rows[point_idx]] = pairs[1][order][first]


_SEPARATORS = "|:"


def _check_names(names: tuple[str, ...], source: str) -> None:
    """No separator (``|``, ``:``) or control character in a name: keys and fields in Redis
    join names with them, so such a name would mix two districts' counts."""
    for name in names:
        bad = next((c for c in name if c in _SEPARATORS or unicodedata.category(c)[0] == "C"), None)
        if bad is not None or not name.strip():
            what = f"contains {bad!r}" if bad is not None else "is blank"
            raise BoundaryError(f"{source}: kecamatan name {name!r} {what}; names must not contain "
                                "'|', ':' or control characters (Redis keys join names with them): "
                                "rename it in the boundary file")


def _check_polygonal(names: tuple[str, ...], geoms: np.ndarray, source: str) -> None:
    """Every entry must be a non-empty Polygon or MultiPolygon."""
    for name, geom in zip(names, geoms, strict=True):
        if not isinstance(geom, shapely.Polygon | shapely.MultiPolygon) or geom.is_empty:
            kind = getattr(geom, "geom_type", type(geom).__name__)
            raise BoundaryError(f"{source}: kecamatan {name!r} is {kind}, expected a polygon")
