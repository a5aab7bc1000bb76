"""Expiry of what went silent (streams/expiry.py, streams/prune.lua) on a real Redis:
markets silent past MARVEC_SILENT_RETENTION_DAYS leave the prices and their median, OPDs
with nothing open and no recent resolution leave the OPD list; one process per period
(the claim key), a bounded amount of work per script call. ``now`` is injected: no test
waits for time to pass."""

from __future__ import annotations

import io
import itertools
import logging
import threading
import time

import orjson
import pytest
from feeds import complaint, price
from helpers import FAST_GROUP_OPTIONS, wait_for
from streamrig import boundaries, snap
from test_consumer_scale import _produce

from marvec.errors import SettingsError
from marvec.keys import Keys
from marvec.settings import load_settings
from streams.consumer import Consumer
from streams.decode import Record, decode_batch
from streams.expiry import Pruner
from streams.metrics import ConsumerMetrics
from streams.rebuild import Rebuild
from streams.sink import RedisFold

pytestmark = pytest.mark.integration
FEED_OF = {f"t.{f}": f for f in ("complaints", "economy", "disasters")}
DAY = 86400
K = Keys()
_offsets = itertools.count()


def apply(client, events: list[tuple[str, dict]], now: float) -> None:
    """One batch through decode and the fold, onto the picture ``test``."""
    records = [Record(f"t.{feed}", 0, next(_offsets), orjson.dumps(ev)) for feed, ev in events]
    fold = RedisFold(client, dedupe_hours=168, retention_hours=168)
    fold.claim_epoch("test")
    fold.apply(decode_batch(records, FEED_OF, now, boundaries()), now, "test")


def prune(client, now: float, **kw) -> object:
    """One run as a consumer's thread makes it, the period's claim cleared first."""
    client.delete(K.prune_claim)
    return Pruner(client, 30, **kw).run_once(now)


def test_a_market_silent_past_the_retention_leaves_the_prices_and_a_fresh_one_stays(redis_client, caplog):
    now = time.time()
    apply(redis_client, [("economy", price("Pasar Lama", "beras", 20000, 31 * DAY)),
                         ("economy", price("Pasar Tengah", "beras", 13000, 29 * DAY)),
                         ("economy", price("Pasar Baru", "beras", 12000, 600)),
                         ("economy", price("Pasar Lama", "cabai_rawit", 60000, 31 * DAY))], now)
    before = snap(redis_client, now).economy.prices
    assert (before["beras"].markets, before["beras"].latest_idr) == (3, 13000)
    assert before["cabai_rawit"].markets == 1
    caplog.set_level(logging.INFO, logger="marvec.consume")
    r = prune(redis_client, now)
    assert (r.status, r.markets, r.opds, r.done) == ("ok", 2, 0, True)
    after = snap(redis_client, now).economy.prices
    assert after["beras"].markets == 2
    assert after["beras"].by_market == {"Pasar Tengah": 13000, "Pasar Baru": 12000}
    assert after["beras"].latest_idr == 12500  # the median of the markets heard within 30 days
    assert "cabai_rawit" not in after  # no market heard within 30 days: no price, not 0
    assert "expired 2 market price(s) silent for over 30 days and 0 OPD(s)" in caplog.text
    # A day later Pasar Tengah is silent past the retention too; Pasar Lama reports again.
    apply(redis_client, [("economy", price("Pasar Lama", "beras", 21000, 60))], now)
    r = prune(redis_client, now + 2 * DAY)
    assert r.markets == 1
    assert snap(redis_client, now).economy.prices["beras"].by_market == {"Pasar Lama": 21000, "Pasar Baru": 12000}
    caplog.clear()
    assert prune(redis_client, now + 2 * DAY).markets == 0
    assert "expired" not in caplog.text  # one INFO line only when something was removed


