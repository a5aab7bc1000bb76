"""Build the bundled, APPROXIMATE kecamatan boundaries of Kota Makassar.

Run ``python -m geodata.build_approx`` to (re)write
``geodata/data/makassar_kecamatan.geojson``. The output is deterministic.

Every coordinate (in ``geodata.approx_seeds``) is hand-written from general
knowledge of the city (well-known places, roads, kelurahan and the coast); none
is taken from an official boundary file. Method:

1. a hand-drawn outline of the mainland city (the coast and the borders with
   Kabupaten Maros and Gowa);
2. seed points, several per kecamatan, each a place believed to lie in it;
3. a Voronoi tessellation of all seeds (``shapely.voronoi_polygons``), each cell
   clipped to the outline and dissolved by the kecamatan of its seed;
4. small round polygons for islands: Lae-Lae (Ujung Pandang) and the islands of
   Kepulauan Sangkarrang.

The result is good enough to put a complaint in the right district most of the
time and nothing more; load official boundaries with ``MARVEC_BOUNDARIES`` for
anything that matters (see docs/geodata.md for the measured error).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping

from geodata.approx_seeds import CODES, ISLANDS, OUTLINE, SEEDS

OUTPUT = Path(__file__).resolve().parent / "data" / "makassar_kecamatan.geojson"

METRES_PER_DEGREE = 111_320.0

# (lat, lon) -> expected kecamatan (None: outside the city), from DOMAIN facts.
LANDMARKS: dict[str, tuple[float, float, str | None]] = {
    "Pantai Losari": (-5.1436, 119.4078, "Ujung Pandang"),
    "Fort Rotterdam": (-5.1339, 119.4053, "Ujung Pandang"),
    "Universitas Hasanuddin": (-5.1317, 119.4881, "Tamalanrea"),
    "Sultan Hasanuddin airport (Maros)": (-5.0617, 119.5542, None),
}


def _lonlat(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(lon, lat) for lat, lon in points]


def island(lat: float, lon: float, radius_m: float) -> Polygon:
    """A round island of ``radius_m`` metres (degrees of longitude scaled for latitude)."""
    circle = Point(0.0, 0.0).buffer(radius_m / METRES_PER_DEGREE, quad_segs=4)
    scale = 1.0 / math.cos(math.radians(lat))
    return shapely.transform(circle, lambda c: c * [scale, 1.0] + [lon, lat])


def build() -> dict[str, MultiPolygon | Polygon]:
    """Kecamatan name -> polygon, per the method in the module docstring."""
    outline = Polygon(_lonlat(OUTLINE))
    names = [name for name, seeds in SEEDS.items() for _ in seeds]
    points = shapely.points([(lon, lat) for seeds in SEEDS.values() for _, lat, lon in seeds])
    cells = shapely.get_parts(
        shapely.voronoi_polygons(
            shapely.multipoints(points), extend_to=outline.buffer(0.1), ordered=True
        )
    )
    clipped = shapely.intersection(cells, outline)
    parts: dict[str, list[shapely.Geometry]] = {name: [] for name in CODES}
    for name, cell in zip(names, clipped, strict=True):
        parts[name].append(cell)
    for name, _, lat, lon, radius in ISLANDS:
        parts[name].append(island(lat, lon, radius))
    return {name: shapely.union_all(geoms, grid_size=1e-6) for name, geoms in parts.items()}


def feature_collection(polygons: dict[str, MultiPolygon | Polygon]) -> dict[str, object]:
    """The GeoJSON FeatureCollection written to ``OUTPUT``, features sorted by code."""
    features = []
    for name in sorted(polygons, key=CODES.__getitem__):
        geometry = shapely.orient_polygons(shapely.set_precision(polygons[name], 1e-6))
        features.append(
            {
                "type": "Feature",
                "properties": {"kecamatan": name, "code": CODES[name]},
                "geometry": mapping(geometry),
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "makassar_kecamatan_approximate",
        "description": (
            "APPROXIMATE kecamatan of Kota Makassar, built by geodata/build_approx.py from "
            "hand-picked points (Voronoi cells clipped to a hand-drawn outline). "
            "Not an official boundary; see docs/geodata.md."
        ),
        "features": features,
    }


def check(polygons: dict[str, MultiPolygon | Polygon]) -> None:
    """Fail loudly if the result is not 15 valid, disjoint districts with the landmarks right."""
    assert set(polygons) == set(CODES), "every kecamatan needs seeds"
    for name, geom in polygons.items():
        assert geom.is_valid and not geom.is_empty, f"{name}: {shapely.is_valid_reason(geom)}"
    overlap = sum(
        a.intersection(b).area
        for i, a in enumerate(polygons.values())
        for b in list(polygons.values())[i + 1 :]
    )
    assert overlap < 1e-9, f"districts overlap ({overlap:.2e} deg2)"
    for place, (lat, lon, expected) in LANDMARKS.items():
        point = Point(lon, lat)
        found = [name for name, geom in polygons.items() if geom.contains(point)]
        assert found == ([expected] if expected else []), (
            f"{place}: in {found}, expected {expected}"
        )


def _dumps(collection: dict[str, object]) -> str:
    """One feature per line: small diffs when seeds move."""
    features = collection["features"]
    assert isinstance(features, list)
    head = {k: v for k, v in collection.items() if k != "features"}
    lines = [json.dumps(f, separators=(",", ":")) for f in features]
    return json.dumps(head)[:-1] + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def main() -> None:
    """Build and write the bundled file; print one line per kecamatan."""
    polygons = build()
    check(polygons)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(_dumps(feature_collection(polygons)), encoding="utf-8")
    factor = METRES_PER_DEGREE**2 * math.cos(math.radians(5.14)) / 1e6
    for name in sorted(polygons, key=CODES.__getitem__):
        print(f"{CODES[name]}  {name:<22} {polygons[name].area * factor:6.2f} km2")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
