"""A consumer whose clock runs 15 minutes slow: it says so (metrics, Redis, /healthz, log).

Real broker and Redis; only the consumer's own clock is set back (its ``time`` module).
Before, every live event went to the dead-letter topic as ``future_time`` and nothing
said why.
"""

from __future__ import annotations

import logging
import threading
import time
import types

import flask
import orjson
import pytest
import redis
from feeds import complaint
from helpers import FAST_GROUP_OPTIONS, produce_json, wait_for
from streamrig import boundaries

import streams.consumer as consumer_module
from dashboard.server import install_server
from dashboard.source import SnapshotSource
from marvec.keys import Keys
from marvec.settings import Settings
from streams.consumer import Consumer
from streams.metrics import ConsumerMetrics

pytestmark = pytest.mark.integration
SLOW_S = 15 * 60


def test_a_slow_clock_is_measured_exported_shown_and_warned_once(
        make_settings, redis_client: redis.Redis, redis_server: str,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings()
    slow = types.SimpleNamespace(time=lambda: time.time() - SLOW_S, monotonic=time.monotonic,
                                 perf_counter=time.perf_counter)
    monkeypatch.setattr(consumer_module, "time", slow)
    worker = Consumer(settings, boundaries(), redis_client, kafka_overrides=FAST_GROUP_OPTIONS)
    worker.metrics = ConsumerMetrics()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    caplog.set_level(logging.WARNING, logger="marvec.consume")
    thread.start()
    try:
        produce_json(settings, "complaints", [complaint(f"C-{i}", "received", 5) for i in range(5)])
        wait_for(lambda: worker.stats.polled >= 5, timeout=60, message="not consumed")
        produce_json(settings, "complaints", [complaint(f"D-{i}", "received", 5) for i in range(5)])
        wait_for(lambda: worker.stats.polled >= 10, timeout=60, message="not consumed")
        wait_for(lambda: worker.stats.result.rejected >= 10, timeout=30, message="not folded")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert worker.stats.result.rejected == 10 and worker.stats.result.accepted == 0
    registry = worker.metrics.registry
    assert registry.get_sample_value("marvec_consumer_future_time_rejects_total") == 10
    skew = registry.get_sample_value("marvec_consumer_clock_skew_seconds")
    assert skew is not None and -SLOW_S - 30 < skew < -SLOW_S + 30
    warnings = [r.getMessage() for r in caplog.records if "clock:" in r.getMessage()]
    assert len(warnings) == 1, f"warned {len(warnings)} times within a minute: {warnings}"
    assert " s behind the broker's record timestamps; 5 event(s) refused as future_time" in warnings[0]
    assert "NTP" in warnings[0]
    reports = redis_client.hgetall(Keys().clocks)
    assert len(reports) == 1
    report = orjson.loads(next(iter(reports.values())))
    assert -SLOW_S - 30 < report["skew_s"] < -SLOW_S + 30 and report["future_time_rejects"] >= 5

    # /healthz of a dashboard reading the same Redis shows it.
    server = flask.Flask("clock-test")
    install_server(server, Settings(auth="open"), SnapshotSource(redis_server, ["Mariso"], 1.0))
    body = server.test_client().get("/healthz").get_json()
    clock = body["clock"]
    assert clock["behind"] is True and -SLOW_S - 30 < clock["min_skew_s"] < -SLOW_S + 30
    assert clock["future_time_rejects"] >= 5 and len(clock["consumers"]) == 1
