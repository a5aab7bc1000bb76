"""Ctrl-C and SIGTERM stop every command within 10 s while it is busy, every time.

Each command runs as a real process against the session's real Tansu and Redis (or,
for ``marvec up``, its own embedded ones): a consumer in the middle of a backlog, a
dashboard with push streams open and requests in flight, the whole stack while the
simulator backfills. The clock runs from the signal to the process having exited and
no process of the run being left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from feeds import mixed_stream
from helpers import wait_for
from test_consumer_scale import _produce
from test_up import _ours

from marvec.embedded import free_port
from marvec.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LIMIT_S = 10.0
SIGNALS = [signal.SIGINT, signal.SIGTERM]


def _env(marker: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARVEC_")}
    return {**env, "MARVEC_TEST_RUN": marker, **settings}


def _service_env(settings: Settings) -> dict[str, str]:
    return {"MARVEC_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
            "MARVEC_REDIS_URL": str(settings.redis_url), "MARVEC_AUTH": "open",
            "MARVEC_CONSUMER_GROUP": settings.consumer_group,
            "MARVEC_TOPIC_DEADLETTER": settings.topic_deadletter,
            **{f"MARVEC_TOPIC_{f.upper()}": t for f, t in settings.topics.items()}}


def _stop_and_time(proc: subprocess.Popen[str], sig: signal.Signals, marker: str) -> float:
    """Send ``sig``; seconds until the process and everything of its run have exited."""
    started = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        left = _ours(marker)
        for pid in left:  # all of the run: the children hold the output pipe open
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        pytest.fail(f"still running 30 s after {sig.name} ({len(left)} processes); output: {out[-2000:]}")
    wait_for(lambda: not _ours(marker), timeout=30, interval=0.05,
             message=f"left behind after {sig.name}: {_ours(marker)}")
    return time.monotonic() - started


@contextlib.contextmanager
def _load(base: str, streams: int = 4) -> Iterator[list[int]]:
    """Push streams held open and snapshot requests in a loop, until the server goes."""
    done, opened = threading.Event(), [0]

    def stream() -> None:
        with contextlib.suppress(Exception), urllib.request.urlopen(base + "/_marvec/push", timeout=60) as r:
            opened[0] += 1
            while not done.is_set() and r.read(64):
                pass

    def hammer() -> None:
        while not done.is_set():
            with contextlib.suppress(Exception), urllib.request.urlopen(base + "/api/v1/snapshot", timeout=5) as r:
                r.read()
    threads = [threading.Thread(target=stream, daemon=True) for _ in range(streams)]
    threads += [threading.Thread(target=hammer, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        yield opened
    finally:
        done.set()


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_consume_stops_within_10_s_in_the_middle_of_a_backlog(make_settings, redis_client, sig):
    settings = make_settings(partitions=3)
    events = mixed_stream(30_000, seed=5)
    _produce(settings, events)
    marker = uuid.uuid4().hex
    proc = subprocess.Popen([sys.executable, "-m", "marvec", "consume"], text=True,
                            env=_env(marker, **_service_env(settings), MARVEC_BATCH_MAX_RECORDS="2000"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def accepted() -> int:
            raw = redis_client.hget("mv:feed:complaints", "accepted")
            return int(raw or 0)
        wait_for(lambda: accepted() > 0, timeout=90, message="the consumer never applied a batch")
        busy = accepted() < sum(1 for f, _ in events if f == "complaints")
    finally:
        took = _stop_and_time(proc, sig, marker)
    assert took < LIMIT_S, f"marvec consume took {took:.1f} s to stop after {sig.name}"
    assert busy, "the backlog was consumed before the signal: no load to stop under"


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_dashboard_stops_within_10_s_with_push_streams_open(redis_server, sig):
    port, marker = free_port(), uuid.uuid4().hex
    env = _env(marker, MARVEC_REDIS_URL=redis_server, MARVEC_AUTH="open")
    proc = subprocess.Popen([sys.executable, "-m", "marvec", "dashboard", "--port", str(port),
                             "--workers", "2"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _status(base + "/healthz") == 200, timeout=60, message="dashboard not up")
        with _load(base) as opened:
            wait_for(lambda: opened[0] >= 4, timeout=30, message="push streams did not open")
            took = _stop_and_time(proc, sig, marker)
    finally:
        _kill_run(proc, marker)
    assert took < LIMIT_S, f"marvec dashboard took {took:.1f} s to stop after {sig.name}"


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_up_stops_within_10_s_while_backfilling_with_screens_open(tmp_path, sig):
    port, marker = free_port(), str(tmp_path / "run")
    env = _env(marker, MARVEC_RUN_DIR=marker)
    # Started the way a shell starts a background job (`marvec up &`, a script): with SIGINT
    # ignored, which Python keeps unless told otherwise.
    proc = subprocess.Popen([sys.executable, "-m", "marvec", "up", "--port", str(port),
                             "--rate", "500", "--backfill-hours", "6"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _accepted(base) > 0, timeout=90, interval=0.5, message="no data in 90 s")
        with _load(base) as opened:
            wait_for(lambda: opened[0] >= 4, timeout=30, message="push streams did not open")
            took = _stop_and_time(proc, sig, marker)
    finally:
        _kill_run(proc, marker)
    assert took < LIMIT_S, f"marvec up took {took:.1f} s to stop after {sig.name}"
    assert proc.returncode == 0


def _kill_run(proc: subprocess.Popen[str], marker: str) -> None:
    """After a failure: SIGKILL whatever of the run is left, so nothing outlives the test."""
    for pid in [*_ours(marker), *([proc.pid] if proc.poll() is None else [])]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.communicate(timeout=30)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return int(resp.status)
    except Exception as exc:
        return int(getattr(exc, "code", 0) or 0)


def _accepted(base: str) -> int:
    import json

    try:
        with urllib.request.urlopen(base + "/api/v1/snapshot", timeout=5) as resp:
            return int(json.loads(resp.read())["feeds"]["complaints"]["accepted"])
    except Exception:
        return 0

