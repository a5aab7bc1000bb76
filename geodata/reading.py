"""Read a kecamatan polygon layer from disk into clean WGS84 polygons, one per name.

All I/O and validation of boundary files lives here; ``boundaries`` only operates
on the result. Every failure is a ``BoundaryError`` of one line that names the
setting to fix (``MARVEC_BOUNDARIES`` or ``MARVEC_BOUNDARIES_FIELD``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from geopandas import GeoDataFrame, GeoSeries

from marvec.errors import BoundaryError

logger = logging.getLogger(__name__)

PATH_SETTING = "MARVEC_BOUNDARIES"
FIELD_SETTING = "MARVEC_BOUNDARIES_FIELD"
_POLYGONAL = ("Polygon", "MultiPolygon")


def read_polygons(path: Path, field: str) -> dict[str, shapely.Geometry]:
    """Read ``path`` and return ``{name: polygon}`` in WGS84, in order of first appearance.

    Invalid geometries are repaired (polygonal parts kept), empty ones dropped and
    features sharing a name dissolved; each of these is logged.
    """
    if not path.exists():
        raise BoundaryError(f"{PATH_SETTING}: {path}: no such file")
    frame = _read_frame(path)
    names = _names(frame, field, path)
    geoms = _to_wgs84(GeoSeries(_polygonal_geometries(frame, path), crs=frame.crs), path)
    geoms = _repair(names, geoms, path)
    keep = ~shapely.is_empty(geoms)
    if not keep.all():
        dropped = sorted(set(names[~keep]))
        logger.warning(
            "%s: dropped %d empty geometries (%s)", path, (~keep).sum(), ", ".join(dropped)
        )
    if not keep.any():
        raise BoundaryError(f"{PATH_SETTING}: {path}: no feature has a usable polygon")
    return _dissolve(names[keep], geoms[keep], path)


def _read_frame(path: Path) -> GeoDataFrame:
    """The first polygon layer of ``path`` (GeoJSON, GeoPackage, Shapefile, ...)."""
    try:
        layer = _pick_layer(path)
        frame = pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore")
    except BoundaryError:
        raise
    except Exception as exc:  # GDAL reports unreadable input through many exception types
        reason = _first_sentence(exc)
        raise BoundaryError(
            f"{PATH_SETTING}: {path}: cannot read it as GeoJSON, GeoPackage or Shapefile ({reason})"
        ) from exc
    if not isinstance(frame, GeoDataFrame) or frame.active_geometry_name is None:
        raise BoundaryError(
            f"{PATH_SETTING}: {path}: the layer has no geometry; give a layer of kecamatan polygons"
        )
    if len(frame) == 0:
        raise BoundaryError(f"{PATH_SETTING}: {path}: the layer has no features")
    return frame


def _first_sentence(exc: Exception) -> str:
    """GDAL's message on one line, without its generic advice after "; "."""
    text = " ".join(str(exc).split()).split("; ")[0]
    return (text[:157] + "...") if len(text) > 160 else (text or type(exc).__name__)


def _pick_layer(path: Path) -> str | None:
    """The first layer holding polygons when the file has several (a GeoPackage), else None."""
    layers = pyogrio.list_layers(path)
    if len(layers) <= 1:
        return None
    for name, geometry_type in layers:
        if geometry_type and "polygon" in str(geometry_type).lower():
            logger.info("%s: %d layers; reading polygon layer %r", path, len(layers), name)
            return str(name)
    return None


