"""geodata: loading boundary files, locating points, matching names, the bundled set."""

from __future__ import annotations

import json
import logging
import math
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon, box, mapping

from geodata import Boundaries, load_boundaries
from marvec.errors import BoundaryError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "geodata"
BUNDLED_FILE = (
    Path(__file__).resolve().parents[1] / "geodata" / "data" / "makassar_kecamatan.geojson"
)
REAL_FILES = [
    "makassar_kecamatan.geojson",
    "makassar_kelurahan.geojson",
    "makassar_kecamatan_from_kelurahan.geojson",
]
KECAMATAN = {
    "Mariso", "Mamajang", "Tamalate", "Rappocini", "Makassar", "Ujung Pandang", "Wajo",
    "Bontoala", "Ujung Tanah", "Kepulauan Sangkarrang", "Tallo", "Panakkukang", "Manggala",
    "Biringkanaya", "Tamalanrea",
}  # fmt: skip
# (lon, lat) -> expected kecamatan; None = outside the city.
LANDMARKS: dict[str, tuple[float, float, str | None]] = {
    "Pantai Losari": (119.4078, -5.1436, "Ujung Pandang"),
    "Fort Rotterdam": (119.4053, -5.1339, "Ujung Pandang"),
    "Universitas Hasanuddin": (119.4881, -5.1317, "Tamalanrea"),
    "Sultan Hasanuddin airport": (119.5542, -5.0617, None),
}
M_PER_DEG = 111_195.0
LAT = -5.14  # synthetic shapes sit at Makassar's latitude
# Measured for the bundled set (docs/geodata.md): 143 of 153 kelurahan points right (93.5%),
# and 80% of the city's area in the right kecamatan.
MIN_AGREEMENT = 0.90
MIN_AREA_AGREEMENT = 0.77


@pytest.fixture(scope="module")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(
            f"held-out boundary files not found at {SHARED} (clone shared/ beside the repo)"
        )
    return SHARED


@pytest.fixture(scope="module")
def bundled() -> Boundaries:
    return load_boundaries()


def metres_east(lon: float, metres: float) -> float:
    return lon + metres / (M_PER_DEG * math.cos(math.radians(LAT)))


def write_geojson(path: Path, features: list[tuple[dict[str, Any], Any]]) -> Path:
    """A GeoJSON FeatureCollection of (properties, shapely geometry) pairs."""
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": mapping(geom)}
            for props, geom in features
        ],
    }
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def write_shapefile_without_crs(path: Path, name: str, geom: Any) -> Path:
    frame = gpd.GeoDataFrame({"kecamatan": [name]}, geometry=[geom])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided")
        frame.to_file(path)
    return path


