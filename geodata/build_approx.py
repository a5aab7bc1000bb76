"""Build the bundled, APPROXIMATE kecamatan boundaries of Kota Makassar.

Run ``python -m geodata.build_approx`` to (re)write
``geodata/data/makassar_kecamatan.geojson``. The output is deterministic.

Every coordinate below is hand-written from general knowledge of the city
(well-known places, roads, kelurahan and the coast); none is taken from an
official boundary file. Method:

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

OUTPUT = Path(__file__).resolve().parent / "data" / "makassar_kecamatan.geojson"

# Kemendagri codes (Kepmendagri 300.2.2-2138/2025).
CODES: dict[str, str] = {
    "Mariso": "73.71.01",
    "Mamajang": "73.71.02",
    "Makassar": "73.71.03",
    "Ujung Pandang": "73.71.04",
    "Wajo": "73.71.05",
    "Bontoala": "73.71.06",
    "Tallo": "73.71.07",
    "Ujung Tanah": "73.71.08",
    "Panakkukang": "73.71.09",
    "Tamalate": "73.71.10",
    "Biringkanaya": "73.71.11",
    "Manggala": "73.71.12",
    "Rappocini": "73.71.13",
    "Tamalanrea": "73.71.14",
    "Kepulauan Sangkarrang": "73.71.15",
}

# The mainland city, (lat, lon), clockwise from the coast at the Gowa border in the south.
OUTLINE: list[tuple[float, float]] = [
    (-5.232, 119.392),  # coast at Barombong, border with Gowa
    (-5.215, 119.387),
    (-5.200, 119.382),  # Jeneberang mouth
    (-5.185, 119.378),
    (-5.172, 119.380),  # Tanjung Bayang
    (-5.160, 119.385),  # Akkarena
    (-5.152, 119.393),
    (-5.148, 119.400),  # Center Point of Indonesia
    (-5.142, 119.405),  # Pantai Losari
    (-5.136, 119.403),  # Fort Rotterdam
    (-5.128, 119.401),  # Soekarno-Hatta port
    (-5.120, 119.406),
    (-5.114, 119.410),
    (-5.108, 119.415),  # Paotere
    (-5.102, 119.424),
    (-5.098, 119.432),  # Tallo river mouth
    (-5.092, 119.445),
    (-5.085, 119.455),
    (-5.077, 119.465),  # Lantebung mangroves
    (-5.065, 119.462),
    (-5.052, 119.460),  # Untia
    (-5.048, 119.463),  # coast at the Maros border
    (-5.056, 119.490),
    (-5.060, 119.510),
    (-5.064, 119.524),
    (-5.072, 119.536),  # Jl. Perintis Kemerdekaan leaves the city, west of the airport
    (-5.088, 119.542),
    (-5.115, 119.542),
    (-5.130, 119.535),
    (-5.145, 119.527),
    (-5.160, 119.523),  # Manggala, border with Maros / Gowa
    (-5.175, 119.515),
    (-5.185, 119.500),
    (-5.188, 119.485),  # border with Gowa (Samata)
    (-5.186, 119.465),
    (-5.188, 119.448),
    (-5.190, 119.437),  # Jl. Sultan Alauddin leaves the city
    (-5.195, 119.425),  # Jeneberang
    (-5.198, 119.410),
    (-5.210, 119.401),
    (-5.225, 119.397),
]

# Seed points: (place, lat, lon) believed to lie in each kecamatan.
SEEDS: dict[str, list[tuple[str, float, float]]] = {
    "Ujung Pandang": [
        ("Pantai Losari", -5.1436, 119.4078),
        ("Fort Rotterdam", -5.1339, 119.4053),
        ("Lapangan Karebosi", -5.1355, 119.4130),
        ("Mangkura", -5.1410, 119.4170),
        ("Lajangiru", -5.1445, 119.4150),
    ],
    "Wajo": [
        ("Jl. Sulawesi", -5.1300, 119.4085),
        ("Pasar Butung", -5.1265, 119.4115),
        ("Melayu", -5.1230, 119.4110),
        ("Malimongan", -5.1215, 119.4150),
        ("Soekarno-Hatta port", -5.1255, 119.4050),
    ],
    "Bontoala": [
        ("Pasar Terong", -5.1290, 119.4225),
        ("Bontoala", -5.1265, 119.4185),
        ("Timungan Lompoa", -5.1320, 119.4245),
        ("Malimongan Baru", -5.1335, 119.4215),
        ("Layang", -5.1205, 119.4195),
    ],
    "Ujung Tanah": [
        ("Paotere", -5.1115, 119.4195),
        ("Cambaya", -5.1090, 119.4150),
        ("Tabaringan", -5.1150, 119.4190),
        ("Camba Berua", -5.1100, 119.4240),
        ("Ujung Tanah", -5.1170, 119.4090),
    ],
    "Tallo": [
        ("Pannampu", -5.1170, 119.4290),
        ("Lembo", -5.1240, 119.4300),
        ("Bunga Eja Beru", -5.1215, 119.4260),
        ("La'latang", -5.1270, 119.4340),
        ("Tammua", -5.1265, 119.4410),
        ("Kaluku Bodoa", -5.1090, 119.4370),
        ("Rappokalling", -5.1200, 119.4380),
        ("Makam Raja Tallo", -5.1030, 119.4400),
        ("Lakkang", -5.1200, 119.4600),
    ],
    "Makassar": [
        ("Maradekaya", -5.1400, 119.4230),
        ("Bara-Baraya", -5.1360, 119.4290),
        ("Maccini", -5.1340, 119.4330),
        ("Maricaya", -5.1440, 119.4260),
        ("Bara-Baraya Timur", -5.1430, 119.4330),
    ],
    "Mariso": [
        ("Kunjung Mae", -5.1500, 119.4120),
        ("Stadion Mattoanging", -5.1555, 119.4110),
        ("Lette", -5.1560, 119.4050),
        ("Tamarunang", -5.1640, 119.4080),
    ],
    "Mamajang": [
        ("Labuang Baji", -5.1540, 119.4190),
        ("Mamajang Dalam", -5.1600, 119.4190),
        ("Baji Mappakasunggu", -5.1600, 119.4140),
        ("Pa'batang", -5.1640, 119.4140),
        ("Mandala", -5.1590, 119.4250),
        ("Karang Anyar", -5.1680, 119.4180),
        ("Sambung Jawa", -5.1700, 119.4150),
        ("Tamparang Keke", -5.1700, 119.4200),
    ],
    "Rappocini": [
        ("Rappocini", -5.1520, 119.4330),
        ("Balla Parang", -5.1520, 119.4350),
        ("Banta-Bantaeng", -5.1640, 119.4310),
        ("Gunung Sari", -5.1660, 119.4370),
        ("Buakana", -5.1560, 119.4390),
        ("Kassi-Kassi", -5.1680, 119.4450),
        ("Karunrung", -5.1730, 119.4500),
    ],
    "Tamalate": [
        ("Pantai Akkarena", -5.1650, 119.3930),
        ("Bongaya", -5.1720, 119.4260),
        ("Pa'baeng-baeng", -5.1750, 119.4320),
        ("Jongaya", -5.1790, 119.4150),
        ("Mannuruki", -5.1790, 119.4290),
        ("Barombong", -5.2150, 119.3950),
        ("Mangasa", -5.1920, 119.4300),
        ("Balang Baru", -5.1880, 119.4120),
    ],
    "Panakkukang": [
        ("Mall Panakkukang", -5.1575, 119.4465),
        ("Pandang", -5.1500, 119.4480),
        ("Karuwisi Utara", -5.1320, 119.4370),
        ("Karuwisi", -5.1390, 119.4370),
        ("Tamamaung", -5.1460, 119.4410),
        ("Masale", -5.1520, 119.4430),
        ("Panaikang", -5.1330, 119.4650),
        ("Tello Baru", -5.1380, 119.4750),
        ("Tello Baru (east)", -5.1420, 119.4820),
        ("Paropo", -5.1500, 119.4550),
    ],
    "Manggala": [
        ("Batua", -5.1480, 119.4680),
        ("Borong", -5.1640, 119.4660),
        ("Antang", -5.1560, 119.4900),
        ("TPA Tamangapa", -5.1780, 119.4940),
        ("Manggala", -5.1720, 119.4820),
        ("Bangkala", -5.1550, 119.5050),
        ("Biring Romang", -5.1700, 119.5080),
    ],
    "Tamalanrea": [
        ("Universitas Hasanuddin", -5.1317, 119.4881),
        ("Bumi Tamalanrea Permai", -5.1220, 119.4950),
        ("Tamalanrea Jaya", -5.1380, 119.4980),
        ("Buntusu", -5.1420, 119.5100),
        ("Kapasa", -5.1080, 119.4950),
        ("Bira", -5.0880, 119.4650),
        ("Parangloe", -5.0950, 119.4800),
    ],
    "Biringkanaya": [
        ("Daya", -5.1080, 119.5120),
        ("Sudiang", -5.0850, 119.5250),
        ("Sudiang Raya", -5.0950, 119.5300),
        ("Paccerakkang", -5.1180, 119.5200),
        ("Katimbang", -5.1330, 119.5250),
        ("Untia", -5.0550, 119.4650),
        ("Bulurokeng", -5.0700, 119.5000),
        ("Berua", -5.1000, 119.5350),
    ],
}

# Islands: (kecamatan, island, lat, lon, radius in metres). Radii are generous on purpose:
# the positions are from memory, and the sea around them belongs to no other kecamatan.
ISLANDS: list[tuple[str, str, float, float, float]] = [
    ("Ujung Pandang", "Lae-Lae", -5.1370, 119.3900, 450.0),
    ("Ujung Pandang", "Samalona", -5.1240, 119.3430, 400.0),
    ("Kepulauan Sangkarrang", "Barrang Lompo", -5.0480, 119.3290, 600.0),
    ("Kepulauan Sangkarrang", "Barrang Caddi", -5.0830, 119.3170, 600.0),
    ("Kepulauan Sangkarrang", "Lumu-Lumu", -4.9670, 119.2000, 500.0),
    ("Kepulauan Sangkarrang", "Kodingareng Keke", -5.1040, 119.2880, 400.0),
    ("Kepulauan Sangkarrang", "Kodingareng Lompo", -5.1330, 119.2670, 700.0),
    ("Kepulauan Sangkarrang", "Bonetambung", -5.0360, 119.2740, 500.0),
    ("Kepulauan Sangkarrang", "Langkai", -5.0330, 119.0830, 600.0),
    ("Kepulauan Sangkarrang", "Lanjukang", -4.9670, 119.0670, 500.0),
]

METRES_PER_DEGREE = 111_320.0


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
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(_dumps(feature_collection(polygons)), encoding="utf-8")
    factor = METRES_PER_DEGREE**2 * math.cos(math.radians(5.14)) / 1e6
    for name in sorted(polygons, key=CODES.__getitem__):
        print(f"{CODES[name]}  {name:<22} {polygons[name].area * factor:6.2f} km2")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
