"""Pure: raw values read by ``read.lua`` -> the typed ``Snapshot``."""

from __future__ import annotations

import statistics
from typing import Any, Literal

import orjson

from marvec.alerts.store import alerts_view
from marvec.contract import COMMODITIES, COMPLAINT_CATEGORIES, FEEDS
from marvec.snapshot import (
    AlertItem,
    Awareness,
    ComplaintPoint,
    Complaints,
    Disasters,
    Economy,
    FeedStats,
    Incident,
    OpdStats,
    Ops,
    Price,
    PublicInfo,
    Snapshot,
    TickerItem,
    TimelineEntry,
    Transactions,
    Trends,
)
from marvec.timeutil import day_start, iso

# Bucket field (written by streams/plan.py) -> series name in Snapshot.trends.
FLOW_SERIES = {"complaints": "events.complaints", "economy": "events.economy",
               "disasters": "events.disasters", "c:received": "complaints.received",
               "c:resolved": "complaints.resolved", "e:tx_count": "economy.tx_count",
               "e:tx_amount": "economy.tx_amount", "d:new": "disasters.new"}
GAUGE_SERIES = {"c:open": "complaints.open", "c:overdue": "complaints.overdue",
                "d:active": "disasters.active", "d:affected": "disasters.affected_people",
                "d:displaced": "disasters.displaced"}
TEXT_MAX = 140


def pairs(flat: Any) -> dict[str, str]:
    """HGETALL's flat ``[field, value, ...]`` (or an empty JSON object) as a dict."""
    if not flat or isinstance(flat, dict):
        return {}
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _int(d: dict[str, str], k: str) -> int:
    """A stored integer, exactly (a counter may exceed 2^53); a float text is truncated."""
    v = d.get(k) or 0
    try:
        return int(v)
    except ValueError:
        return int(float(v))


def _opt_float(v: Any) -> float | None:
    return None if v in (None, False, "") else float(v)


def _opt_int(v: Any) -> int | None:
    return None if v in (None, False, "") else int(float(v))


def _iso(v: Any) -> str | None:
    return None if v in (None, False, "") else iso(float(v))


def shorten(text: str | None, limit: int = TEXT_MAX) -> str | None:
    """Citizen text cut to ``limit`` characters with an ellipsis (still untrusted)."""
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _feeds(raw: list[Any], now: float) -> dict[str, FeedStats]:
    out = {}
    for name, flat in zip(FEEDS, raw, strict=True):
        d = pairs(flat)
        applied = _opt_float(d.get("last_applied_ts"))
        out[name] = FeedStats(
            accepted=_int(d, "accepted"), rejected=_int(d, "rejected"),
            duplicates=_int(d, "duplicates"), first_event_at=_iso(d.get("first_event_ts")),
            last_event_at=_iso(d.get("last_event_ts")), receiving_since=_iso(d.get("first_applied_ts")),
            last_applied_at=_iso(applied),
            silent_for_s=None if applied is None else round(max(0.0, now - applied), 1),
        )
    return out


def _opd_stats(entry: list[Any], open_by_opd: dict[str, str]) -> OpdStats:
    opd, overdue, res, firsts = entry
    if res is False:  # beyond the worst OPDS_N: counted, its resolutions not read
        return OpdStats(open=_int(open_by_opd, opd), overdue=int(overdue), resolved=None)
    durations, within = [], 0
    for item in res:
        seconds, ok, _ = item.split("|")
        durations.append(float(seconds))
        within += ok == "1"
    return OpdStats(
        open=_int(open_by_opd, opd), overdue=int(overdue), resolved=len(durations),
        median_resolution_h=_median_h(durations),
        within_sla_share=round(within / len(durations), 3) if durations else None,
        median_first_response_h=_median_h([float(item.split("|")[0]) for item in firsts or ()]),
    )


def _median_h(seconds: list[float]) -> float | None:
    return round(statistics.median(seconds) / 3600, 1) if seconds else None


