"""The ``entities`` mix of the ingest benchmark: many distinct entities on the real boundaries.

Unlike the simulator's mix (a few hundred complaints revisited again and again), every
complaint here is new: about 80% of events are complaints, most with a full lifecycle
``received -> assigned -> in_progress -> resolved`` (some stop open, a few are rejected),
keyed by ``complaint_id``, each event with its own ``event_id``, citizen text of realistic
length (tens to several hundred characters), a point sampled uniformly inside the REAL
kelurahan-merged kecamatan polygons (no ``kecamatan`` field, so every consumer runs
point-in-polygon), and about 0.5% of complaints placed just outside the city (rejected,
``outside_city``). The rest: staple prices at 153 markets (one per kelurahan) and
incidents with their own lifecycles. Event times spread over the last ~2 days, sent in
event-time order.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import shapely
from shapely.geometry import shape

from streams.sources.sim import data as D

BOUNDARIES = Path("/work/shared/geodata/makassar_kecamatan_from_kelurahan.geojson")
KELURAHAN = BOUNDARIES.with_name("makassar_kelurahan.geojson")
BOUNDARIES_FIELD = "kecamatan"
WITA = timezone(timedelta(hours=8))

SHARE = {"complaints": 0.80, "economy": 0.15, "disasters": 0.05}
OUTSIDE_RATIO = 0.005
# where a complaint's lifecycle stops: resolved (full), still open at some step, rejected
ENDINGS = (("resolved", 0.78), ("in_progress", 0.08), ("assigned", 0.05), ("received", 0.05), ("rejected", 0.04))
LIFECYCLE = ("received", "assigned", "in_progress", "resolved")
INCIDENT_LIFE = ("reported", "verified", "responding", "contained", "closed")
FILLER = ("Sudah dilaporkan ke RT dan lurah tapi belum ada tindakan.", "Mohon perhatian bapak wali kota.",
          "Kejadian ini sudah berulang sejak bulan lalu.", "Warga sekitar sangat resah.",
          "Saya lampirkan lokasi tepatnya di peta.", "Terima kasih atas perhatiannya.",
          "Anak-anak sekolah lewat sini setiap pagi.", "Kalau malam makin parah.",
          "Tolong jangan cuma difoto lalu ditinggal.", "Sudah ada korban luka minggu lalu.")


@dataclass(frozen=True, slots=True)
class Msg:
    """What ``bench.common.produce`` sends (the simulator's ``SimMessage`` shape)."""

    feed: str
    key: str | None
    value: bytes


class PointSampler:
    """Uniform points inside polygons: rejection sampling in each bbox, shapely ``contains_xy``."""

    def __init__(self, rng: random.Random, geoms: list, weights: list[float]) -> None:
        self.rng, self.geoms, self.weights = rng, geoms, weights
        for g in geoms:
            shapely.prepare(g)
        self.pools: list[list[tuple[float, float]]] = [[] for _ in geoms]

    def point(self, i: int | None = None) -> tuple[float, float]:
        if i is None:
            i = self.rng.choices(range(len(self.geoms)), self.weights)[0]
        pool = self.pools[i]
        if not pool:
            pool.extend(self._fill(self.geoms[i], 512))
        return pool.pop()

    def _fill(self, geom, n: int) -> list[tuple[float, float]]:
        x0, y0, x1, y1 = geom.bounds
        out: list[tuple[float, float]] = []
        while len(out) < n:
            xs = [self.rng.uniform(x0, x1) for _ in range(4 * n)]
            ys = [self.rng.uniform(y0, y1) for _ in range(4 * n)]
            inside = shapely.contains_xy(geom, xs, ys)
            out.extend((round(y, 6), round(x, 6)) for x, y, ok in zip(xs, ys, inside, strict=True) if ok)
        return out[:n]


def _polygons(path: Path, field: str) -> tuple[list[str], list]:
    features = orjson.loads(path.read_bytes())["features"]
    return [f["properties"][field] for f in features], [shape(f["geometry"]) for f in features]


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, WITA).isoformat(timespec="milliseconds")


def _text(rng: random.Random, category: str, place: str) -> str:
    """A complaint's text: a template sentence, often followed by more sentences (20-900 chars)."""
    text = rng.choice(D.COMPLAINT_TEXTS[category]).format(place=place)
    for _ in range(min(12, int(rng.expovariate(1 / 2.2)))):
        text += " " + rng.choice(FILLER)
    return text[:2000]