def test_an_idle_opd_leaves_the_opd_list_and_busy_or_recent_ones_stay(redis_client):
    now = time.time()

    def lifecycle(cid: str, opd: str, received: float, resolved: float | None) -> list[tuple[str, dict]]:
        out = [("complaints", complaint(cid, "received", received, now=now, opd=opd))]
        if resolved is not None:
            out.append(("complaints", complaint(cid, "resolved", resolved, now=now, opd=opd)))
        return out

    apply(redis_client, [("complaints", complaint("A1", "received", 40 * DAY, now=now, opd="OLD"))], now)
    apply(redis_client, [("complaints", complaint("A1", "resolved", 35 * DAY, now=now, opd="OLD")),
                         *lifecycle("B1", "BUSY", 40 * DAY, 35 * DAY), *lifecycle("B2", "BUSY", 40 * DAY, None),
                         *lifecycle("F1", "FRESH", 3 * DAY, 1 * DAY), *lifecycle("L1", "LATE", 5 * DAY, 2 * DAY)], now)
    # LATE's old resolution arrives after its recent one: the list's head is 35 days old.
    apply(redis_client, lifecycle("L2", "LATE", 40 * DAY, 35 * DAY), now)
    # SOLO resolves a complaint it never held open (no OPD until the resolution).
    apply(redis_client, [("complaints", complaint("S1", "received", 40 * DAY, now=now)),
                         ("complaints", complaint("S2", "received", 40 * DAY, now=now)),
                         ("complaints", complaint("S1", "resolved", 33 * DAY, now=now, opd="SOLO")),
                         ("complaints", complaint("S2", "resolved", 12 * 3600, now=now, opd="SOLO2"))], now)
    before = snap(redis_client, now).complaints.by_opd
    assert sorted(before) == ["BUSY", "FRESH", "LATE", "OLD", "SOLO", "SOLO2"]
    assert before["OLD"].resolved == 1 and before["BUSY"].open == 1
    assert redis_client.hget(K.open_by_opd, "OLD") == b"0"  # opened, then closed in a later batch

    r = prune(redis_client, now)
    assert (r.status, r.markets, r.opds) == ("ok", 0, 2)
    after = snap(redis_client, now).complaints.by_opd
    assert sorted(after) == ["BUSY", "FRESH", "LATE", "SOLO2"]
    assert (after["BUSY"].open, after["BUSY"].overdue, after["BUSY"].resolved) == (1, 1, 1)  # open: kept whole
    assert after["LATE"].resolved == 2 and after["FRESH"].resolved == 1
    assert not redis_client.sismember(K.opds, "OLD") and not redis_client.exists(K.resolutions("OLD"))
    assert not redis_client.exists(K.resolutions("SOLO"))
    assert redis_client.hget(K.open_by_opd, "OLD") is None  # its zero counter went with it
    assert redis_client.hget(K.open_by_opd, "BUSY") == b"1"
    # BUSY's open complaint is resolved now: it stays 30 days from now, the others go.
    apply(redis_client, [("complaints", complaint("B2", "resolved", 60, now=now, opd="BUSY"))], now)
    later = now + 29.75 * DAY  # FRESH, LATE, SOLO2 last resolved over 30 days before; BUSY not
    assert prune(redis_client, later).opds == 3
    assert sorted(snap(redis_client, later).complaints.by_opd) == ["BUSY"]


def test_the_claim_lets_one_process_prune_per_period(redis_client):
    now = time.time()
    apply(redis_client, [("economy", price("Pasar Lama", "beras", 20000, 31 * DAY))], now)
    pruners = [Pruner(redis_client, 30) for _ in range(8)]
    start = threading.Barrier(len(pruners))
    results: list[object] = [None] * len(pruners)

    def run(i: int) -> None:
        start.wait()
        results[i] = pruners[i].run_once(now)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(pruners))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    statuses = sorted(r.status for r in results)  # type: ignore[attr-defined]
    assert statuses == ["claimed"] * 7 + ["ok"]
    assert sum(r.markets for r in results) == 1  # type: ignore[attr-defined]
    assert 590 <= redis_client.ttl(K.prune_claim) <= 600  # held for the period (SET NX EX)
    # Within the period nobody prunes again, even with something to remove.
    apply(redis_client, [("economy", price("Pasar Tua", "beras", 20000, 31 * DAY))], now)
    assert Pruner(redis_client, 30).run_once(now).status == "claimed"
    assert snap(redis_client, now).economy.prices["beras"].markets == 1
    redis_client.delete(K.prune_claim)  # the period is over (the claim's TTL ran out)
    assert Pruner(redis_client, 30).run_once(now).markets == 1


def test_a_prune_between_a_batchs_read_and_its_commit_makes_it_plan_again(redis_client):
    """The sweep is atomic against the commit: the cell it removed fails the batch's guard."""
    now = time.time()
    apply(redis_client, [("economy", price("Pasar Lama", "beras", 20000, 31 * DAY)),
                         ("economy", price("Pasar Baru", "beras", 12000, 600))], now)
    fold = RedisFold(redis_client, dedupe_hours=168, retention_hours=168)
    read = fold.read
    pruned = []

    def read_then_prune(need):
        out = read(need)
        if not pruned:  # the sweep runs after the batch read the cell it is about to remove
            pruned.append(prune(redis_client, now))
        return out

    fold.read = read_then_prune  # type: ignore[method-assign]
    late = price("Pasar Lama", "beras", 19000, 32 * DAY)  # older than what the batch read
    records = [Record("t.economy", 0, next(_offsets), orjson.dumps(late))]
    fold.apply(decode_batch(records, FEED_OF, now, boundaries()), now, "test")
    assert pruned[0].markets == 1 and fold.conflicts == 1  # planned again from what is left
    # Planned again, the late price is the market's latest: it is back, and silent.
    assert redis_client.hget(K.price("beras"), "Pasar Lama").split(b"|")[1] == b"19000"
    assert prune(redis_client, now).markets == 1
    assert snap(redis_client, now).economy.prices["beras"].by_market == {"Pasar Baru": 12000}


