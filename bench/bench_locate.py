"""Benchmark ``Boundaries.locate`` against naive point-in-polygon baselines.

Usage: ``python bench/bench_locate.py [BOUNDARY_FILE [FIELD]]``

Prints points per second for 100,000 random points in the city's bounding box,
for the bundled boundaries and, when given, a real boundary file. Baselines are
measured in the same run on the same points:

- ``STRtree.query``: ``shapely.STRtree(polygons).query(points, predicate="intersects")``
  (tree built outside the timing; no nearest-polygon fallback, no tie-breaking);
- ``per-point loop``: for each point, ``polygon.contains(point)`` over the polygons
  until one matches (timed on a 2,000-point subset).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely

from geodata import Boundaries
from geodata.reading import read_polygons

BUNDLED = Path(__file__).resolve().parents[1] / "geodata" / "data" / "makassar_kecamatan.geojson"

N_POINTS = 100_000
N_LOOP = 2_000
REPEATS = 3


def best_rate(run: Callable[[], object], n: int) -> float:
    """Points per second of the fastest of ``REPEATS`` runs."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return n / best


def rates(path: Path, field: str, lon: np.ndarray, lat: np.ndarray) -> dict[str, float]:
    """Method name -> points/s on these points."""
    boundaries = Boundaries(read_polygons(path, field), source=str(path))
    polygons = list(read_polygons(path, field).values())  # fresh, unprepared copies
    tree = shapely.STRtree(polygons)
    sub_lon, sub_lat = lon[:N_LOOP], lat[:N_LOOP]

    def loop() -> list[int | None]:
        out: list[int | None] = []
        for point in shapely.points(sub_lon, sub_lat):
            out.append(next((i for i, g in enumerate(polygons) if g.contains(point)), None))
        return out

    return {
        "Boundaries.locate": best_rate(lambda: boundaries.locate(lon, lat), len(lon)),
        "STRtree.query intersects": best_rate(
            lambda: tree.query(shapely.points(lon, lat), predicate="intersects"), len(lon)
        ),
        "per-point loop": best_rate(loop, N_LOOP),
    }


def main(argv: list[str]) -> None:
    """Print the table for the bundled set and the optional file in ``argv[1]``."""
    sets = [("bundled", BUNDLED, "kecamatan")]
    if len(argv) > 1:
        sets.append((Path(argv[1]).name, Path(argv[1]), argv[2] if len(argv) > 2 else "kecamatan"))
    rng = np.random.default_rng(2024)
    minlon, minlat, maxlon, maxlat = Boundaries(read_polygons(sets[-1][1], sets[-1][2]), "").bounds
    minlon = max(minlon, 119.37)  # the mainland; the far islands would leave it mostly sea
    lon, lat = rng.uniform(minlon, maxlon, N_POINTS), rng.uniform(minlat, maxlat, N_POINTS)
    print(
        f"{N_POINTS:,} random points in lon {minlon:.3f}..{maxlon:.3f}, lat {minlat:.3f}..{maxlat:.3f}"
    )
    print(f"{'boundaries':<44} {'vertices':>8}  {'method':<26} {'points/s':>12} {'locate is':>10}")
    for label, path, field in sets:
        polygons = list(read_polygons(path, field).values())
        vertices = int(shapely.get_num_coordinates(polygons).sum())
        measured = rates(path, field, lon, lat)
        ours = measured["Boundaries.locate"]
        for method, rate in measured.items():
            ratio = "" if method == "Boundaries.locate" else f"{ours / rate:.1f}x"
            print(f"{label:<44} {vertices:>8}  {method:<26} {rate:>12,.0f} {ratio:>10}")


if __name__ == "__main__":
    main(sys.argv)