def random_points(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(119.37, 119.56, n), rng.uniform(-5.24, -5.02, n)


def error_line(excinfo: pytest.ExceptionInfo[BoundaryError]) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


# --- real files -------------------------------------------------------------------------


@pytest.mark.parametrize("filename", REAL_FILES)
def test_real_file_loads_15_kecamatan_with_landmarks_right(shared: Path, filename: str) -> None:
    boundaries = load_boundaries(shared / filename)
    assert set(boundaries.names) == KECAMATAN
    assert boundaries.source == str(shared / filename)
    for place, (lon, lat, expected) in LANDMARKS.items():
        assert boundaries.locate_one(lon, lat) == expected, place


@pytest.mark.parametrize("filename", REAL_FILES)
def test_point_5_km_out_at_sea_is_outside(shared: Path, filename: str) -> None:
    boundaries = load_boundaries(shared / filename)
    lon, lat, _ = LANDMARKS["Pantai Losari"]
    assert boundaries.locate_one(metres_east(lon, -5000), lat) is None


def test_kelurahan_layer_dissolves_by_field(shared: Path) -> None:
    by_kecamatan = load_boundaries(shared / "makassar_kelurahan.geojson")
    by_kelurahan = load_boundaries(shared / "makassar_kelurahan.geojson", field="kelurahan")
    assert len(by_kecamatan.names) == 15
    assert len(by_kelurahan.names) == 153
    lon, lat, _ = LANDMARKS["Pantai Losari"]
    assert by_kelurahan.locate_one(lon, lat) == "Maloku"


@pytest.mark.parametrize("filename", REAL_FILES)
def test_geopackage_and_utm_shapefile_give_the_same_answers(
    shared: Path, filename: str, tmp_path: Path
) -> None:
    frame = gpd.read_file(shared / filename)[["kecamatan", "geometry"]]
    frame.to_file(tmp_path / "k.gpkg", driver="GPKG")
    frame.to_crs("EPSG:32750").to_file(tmp_path / "k.shp")
    lon, lat = random_points(5000)
    expected = load_boundaries(shared / filename).locate(lon, lat)
    for copy in ("k.gpkg", "k.shp"):
        assert load_boundaries(tmp_path / copy).locate(lon, lat).tolist() == expected.tolist()


def test_point_in_a_real_hole_goes_to_the_nearest_kecamatan(shared: Path) -> None:
    path = shared / "makassar_kecamatan_from_kelurahan.geojson"
    frame = gpd.read_file(path)
    holes = [
        (name, Polygon(ring))
        for name, geom in zip(frame.kecamatan, frame.geometry, strict=True)
        for part in shapely.get_parts(geom)
        for ring in part.interiors
    ]
    name, hole = max(holes, key=lambda item: item[1].area)
    point = hole.representative_point()
    assert not frame.geometry.contains(point).any()
    assert load_boundaries(path).locate_one(point.x, point.y) == name


def test_bundled_agrees_with_real_kelurahan(shared: Path, bundled: Boundaries) -> None:
    kelurahan = gpd.read_file(shared / "makassar_kelurahan.geojson")
    points = kelurahan.geometry.representative_point()
    found = bundled.locate(points.x.to_numpy(), points.y.to_numpy())
    agreement = float(np.mean(found == kelurahan.kecamatan.to_numpy()))
    assert agreement >= MIN_AGREEMENT, f"only {agreement:.1%} of kelurahan in the right kecamatan"


def test_bundled_covers_most_of_the_real_city_area_correctly(
    shared: Path, bundled: Boundaries
) -> None:
    truth = load_boundaries(shared / "makassar_kecamatan_from_kelurahan.geojson")
    lon, lat = random_points(40_000, seed=3)
    real, approx = truth.locate(lon, lat), bundled.locate(lon, lat)
    in_city = real != None  # noqa: E711 - element-wise comparison
    assert np.mean(approx[in_city] == real[in_city]) >= MIN_AREA_AGREEMENT
    assert np.mean(approx[in_city] == None) < 0.08  # noqa: E711


# --- formats, field and errors ---------------------------------------------------------


def two_squares(path: Path, field: str = "kecamatan") -> Path:
    return write_geojson(
        path,
        [
            ({field: "Alpha", "code": "1"}, box(119.40, LAT - 0.01, 119.41, LAT)),
            ({field: "Beta", "code": "2"}, box(119.42, LAT - 0.01, 119.43, LAT)),
        ],
    )


def test_field_override_reads_another_property(tmp_path: Path) -> None:
    path = two_squares(tmp_path / "renamed.geojson", field="nama")
    boundaries = load_boundaries(path, field="nama")
    assert boundaries.names == ("Alpha", "Beta")
    assert boundaries.locate_one(119.425, LAT - 0.005) == "Beta"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.gpkg"
    with pytest.raises(BoundaryError) as excinfo:
        load_boundaries(path)
    assert error_line(excinfo) == f"MARVEC_BOUNDARIES: {path}: no such file"


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(BoundaryError) as excinfo:
        load_boundaries(path)
    assert error_line(excinfo).startswith(
        f"MARVEC_BOUNDARIES: {path}: cannot read it as GeoJSON, GeoPackage or Shapefile ("
    )


def test_missing_field_lists_the_available_ones(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "bps.geojson", [({"NAMOBJ": "Tallo", "WADMKC": "Tallo"}, box(0, 0, 1, 1))]
    )
    with pytest.raises(BoundaryError) as excinfo:
        load_boundaries(path, field="kec")
    assert error_line(excinfo) == (
        f"MARVEC_BOUNDARIES_FIELD: property 'kec' not found in {path}; available: NAMOBJ, WADMKC"
    )


def test_empty_name_is_rejected(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "blank.geojson", [({"kecamatan": " "}, box(0, 0, 1, 1))])
    with pytest.raises(BoundaryError) as excinfo:
        load_boundaries(path)
    assert error_line(excinfo).startswith("MARVEC_BOUNDARIES_FIELD: 1 feature(s) in ")


def test_point_layer_is_rejected(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "points.geojson",
        [
            ({"kecamatan": "Tallo"}, Point(119.43, -5.11)),
            ({"kecamatan": "Wajo"}, Point(119.41, -5.13)),
        ],
    )
    with pytest.raises(BoundaryError) as excinfo:
        load_boundaries(path)
    assert error_line(excinfo) == (
        f"MARVEC_BOUNDARIES: {path}: expected Polygon or MultiPolygon features, found 2 Point; "
        "give a layer of kecamatan polygons"
    )


def test_no_crs_with_projected_coordinates_is_rejected(tmp_path: Path) -> None:
    utm_square = box(770000, 9430000, 771000, 9431000)
    path = write_shapefile_without_crs(tmp_path / "noprj.shp", "Tallo", utm_square)
    assert not (tmp_path / "noprj.prj").exists()
    with pytest.raises(BoundaryError) as excinfo:
        load_boundaries(path)
    message = error_line(excinfo)
    assert message.startswith(f"MARVEC_BOUNDARIES: {path}: no CRS, and the coordinates")
    assert message.endswith("or reproject it to EPSG:4326")


def test_no_crs_with_lonlat_coordinates_is_assumed_wgs84(tmp_path: Path) -> None:
    square = box(119.42, -5.13, 119.45, -5.10)
    path = write_shapefile_without_crs(tmp_path / "lonlat.shp", "Tallo", square)
    assert load_boundaries(path).locate_one(119.43, -5.11) == "Tallo"


def test_geopackage_polygon_layer_is_found_among_others(tmp_path: Path) -> None:
    path = tmp_path / "two_layers.gpkg"
    pois = gpd.GeoDataFrame({"kecamatan": ["x"]}, geometry=[Point(119.41, -5.13)], crs=4326)
    pois.to_file(path, layer="pois", driver="GPKG")
    gpd.read_file(two_squares(tmp_path / "sq.geojson")).to_file(path, layer="kec", driver="GPKG")
    assert load_boundaries(path).names == ("Alpha", "Beta")


def test_bow_tie_is_repaired_and_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bow_tie = Polygon([(119.40, LAT), (119.42, LAT - 0.02), (119.42, LAT), (119.40, LAT - 0.02)])
    assert not bow_tie.is_valid
    path = write_geojson(tmp_path / "bowtie.geojson", [({"kecamatan": "Bow"}, bow_tie)])
    with caplog.at_level(logging.WARNING, logger="geodata"):
        boundaries = load_boundaries(path)
    assert "repaired 1 invalid geometries: Bow (Self-intersection" in caplog.text
    assert boundaries.locate_one(119.403, LAT - 0.01) == "Bow"  # left triangle
    assert boundaries.locate_one(119.417, LAT - 0.01) == "Bow"  # right triangle
    assert boundaries.locate_one(119.41, LAT - 0.0005) is None  # between the triangles' tips


def test_same_name_features_are_dissolved(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "parts.geojson",
        [
            ({"kecamatan": "Tallo"}, box(119.40, LAT - 0.01, 119.41, LAT)),
            ({"kecamatan": "Wajo"}, box(119.43, LAT - 0.01, 119.44, LAT)),
            ({"kecamatan": "Tallo"}, box(119.41, LAT - 0.01, 119.42, LAT)),
        ],
    )
    boundaries = load_boundaries(path)
    assert boundaries.names == ("Tallo", "Wajo")
    assert boundaries.locate(
        np.array([119.405, 119.415]), np.array([LAT - 0.005] * 2)
    ).tolist() == [
        "Tallo",
        "Tallo",
    ]


# --- locate ----------------------------------------------------------------------------


def gap_pair(tolerance_m: float = 100.0) -> Boundaries:
    """Alpha and Beta side by side with a 60 m gap between them."""
    east_edge = 119.41
    return Boundaries(
        {
            "Alpha": box(119.40, LAT - 0.01, east_edge, LAT),
            "Beta": box(metres_east(east_edge, 60), LAT - 0.01, 119.42, LAT),
        },
        source="test",
        tolerance_m=tolerance_m,
    )


def test_gap_point_goes_to_the_nearest_polygon_within_tolerance() -> None:
    pair = gap_pair()
    y = LAT - 0.005
    assert pair.locate_one(metres_east(119.41, 20), y) == "Alpha"
    assert pair.locate_one(metres_east(119.41, 40), y) == "Beta"
    assert pair.locate_one(metres_east(119.42, 90), y) == "Beta"
    assert pair.locate_one(metres_east(119.42, 150), y) is None
    assert pair.locate_one(119.41, LAT + 0.02) is None
    assert gap_pair(tolerance_m=0).locate_one(metres_east(119.41, 20), y) is None


def test_overlap_has_one_deterministic_answer() -> None:
    first, second = box(119.40, LAT - 0.01, 119.42, LAT), box(119.41, LAT - 0.01, 119.43, LAT)
    ab = Boundaries({"A": first, "B": second}, source="test")
    ba = Boundaries({"B": second, "A": first}, source="test")
    lon, lat = np.full(100, 119.415), np.full(100, LAT - 0.005)
    assert set(ab.locate(lon, lat)) == {"A"}
    assert set(ba.locate(lon, lat)) == {"B"}


def test_vectorised_locate_equals_locate_one(bundled: Boundaries) -> None:
    lon, lat = random_points(3000, seed=11)
    lon[::97] = np.nan
    found = bundled.locate(lon, lat)
    assert found.dtype == object and found.shape == lon.shape
    assert found.tolist() == [bundled.locate_one(x, y) for x, y in zip(lon, lat, strict=True)]
    assert {f for f in found if f is not None} == KECAMATAN - {"Kepulauan Sangkarrang"}
    assert all(found[::97] == None)  # noqa: E711 - element-wise comparison


def test_locate_keeps_the_input_shape_and_handles_nan(bundled: Boundaries) -> None:
    lon = np.array([[119.4078, np.nan], [119.4881, 119.4078]])
    lat = np.array([[-5.1436, -5.1436], [-5.1317, np.nan]])
    assert bundled.locate(lon, lat).tolist() == [["Ujung Pandang", None], ["Tamalanrea", None]]
    assert bundled.locate(np.array([]), np.array([])).shape == (0,)


# --- names, bundled set, map geometry ---------------------------------------------------


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Panakukkang", "Panakkukang"),
        ("PANAKKUKANG", "Panakkukang"),
        ("Panakukang", "Panakkukang"),
        ("Makasar", "Makassar"),
        ("Kecamatan Makassar", "Makassar"),
        ("Ujungpandang", "Ujung Pandang"),
        ("ujung-pandang", "Ujung Pandang"),
        ("Biring Kanaya", "Biringkanaya"),
        ("  tamalanrea ", "Tamalanrea"),
        ("Kec. Tamalate", "Tamalate"),
        ("Kep. Sangkarrang", "Kepulauan Sangkarrang"),
        ("Kepulauan Sangkarang", "Kepulauan Sangkarrang"),
        ("Ujung_Tanah", "Ujung Tanah"),
        ("Mariso", "Mariso"),
    ],
)
def test_match_name_variants(bundled: Boundaries, written: str, canonical: str) -> None:
    assert bundled.match_name(written) == canonical


