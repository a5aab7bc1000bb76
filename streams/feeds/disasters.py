"""``marvec.disasters``: incidents and their status changes (contract 1.4).

An incident is an entity (hash ``Keys.incident``) with a capped timeline
(``Keys.timeline``: ``<ts>|<status>|<severity>``); while active it counts in the
active counters by hazard and kecamatan and its latest impact figures are summed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from marvec import contract as C
from marvec.keys import Keys
from streams import fields as F
from streams.feeds.base import Common, Count, Event, Feed, Id, Locator, place, place_checked
from streams.values import fmt, num

if TYPE_CHECKING:
    from streams.plan import FoldConfig, NeedsBuilder, Planner

FIELDS = ("hz", "sev", "lat", "lon", "k", "ap", "dp", "inj", "dth", "mag", "dep", "wl", "src")
"""Entity hash fields (``Keys.incident``): hazard, severity, location, kecamatan,
affected, displaced, injured, deaths, magnitude, depth, water level, source; plus the
fold's ``st``, ``t``, ``p``, ``o``, ``first`` and the version ``v``."""
IMPACT = (("ap", "affected_people"), ("dp", "displaced"), ("inj", "injured"), ("dth", "deaths"))


class IncidentEvent(Common, kw_only=True):
    incident_id: Id
    status: Literal[C.INCIDENT_STATUSES]  # type: ignore[valid-type]
    hazard: Literal[C.HAZARDS] | None = None  # type: ignore[valid-type]
    severity: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    affected_people: Count | None = None
    displaced: Count | None = None
    injured: Count | None = None
    deaths: Count | None = None
    magnitude: Annotated[float, msgspec.Meta(ge=-2.0, le=10.0)] | None = None
    depth_km: Annotated[float, msgspec.Meta(ge=-10.0, le=1000.0)] | None = None
    water_level_cm: Annotated[float, msgspec.Meta(ge=-1000.0, le=100_000.0)] | None = None


def compact(e: IncidentEvent, ev: Event, locator: Locator) -> bool:
    if e.location is None:
        return False
    ev["iid"], ev["hz"], ev["st"], ev["sev"] = e.incident_id, e.hazard, e.status, e.severity
    ev["ap"], ev["dp"], ev["inj"], ev["dth"] = e.affected_people, e.displaced, e.injured, e.deaths
    ev["mag"], ev["dep"], ev["wl"] = e.magnitude, e.depth_km, e.water_level_cm
    place(ev, e, locator)
    return True


def check(obj: dict[str, Any], ev: Event, locator: Locator) -> None:
    ev["iid"] = F.string(obj, "incident_id", required=True)
    ev["hz"] = F.choice(obj, "hazard", C.HAZARDS, required=False)
    ev["st"] = F.choice(obj, "status", C.INCIDENT_STATUSES, required=True)
    ev["sev"] = F.integer(obj, "severity", required=False, minimum=1, maximum=5)
    for short, name in IMPACT:
        ev[short] = F.integer(obj, name, required=False, minimum=0)
    ev["mag"] = F.number(obj, "magnitude", lo=-2.0, hi=10.0)
    ev["dep"] = F.number(obj, "depth_km", lo=-10.0, hi=1000.0)
    ev["wl"] = F.number(obj, "water_level_cm", lo=-1000.0, hi=100_000.0)
    place_checked(ev, obj, locator, loc_required=True)


def needs(e: Event, need: NeedsBuilder) -> None:
    need.hash(need.keys.incident(e["iid"]))


def alive(cfg: FoldConfig, s: dict[str, Any]) -> tuple[Any, Any, int, int, int, int] | None:
    """An active incident's (hazard, kecamatan, impact figures); None once closed."""
    st = s.get("st")
    if st is None or st == "closed":
        return None
    return (s.get("hz"), s.get("k"), num(s.get("ap")) or 0, num(s.get("dp")) or 0,
            num(s.get("inj")) or 0, num(s.get("dth")) or 0)


@lru_cache(maxsize=4)
def _static_of(prefix: str) -> tuple[str, str, str, str]:
    k = Keys(prefix)
    return k.disaster_totals, k.active_by_hazard, k.active_by_kecamatan, k.active_incidents


def _counts(p: Planner, c: tuple[Any, Any, int, int, int, int], sign: int) -> None:
    totals, by_hazard, by_kec, _ = _static_of(p.k.prefix)
    p.inc(totals, "active", sign)
    for (_, name), n in zip(IMPACT, c[2:], strict=True):
        p.inc(totals, name, sign * n)
    p.inc(by_hazard, c[0], sign)
    if c[1]:
        p.inc(by_kec, c[1], sign)


def fold(p: Planner, e: Event) -> str | None:
    iid = e["iid"]
    timeline = p.k.timeline(iid)
    ent = p.entity(p.k.incident(iid), alive, extra=timeline)
    s = ent.cur
    exists = bool(s)
    if not exists and (e.get("hz") is None or e.get("sev") is None):
        return f"hazard and severity are required on the first event of incident {iid}"
    old = ent.live
    newer = p.follow(s, e, FIELDS)
    if not exists:
        p.trend(e, "d:new", 1)
        p.trend(e, "d:k:" + (s.get("k") or "?"), 1, minutes=False)  # the replay's per-kecamatan
    new = ent.live = alive(p.cfg, s)
    if old:
        _counts(p, old, -1)
    active = _static_of(p.k.prefix)[3]
    if new:
        _counts(p, new, 1)
        p.sets[active][iid] = True
    elif old:
        p.sets[active][iid] = False
    sev = e.get("sev") if e.get("sev") is not None else s.get("sev")
    p.append_capped(timeline, f"{fmt(e['t'])}|{e['st']}|{fmt(sev) if sev is not None else ''}",
                    p.cfg.timeline_len)
    if newer:
        p.tick({"feed": "disasters", "at": e["t"], "kind": e["st"], "title": s.get("hz"),
                "k": s.get("k"), "id": iid, "value": num(s.get("sev"))})
    return None


FEED = Feed(name="disasters", entity_key="incident_id",
            decoder=msgspec.json.Decoder(IncidentEvent), compact=compact, check=check,
            needs_city=lambda ev: False, needs=needs, fold=fold, alive=alive)