def _complaints(raw: dict[str, Any], names: list[str]) -> Complaints:
    by_opd_flat = pairs(raw["c_opd"])
    stats = {e[0]: _opd_stats(e, by_opd_flat) for e in raw["opds"] if e[0] != "-"}
    by_opd = {k: v for k, v in stats.items() if v.open or v.overdue or v.resolved}
    total_open = _int(pairs(raw["c_totals"]), "open")
    overdue = int(raw["c_overdue"])
    # Every open complaint is in the totals; those with an OPD also in open_by_opd and
    # due_by_opd, so what is left is exactly the unassigned ones.
    left_open = total_open - sum(_int(by_opd_flat, o) for o in by_opd_flat if o != "-")
    left_overdue = overdue - int(raw.get("opds_overdue") or 0)
    unassigned = OpdStats(open=left_open, overdue=max(0, left_overdue)) if left_open > 0 else None
    kc: dict[str, dict[str, int]] = {}
    for field, n in pairs(raw["c_kc"]).items():
        kec, _, cat = field.partition("|")
        if int(n):
            kc.setdefault(kec, {})[cat] = int(n)
    today = pairs(raw["c_today"])
    cats = {c: 0 for c in COMPLAINT_CATEGORIES} | {k: int(v) for k, v in pairs(raw["c_cat"]).items()}
    return Complaints(
        open=total_open, overdue=overdue,
        received_today=_int(today, "received"), resolved_today=_int(today, "resolved"),
        by_kecamatan={n: 0 for n in names} | {k: int(v) for k, v in pairs(raw["c_kec"]).items() if int(v)},
        by_category={k: v for k, v in cats.items() if v or k in COMPLAINT_CATEGORIES},
        by_opd=dict(sorted(by_opd.items())), unassigned=unassigned, by_kecamatan_category=kc,
        latest=[_point(cid, vals) for cid, vals in raw["latest"] if vals[0]],
    )


def _point(cid: str, v: list[Any]) -> ComplaintPoint:
    st, cat, pr, kec, lat, lon, t, txt, opd = v
    return ComplaintPoint(complaint_id=cid, status=st, category=cat or None, priority=pr or "normal",
                          kecamatan=kec or None, lat=_opt_float(lat), lon=_opt_float(lon),
                          occurred_at=iso(float(t)), text=shorten(txt or None), opd=opd or None)


def _summary(v: Any) -> tuple[int, float | None]:
    """(markets counted, median) of one of ``read.lua``'s price summaries."""
    if not v or not isinstance(v, dict) or not v.get("n"):
        return 0, None
    return int(v["n"]), float(v["median"])


def median(values: list[float]) -> float:
    """Median; for an even count the mean of the two middle values (contract 3; the read
    computes it in Redis the same way, see ``read.lua``)."""
    return float(statistics.median(values))


def _change(latest: float, before: float | None) -> float | None:
    return None if before is None else round((latest / before - 1) * 100, 1)


def _prices(raw: dict[str, Any]) -> dict[str, Price]:
    out = {}
    for c, now_s, week, yesterday in zip(COMMODITIES, raw["prices"], raw["prices_week"],
                                         raw["prices_yesterday"], strict=True):
        markets, latest = _summary(now_s)
        if latest is None:
            continue
        change = None
        for day in week:
            _, old = _summary(day)
            if old is not None:
                change = _change(latest, old)
                break
        top = now_s.get("top") or []
        by_kec = now_s.get("by_kec") or []
        out[c] = Price(latest_idr=latest, markets=markets, change_7d_pct=change,
                       change_1d_pct=_change(latest, _summary(yesterday)[1]),
                       by_market=dict(sorted((m, float(p)) for m, p in top)), unit=now_s.get("unit"),
                       by_kecamatan={k: float(p) for k, p, _ in by_kec},
                       markets_by_kecamatan={k: int(n) for k, _, n in by_kec})
    return out