@pytest.mark.parametrize("written", ["", "Kecamatan", "Gowa", "Maros", "Somba Opu", "Tallo Baru"])
def test_match_name_unknown_is_none(bundled: Boundaries, written: str) -> None:
    assert bundled.match_name(written) is None


def test_bundled_has_the_15_kecamatan_and_their_codes(bundled: Boundaries) -> None:
    assert set(bundled.names) == KECAMATAN and len(bundled.names) == 15
    raw = json.loads(BUNDLED_FILE.read_text(encoding="utf-8"))
    codes = sorted(f["properties"]["code"] for f in raw["features"])
    assert codes == [f"73.71.{i:02d}" for i in range(1, 16)]
    assert bundled.source.startswith("bundled approximation")


@pytest.mark.parametrize("place", list(LANDMARKS))
def test_bundled_puts_landmarks_right(bundled: Boundaries, place: str) -> None:
    lon, lat, expected = LANDMARKS[place]
    assert bundled.locate_one(lon, lat) == expected


def test_centroids_lie_in_their_own_kecamatan(bundled: Boundaries) -> None:
    assert set(bundled.centroids) == set(bundled.names)
    minlon, minlat, maxlon, maxlat = bundled.bounds
    for name, (lon, lat) in bundled.centroids.items():
        assert minlon <= lon <= maxlon and minlat <= lat <= maxlat
        assert bundled.locate_one(lon, lat) == name


def test_map_geojson_is_small_named_and_rounded(bundled: Boundaries) -> None:
    geo = bundled.geojson()
    assert geo is bundled.geojson()
    assert [f["id"] for f in geo["features"]] == list(bundled.names)
    assert all(f["properties"] == {"kecamatan": f["id"]} for f in geo["features"])
    assert len(json.dumps(geo, separators=(",", ":"))) < 20_000
    shapes = [shapely.from_geojson(json.dumps(f["geometry"])) for f in geo["features"]]
    coords = shapely.get_coordinates(shapes)
    assert coords.size and np.array_equal(coords, np.round(coords, 5))
    assert all(shape.area > 0 for shape in shapes)
