"""Every time in the API is the instant received, milliseconds kept (contract 3, v2);
within one second the state follows the fraction, then the offset."""

from __future__ import annotations

import time
from datetime import datetime

import orjson
import pytest
from feeds import LOSARI, complaint, incident
from streamrig import boundaries, snap

from marvec.keys import Keys
from marvec.timeutil import iso
from streams.decode import Record, decode_batch
from streams.sink import RedisFold

pytestmark = pytest.mark.integration
FEED_OF = {f"t.{f}": f for f in ("complaints", "economy", "disasters")}


def _apply(client, msgs, now):
    """(feed, partition, offset, event) in one batch through decode and the Redis fold."""
    records = [Record(f"t.{feed}", p, o, orjson.dumps(ev)) for feed, p, o, ev in msgs]
    fold = RedisFold(client, dedupe_hours=168, retention_hours=168)
    fold.claim_epoch("test")
    return fold.apply(decode_batch(records, FEED_OF, now, boundaries()), now, "test")


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_api_times_equal_the_produced_instants_to_the_millisecond(redis_client):
    now = time.time()
    base = float(int(now) - 600)
    c_at = iso(base + 0.123)
    i_at = iso(base + 1.987)
    last_at = iso(base + 2.042)
    assert c_at.endswith(".123+08:00") and i_at.endswith(".987+08:00")
    _apply(redis_client, [
        ("complaints", 0, 0, {**complaint("C-1", "received", 0), "occurred_at": c_at}),
        ("disasters", 0, 0, {**incident("I-1", "reported", 0, hazard="flood", severity=3),
                             "occurred_at": i_at}),
        ("complaints", 0, 1, {**complaint("C-2", "received", 0), "occurred_at": last_at}),
    ], now)
    s = snap(redis_client, now)
    assert s.feeds["complaints"].last_event_at == last_at
    assert s.feeds["disasters"].last_event_at == i_at
    (inc,) = s.disasters.incidents
    assert inc.occurred_at == i_at
    assert abs(_ts(inc.occurred_at) - (base + 1.987)) < 5e-4
    times = {p.complaint_id: p.occurred_at for p in s.complaints.latest}
    assert times == {"C-1": c_at, "C-2": last_at}


def test_two_status_events_in_one_second_keep_the_newer_fraction_even_when_it_arrives_first(
        redis_client):
    """`resolved` at .900 arrives before `in_progress` at .100 of the same second (a later
    offset): the complaint stays resolved; a tie in the instant follows the offset."""
    now = time.time()
    sec = float(int(now) - 300)
    _apply(redis_client, [
        ("complaints", 0, 0, {**complaint("C-7", "received", 0), "occurred_at": iso(sec - 60)}),
        ("complaints", 0, 1, {**complaint("C-7", "resolved", 0), "occurred_at": iso(sec + 0.9)}),
        ("complaints", 0, 2, {**complaint("C-7", "in_progress", 0), "occurred_at": iso(sec + 0.1)}),
    ], now)
    s = snap(redis_client, now)
    assert s.complaints.open == 0
    assert redis_client.hget("mv:c:id:C-7", "st") == b"resolved"
    # a tie to the microsecond: the later offset wins
    _apply(redis_client, [
        ("complaints", 0, 3, {**complaint("C-8", "received", 0), "occurred_at": iso(sec + 0.5),
                              "location": LOSARI}),
        ("complaints", 0, 4, {**complaint("C-8", "assigned", 0, opd="DPU"),
                              "occurred_at": iso(sec + 0.5)}),
    ], now)
    assert redis_client.hget("mv:c:id:C-8", "st") == b"assigned"


def test_each_feed_remembers_when_its_data_began_across_batches(redis_client):
    now = time.time()
    base = float(int(now) - 7200)
    _apply(redis_client, [
        ("complaints", 0, 0, {**complaint("C-10", "received", 0), "occurred_at": iso(base + 60.5)}),
        ("complaints", 0, 1, {**complaint("C-11", "received", 0), "occurred_at": iso(base + 0.25)}),
    ], now)
    assert snap(redis_client, now).feeds["complaints"].first_event_at == iso(base + 0.25)
    # A later batch with an older event moves it back; a newer one leaves it.
    _apply(redis_client, [
        ("complaints", 0, 2, {**complaint("C-12", "received", 0), "occurred_at": iso(base + 900)}),
        ("complaints", 1, 0, {**complaint("C-13", "received", 0), "occurred_at": iso(base - 30)}),
    ], now + 5)
    s = snap(redis_client, now)
    assert s.feeds["complaints"].first_event_at == iso(base - 30)
    # When Marvec began receiving it is set once, by the first batch (a wall-clock time).
    assert float(redis_client.hget(Keys().feed("complaints"), "first_applied_ts")) == now
    assert s.feeds["economy"].first_event_at is None  # no data: unknown


def test_open_complaints_without_an_opd_are_counted_as_unassigned(redis_client):
    now = time.time()
    _apply(redis_client, [
        ("complaints", 0, 0, complaint("C-20", "received", 86400 * 8, now=now)),  # overdue, no OPD
        ("complaints", 0, 1, complaint("C-21", "received", 600, now=now)),
        ("complaints", 0, 2, complaint("C-22", "received", 86400 * 8, now=now, opd="DPU")),
        ("complaints", 0, 3, complaint("C-23", "received", 600, now=now, opd="DLH")),
    ], now)
    c = snap(redis_client, now).complaints
    assert c.open == 4 and c.overdue == 2
    assert c.unassigned is not None and (c.unassigned.open, c.unassigned.overdue) == (2, 1)
    assert {k: (v.open, v.overdue) for k, v in c.by_opd.items()} == {"DLH": (1, 0), "DPU": (1, 1)}
    _apply(redis_client, [  # assigning both leaves none unassigned
        ("complaints", 0, 4, complaint("C-20", "assigned", 60, now=now, opd="DPU")),
        ("complaints", 0, 5, complaint("C-21", "assigned", 60, now=now, opd="DLH")),
    ], now)
    c = snap(redis_client, now).complaints
    assert c.unassigned is None and c.by_opd["DPU"].overdue == 2
