"""Residents per kecamatan (for shading per 10,000 residents): a small CSV with its source.

``geodata/data/population.csv``: ``# source:`` and ``# year:`` comment lines, then
``kecamatan,population`` rows. A blank population is unknown (absent from ``counts``),
never 0.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

POPULATION_CSV = Path(__file__).resolve().parent / "data" / "population.csv"


@dataclass(frozen=True)
class Population:
    counts: dict[str, int] = field(default_factory=dict)
    """Residents by kecamatan name; a kecamatan without a known figure is absent."""
    source: str = ""
    year: int | None = None


def parse_population(text: str) -> Population:
    """Read the CSV text (comment lines first). Raises ``ValueError`` on a bad number."""
    meta: dict[str, str] = {}
    rows: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep and key.strip() in ("source", "year"):
                meta[key.strip()] = value.strip()
        elif line.strip():
            rows.append(line)
    counts: dict[str, int] = {}
    for row in csv.DictReader(rows):
        name, raw = (row.get("kecamatan") or "").strip(), (row.get("population") or "").strip()
        if not name or not raw:
            continue
        residents = int(raw.replace(".", "").replace(",", ""))
        if residents <= 0:
            raise ValueError(f"population of {name!r} must be positive, got {raw!r}")
        counts[name] = residents
    year = meta.get("year")
    return Population(counts, meta.get("source", ""), int(year) if year and year.isdigit() else None)


@lru_cache(maxsize=4)
def load_population(path: Path = POPULATION_CSV) -> Population:
    """The bundled table (read once)."""
    return parse_population(path.read_text(encoding="utf-8"))