def _economy(raw: dict[str, Any], names: list[str]) -> Economy:
    tx = pairs(raw["tx_today"])
    amount = {k[2:]: int(v) for k, v in tx.items() if k.startswith("k:")}
    count = {k[3:]: int(v) for k, v in tx.items() if k.startswith("kc:")}
    return Economy(
        prices=_prices(raw),
        transactions_today=Transactions(count=_int(tx, "count"), amount_idr=_int(tx, "amount")),
        by_kecamatan={n: 0 for n in names} | amount,
        by_kecamatan_count={n: 0 for n in names} | count,
        by_merchant_category={k[2:]: int(v) for k, v in tx.items() if k.startswith("m:")},
    )


def _incident(iid: str, flat: Any, timeline: list[str] | Literal[False]) -> Incident:
    s = pairs(flat)
    entries = []
    for item in timeline or []:
        t, st, sev = item.split("|")
        entries.append((float(t), st, _opt_int(sev)))
    entries.sort(key=lambda e: e[0])
    return Incident(
        incident_id=iid, hazard=s.get("hz", "other"), severity=_opt_int(s.get("sev")) or 1,
        status=s.get("st", "reported"), lat=_opt_float(s.get("lat")), lon=_opt_float(s.get("lon")),
        kecamatan=s.get("k") or None, occurred_at=iso(float(s.get("first") or s.get("t") or 0)),
        updated_at=_iso(s.get("t")), source=s.get("src"),
        affected_people=_opt_int(s.get("ap")), displaced=_opt_int(s.get("dp")),
        injured=_opt_int(s.get("inj")), deaths=_opt_int(s.get("dth")),
        magnitude=_opt_float(s.get("mag")), depth_km=_opt_float(s.get("dep")),
        water_level_cm=_opt_float(s.get("wl")),
        timeline=None if timeline is False else [
            TimelineEntry(at=iso(t), status=st, severity=sev) for t, st, sev in entries],
    )


def _disasters(raw: dict[str, Any], names: list[str]) -> Disasters:
    tot = pairs(raw["d_totals"])
    incidents = [_incident(i, flat, tl) for i, flat, tl in raw["incidents"] if pairs(flat)]
    incidents.sort(key=lambda i: (-i.severity, i.occurred_at, i.incident_id))
    kec = {k: int(v) for k, v in pairs(raw["d_kec"]).items() if int(v)}
    return Disasters(
        active=_int(tot, "active"),
        by_hazard={k: int(v) for k, v in pairs(raw["d_hazard"]).items() if int(v)},
        affected_people=_int(tot, "affected_people"), displaced=_int(tot, "displaced"),
        injured=_int(tot, "injured"), deaths=_int(tot, "deaths"),
        by_kecamatan={n: 0 for n in names} | kec, incidents=incidents,
    )


def _pct(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1)


def _publicinfo(raw: dict[str, Any]) -> PublicInfo:
    posts: dict[str, int] = {}
    reach: dict[str, int] = {}
    known: dict[str, int] = {}
    channels: dict[str, dict[str, int]] = {}
    for flat in raw.get("p_days") or []:
        for fld, v in pairs(flat).items():
            kind, _, rest = fld.partition(":")
            n = int(v)
            if kind == "n":
                posts[rest] = posts.get(rest, 0) + n
            elif kind == "r":
                reach[rest] = reach.get(rest, 0) + n
            elif kind == "rk":
                known[rest] = known.get(rest, 0) + n
            elif kind == "c":
                opd, _, ch = rest.rpartition(":")
                by = channels.setdefault(opd, {})
                by[ch] = by.get(ch, 0) + n
    aware: dict[str, Awareness] = {}
    for topic, flat in raw.get("p_topics") or []:
        d = pairs(flat)
        n = _int(d, "n")
        if n <= 0:
            continue
        by_kec = {f[2:]: _pct(_int(d, "aw:" + f[2:]), int(v)) for f, v in d.items()
                  if f.startswith("n:") and int(v) > 0}
        aware[topic] = Awareness(respondents=n, aware_pct=_pct(_int(d, "aw"), n),
                                 want_to_know_pct=_pct(_int(d, "wk"), n),
                                 not_interested_pct=_pct(_int(d, "ni"), n),
                                 by_kecamatan=dict(sorted(by_kec.items())))
    keep = {o for o, n in posts.items() if n > 0}
    return PublicInfo(posts_7d={o: posts[o] for o in sorted(keep)},
                      reach_7d={o: reach.get(o, 0) for o in sorted(keep) if known.get(o, 0) > 0},
                      posts_7d_by_channel={o: {c: n for c, n in sorted(channels.get(o, {}).items()) if n}
                                           for o in sorted(keep)},
                      awareness=aware)


