"""Named snapshot builders, a controllable fake snapshot source and fake boundaries.

Used by the layer tests, the browser tests (``tests/test_screens_rig.py``) and
``scripts/screenshots.py``. Everything
is deterministic for a given ``now``. ``FakeSource`` stands in for
``dashboard.source.SnapshotSource`` (same ``get()`` shape) until the browser tests
move to a real Redis seeded through the consumers.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marvec.contract import COMMODITIES
from marvec.period import Period, build_period, window_days
from marvec.replay import Replay, build_replay, window_hours
from marvec.snapshot import (
    ComplaintPoint,
    Complaints,
    Disasters,
    Economy,
    FeedStats,
    Incident,
    OpdStats,
    Price,
    Snapshot,
    TickerItem,
    TimelineEntry,
    Transactions,
    Trends,
)
from marvec.timeutil import iso

SHARED_GEOJSON = Path(__file__).resolve().parents[2] / "shared" / "geodata" / "makassar_kecamatan.geojson"
BUNDLED_GEOJSON = Path(__file__).resolve().parents[1] / "geodata" / "data" / "makassar_kecamatan.geojson"

XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=1</script>"


# -- boundaries ------------------------------------------------------------------
class FakeBoundaries:
    """The ``geodata.Boundaries`` surface the screens use, read from a GeoJSON file."""

    def __init__(self, path: Path | None = None, field: str = "kecamatan") -> None:
        src = path or (SHARED_GEOJSON if SHARED_GEOJSON.exists() else BUNDLED_GEOJSON)
        raw = json.loads(src.read_text(encoding="utf-8"))
        self._features = [
            {"type": "Feature", "id": f["properties"][field], "properties": {"kecamatan": f["properties"][field]},
             "geometry": f["geometry"]}
            for f in raw["features"]
        ]
        self.names = [f["id"] for f in self._features]
        self.centroids = {f["id"]: _center(f["geometry"]) for f in self._features}
        pts = [p for f in self._features for p in _points(f["geometry"])]
        self.bounds = (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))

    def geojson(self) -> dict[str, Any]:
        return {"type": "FeatureCollection", "features": self._features}


def _points(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [(p[0], p[1]) for poly in polys for ring in poly[:1] for p in ring]


def _center(geometry: dict[str, Any]) -> tuple[float, float]:
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    ring = max((poly[0] for poly in polys), key=len)
    return (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))


def load_boundaries() -> Any:
    """The real ``geodata.load_boundaries`` when it exists, else ``FakeBoundaries``."""
    try:
        from geodata import load_boundaries as real  # type: ignore[attr-defined]
    except ImportError:
        return FakeBoundaries()
    return real()


# -- source ------------------------------------------------------------------------
@dataclass
class FakeResult:
    snapshot: Snapshot | None
    ok: bool = True
    fetched_at: float = field(default_factory=time.time)
    error: str | None = None


class FakeSource:
    """A mutable stand-in for ``SnapshotSource``: tests swap what ``get()`` returns."""

    def __init__(self, snapshot: Snapshot | None = None, periods: dict[int, Period] | None = None) -> None:
        self.result = FakeResult(snapshot)
        self.calls = 0
        self.periods: dict[int, Period] = dict(periods or {})
        """``days`` -> what ``period(days)`` answers (none: ``None``, as before any read)."""
        self.replays: dict[int, Any] = {}
        """``hours`` -> what ``replay(hours)`` answers (a ``marvec.replay.Replay``)."""

    def period(self, days: int) -> Period | None:
        return self.periods.get(days)

    def replay(self, hours: int) -> Any:
        """What ``replays[hours]`` holds (none: ``None``, as before any read)."""
        return self.replays.get(hours)

    def set(self, snapshot: Snapshot | None = None, ok: bool = True, error: str | None = None) -> None:
        keep = self.result.snapshot if snapshot is None and not ok else snapshot
        self.result = FakeResult(keep, ok, time.time(), error)

    def get(self) -> FakeResult:
        self.calls += 1
        return self.result


# -- periods ---------------------------------------------------------------------------
def rich_period(days: int, now: float | None = None, names: Any = None, began_days_ago: float = 12.0) -> Period:
    """The last ``days`` days of a busy city whose feeds Marvec began receiving
    ``began_days_ago`` days ago (at 09:00 WITA): a 7-day window is covered, a 30-day one is
    counted since then. Weekdays busier than the weekend; kecamatan as ``KEC_WEIGHT``."""
    now = time.time() if now is None else now
    kec = list(names or KEC_WEIGHT)
    rng = random.Random(days)
    starts = window_days(now, days)
    began = starts[-1] - int(began_days_ago) * 86400 + 9 * 3600
    feed = {"accepted": "1000", "first_event_ts": repr(began), "first_applied_ts": repr(began)}
    c_days, t_days = [], []
    for start in starts:
        part = min(1.0, (now - start) / 86400)  # today: so far
        busy = (0.7 if time.gmtime(start + 8 * 3600).tm_wday >= 5 else 1.0) * part
        by = {k: int(rng.uniform(3, 6) * KEC_WEIGHT.get(k, 2) * busy) for k in kec}
        received = sum(by.values())
        c_days.append({"received": str(received), "resolved": str(int(received * rng.uniform(0.7, 0.95))),
                       **{f"k:{k}": str(v) for k, v in by.items()}})
        count = int(rng.uniform(9000, 12000) * busy)
        t_days.append({"count": str(count), "amount": str(count * rng.randint(60000, 90000))})
    raw = {"feeds": {"complaints": feed, "economy": feed}, "complaint_days": c_days, "tx_days": t_days}
    return build_period(raw, now, days, kec)


# -- replays ----------------------------------------------------------------------------
HOTSPOTS = ("Tallo", "Panakkukang", "Manggala", "Biringkanaya", "Tamalate", "Rappocini", "Mariso", "Tamalanrea")


def rich_replay(hours: int = 8, now: float | None = None, names: Any = None, began_hours_ago: float = 30.0,
                gaps: tuple[int, ...] = ()) -> Replay:
    """The last ``hours`` hours of a busy city whose feeds Marvec began receiving
    ``began_hours_ago`` hours ago: quieter at night, and each hour one kecamatan
    (``HOTSPOTS`` in turn) with a burst of complaints, so the map's shading moves from
    hour to hour. ``gaps``: window indexes with no gauge sample."""
    now = time.time() if now is None else now
    kec = list(names or KEC_WEIGHT)
    rng = random.Random(hours)
    window = window_hours(now, hours)
    began = now - began_hours_ago * 3600
    feed = {"accepted": "1000", "first_event_ts": repr(began), "first_applied_ts": repr(began)}
    buckets, gauges = [], []
    open_now = 640
    for i, h in enumerate(window):
        local = (h + 8) % 24
        busy = 0.25 if local < 6 else 1.0 if local < 18 else 0.6
        part = min(1.0, (now - h * 3600) / 3600)
        hot = HOTSPOTS[i % len(HOTSPOTS)]
        by = {k: int((rng.uniform(0.2, 0.6) * KEC_WEIGHT.get(k, 2) * busy + (14 if k == hot else 0)) * part)
              for k in kec}
        received = sum(by.values())
        resolved = int(received * rng.uniform(0.6, 1.1))
        inc = {hot: 1} if i % 3 == 1 else {}
        tx = int(rng.uniform(350, 500) * busy * part)
        buckets.append({"c:received": str(received), "c:resolved": str(resolved), "d:new": str(sum(inc.values())),
                        "e:tx_count": str(tx), "e:tx_amount": str(tx * rng.randint(60_000, 90_000)),
                        **{f"c:k:{k}": str(v) for k, v in by.items()}, **{f"d:k:{k}": str(v) for k, v in inc.items()}})
        open_now += received - resolved
        gauges.append({} if i in gaps or (h + 1) * 3600 <= began else {"c:open": str(open_now), "c:overdue": str(40 + 3 * i),
                                            "d:active": str(2 + i // 3)})
    raw = {"feeds": {"complaints": feed, "disasters": feed, "economy": feed}, "buckets": buckets, "gauges": gauges}
    return build_replay(raw, now, hours, kec)


# -- snapshots -----------------------------------------------------------------------
KEC_WEIGHT = {"Manggala": 9, "Biringkanaya": 8, "Tamalate": 8, "Rappocini": 7, "Panakkukang": 7, "Tamalanrea": 6,
              "Tallo": 6, "Makassar": 4, "Mamajang": 3, "Mariso": 3, "Bontoala": 3, "Ujung Tanah": 2, "Wajo": 2,
              "Ujung Pandang": 2, "Kepulauan Sangkarrang": 1}
CATEGORY_OPEN = {"drainage": 118, "roads": 96, "waste": 81, "street_lighting": 44, "water": 39,
                 "public_order": 23, "electricity": 17, "health": 9, "administration": 12, "education": 4, "other": 7}
CITIZEN_TEXT = [
    "Got tersumbat di depan rumah, air tergenang setinggi lutut sejak subuh",
    "Sampah menumpuk di pinggir kanal sudah 3 hari belum diangkut",
    "Lampu jalan mati sepanjang Jl. Perintis Kemerdekaan, rawan begal malam hari",
    "Jalan berlubang besar dekat sekolah, sudah ada motor jatuh",
    "Air PDAM tidak mengalir sejak kemarin sore",
    "Banjir masuk rumah warga di Blok 10, mohon pompa air",
]
PRICES = {  # commodity: (median IDR, 7-day change %)
    "beras": (14_200, 1.4), "gula_pasir": (17_500, 0.0), "minyak_goreng": (18_900, 3.2),
    "daging_ayam": (36_000, -2.7), "daging_sapi": (135_000, 0.8), "telur_ayam": (29_000, 4.1),
    "cabai_merah": (52_000, 12.6), "cabai_rawit": (68_000, 24.3), "bawang_merah": (41_000, 11.2),
    "bawang_putih": (38_000, -1.5),
}
MARKETS = ["Pasar Terong", "Pasar Pa'baeng-baeng", "Pasar Daya", "Pasar Sentral", "Pasar Pannampu"]


def _spread(total: int, names: list[str]) -> dict[str, int]:
    weights = [KEC_WEIGHT.get(n, 3) for n in names]
    out = {n: total * w // sum(weights) for n, w in zip(names, weights, strict=True)}
    out[names[0]] += total - sum(out.values())
    return out


def _near(centroid: tuple[float, float], rng: random.Random, r: float = 0.006) -> tuple[float, float]:
    return (centroid[0] + rng.uniform(-r, r), centroid[1] + rng.uniform(-r, r))


def _complaints(now: float, b: Any, rng: random.Random) -> Complaints:
    names = list(b.names)
    by_kec = _spread(sum(CATEGORY_OPEN.values()), names)
    latest = []
    cats = list(CATEGORY_OPEN)
    for i in range(24):
        kec = names[(i * 7) % len(names)]
        lon, lat = _near(b.centroids[kec], rng)
        latest.append(ComplaintPoint(
            complaint_id=f"c-{1000 + i}", status=("received", "assigned", "in_progress")[i % 3],
            category=cats[i % len(cats)], priority=("normal", "high", "urgent", "low")[i % 4], kecamatan=kec,
            lat=lat, lon=lon, occurred_at=iso(now - 90 * i), text=CITIZEN_TEXT[i % len(CITIZEN_TEXT)], opd="DPU"))
    if "Manggala" in b.centroids:  # a blocked drain next to the Manggala flood (crisis screen)
        lon, lat = b.centroids["Manggala"]
        latest.insert(2, ComplaintPoint(
            complaint_id="c-0999", status="received", category="drainage", priority="urgent", kecamatan="Manggala",
            lat=lat - 0.002, lon=lon + 0.005, occurred_at=iso(now - 150),
            text="Saluran di Perumnas Antang Blok 10 meluap, air masuk rumah", opd="DPU"))
    opds = {"DPU": (142, 31, 61.5, 0.58), "DLH": (96, 12, 30.2, 0.74), "PDAM": (41, 9, 44.0, 0.69),
            "DISHUB": (35, 2, 20.5, 0.91), "SATPOLPP": (23, 0, 12.0, 0.95), "DINKES": (9, 1, 8.5, 0.88),
            "BPBD": (4, 0, 3.2, 1.0)}
    by_kc = {k: {c: max(0, v * KEC_WEIGHT.get(k, 3) // 70) for c, v in CATEGORY_OPEN.items()} for k in names}
    return Complaints(
        open=sum(CATEGORY_OPEN.values()), overdue=55, received_today=187, resolved_today=142,
        by_kecamatan=by_kec, by_category=dict(CATEGORY_OPEN),
        by_opd={k: OpdStats(open=o, overdue=d, resolved=o // 2, median_resolution_h=m, within_sla_share=s)
                for k, (o, d, m, s) in opds.items()},
        by_kecamatan_category=by_kc, latest=latest)


def _economy(b: Any) -> Economy:
    names = list(b.names)
    prices = {c: Price(latest_idr=p, markets=5, change_7d_pct=ch,
                       by_market={m: p * (1 + 0.02 * (i - 2)) for i, m in enumerate(MARKETS)})
              for c, (p, ch) in PRICES.items() if c in COMMODITIES}
    amounts = _spread(4_812_350_000, names)
    counts = _spread(38_417, names)
    return Economy(prices=prices, transactions_today=Transactions(count=38_417, amount_idr=4_812_350_000),
                   by_kecamatan=amounts, by_kecamatan_count=counts,
                   by_merchant_category={"kuliner": 21_004, "retail": 12_310, "jasa": 5_103})


def make_incident(now: float, b: Any, iid: str, hazard: str, sev: int, kec: str, age_min: int,
                  status: str = "responding", **extra: Any) -> Incident:
    """One active incident at the kecamatan's centre with a plausible status timeline."""
    lon, lat = b.centroids[kec]
    lon, lat = lon + 0.004, lat - 0.003  # beside the district's label, as real incidents are
    steps = ["reported", "verified", "responding", "contained"]
    upto = steps.index(status) + 1 if status in steps else 1
    tl = [TimelineEntry(at=iso(now - age_min * 60 + k * age_min * 15), status=s, severity=max(1, sev - (k == 0)))
          for k, s in enumerate(steps[:upto])]
    return Incident(incident_id=iid, hazard=hazard, severity=sev, status=status, lat=lat, lon=lon, kecamatan=kec,
                    occurred_at=iso(now - age_min * 60), updated_at=tl[-1].at, source="bpbd", timeline=tl, **extra)


