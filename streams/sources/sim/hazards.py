"""Simulated incidents: floods with the storms of the rainy season, house fires, wind and
fallen trees, BMKG quakes.

Each incident is reported -> verified -> responding (repeatedly) -> contained -> closed on
a schedule planned at its birth: a fire is over in hours; a flood rises for hours while it
rains, with hourly reports (DOMAIN.md: "siaga banjir", hourly reports), and recedes over a
day or more, the people affected only growing, the displaced going home as the water
falls. Pure and deterministic for a given ``random.Random``.
"""

from __future__ import annotations

import math
import random
from datetime import datetime
from functools import partial
from typing import Any

from marvec.contract import WITA
from streams.sources.sim import data as D
from streams.sources.sim.world import (
    Body,
    Desk,
    Entity,
    Event,
    Timeline,
    in_box,
    jitter,
    picker,
    poisson,
)

_HAZARD = {season: picker(weights) for season, weights in D.HAZARD_WEIGHTS.items()}
_FLOOD_PLACES = picker({p: p.weight for p in D.PLACES if "flood" in p.tags})
_COAST_PLACES = picker({p: p.weight for p in D.PLACES if {"coast", "island"} & p.tags})
_FIRE_PLACES = picker({p: p.weight * (2.5 if "dense" in p.tags else 1) for p in D.PLACES})
_FLOODS = ("flood", "tidal_flood")
_H = 3600.0


def rainy_season(t: float) -> bool:
    """Whether ``t`` falls in the rainy season (November to March, WITA calendar)."""
    return datetime.fromtimestamp(t, WITA).month in D.RAINY_MONTHS


def _hazard_rate(hazard: str, t: float) -> float:
    return D.HAZARDS_PER_DAY[_season(t)][hazard] / 86_400


def _season(t: float) -> str:
    return "rainy" if rainy_season(t) else "dry"


def schedule(hazard: str, t0: float, x: dict[str, Any], rng: random.Random) -> list[tuple[str, float]]:
    """The statuses an incident of ``hazard`` born at ``t0`` goes through, and when.

    Sets ``x["peak_at"]`` and ``x["end"]`` (when the impact peaks, when it is closed)."""
    u = rng.uniform
    if hazard == "earthquake":  # a BMKG report, checked by BPBD, nothing more to do
        end = t0 + u(1, 6) * _H
        x.update(peak_at=t0, end=end)
        return [("reported", t0), ("verified", t0 + u(10, 30) * 60), ("closed", end)]
    if hazard in _FLOODS:
        rise = x.get("rise", u(3, 8) * _H) if hazard == "flood" else u(1, 3) * _H
        recede = (u(10, 20) + 20 * x["level"] / 200) * _H if hazard == "flood" else u(2, 5) * _H
        peak_at, end = t0 + rise, t0 + rise + recede
        plan, t = [("reported", t0), ("verified", t0 + u(15, 45) * 60)], t0 + u(45, 75) * 60
        while t < end - 4 * _H or (hazard == "tidal_flood" and t < end - _H):
            level_share = _level_share(t, t0, peak_at, end)
            plan.append(("responding" if level_share > 0.35 else "contained", t))
            t += u(50, 70) * 60 if level_share > 0.35 else u(100, 150) * 60
        plan.append(("closed", end))
        x.update(peak_at=peak_at, end=end)
        return plan
    if hazard == "fire":  # the brigade within the half hour, out within hours
        t1 = t0 + u(5, 15) * 60
        plan = [("reported", t0), ("verified", t1)] if rng.random() < 0.7 else [("reported", t0)]
        t2 = t1 + u(5, 20) * 60
        contained = t2 + u(0.7, 2.5) * _H
        plan += [("responding", t2), ("responding", t2 + (contained - t2) * u(0.3, 0.7)),
                 ("contained", contained), ("closed", contained + u(1.5, 5) * _H)]
        x.update(peak_at=contained, end=plan[-1][1])
        return plan
    # wind, fallen trees, a collapse, a landslide: cleared within the day
    t1 = t0 + u(15, 60) * 60
    plan = [("reported", t0), ("verified", t1)]
    t = t1 + u(20, 60) * 60
    for _ in range(rng.randint(1, 3)):
        plan.append(("responding", t))
        t += u(40, 90) * 60
    plan += [("contained", t), ("closed", t + u(1, 8) * _H)]
    x.update(peak_at=t1, end=plan[-1][1])
    return plan


