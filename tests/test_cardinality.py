"""Hostile cardinality: what is costly to read (resolutions, timelines, every market's
price) is read for the worst/dearest few only, while every count the contract lists stays
exact and complete; medians computed in Redis follow the contract's rule. The bounds are
lowered here so that a handful of entities cross them."""

from __future__ import annotations

import itertools
import time

import orjson
import pytest
from feeds import complaint, incident, price
from streamrig import boundaries, snap

import marvec.store
from streams.decode import Record, decode_batch
from streams.sink import RedisFold

pytestmark = pytest.mark.integration
FEED_OF = {f"t.{f}": f for f in ("complaints", "economy", "disasters")}
DAY = 86400


_offsets = itertools.count()


def apply(client, events: list[tuple[str, dict]], now: float) -> None:
    """One batch through decode and the fold (offsets only grow, as in Kafka)."""
    records = [Record(f"t.{feed}", 0, next(_offsets), orjson.dumps(ev)) for feed, ev in events]
    fold = RedisFold(client, dedupe_hours=168, retention_hours=168)
    fold.claim_epoch("test")
    fold.apply(decode_batch(records, FEED_OF, now, boundaries()), now, "test")


def test_every_opd_is_counted_and_only_the_worst_have_resolution_stats(redis_client, monkeypatch):
    monkeypatch.setattr(marvec.store, "OPDS_N", 5)
    now = time.time()
    events = []
    for i in range(12):  # OPD-i has i overdue complaints and one fresh one
        for j in range(i):
            events.append(("complaints", complaint(f"C{i}-{j}", "received", 8 * DAY, now=now, opd=f"OPD-{i:02d}")))
        events.append(("complaints", complaint(f"F{i}", "received", 60, now=now, opd=f"OPD-{i:02d}")))
    events += [("complaints", complaint(f"U{j}", "received", 8 * DAY, now=now)) for j in range(4)]
    apply(redis_client, events, now)
    c = snap(redis_client, now).complaints
    assert sorted(c.by_opd) == [f"OPD-{i:02d}" for i in range(12)]  # contract 3: all of them
    assert {o: (s.open, s.overdue) for o, s in c.by_opd.items()} == {f"OPD-{i:02d}": (i + 1, i) for i in range(12)}
    read_whole = sorted(o for o, s in c.by_opd.items() if s.resolved is not None)
    assert read_whole == ["OPD-07", "OPD-08", "OPD-09", "OPD-10", "OPD-11"]  # the worst five
    assert c.by_opd["OPD-00"].resolved is None and c.by_opd["OPD-00"].within_sla_share is None
    assert c.open == sum(range(12)) + 12 + 4 and c.overdue == sum(range(12)) + 4  # exact
    assert c.unassigned is not None and (c.unassigned.open, c.unassigned.overdue) == (4, 4)


def test_prices_list_the_dearest_markets_and_the_median_covers_all(redis_client, monkeypatch):
    monkeypatch.setattr(marvec.store, "MARKETS_N", 3)
    now = time.time()
    idr = [12000, 12500, 13000, 14000, 15100, 16000]
    events = [("economy", price(f"Pasar {k}", "beras", p, 600)) for k, p in enumerate(idr)]
    apply(redis_client, events, now)
    p = snap(redis_client, now).economy.prices["beras"]
    assert p.markets == 6
    assert p.latest_idr == (13000 + 14000) / 2  # even count: the mean of the middle two
    assert p.by_market == {"Pasar 3": 14000, "Pasar 4": 15100, "Pasar 5": 16000}  # the dearest three
    apply(redis_client, [("economy", price("Pasar 9", "beras", 12100, 60))], now)
    assert snap(redis_client, now).economy.prices["beras"].latest_idr == 13000  # odd count: the middle
    assert p.unit == "kg"


def test_every_active_incident_is_listed_and_the_most_severe_have_timelines(redis_client, monkeypatch):
    monkeypatch.setattr(marvec.store, "INCIDENTS_N", 3)
    now = time.time()
    events = [("disasters", incident(f"I-{n}", "responding", 3600 - n, hazard="flood", severity=1 + n % 5,
                                     affected_people=10)) for n in range(8)]
    apply(redis_client, events, now)
    d = snap(redis_client, now).disasters
    assert [(i.incident_id, i.severity) for i in d.incidents][:3] == [("I-4", 5), ("I-3", 4), ("I-2", 3)]
    assert len(d.incidents) == d.active == 8 and d.affected_people == 80
    assert [i.timeline is not None for i in d.incidents] == [True] * 3 + [False] * 5
    assert d.incidents[0].timeline and d.incidents[0].timeline[0].status == "responding"