def _disasters(now: float, b: Any) -> Disasters:
    incs = [
        make_incident(now, b, "d-flood-1", "flood", 3, "Manggala", 260, affected_people=640, displaced=85,
                      water_level_cm=70),
        make_incident(now, b, "d-tide-1", "tidal_flood", 2, "Tamalanrea", 95, "verified", affected_people=120,
                      water_level_cm=30),
        make_incident(now, b, "d-fire-1", "fire", 3, "Tallo", 40, affected_people=18, displaced=18, injured=2),
        make_incident(now, b, "d-tree-1", "tree_fall", 1, "Rappocini", 25, "reported"),
    ]
    return _disasters_of(incs)


def _disasters_of(incs: list[Incident]) -> Disasters:
    active = [i for i in incs if i.status != "closed"]
    by_h: dict[str, int] = {}
    by_k: dict[str, int] = {}
    for i in active:
        by_h[i.hazard] = by_h.get(i.hazard, 0) + 1
        if i.kecamatan:
            by_k[i.kecamatan] = by_k.get(i.kecamatan, 0) + 1
    ordered = sorted(active, key=lambda i: (-i.severity, i.occurred_at))
    return Disasters(active=len(active), by_hazard=by_h, by_kecamatan=by_k, incidents=ordered,
                     affected_people=sum(i.affected_people or 0 for i in active),
                     displaced=sum(i.displaced or 0 for i in active),
                     injured=sum(i.injured or 0 for i in active), deaths=sum(i.deaths or 0 for i in active))