# The feed each series counts; a bucket that ends before the feed's first event is unknown.
SERIES_FEED = {"complaints": "complaints", "economy": "economy", "disasters": "disasters",
               "c:": "complaints", "e:": "economy", "d:": "disasters"}


def receiving_since(raw: dict[str, Any]) -> dict[str, float | None]:
    """Feed -> when Marvec began receiving it (the first apply's wall-clock time)."""
    return {name: _opt_float(pairs(flat).get("first_applied_ts"))
            for name, flat in zip(FEEDS, raw["feeds"], strict=True)}


def data_since(raw: dict[str, Any]) -> tuple[dict[str, float | None], bool]:
    """Feed -> event time of its oldest accepted event (``None``: no data yet), and whether
    the store predates ``first_event_ts`` (data, but no feed knows when it began: then the
    older rules apply until ``marvec rebuild``)."""
    out: dict[str, float | None] = {}
    accepted = False
    for name, flat in zip(FEEDS, raw["feeds"], strict=True):
        d = pairs(flat)
        out[name] = _opt_float(d.get("first_event_ts"))
        accepted = accepted or _int(d, "accepted") > 0
    return out, accepted and not any(v is not None for v in out.values())


def _feed_of(field: str) -> str:
    return SERIES_FEED.get(field) or SERIES_FEED.get(field[:2], "")


def _flows(buckets: list[Any], starts: list[int], width: int,
           since: dict[str, float | None], legacy: bool) -> dict[str, list[float | None]]:
    """Counts per bucket; ``None`` for a bucket that ended before its feed had data."""
    out: dict[str, list[float | None]] = {name: [] for name in FLOW_SERIES.values()}
    for start, flat in zip(starts, buckets, strict=True):
        d = pairs(flat)
        for f, name in FLOW_SERIES.items():
            first = since.get(_feed_of(f))
            if f in d:
                out[name].append(float(d[f]))
            elif legacy:
                out[name].append(0.0)  # a store from before first_event_ts: as it was
            elif first is None or (start + 1) * width <= first:
                out[name].append(None)
            else:
                out[name].append(0.0)
    return out


def _gauges(buckets: list[Any]) -> dict[str, list[float | None]]:
    """Last sample per bucket, carried forward; ``None`` until the first sample."""
    out: dict[str, list[float | None]] = {name: [] for name in GAUGE_SERIES.values()}
    for flat in buckets:
        d = pairs(flat)
        for f, name in GAUGE_SERIES.items():
            if f in d:
                out[name].append(float(d[f]))
            else:
                out[name].append(out[name][-1] if out[name] else None)
    return out


def _trends(raw: dict[str, Any], req: dict[str, Any]) -> Trends:
    since, legacy = data_since(raw)
    minutes = _flows(raw["minutes"], req["minutes"], 60, since, legacy) | _gauges(raw["g_minutes"][:60])
    hours = (_flows(raw["hours"][-24:], req["hours"][-24:], 3600, since, legacy)
             | _gauges(raw["g_hours"][-24:]))
    return Trends(minute_starts=[iso(m * 60) for m in req["minutes"]],
                  hour_starts=[iso(h * 3600) for h in req["hours"][-24:]],
                  minutes=minutes, hours=hours)