def _names(frame: GeoDataFrame, field: str, path: Path) -> np.ndarray:
    """The district name of every feature, stripped; missing field or empty names fail."""
    if field not in frame.columns or field == frame.geometry.name:
        available = [str(c) for c in frame.columns if c != frame.geometry.name]
        raise BoundaryError(
            f"{FIELD_SETTING}: property {field!r} not found in {path}; "
            f"available: {', '.join(available) or 'none'}"
        )
    values = frame[field].to_numpy(dtype=object)
    names = np.array(["" if _missing(v) else str(v).strip() for v in values], dtype=object)
    empty = int((names == "").sum())
    if empty:
        raise BoundaryError(
            f"{FIELD_SETTING}: {empty} feature(s) in {path} have no value in {field!r}; "
            "fill them in or name another property"
        )
    return names


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _polygonal_geometries(frame: GeoDataFrame, path: Path) -> np.ndarray:
    """The geometry column; any point or line feature rejects the whole layer."""
    geoms = frame.geometry.to_numpy()
    geoms = np.where(shapely.is_missing(geoms), shapely.from_wkt("POLYGON EMPTY"), geoms)
    types = shapely.get_type_id(geoms)
    collections = types == shapely.GeometryType.GEOMETRYCOLLECTION
    if collections.any():
        geoms[collections] = [_polygonal_part(g) for g in geoms[collections]]
        types = shapely.get_type_id(geoms)
    allowed = np.isin(types, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    wrong = ~allowed & ~shapely.is_empty(geoms)
    if wrong.any():
        found = sorted({g.geom_type for g in geoms[wrong]})
        raise BoundaryError(
            f"{PATH_SETTING}: {path}: expected Polygon or MultiPolygon features, found "
            f"{int(wrong.sum())} {'/'.join(found)}; give a layer of kecamatan polygons"
        )
    return shapely.force_2d(geoms)


def _to_wgs84(series: GeoSeries, path: Path) -> np.ndarray:
    """Geometries in EPSG:4326; a layer without CRS must already be in lon/lat."""
    if series.crs is None:
        minx, miny, maxx, maxy = series.total_bounds
        lonlat = -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
        if not lonlat and not np.isnan(minx):  # NaN: all empty, reported later
            raise BoundaryError(
                f"{PATH_SETTING}: {path}: no CRS, and the coordinates (x {minx:.0f}..{maxx:.0f}, "
                f"y {miny:.0f}..{maxy:.0f}) are not longitude/latitude; save the file with its "
                "CRS (for a Shapefile, the .prj beside the .shp) or reproject it to EPSG:4326"
            )
        logger.info("%s: no CRS; coordinates are in lon/lat range, assuming WGS84", path)
        return series.to_numpy()
    if series.crs.equals("EPSG:4326") or series.crs.equals("OGC:CRS84"):
        return series.to_numpy()
    try:
        return series.to_crs("EPSG:4326").to_numpy()
    except Exception as exc:  # pyproj raises several types for an unusable CRS
        raise BoundaryError(
            f"{PATH_SETTING}: {path}: cannot reproject from {series.crs.to_string()} to EPSG:4326 "
            f"({_first_sentence(exc)})"
        ) from exc


def _repair(names: np.ndarray, geoms: np.ndarray, path: Path) -> np.ndarray:
    """Invalid geometries made valid (keeping their polygonal parts), each repair logged."""
    invalid = np.flatnonzero(~shapely.is_valid(geoms) & ~shapely.is_empty(geoms))
    if invalid.size == 0:
        return geoms
    repaired = geoms.copy()
    notes = []
    for i in invalid:
        notes.append(f"{names[i]} ({shapely.is_valid_reason(geoms[i])})")
        repaired[i] = _polygonal_part(shapely.make_valid(geoms[i]))
    logger.warning("%s: repaired %d invalid geometries: %s", path, invalid.size, "; ".join(notes))
    return repaired


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons inside any geometry (a collection from make_valid), as one geometry."""
    polygons: list[shapely.Geometry] = []
    pending = [geom]
    while pending:
        part = pending.pop()
        if part.geom_type == "Polygon" and not part.is_empty:
            polygons.append(part)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            pending.extend(shapely.get_parts(part))
    if not polygons:
        return shapely.from_wkt("POLYGON EMPTY")
    return polygons[0] if len(polygons) == 1 else shapely.union_all(polygons)


def _dissolve(names: np.ndarray, geoms: np.ndarray, path: Path) -> dict[str, shapely.Geometry]:
    """One geometry per name, in order of first appearance."""
    groups: dict[str, list[shapely.Geometry]] = {}
    for name, geom in zip(names, geoms, strict=True):
        groups.setdefault(str(name), []).append(geom)
    if len(groups) < len(names):
        logger.info("%s: dissolved %d features into %d districts", path, len(names), len(groups))
    return {
        name: parts[0] if len(parts) == 1 else _polygonal_part(shapely.union_all(parts))
        for name, parts in groups.items()
    }
