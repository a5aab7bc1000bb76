"""``marvec.complaints``: citizen complaints and their status changes (contract 1.2).

A complaint is an entity (hash ``Keys.complaint``): its state follows its latest event;
while open it counts in the open counters by kecamatan, category and OPD and sits in
the due-time sorted sets; once resolved its time to resolution goes to its OPD's list.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from marvec import contract as C
from marvec.keys import HISTORY_DAY_TTL, Keys
from marvec.timeutil import day_of
from streams import fields as F
from streams.feeds.base import (
    Common,
    Event,
    Feed,
    Id,
    Locator,
    Opd,
    Text,
    place,
    place_checked,
    placed,
)
from streams.fields import Invalid
from streams.values import fmt, num

if TYPE_CHECKING:
    from streams.plan import FoldConfig, NeedsBuilder, Planner

FIELDS = ("cat", "pr", "opd", "k", "lat", "lon", "src")
"""Entity hash fields an event carries, latest wins (``Keys.complaint``): category,
priority, OPD, kecamatan, location, source; plus the fold's own ``st``, ``t``, ``p``,
``o``, ``first``, ``rcv`` (received), ``res`` (resolved), ``fr`` (the first status after
received: the first response) and ``frc`` (set once that response is counted), the
version ``v``, and the citizen's report ``txt`` with its origin ``txt_k`` (``_keep_report``)."""


class ComplaintEvent(Common, kw_only=True):
    complaint_id: Id
    status: Literal[C.COMPLAINT_STATUSES]  # type: ignore[valid-type]
    category: Literal[C.COMPLAINT_CATEGORIES] | None = None  # type: ignore[valid-type]
    priority: Literal[C.PRIORITIES] | None = None  # type: ignore[valid-type]
    opd: Opd | None = None
    text: Text | None = None


def compact(e: ComplaintEvent, ev: Event, locator: Locator) -> bool:
    if e.status == "received" and e.category is None:
        return False
    ev["cid"], ev["st"], ev["cat"], ev["pr"] = e.complaint_id, e.status, e.category, e.priority
    ev["opd"], ev["txt"] = e.opd, e.text
    place(ev, e, locator)
    return placed(ev)


def check(obj: dict[str, Any], ev: Event, locator: Locator) -> None:
    ev["cid"] = F.string(obj, "complaint_id", required=True)
    status = F.choice(obj, "status", C.COMPLAINT_STATUSES, required=True)
    ev["st"] = status
    ev["cat"] = F.choice(obj, "category", C.COMPLAINT_CATEGORIES, required=status == "received")
    ev["pr"] = F.choice(obj, "priority", C.PRIORITIES, required=False)
    ev["opd"] = F.string(obj, "opd", required=False, max_len=32)
    ev["txt"] = F.string(obj, "text", required=False, min_len=0, max_len=2000)
    place_checked(ev, obj, locator, loc_required=False)
    if not placed(ev):
        raise Invalid("schema", "a complaint needs location or kecamatan")


def needs(e: Event, need: NeedsBuilder) -> None:
    need.hash(need.keys.complaint(e["cid"]))


_OPEN = C.COMPLAINT_OPEN_STATUSES


def alive(cfg: FoldConfig, s: dict[str, Any]) -> tuple[str, str, Any, float] | None:
    """An open complaint's (kecamatan, category, OPD, due time); None once closed."""
    get = s.get
    if get("st") not in _OPEN:
        return None
    base = get("rcv")
    base = num(base) if base is not None else num(get("first"))
    return (get("k") or "?", get("cat") or "unknown", get("opd"),
            base + cfg.sla[get("pr") or C.DEFAULT_PRIORITY])


@lru_cache(maxsize=4)
def _static_keys(prefix: str) -> tuple[str, ...]:
    k = Keys(prefix)
    return (k.complaint_totals, k.open_by_kecamatan, k.open_by_category,
            k.open_by_kecamatan_category, k.open_by_opd, k.due, k.latest_open, k.opds)


_STATIC: dict[str, tuple[str, ...]] = {}


def _static_of(prefix: str) -> tuple[str, ...]:
    """The feed's fixed keys under ``prefix`` (a plain dict first: several look-ups per event)."""
    keys = _STATIC.get(prefix)
    if keys is None:
        keys = _STATIC[prefix] = _static_keys(prefix)
    return keys


def _open_counts(p: Planner, c: tuple[str, str, Any, float], sign: int) -> None:
    k, cat, opd, _ = c
    totals, by_kec, by_cat, by_kc, by_opd = _static_of(p.k.prefix)[:5]
    p.inc(totals, "open", sign)
    p.inc(by_kec, k, sign)
    p.inc(by_cat, cat, sign)
    p.inc(by_kc, f"{k}|{cat}", sign)
    if opd:
        p.inc(by_opd, opd, sign)


def _report_rank(e: Event) -> tuple[int, float]:
    return (0 if e["st"] == "received" else 1, float(e["t"]))


def _held_rank(s: dict[str, Any]) -> tuple[int, float]:
    """The origin of the text in ``txt``: (0 received / 1 a later status, event time). A hash
    written before ``txt_k`` existed (its ``txt`` was the latest text) yields to any text."""
    kind, _, at = str(s.get("txt_k") or "").partition("|")
    try:
        t = float(at)
    except ValueError:
        return (2, 0.0)
    return (int(kind), t) if kind in ("0", "1") else (2, 0.0)