def _trends(now: float) -> Trends:
    hours = [iso(now - 3600 * (23 - h)) for h in range(24)]
    shape = [2, 1, 1, 1, 2, 4, 8, 12, 14, 13, 12, 11, 12, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3]
    return Trends(hour_starts=hours, hours={
        "complaints.open": [430 + 2 * v for v in shape], "complaints.overdue": [40 + h // 2 for h in range(24)],
        "complaints.received": [float(v) for v in shape], "complaints.resolved": [v * 0.8 for v in shape],
        "disasters.active": [2] * 12 + [3] * 8 + [4] * 4, "disasters.affected_people": [100] * 12 + [700] * 12,
        "disasters.displaced": [0] * 12 + [85] * 8 + [103] * 4, "economy.tx_amount": [v * 9e6 for v in shape],
    })


def _ticker(now: float, c: Complaints) -> list[TickerItem]:
    items = [TickerItem(feed="complaints", at=p.occurred_at, kind=p.status, title=p.category or "other",
                        text=p.text, kecamatan=p.kecamatan) for p in c.latest[:4]]
    items.insert(1, TickerItem(feed="disasters", at=iso(now - 100), kind="responding", title="flood",
                               kecamatan="Manggala"))
    items.insert(3, TickerItem(feed="economy", at=iso(now - 200), kind="price", title="cabai_rawit",
                               kecamatan="Panakkukang"))
    return items


def feeds_live(now: float, silent: dict[str, float] | None = None) -> dict[str, FeedStats]:
    """Feed stats, each last applied ``silent[feed]`` seconds ago (default 2 s)."""
    out = {}
    for feed, accepted in (("complaints", 5210), ("economy", 18_744), ("disasters", 96)):
        s = (silent or {}).get(feed, 2.0)
        out[feed] = FeedStats(accepted=accepted, rejected=3, duplicates=1, last_event_at=iso(now - s - 1),
                              last_applied_at=iso(now - s), silent_for_s=s)
    return out


def rich_snapshot(now: float | None = None, boundaries: Any = None) -> Snapshot:
    """A busy afternoon: every screen has something in every part (no crisis)."""
    now = time.time() if now is None else now
    b = boundaries or FakeBoundaries()
    rng = random.Random(7)
    complaints = _complaints(now, b, rng)
    s = Snapshot(generated_at=iso(now), feeds=feeds_live(now), complaints=complaints, economy=_economy(b),
                 disasters=_disasters(now, b), trends=_trends(now), ticker=_ticker(now, complaints),
                 kecamatan=list(b.names))
    y = {k: float(round(v * f)) for (k, v), f in zip(s.kpis().items(), (0.93, 0.8, 1.1, 1.05, 0.5, 0.4, 0.0, 0.97, 0.96),
                                       strict=True)}
    return s.model_copy(update={"yesterday": y})


def empty_snapshot(now: float | None = None, boundaries: Any = None) -> Snapshot:
    """Redis up, consumers running, nothing received yet."""
    now = time.time() if now is None else now
    b = boundaries or FakeBoundaries()
    return Snapshot(generated_at=iso(now), feeds={f: FeedStats() for f in ("complaints", "economy", "disasters")},
                    complaints=Complaints(), economy=Economy(), disasters=Disasters(), kecamatan=list(b.names))


def with_crisis(snap: Snapshot, now: float | None = None, boundaries: Any = None, severity: int = 4) -> Snapshot:
    """Add a severity-4 flood in Biringkanaya (Paccerakkang) to ``snap``."""
    now = time.time() if now is None else now
    b = boundaries or FakeBoundaries()
    big = make_incident(now, b, "d-flood-crisis", "flood", severity, "Biringkanaya", 380, affected_people=2300,
                        displaced=760, water_level_cm=180)
    return snap.model_copy(update={"disasters": _disasters_of([big, *snap.disasters.incidents])})


def with_silent_feed(snap: Snapshot, feed: str, silent_s: float, now: float | None = None) -> Snapshot:
    """``feed`` last applied an event ``silent_s`` seconds before ``now``."""
    now = time.time() if now is None else now
    return snap.model_copy(update={"feeds": feeds_live(now, {feed: silent_s})})


def with_xss(snap: Snapshot) -> Snapshot:
    """Script payloads in complaint text (points and ticker) and in a market name."""
    c = snap.complaints
    latest = [p.model_copy(update={"text": XSS_IMG if i % 2 == 0 else XSS_SCRIPT}) for i, p in enumerate(c.latest)]
    ticker = [t.model_copy(update={"text": XSS_IMG + " " + XSS_SCRIPT}) if t.feed == "complaints" else t
              for t in snap.ticker]
    prices = {k: p.model_copy(update={"by_market": {**p.by_market, XSS_IMG: p.latest_idr * 1.5}})
              for k, p in snap.economy.prices.items()}
    ticker.insert(0, TickerItem(feed="economy", at=snap.generated_at, kind="price", title=XSS_SCRIPT,
                                text=XSS_IMG, kecamatan="Wajo"))
    return snap.model_copy(update={
        "complaints": c.model_copy(update={"latest": latest}), "ticker": ticker,
        "economy": snap.economy.model_copy(update={"prices": prices}),
    })



def with_alerts(snap: Snapshot, now: float | None = None, level: str = "siaga") -> Snapshot:
    """``snap`` with the war room's state of a flood evening: the level declared, a new
    critical alert about the Biringkanaya flood, a warning, an acknowledged one, the log."""
    from marvec.snapshot import AlertItem, Ops

    now = time.time() if now is None else now

    def item(fp: str, severity: str, ago: float, summary: str, summary_en: str, **kw: Any) -> AlertItem:
        return AlertItem(fingerprint=fp, rule="incident_severe" if severity == "critical" else "complaints_overdue",
                         status="firing", severity=severity, summary=summary, summary_en=summary_en,
                         starts_at=iso(now - ago), **kw)

    alerts = [
        item("a1", "critical", 40, "Banjir tingkat 4 di Biringkanaya (Paccerakkang)",
             "Flood severity 4 in Biringkanaya (Paccerakkang)",
             labels={"alertname": "incident_severe", "incident_id": "d-flood-crisis", "kecamatan": "Biringkanaya"}),
        item("a2", "warning", 1900, "Aduan lewat tenggat di atas 50 (64)", "Overdue complaints above 50 (64)",
             acknowledged_by="operator.dina", acknowledged_at=iso(now - 1500)),
        item("a3", "warning", 700, "Harga cabai rawit naik 24% dalam sehari", "Bird's-eye chilli up 24% in a day"),
    ]
    log = [
        {"at": iso(now - 40), "kind": "alert_firing", "by": "marvec", "text": alerts[0].summary,
         "text_en": alerts[0].summary_en},
        {"at": iso(now - 300), "kind": "level", "by": "kepala.bpbd", "level": level,
         "text": "Debit Sungai Tallo naik, hujan lebat sampai malam"},
        {"at": iso(now - 900), "kind": "note", "by": "operator.dina", "text": "Pompa Pannampu dicek, normal"},
        {"at": iso(now - 1500), "kind": "ack", "by": "operator.dina", "text": alerts[1].summary},
    ]
    return snap.model_copy(update={"ops": Ops(
        level=level, level_reason="Debit Sungai Tallo naik, hujan lebat sampai malam",
        level_set_by="kepala.bpbd", level_set_at=iso(now - 300), alerts=alerts, log=log)})
