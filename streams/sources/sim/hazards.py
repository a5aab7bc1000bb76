"""Simulated incidents: floods in the rain, house fires, wind and fallen trees, BMKG quakes.

Each incident is reported -> verified -> responding (repeatedly) -> contained -> closed,
its impact growing then easing: people affected only grow, the displaced go home as the
water recedes. Pure and deterministic for a given ``random.Random``.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from marvec.contract import WITA
from streams.sources.sim import data as D
from streams.sources.sim.world import Body, Desk, Entity, hour_activity, in_box, jitter, picker

_HAZARD = {season: picker(weights) for season, weights in D.HAZARD_WEIGHTS.items()}
_FLOOD_PLACES = picker({p: p.weight for p in D.PLACES if "flood" in p.tags})
_COAST_PLACES = picker({p: p.weight for p in D.PLACES if {"coast", "island"} & p.tags})
_FIRE_PLACES = picker({p: p.weight * (2.5 if "dense" in p.tags else 1) for p in D.PLACES})
_INTERVAL = {"flood": 1800.0, "tidal_flood": 1200.0, "fire": 600.0, "earthquake": 600.0}
_FLOODS = ("flood", "tidal_flood")


def rainy_season(t: float) -> bool:
    """Whether ``t`` falls in the rainy season (November to March, WITA calendar)."""
    return datetime.fromtimestamp(t, WITA).month in D.RAINY_MONTHS


def plan(hazard: str, rng: random.Random) -> tuple[str, ...]:
    """The statuses an incident of ``hazard`` will go through."""
    ri = rng.randint
    if hazard == "earthquake":  # a BMKG report, checked by BPBD, nothing more to do
        return ("reported", "verified", "closed")
    if hazard in _FLOODS:  # hourly reports while the water stands
        return ("reported", "verified", *["responding"] * ri(5, 25), *["contained"] * ri(2, 6), "closed")
    first = ("reported", "verified") if hazard != "fire" or rng.random() < 0.7 else ("reported",)
    return (*first, *["responding"] * ri(2, 6), *["contained"] * ri(1, 3), "closed")


def peaks(hazard: str, place: D.Place | None, rng: random.Random) -> dict[str, Any]:
    """The worst an incident gets: water level (cm) and people affected, displaced, hurt, dead."""
    u, level, displaced = rng.uniform, 0.0, 0.0
    if hazard == "flood":  # up to 2 m at the known spots (Antang, Feb 2023)
        level = u(40, 200) if place is not None and "flood" in place.tags else u(15, 70)
        affected = level * u(3, 10)
        displaced = affected * min(0.5, max(0.0, (level - 40) / 250))
    elif hazard == "tidal_flood":
        level = u(10, 60)
        affected = level * u(2, 6)
    elif hazard == "fire":  # houses burnt, 3.5 to 5.5 people each
        affected = displaced = (1 + int(rng.expovariate(1 / 3))) * u(3.5, 5.5)
    else:
        affected = 0.0 if hazard == "earthquake" else rng.expovariate(1 / 15)
        if hazard in ("strong_wind", "building_collapse", "landslide"):
            displaced = affected * 0.3
    injured = int(rng.random() * (3 if hazard in ("fire", "building_collapse") or level > 100 else 1.3))
    deaths = int(rng.random() < (0.04 if hazard == "fire" else 0.1 if level > 150 else 0.002))
    return {"level": level, "affected": affected, "displaced": displaced, "injured": injured,
            "deaths": deaths}


class IncidentBoard(Desk):
    """Active incidents, a handful in the dry season, up to a few dozen in heavy rain."""

    feed = "disasters"

    def __init__(self, rng: random.Random, tag: str, seed: int) -> None:
        super().__init__(rng, tag)
        self.seed = seed

    def rain(self, t: float) -> float:
        """Rain 0..1 in the 3-hour block of ``t``: mostly light, now and then a downpour."""
        if not rainy_season(t):
            return 0.0
        block = int(t // 10_800)
        return (((block * 2_654_435_761 + self.seed * 40_503) % 1_000_003) / 1_000_003) ** 2

    def target(self, t: float) -> float:
        rain = self.rain(t)
        return 3 + 3 * hour_activity(t) + (4 + 18 * rain if rainy_season(t) else 0)

    def new(self, t: float, *, age: float = 0.0, sample: bool = False) -> Entity:
        rng = self.rng
        self.created += 1
        hazard = _HAZARD["rainy" if rainy_season(t) else "dry"](rng)
        place: D.Place | None = None
        if hazard == "earthquake":
            where: Body = {"location": in_box(rng, D.QUAKE_BOXES)}
        else:
            place = (_FLOOD_PLACES if hazard == "flood" and rng.random() < 0.8 else _COAST_PLACES
                     if hazard == "tidal_flood" else _FIRE_PLACES)(rng)
            where = {"location": jitter(rng, place.lat, place.lon, place.radius_m / 2)}
            if rng.random() < 0.4:
                where["kecamatan"] = place.kecamatan
        x = peaks(hazard, place, rng)
        if hazard == "earthquake":  # shallow in the strait, deep under the Flores Sea
            shallow = where["location"]["lon"] < 119
            x.update(mag=round(min(7.0, 2.8 + rng.expovariate(1 / 0.7)), 1),
                     depth=round(rng.uniform(5, 60) if shallow else rng.uniform(10, 600)))
        source = rng.choice(D.HAZARD_SOURCE.get(hazard, ("bpbd",)))
        prefix = "BMKG" if hazard == "earthquake" else "BPBD"
        return Entity(f"{prefix}-{self.tag}-{self.created:06d}", hazard, source, where,
                      plan(hazard, rng), x)

    def due(self, e: Entity, t: float) -> float:
        return t + _INTERVAL.get(e.kind, 1200.0) * self.rng.uniform(0.5, 1.5)

    def body(self, e: Entity) -> Body:
        x, status = e.x, e.plan[e.step]
        p = e.step / (len(e.plan) - 1)
        grow = min(1.0, p / 0.5)
        ease = 0.0 if status == "closed" else p / 0.4 if p < 0.4 else max(0.05, 1 - (p - 0.4) / 0.6)
        b: Body = {"source": e.source, "incident_id": e.key, "hazard": e.kind, "status": status}
        b.update(e.where)
        if e.step:  # numbers come once someone has looked
            b.update(affected_people=round(x["affected"] * grow), displaced=round(x["displaced"] * ease),
                     injured=round(x["injured"] * grow), deaths=x["deaths"] if p >= 0.5 else 0)
        if e.kind in _FLOODS:
            b["water_level_cm"] = level = round(x["level"] * max(ease, 0.1 if e.step == 0 else 0), 1)
            severity = 1 + (level >= 30) + (level >= 70) + (level >= 120) + (level >= 180)
        elif e.kind == "earthquake":
            b.update(magnitude=x["mag"], depth_km=x["depth"])
            severity = 1 + (x["mag"] >= 5.0) + (x["mag"] >= 6.0)
        else:
            severity = 1 + (x["affected"] > 20) + (x["affected"] > 80) + (x["injured"] > 1) + x["deaths"]
        b["severity"] = min(5, severity)
        return b