def _keep_report(s: dict[str, Any], e: Event) -> None:
    """Keep the citizen's own report in ``txt``: the text of the (earliest) ``received``
    event; until one with text arrives, the earliest text any event carried. A later
    status update's text (the OPD's note) never replaces it, whatever order events
    arrive in. ``txt_k`` records where it came from: ``"0|<t>"`` (received at event time
    t) or ``"1|<t>"`` (another status)."""
    text = e.get("txt")
    if text is None:
        return
    rank = _report_rank(e)
    if s.get("txt") is None or rank < _held_rank(s):
        s["txt"] = text
        s["txt_k"] = f"{rank[0]}|{fmt(rank[1])}"


def fold(p: Planner, e: Event) -> str | None:
    cid = e["cid"]
    ent = p.entity(p.k.complaint(cid), alive)
    s = ent.cur
    old = ent.live
    newer = p.follow(s, e, FIELDS)
    _keep_report(s, e)
    day_key = p.k.complaint_day(e["d"])
    if e["st"] == "received":
        r = num(s.get("rcv"))
        if r is None:
            p.inc(day_key, "received", 1)
            p.inc(day_key, "k:" + (e.get("k") or s.get("k") or "?"), 1)
            p.trend(e, "c:received", 1)
            p.trend(e, "c:cat:" + (e.get("cat") or s.get("cat") or "unknown"), 1)
            p.trend(e, "c:k:" + (e.get("k") or s.get("k") or "?"), 1, minutes=False)  # the replay's map
        if r is None or e["t"] < r:
            s["rcv"] = e["t"]
    if e["st"] != "received":
        f = num(s.get("fr"))
        if f is None or e["t"] < f:
            s["fr"] = e["t"]
    if s.get("frc") is None:
        _first_response(p, s)
    if e["st"] == "resolved" and s.get("res") is None:
        s["res"] = e["t"]
        p.inc(day_key, "resolved", 1)
        p.trend(e, "c:resolved", 1)
        _resolution(p, s, e)
    p.expire_at_least(day_key, e["de"] + p.cfg.day_ttl)
    new = ent.live = alive(p.cfg, s)
    _index(p, cid, s, old, new, newer)
    if newer:
        p.tick({"feed": "complaints", "at": e["t"], "kind": e["st"],
                "title": s.get("cat") or "unknown", "text": e.get("txt") or s.get("txt"), "k": s.get("k"),
                "id": cid})
    return None


def _index(p: Planner, cid: str, s: dict[str, Any], old: Any, new: Any, newer: bool) -> None:
    """The open counters and due-time sets, moved from what the complaint was to what it is."""
    due, latest, opds = _static_of(p.k.prefix)[5:]
    if old and new and old[0] == new[0] and old[1] == new[1]:
        # Open before and after, same kecamatan and category (most status changes): the
        # counters it would take off and put back cancel out, but for a change of OPD.
        if old[2] != new[2]:
            by_opd = _static_of(p.k.prefix)[4]
            if old[2]:
                p.inc(by_opd, old[2], -1)
            if new[2]:
                p.inc(by_opd, new[2], 1)
    else:
        if old:
            _open_counts(p, old, -1)
        if new:
            _open_counts(p, new, 1)
    zs = p.zsets
    if new:
        same_due = old is not None and old[3] == new[3]
        if not same_due:
            zs[due][cid] = new[3]
        if newer:
            zs[latest][cid] = num(s["t"])
        if new[2] and not (same_due and old is not None and old[2] == new[2]):
            zs[p.k.due_by_opd(new[2])][cid] = new[3]
            p.sets[opds][new[2]] = True
    elif old:
        zs[due][cid] = None
        zs[latest][cid] = None
    if old and old[2] and (new is None or new[2] != old[2]):
        zs[p.k.due_by_opd(old[2])][cid] = None


def _first_response(p: Planner, s: dict[str, Any]) -> None:
    """Count the time from received to the first later status, once both are known: into
    the OPD's recent first responses (median on the report card) and the day it happened
    (``Keys.opd_day``: weekly and monthly history). Counted once (``frc``): a status event
    arriving later with an earlier time moves ``fr`` but not what was counted."""
    rcv, fr = num(s.get("rcv")), num(s.get("fr"))
    if rcv is None or fr is None:
        return
    s["frc"] = 1
    secs = max(0.0, fr - rcv)
    opd = s.get("opd") or "-"
    p.push_capped(p.k.first_responses(opd), f"{fmt(secs)}|{fmt(fr)}", p.cfg.resolutions_len)
    day, end = day_of(fr)
    key = p.k.opd_day(day)
    p.inc(key, f"f:{opd}", 1)
    p.inc(key, f"fs:{opd}", round(secs))
    p.expire_at_least(key, end + HISTORY_DAY_TTL)


def _resolution(p: Planner, s: dict[str, Any], e: Event) -> None:
    base = num(s.get("rcv"))
    if base is None:
        base = num(s.get("first"))
    res = num(s["res"])
    within = 1 if res <= base + p.cfg.sla[s.get("pr") or C.DEFAULT_PRIORITY] else 0
    opd = s.get("opd") or "-"
    p.push_capped(p.k.resolutions(opd), f"{fmt(res - base)}|{within}|{fmt(res)}",
                  p.cfg.resolutions_len)
    if opd != "-":  # listed (and so swept by streams.expiry) even if it never held it open
        p.sets[_static_of(p.k.prefix)[7]][opd] = True
    key = p.k.opd_day(e["d"])
    p.inc(key, f"r:{opd}", 1)
    p.inc(key, f"ok:{opd}", within)
    p.inc(key, f"rs:{opd}", round(max(0.0, res - base)))
    p.expire_at_least(key, e["de"] + HISTORY_DAY_TTL)


FEED = Feed(name="complaints", entity_key="complaint_id",
            decoder=msgspec.json.Decoder(ComplaintEvent), compact=compact, check=check,
            needs_city=lambda ev: True, needs=needs, fold=fold, alive=alive)