def entities(n: int, seed: int = 42, hours: float = 48.0) -> list[Msg]:
    """``n`` messages of the entities mix, in event-time order, ending about now."""
    rng = random.Random(seed)
    now = time.time()
    start = now - hours * 3600
    _, geoms = _polygons(BOUNDARIES, BOUNDARIES_FIELD)
    city = PointSampler(rng, geoms, [g.area for g in geoms])
    kel_names, kel_geoms = _polygons(KELURAHAN, "kelurahan")
    markets = PointSampler(rng, kel_geoms, [1.0] * len(kel_geoms))
    market_at = [markets.point(i) for i in range(len(kel_geoms))]
    places = [p.name for p in D.PLACES]
    cats, cat_w = list(D.CATEGORY_WEIGHTS), list(D.CATEGORY_WEIGHTS.values())
    endings, end_w = [e for e, _ in ENDINGS], [w for _, w in ENDINGS]
    channels, chan_w = list(D.CHANNELS), list(D.CHANNELS.values())
    commodities = list(D.COMMODITY_SPECS.items())
    hazards = list(D.HAZARD_WEIGHTS["rainy"].items())

    events: list[tuple[float, int, str, str, dict]] = []  # (time, seq, feed, key, body)
    seq = 0
    counts = dict.fromkeys(SHARE, 0)
    target = {f: int(n * s) for f, s in SHARE.items()}
    target["complaints"] += n - sum(target.values())
    # lifecycles span up to ~30 h; start them over the first part of the window so most finish
    span = hours * 3600

    def add(t: float, feed: str, key: str, body: dict) -> None:
        nonlocal seq
        if t > now or counts[feed] >= target[feed]:
            return
        seq += 1
        counts[feed] += 1
        events.append((t, seq, feed, key, body))

    c = 0
    while counts["complaints"] < target["complaints"]:
        c += 1
        cid = f"ENT-{seed}-{c:07d}"
        cat = rng.choices(cats, cat_w)[0]
        prio = rng.choices(("low", "normal", "high", "urgent"),
                           D.PRIORITY_WEIGHTS.get(cat, D.PRIORITY_WEIGHTS["default"]))[0]
        lat, lon = city.point()
        if rng.random() < OUTSIDE_RATIO:
            lat, lon = D.OUTSIDE_BOXES[0][0][0] + 0.01, D.OUTSIDE_BOXES[0][0][2] + 0.02  # in the strait
        opd = rng.choices(list(D.CATEGORY_OPD[cat]), list(D.CATEGORY_OPD[cat].values()))[0]
        source = rng.choices(channels, chan_w)[0]
        t = start + rng.uniform(0, span * 0.75)
        ending = rng.choices(endings, end_w)[0]
        steps = ["received", "rejected"] if ending == "rejected" else list(LIFECYCLE[:LIFECYCLE.index(ending) + 1])
        for status in steps:
            body: dict = {"source": source, "complaint_id": cid, "status": status, "priority": prio,
                          "location": {"lat": lat, "lon": lon}}
            if status == "received":
                body["category"] = cat
                body["text"] = _text(rng, cat, rng.choice(places))
            else:
                body["opd"] = opd
                body["text"] = rng.choice(D.STATUS_TEXTS[status]).format(opd=opd)
            add(t, "complaints", cid, body)
            t += rng.uniform(300, 8 * 3600)
    i = 0
    while counts["economy"] < target["economy"]:
        i += 1
        m = rng.randrange(len(kel_names))
        (commodity, spec) = rng.choice(commodities)
        lat, lon = market_at[m]
        add(start + rng.uniform(0, span), "economy", f"Pasar {kel_names[m]}",
            {"source": "pasar", "kind": "price", "market": f"Pasar {kel_names[m]}", "commodity": commodity,
             "unit": spec.unit, "price_idr": int(spec.base_idr * rng.uniform(0.9, 1.2)) // 100 * 100,
             "location": {"lat": lat, "lon": lon}})
    k = 0
    while counts["disasters"] < target["disasters"]:
        k += 1
        iid = f"INC-{seed}-{k:06d}"
        hazard = rng.choices([h for h, _ in hazards], [w for _, w in hazards])[0]
        lat, lon = city.point()
        t, severity, affected = start + rng.uniform(0, span * 0.8), rng.randint(1, 5), rng.randint(0, 800)
        for status in INCIDENT_LIFE:
            add(t, "disasters", iid, {"source": "bpbd", "incident_id": iid, "hazard": hazard, "status": status,
                                      "severity": severity, "location": {"lat": lat, "lon": lon},
                                      "affected_people": affected, "displaced": affected // 5, "injured": 0,
                                      "deaths": 0})
            t += rng.uniform(600, 6 * 3600)
            affected = int(affected * rng.uniform(0.8, 1.3))
    events.sort()
    out = []
    for j, (t, _, feed, key, body) in enumerate(events):
        body["event_id"] = f"{feed[0]}-ent-{seed}-{j}"
        body["occurred_at"] = _stamp(t)
        out.append(Msg(feed, key, orjson.dumps(body)))
    return out


def describe(messages: list[Msg]) -> str:
    """One line: counts per feed, distinct complaints, mean complaint size."""
    feeds: dict[str, int] = {}
    ids: set[str] = set()
    size = 0
    for m in messages:
        feeds[m.feed] = feeds.get(m.feed, 0) + 1
        if m.feed == "complaints":
            ids.add(m.key or "")
            size += len(m.value)
    per = ", ".join(f"{f} {c:,}" for f, c in sorted(feeds.items()))
    return (f"{per}; {len(ids):,} distinct complaints ({feeds.get('complaints', 0) / max(1, len(ids)):.2f} events "
            f"each), complaint messages {size / max(1, feeds.get('complaints', 0)):.0f} B on average")


if __name__ == "__main__":
    import sys

    t0 = time.perf_counter()
    msgs = entities(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
    print(f"{len(msgs):,} messages in {time.perf_counter() - t0:.1f} s: {describe(msgs)}")
    print(datetime.now(UTC).isoformat(), msgs[0].value.decode()[:400])