def _yesterday(raw: dict[str, Any], req: dict[str, Any]) -> dict[str, float]:
    """KPI values at this time yesterday, only where Marvec knows them: a gauge sampled
    then, or a day's flow whose feed had data before yesterday began and that Marvec was
    already receiving then (the same hours compared, all of them covered: a backlog
    loaded later, such as the open complaints of an import, holds only part of a day).
    Anything else is left out: shown as "–"."""
    now = req["now"]
    out: dict[str, float] = {}
    gauge: dict[str, str] = {}
    for flat in raw["g_minutes"][60:]:
        gauge |= pairs(flat)
    if not gauge:
        gauge = pairs(raw["g_hours"][23]) if len(raw["g_hours"]) > 23 else {}
    for src, dst in GAUGE_SERIES.items():
        if src in gauge:
            out[dst] = float(gauge[src])
    start_h = int(day_start(now - 86400) // 3600)
    end_h = int((now - 86400) // 3600)
    flows = {"c:received": "complaints.received_today", "c:resolved": "complaints.resolved_today",
             "e:tx_count": "economy.tx_count_today", "e:tx_amount": "economy.tx_amount_today"}
    since, legacy = data_since(raw)
    live = receiving_since(raw)
    sums = dict.fromkeys(flows.values(), 0.0)
    legacy_covered = False  # a store without first_event_ts: data reaching back before yesterday
    for h, flat in zip(req["hours"], raw["hours"], strict=True):
        d = pairs(flat)
        legacy_covered = legacy_covered or (h < start_h and bool(d))
        if start_h <= h <= end_h:
            for src, v in d.items():
                if src in flows:
                    sums[flows[src]] += float(v)
    for src, dst in flows.items():
        feed = _feed_of(src)
        first, began = since.get(feed), live.get(feed)
        if first is not None and began is not None:
            first = max(first, began)
        covered = first <= start_h * 3600 if first is not None else legacy and legacy_covered
        if covered:
            out[dst] = sums[dst]
    return out


def _ticker(raw: dict[str, Any]) -> list[TickerItem]:
    out = []
    for item in raw["ticker"]:
        t = orjson.loads(item)
        out.append(TickerItem(feed=t["feed"], at=iso(float(t["at"])), kind=t["kind"],
                              title=str(t.get("title") or ""), text=shorten(t.get("text")),
                              kecamatan=t.get("k")))
    return out


def _ops(raw: dict[str, Any]) -> Ops:
    o = raw.get("ops") or {}
    states = {fp: orjson.loads(v) for fp, v in pairs(o.get("alerts")).items()}
    acks = {fp: orjson.loads(v) for fp, v in pairs(o.get("acks")).items()}
    level = pairs(o.get("level"))
    return Ops(level=level.get("level") or "normal", level_reason=level.get("reason") or None,
               level_set_by=level.get("set_by") or None, level_set_at=level.get("set_at") or None,
               alerts=[AlertItem.model_validate(a) for a in alerts_view(states, acks)],
               log=[orjson.loads(e) for e in o.get("log") or []])


def build_snapshot(raw: dict[str, Any], req: dict[str, Any], names: list[str]) -> Snapshot:
    """The typed snapshot from ``read.lua``'s raw values for request ``req``."""
    now = req["now"]
    return Snapshot(
        generated_at=iso(now), feeds=_feeds(raw["feeds"], now),
        complaints=_complaints(raw, names), economy=_economy(raw, names),
        disasters=_disasters(raw, names), publicinfo=_publicinfo(raw), trends=_trends(raw, req),
        yesterday=_yesterday(raw, req), ticker=_ticker(raw), ops=_ops(raw), kecamatan=names,
    )
