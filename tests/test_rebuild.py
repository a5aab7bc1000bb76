"""Redis restarted empty: consumers stop applying and say so; ``marvec rebuild``
replays the retained history into the same picture."""

from __future__ import annotations

import io
import logging
import time

import pytest
from feeds import mixed_stream
from helpers import wait_for
from streamrig import boundaries, comparable, running_consumer, snap, wait_consumed
from test_consumer_scale import _produce, _reference

from marvec.keys import Keys
from streams.rebuild import Rebuild, progress_bar

pytestmark = pytest.mark.integration


def _rebuild(settings, client) -> str:
    out = io.StringIO()
    Rebuild(settings, boundaries(), client).run(out)
    return out.getvalue()


def test_rebuild_after_redis_lost_everything_gives_the_same_snapshot(
        make_settings, redis_server, redis_client, caplog):
    settings = make_settings(partitions=3)
    events = mixed_stream(4000, seed=21)
    _produce(settings, events[:3000])
    caplog.set_level(logging.ERROR, logger="marvec.consume")
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], 3000)
        before = comparable(snap(redis_client))
        redis_client.flushall()  # Redis restarted empty
        _produce(settings, events[3000:])
        wait_for(lambda: "run `marvec rebuild`" in caplog.text, timeout=30,
                 message="the consumer did not point at marvec rebuild")
        assert redis_client.dbsize() == 0  # nothing applied on top of an empty Redis
        progress = _rebuild(settings, redis_client)
        wait_for(lambda: snap(redis_client).feeds["complaints"].accepted > 0, timeout=30)
        time.sleep(2)
    assert "100%" in progress and "records" in progress
    ref = _reference(settings, redis_server, len(events))
    now = time.time()
    assert comparable(snap(redis_client, now)) == comparable(snap(ref, now))
    assert comparable(snap(redis_client, now)) != before  # the later events count too


def test_a_consumer_started_on_an_empty_redis_with_history_waits_and_says_so(
        make_settings, redis_client, caplog):
    settings = make_settings()
    _produce(settings, mixed_stream(200, seed=2))
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], 200)
    redis_client.flushall()
    caplog.set_level(logging.ERROR, logger="marvec.consume")
    with running_consumer(settings, redis_client):
        wait_for(lambda: "Redis holds no Marvec aggregates" in caplog.text, timeout=30)
        time.sleep(1)
        assert redis_client.dbsize() == 0
        _rebuild(settings, redis_client)
    assert snap(redis_client).feeds["economy"].accepted > 0


def test_progress_bar_reads_right():
    assert progress_bar(250, 1000, 1234.4) == \
        "[#######.......................]  25%  250/1,000 records  1,234/s"
    assert progress_bar(5, 0, 1.0).startswith("[" + "#" * 30 + "] 100%")


def test_restore_redis_lost_then_marvec_rebuild_gives_back_the_same_snapshot(
        make_settings, redis_client):
    """docs/deploy.md#backups: the restore an operator runs, end to end, with no new events."""
    from marvec import datameta
    from marvec.keys import SCHEMA_VERSION
    from streams.rebuild import rebuild

    settings = make_settings(partitions=3)
    events = mixed_stream(3000, seed=33)
    _produce(settings, events)
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], len(events))
        wait_for(lambda: worker.stats.polled >= len(events))
    now = time.time()
    before = comparable(snap(redis_client, now))
    assert before["complaints"]["open"] > 0 and before["feeds"]["economy"]["accepted"] > 0
    redis_client.flushall()  # Redis lost: no AOF, no snapshot
    assert snap(redis_client, now).feeds["complaints"].accepted == 0
    out = io.StringIO()
    totals = rebuild(settings, out)  # what `marvec rebuild` runs
    assert comparable(snap(redis_client, now)) == before
    assert totals.accepted == sum(before["feeds"][f]["accepted"] for f in before["feeds"])
    meta = datameta.read(redis_client)
    assert meta is not None and meta.schema == SCHEMA_VERSION and meta.boundaries == boundaries().fingerprint
    assert "rebuilt in" in out.getvalue()


def test_a_rebuild_keeps_when_marvec_began_receiving_each_feed(make_settings, redis_client):
    """A replay applies every event now; the feeds were live long before (yesterday's
    comparison depends on it), so the rebuild carries each feed's first_applied_ts over."""
    settings = make_settings(partitions=1)
    _produce(settings, mixed_stream(200, seed=5))
    key = Keys().feed("complaints")
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], 200)
    began = redis_client.hget(key, "first_applied_ts")
    assert began is not None
    redis_client.hset(key, "first_applied_ts", "1700000000")  # as if live since 2023
    _rebuild(settings, redis_client)
    assert redis_client.hget(key, "first_applied_ts") == b"1700000000"
    assert snap(redis_client).feeds["complaints"].accepted > 0  # and the replay did apply