def test_nothing_is_written_while_redis_holds_no_picture(redis_client):
    r = Pruner(redis_client, 30).run_once(time.time())
    assert r.status == "no_picture" and redis_client.dbsize() == 0


def test_each_call_is_bounded_and_the_next_goes_on_where_it_stopped(redis_client):
    now = time.time()
    stale = [("economy", price(f"Pasar {i}", "beras", 10000 + i, 31 * DAY)) for i in range(1000)]
    apply(redis_client, [*stale, ("economy", price("Pasar Hidup", "beras", 15000, 60))], now)
    opds = [("complaints", complaint(f"C{i}", "resolved", 31 * DAY, now=now, opd=f"OPD-{i:03d}"))
            for i in range(300)]
    apply(redis_client, opds, now)
    assert redis_client.hlen(K.price("beras")) == 1001 and redis_client.scard(K.opds) == 300
    one = Pruner(redis_client, 30, chunk=100)
    calls = []
    for _ in range(40):
        r = one.step(now, "t")
        calls.append(r)
        assert r.examined <= 110  # HSCAN's COUNT: the chunk, a hash bucket's worth more at most
        if r.done:
            break
    assert calls[0].markets >= 90 and not calls[0].done  # stopped after about a chunk
    assert sum(c.markets for c in calls) == 1000 and sum(c.opds for c in calls) == 300
    assert 12 <= len(calls) <= 16  # 1,001 fields + 300 members at ~100 a call
    assert snap(redis_client, now).economy.prices["beras"].by_market == {"Pasar Hidup": 15000}
    # A run stops at max_calls; the next run (any process) goes on from the stored cursor.
    apply(redis_client, stale, now)
    first = prune(redis_client, now, chunk=100, max_calls=3)
    assert 250 <= first.markets <= 330 and not first.done
    second = prune(redis_client, now, chunk=100)
    assert second.done and first.markets + second.markets == 1000


def test_the_retention_setting_is_checked(monkeypatch):
    assert load_settings().silent_retention_days == 30
    monkeypatch.setenv("MARVEC_SILENT_RETENTION_DAYS", "0")
    with pytest.raises(SettingsError, match=r"MARVEC_SILENT_RETENTION_DAYS.*greater than or equal to 1"):
        load_settings()
    monkeypatch.setenv("MARVEC_SILENT_RETENTION_DAYS", "7")
    assert load_settings().silent_retention_days == 7


def test_a_running_consumer_prunes_counts_and_logs(make_settings, redis_client, monkeypatch, caplog):
    monkeypatch.setattr("streams.expiry.FIRST_S", 0.2)
    settings = make_settings(partitions=1)
    now = time.time()
    apply(redis_client, [("economy", price("Pasar Lama", "beras", 20000, 31 * DAY)),
                         ("economy", price("Pasar Baru", "beras", 12000, 60))], now)
    caplog.set_level(logging.INFO, logger="marvec.consume")
    worker = Consumer(settings, boundaries(), redis_client, kafka_overrides=FAST_GROUP_OPTIONS)
    worker.metrics = ConsumerMetrics()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: snap(redis_client).economy.prices["beras"].markets == 1, timeout=30,
                 message="the consumer's expiry did not remove the silent market")
    finally:
        stop.set()
        thread.join(30)
    assert worker.metrics.registry.get_sample_value("marvec_consumer_expired_total", {"kind": "market"}) == 1
    assert "expired 1 market price(s)" in caplog.text


def test_a_rebuild_expires_again_what_the_replay_brought_back(make_settings, redis_client):
    settings = make_settings(partitions=1)
    _produce(settings, [("economy", price("Pasar Lama", "beras", 20000, 31 * DAY)),
                        ("economy", price("Pasar Baru", "beras", 12000, 60)),
                        ("complaints", complaint("A1", "received", 40 * DAY, opd="OLD")),
                        ("complaints", complaint("A1", "resolved", 35 * DAY, opd="OLD")),
                        ("complaints", complaint("F1", "received", 3 * DAY, opd="FRESH")),
                        ("complaints", complaint("F1", "resolved", DAY, opd="FRESH"))])
    Rebuild(settings, boundaries(), redis_client).run(io.StringIO())
    s = snap(redis_client)
    assert s.economy.prices["beras"].by_market == {"Pasar Baru": 12000}
    assert sorted(s.complaints.by_opd) == ["FRESH"]
