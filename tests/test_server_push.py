"""The screens' push stream: events on snapshot changes (throttled), a clock tick, a cap per worker."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Sequence

import flask
import pytest
import redis

from dashboard.push import PUSH_PATH, PushStreams, install_push
from dashboard.server import install_server
from dashboard.source import SnapshotSource
from marvec.settings import Settings
from marvec.snapshot import Snapshot
from tests.snapshot_fixtures import FakeSource
from tests.test_server_source import KEC, fake_snapshot, unused_client


class Switchable:
    """A reader whose numbers change only when the test says so."""

    def __init__(self) -> None:
        self.value = 1
        self.calls = 0

    def __call__(self, client: redis.Redis, names: Sequence[str]) -> Snapshot:
        self.calls += 1
        return fake_snapshot(self.value).model_copy(update={"generated_at": f"2026-01-01T00:00:{self.calls % 60:02d}Z"})


@pytest.fixture
def source() -> Iterator[SnapshotSource]:
    src = SnapshotSource(unused_client, KEC, refresh_s=0.5, reader=Switchable(), refresh_every_s=0.05)
    yield src
    src.close()


def app_with(streams_source: object, **options: object) -> tuple[flask.Flask, PushStreams]:
    app = flask.Flask(__name__)
    return app, install_push(app, streams_source, 0.6, **options)


class Events(threading.Thread):
    """Reads one stream in the background, stamping each event."""

    def __init__(self, response: flask.Response) -> None:
        super().__init__(daemon=True)
        self.response, self.events, self.first = response, [], b""
        self.done = threading.Event()

    def run(self) -> None:
        for chunk in self.response.response:
            if chunk.startswith(b"retry:"):
                self.first = chunk
                continue
            self.events.append((time.monotonic(), chunk.decode().strip()))
            if self.done.is_set():
                break
        self.response.close()


def test_events_tick_with_the_clock_and_follow_changes_within_the_gap(source: SnapshotSource) -> None:
    source.get()
    app, streams = app_with(source, min_gap_s=0.15)
    res = app.test_client().get(PUSH_PATH, buffered=False)
    assert res.status_code == 200 and res.mimetype == "text/event-stream"
    assert res.headers["Cache-Control"] == "no-store"
    reader = Events(res)
    reader.start()
    time.sleep(1.5)  # static numbers: one event per refresh period (0.6 s), not one per read
    quiet = len(reader.events)
    assert 1 <= quiet <= 3, reader.events
    assert source._reader.calls >= 15  # type: ignore[union-attr]  # the refresher read all along
    changed_at = time.monotonic()
    source._reader.value = 2  # type: ignore[union-attr]
    deadline = time.monotonic() + 2
    while len(reader.events) == quiet and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(reader.events) > quiet
    t, data = reader.events[quiet]
    assert t - changed_at < 0.4, "a change is pushed within a refresh read + the gap, not the clock tick"
    assert data.startswith("data: ") and data.split()[1].split(".")[0] == str(source.version)
    reader.done.set()
    reader.join(3)
    assert reader.first == b"retry: 1000\n\n"
    assert streams.open == 0, "a closed stream gives its slot back"


def test_a_busy_change_stream_is_throttled_to_the_gap(source: SnapshotSource) -> None:
    source.get()
    app, _ = app_with(source, min_gap_s=0.25)
    reader = Events(app.test_client().get(PUSH_PATH, buffered=False))
    reader.start()
    stop = time.monotonic() + 1.5
    while time.monotonic() < stop:  # numbers change at every read (every 50 ms)
        source._reader.value += 1  # type: ignore[union-attr]
        time.sleep(0.02)
    reader.done.set()
    reader.join(3)
    times = [t for t, _ in reader.events]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) >= 4 and min(gaps) >= 0.24, gaps
    assert len(times) <= 7, "at most one event per 0.25 s"


def test_streams_per_worker_are_capped_and_slots_come_back(source: SnapshotSource) -> None:
    source.get()
    app, streams = app_with(source, max_streams=2)
    client = app.test_client()
    first, second = client.get(PUSH_PATH, buffered=False), client.get(PUSH_PATH, buffered=False)
    assert first.status_code == second.status_code == 200 and streams.open == 2
    refused = client.get(PUSH_PATH)
    assert refused.status_code == 200 and refused.headers["X-Marvec-Push"] == "busy"
    assert refused.get_data() == b"retry: 30000\nevent: poll\ndata: 30000\n\n" and streams.refused == 1
    first.close()  # never read: the slot comes back all the same
    assert streams.open == 1
    third = client.get(PUSH_PATH, buffered=False)
    assert third.status_code == 200
    second.close()
    third.close()
    assert streams.open == 0


def test_a_source_that_cannot_tell_changes_makes_pages_poll() -> None:
    app, _ = app_with(FakeSource(fake_snapshot()))
    res = app.test_client().get(PUSH_PATH)
    assert res.status_code == 200 and res.headers["X-Marvec-Push"] == "unavailable"
    assert b"event: poll" in res.get_data()


def test_push_is_behind_the_access_guard(source: SnapshotSource) -> None:
    app = flask.Flask(__name__)
    settings = Settings(auth="required", secret_key="push-test-secret-123456")
    install_server(app, settings, source)
    res = app.test_client().get(PUSH_PATH)
    assert res.status_code == 401 and res.get_json()["error"] == "unauthorized"