def _level_share(t: float, t0: float, peak_at: float, end: float) -> float:
    """A flood's water level at ``t`` as a share of its peak: rising, then receding."""
    if t <= peak_at:
        return 0.25 + 0.75 * (t - t0) / max(1.0, peak_at - t0)
    return max(0.0, math.exp(-3.0 * (t - peak_at) / max(1.0, end - peak_at)) - 0.05)


def peaks(hazard: str, place: D.Place | None, rng: random.Random, rain: float = 0.5) -> dict[str, Any]:
    """The worst an incident gets: water level (cm) and people affected, displaced, hurt, dead."""
    u, level, displaced = rng.uniform, 0.0, 0.0
    if hazard == "flood":  # up to 2 m at the known spots (Antang, Feb 2023), deeper in heavy rain
        known = place is not None and "flood" in place.tags
        level = (u(30, 110) + 100 * rain * rng.random()) if known else u(15, 60)
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
    """Incidents by hazard at their daily rates (``data.HAZARDS_PER_DAY``), and storms
    (``data.STORMS_PER_DAY``) that flood the known spots: a handful active on a dry day,
    a dozen or more in a rainy-season storm."""

    feed = "disasters"
    repeatable = frozenset({"reported", "verified", "responding", "contained"})  # a second caller, an hourly report

    def __init__(self, rng: random.Random, tag: str, timeline: Timeline) -> None:
        super().__init__(rng, tag, timeline)
        self.storms = 0

    def rate(self, t: float) -> float:
        """Incidents per second at ``t`` outside storms (for the backlog)."""
        return sum(D.HAZARDS_PER_DAY[_season(t)].values()) / 86_400

    def arrive(self, t0: float) -> None:
        """Start the incidents and the storms from ``t0``."""
        for hazard in D.HAZARDS_PER_DAY["rainy"]:
            peak = max(D.HAZARDS_PER_DAY[s][hazard] for s in ("rainy", "dry")) / 86_400
            poisson(self.timeline, self.rng, t0, partial(_hazard_rate, hazard), peak,
                    partial(self._spawn, hazard))
        peak = max(D.STORMS_PER_DAY.values()) / 86_400
        poisson(self.timeline, self.rng, t0, lambda t: D.STORMS_PER_DAY[_season(t)] / 86_400, peak,
                self.storm)

    def storm(self, t: float) -> list[Event]:
        """A downpour of a few hours: floods at the known spots, wind, fallen trees."""
        rng = self.rng
        self.storms += 1
        rain, hours = rng.random() ** 0.7, rng.uniform(2, 8)
        n_floods = 1 + int(rain * rng.uniform(3, 9))
        for _ in range(n_floods):
            at = t + rng.uniform(0.3, 0.8) * hours * _H
            rise = (t + hours * _H - at) + rng.uniform(1, 4) * _H  # rises until after the rain
            self.timeline.at(at, partial(self._flood, rain, rise))
        for hazard, p in (("extreme_weather", 0.3 + 0.6 * rain), ("tree_fall", 0.8), ("strong_wind", 0.5)):
            if rng.random() < p:
                self.timeline.at(t + rng.uniform(0, hours) * _H, partial(self._spawn, hazard))
        return []

    def _spawn(self, hazard: str, t: float) -> list[Event]:
        return [self.start(self.new(t, hazard=hazard))]

    def _flood(self, rain: float, rise: float, t: float) -> list[Event]:
        return [self.start(self.new(t, hazard="flood", rain=rain, rise=rise))]

    def step(self, t: float, target: float) -> Event:
        """Load mode: a new incident while fewer than ``target`` are active, else a status
        report on an active one."""
        if self.active < target:
            return self.start(self.new(t))
        return self.repeat(t) or self.start(self.new(t))

    def new(self, t: float, *, sample: bool = False, hazard: str | None = None, rain: float = 0.5,
            rise: float | None = None) -> Entity:
        rng = self.rng
        self.created += 1
        hazard = hazard or _HAZARD[_season(t)](rng)
        place: D.Place | None = None
        if hazard == "earthquake":
            where: Body = {"location": in_box(rng, D.QUAKE_BOXES)}
        else:
            place = (_FLOOD_PLACES if hazard == "flood" and rng.random() < 0.85 else _COAST_PLACES
                     if hazard == "tidal_flood" else _FIRE_PLACES)(rng)
            where = {"location": jitter(rng, place.lat, place.lon, place.radius_m / 2)}
            if rng.random() < 0.4:
                where["kecamatan"] = place.kecamatan
        x = peaks(hazard, place, rng, rain)
        if rise is not None:
            x["rise"] = rise
        if hazard == "earthquake":  # shallow in the strait, deep under the Flores Sea
            shallow = where["location"]["lon"] < 119
            x.update(mag=round(min(7.0, 2.8 + rng.expovariate(1 / 0.7)), 1),
                     depth=round(rng.uniform(5, 60) if shallow else rng.uniform(10, 600)))
        source = rng.choice(D.HAZARD_SOURCE.get(hazard, ("bpbd",)))
        prefix = "BMKG" if hazard == "earthquake" else "BPBD"
        x["t0"] = t
        plan = schedule(hazard, t, x, rng)
        times, last = [], t - 1
        for _, at in plan:  # strictly increasing
            last = max(at, last + 1)
            times.append(last)
        return Entity(f"{prefix}-{self.tag}-{self.created:06d}", hazard, source, where,
                      tuple(s for s, _ in plan), tuple(times), x)

    def body(self, e: Entity, t: float, status: str) -> Body:
        x = e.x
        t0, peak_at, end = x["t0"], x["peak_at"], x["end"]
        p = min(1.0, (t - t0) / max(1.0, end - t0))
        grow = min(1.0, (t - t0) / max(1.0, peak_at - t0)) if t < peak_at else 1.0
        if e.kind in _FLOODS:
            ease = 0.0 if status == "closed" else _level_share(t, t0, peak_at, end)
        else:
            ease = 0.0 if status == "closed" else (0.3 + 0.7 * grow if t < peak_at else max(0.05, 1 - p))
        b: Body = {"source": e.source, "incident_id": e.key, "hazard": e.kind, "status": status}
        b.update(e.where)
        if status != "reported":  # numbers come once someone has looked
            b.update(affected_people=round(x["affected"] * max(grow, 0.2)),
                     displaced=round(x["displaced"] * ease), injured=round(x["injured"] * grow),
                     deaths=x["deaths"] if grow >= 1.0 else 0)
        if e.kind in _FLOODS:
            b["water_level_cm"] = round(x["level"] * (ease if status != "reported" else 0.25), 1)
            peak_level = x["level"] * max(ease, 0.25)
            severity = 1 + (peak_level >= 30) + (peak_level >= 70) + (peak_level >= 120) + (peak_level >= 180)
            if status == "closed":
                severity, b["water_level_cm"] = 1, 0.0
        elif e.kind == "earthquake":
            b.update(magnitude=x["mag"], depth_km=x["depth"])
            severity = 1 + (x["mag"] >= 5.0) + (x["mag"] >= 6.0)
        else:
            severity = 1 + (x["affected"] > 20) + (x["affected"] > 80) + (x["injured"] > 1) + x["deaths"]
        b["severity"] = min(5, int(severity))
        return b
