"""The fold planned in the consumer, committed by Redis only if nothing it read has moved.

Two consumers can hold the same entity at once: during a rebalance (a zombie still
finishing its batch) or when a producer does not key by entity and one complaint's
events sit on two partitions. These tests interleave a second fold between a batch's
read and its commit and check that the result equals applying the batches one after
the other: the stale plan is refused and planned again, nothing counts twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import redis
from feeds import complaint, incident, transactions
from streamrig import boundaries, comparable, snap

from streams.decode import Record, decode_batch
from streams.feeds import FEEDS
from streams.plan import needs
from streams.prepare import build_items
from streams.sink import RedisFold, WritesRefused

FEED_OF = {f"t.{f}": f for f in ("complaints", "economy", "disasters")}


def verdicts(msgs: list[tuple[str, int, int, dict[str, Any]]], now: float) -> list[Any]:
    """(feed, partition, offset, event) -> decoded verdicts."""
    records = [Record(f"t.{feed}", p, o, orjson.dumps(ev)) for feed, p, o, ev in msgs]
    return decode_batch(records, FEED_OF, now, boundaries())


def new_fold(client: redis.Redis) -> RedisFold:
    f = RedisFold(client, dedupe_hours=168, retention_hours=168)
    f.claim_epoch("test")
    return f


def interleaved(client: redis.Redis, first: list[Any], second: list[Any], now: float) -> RedisFold:
    """Apply ``first``, but let ``second`` commit (through another consumer's fold) right
    after ``first`` has read its state and before it commits."""
    a, b = new_fold(client), new_fold(client)
    real_read = a.read
    done = []

    def read_then_other_commits(need: Any) -> Any:
        reads = real_read(need)
        if not done:
            done.append(b.apply(second, now, "test"))
        return reads

    a.read = read_then_other_commits  # type: ignore[method-assign]
    a.apply(first, now, "test")
    assert done, "the second fold never ran"
    return a


@pytest.fixture
def other_db(redis_server: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.rsplit("/", 1)[0] + "/5")
    client.flushdb()
    yield client
    client.flushdb()


def test_a_stale_plan_for_one_complaint_on_two_partitions_is_planned_again(redis_client, other_db):
    now = time.time()
    received = complaint("C-1", "received", 600, category="drainage", priority="high")
    resolved = complaint("C-1", "resolved", 60)
    first = [("complaints", 0, 0, received)]
    second = [("complaints", 1, 0, resolved)]
    fold = interleaved(redis_client, verdicts(first, now), verdicts(second, now), now)
    assert fold.conflicts == 1
    ref = new_fold(other_db)
    ref.apply(verdicts(second, now), now, "test")
    ref.apply(verdicts(first, now), now, "test")
    got, want = snap(redis_client, now), snap(other_db, now)
    assert comparable(got) == comparable(want)
    assert got.complaints.open == 0
    assert got.feeds["complaints"].accepted == 2


def test_one_event_id_on_two_partitions_counts_once_when_folded_at_the_same_time(redis_client):
    now = time.time()
    ev = transactions("R-1", 3, 300, 60)
    fold = interleaved(redis_client, verdicts([("economy", 0, 0, ev)], now),
                       verdicts([("economy", 1, 0, ev)], now), now)
    assert fold.conflicts == 1
    s = snap(redis_client, now)
    assert (s.feeds["economy"].accepted, s.feeds["economy"].duplicates) == (1, 1)
    assert s.economy.transactions_today.count == 3


def test_an_incident_updated_by_two_consumers_keeps_both_updates(redis_client):
    now = time.time()
    opened = incident("I-1", "reported", 600, hazard="flood", severity=3, affected_people=40)
    update = incident("I-1", "responding", 60, affected_people=120)
    fold = interleaved(redis_client, verdicts([("disasters", 0, 0, update)], now),
                       verdicts([("disasters", 1, 0, opened)], now), now)
    assert fold.conflicts == 1
    s = snap(redis_client, now)
    assert s.disasters.active == 1
    assert s.disasters.affected_people == 120


def test_a_redelivered_batch_from_a_zombie_consumer_changes_nothing(redis_client):
    """The zombie read before the new owner applied the same records: its commit is
    refused, and planned again it finds every record at or below the applied offset."""
    now = time.time()
    batch = [("economy", 0, i, transactions(f"R-{i}", 1, 100, 60)) for i in range(5)]
    fold = interleaved(redis_client, verdicts(batch, now), verdicts(batch, now), now)
    assert fold.conflicts == 1
    s = snap(redis_client, now)
    assert s.feeds["economy"].accepted == 5
    assert s.economy.transactions_today.count == 5


def test_a_batch_is_summed_before_it_reaches_redis(redis_client):
    """500 reports of one day and one kecamatan: one HINCRBY per counter field, not per event."""
    now = time.time()
    batch = [("economy", 0, i, transactions(f"R-{i}", 1, 100, 60)) for i in range(500)]
    items, _ = build_items(verdicts(batch, now))
    fold = new_fold(redis_client)
    reads = fold.read(needs(items, FEEDS))
    from streams.plan import plan_batch
    plan = plan_batch(items, [b"x"] * len(items), reads, fold._config(now), fold.keys, FEEDS)
    assert plan.accepted == 500
    counters = [c for c in plan.checked if c[0] == "HINCRBY"]
    assert len(counters) < 20, counters
    tx = [c for c in counters if c[1].startswith("mv:e:tx:")]
    assert {c[2]: c[3] for c in tx}["amount"] == "50000"
    seen_adds = [c for c in plan.commands if c[0] == "ZADD" and c[1] == "mv:seen:economy"]
    assert sum((len(c) - 2) // 2 for c in seen_adds) == 500
    assert all(len(c) - 2 <= 1000 for c in seen_adds)


def test_a_foreign_key_of_another_type_refuses_the_whole_batch_naming_it(redis_client):
    """Someone SET a string where Marvec keeps its sorted set of due complaints. The batch
    is refused as a whole, naming the key: nothing of it is written and its offsets stay
    where they were (before, the one write failed under pcall and the rest was applied,
    so the offsets moved past a complaint that was never fully stored). Once the foreign
    key is gone, the same batch applies exactly once."""
    redis_client.set("mv:c:due", "not a sorted set")
    now = time.time()
    batch = [("complaints", 0, 0, complaint("C-9", "received", 60, category="roads"))]
    batch += [("economy", 0, 1, transactions("R-9", 2, 500, 60))]
    fold = new_fold(redis_client)
    before = {k: redis_client.type(k) for k in redis_client.scan_iter("mv:*")}
    with pytest.raises(WritesRefused) as refused:
        fold.apply(verdicts(batch, now), now, "test")
    assert refused.value.cause == "wrong_type"
    assert "mv:c:due is a string" in refused.value.detail
    assert {k: redis_client.type(k) for k in redis_client.scan_iter("mv:*")} == before
    assert redis_client.hget("mv:offsets", "t.complaints|0") is None
    assert redis_client.hget("mv:feed:complaints", "accepted") is None
    redis_client.delete("mv:c:due")
    res = fold.apply(verdicts(batch, now), now, "test")
    assert (res.accepted, res.rejected) == (2, 0)
    again = fold.apply(verdicts(batch, now), now, "test")
    assert (again.accepted, again.skipped) == (0, 2)
    assert redis_client.hget("mv:c:totals", "open") == b"1"
    assert redis_client.hget("mv:feed:complaints", "accepted") == b"1"
    day_tx = [k for k in redis_client.scan_iter("mv:e:tx:*")]
    assert len(day_tx) == 1 and redis_client.hget(day_tx[0], "amount") == b"500"
    assert redis_client.hget("mv:offsets", "t.complaints|0") == b"0"


def test_a_counter_that_is_not_an_integer_refuses_the_batch_before_any_write(redis_client):
    """A counter field holding text would fail HINCRBY half-way through the commit."""
    redis_client.hset("mv:c:totals", "open", "many")
    now = time.time()
    batch = [("complaints", 0, 0, complaint("C-8", "received", 60, category="roads"))]
    with pytest.raises(WritesRefused) as refused:
        new_fold(redis_client).apply(verdicts(batch, now), now, "test")
    assert "field open of mv:c:totals holds many" in refused.value.detail
    assert redis_client.exists("mv:c:id:C-8") == 0
    assert redis_client.hget("mv:offsets", "t.complaints|0") is None



def test_a_read_refused_for_a_key_of_another_type_names_the_key(redis_client):
    """The read before planning meets the string first: it names it, as the commit does,
    and nothing is written."""
    now = time.time()
    fold = new_fold(redis_client)
    redis_client.set("mv:c:id:C-9", "not a hash")
    with pytest.raises(WritesRefused, match="key mv:c:id:C-9 is a string where Marvec keeps a hash") as err:
        fold.apply(verdicts([("complaints", 0, 0, complaint("C-9", "received", 60))], now), now, "test")
    assert err.value.cause == "wrong_type"
    assert redis_client.hget(fold.keys.feed("complaints"), "accepted") is None
    assert redis_client.hgetall(fold.keys.offsets) == {}
    redis_client.delete("mv:c:id:C-9")  # once the key is fixed, the same batch applies
    fold.apply(verdicts([("complaints", 0, 0, complaint("C-9", "received", 60))], now), now, "test")
    assert redis_client.hget(fold.keys.feed("complaints"), "accepted") == b"1"
    assert redis_client.hgetall(fold.keys.offsets) != {}
