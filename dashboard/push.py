"""Push to screens: a Server-Sent Events stream telling each open page when to update.

``GET /_marvec/push`` (behind the same access guard as the pages' callbacks) answers
``text/event-stream``. An event is sent when the worker's snapshot changes in a way a
screen would show (``SnapshotSource.version``), at most one per ``min_gap_s``, and at
least one per ``refresh_s`` (the wall's focus bar and "minutes ago" move with the
clock). The event's data is an opaque string; ``assets/marvec.js`` writes it into the
page's push store, which triggers the page's data callback (rendered once per worker
per snapshot, ``components.live``). The page's ``dcc.Interval`` stays as a slow fallback
and the script polls at ``MARVEC_REFRESH_MS`` whenever the stream is down.

A stream holds one server thread while open (gunicorn gthread). Each worker therefore
takes at most ``max_streams`` at a time and gunicorn gets that many threads more than
the request threads (``dashboard.wsgi.serve``), so the streams can never starve page,
API and callback requests; beyond the cap the answer is a ``poll`` event (the page polls
at the refresh period and tries the stream again ~30 s later). A
stream ends after ``lifetime_s`` (with jitter; the browser reconnects by itself), so
streams rebalance across workers and a restart never waits on them for long.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import flask

PUSH_PATH = "/_marvec/push"
STREAMS_PER_WORKER = 64
"""Open push streams one worker process serves at once (each holds one gthread thread)."""
MIN_GAP_S = 0.4
"""At most one event per stream per this long: a screen's update cost times the event rate."""
LIFETIME_S = 60.0
RETRY_MS = 1000


class PushStreams:
    """The push endpoint of one process: a bounded number of event streams on ``source``."""

    def __init__(
        self,
        source: Any,
        refresh_s: float,
        *,
        max_streams: int = STREAMS_PER_WORKER,
        min_gap_s: float = MIN_GAP_S,
        lifetime_s: float = LIFETIME_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.refresh_s = float(refresh_s)
        self.max_streams = max_streams
        self.min_gap_s = min(float(min_gap_s), self.refresh_s)
        self.lifetime_s = float(lifetime_s)
        self._clock = clock
        self._lock = threading.Lock()
        self.open = 0
        self.refused = 0

    @property
    def supported(self) -> bool:
        """Whether the source can tell changes (test stand-ins cannot: the pages then poll)."""
        return all(hasattr(self.source, name) for name in ("version", "wait_for_change", "touch"))

    def view(self) -> flask.Response:
        if not self.supported:
            return _refuse("unavailable")
        with self._lock:
            if self.open >= self.max_streams:
                self.refused += 1
                return _refuse("busy")
            self.open += 1
        body = _Stream(self._events(), self._release)
        response = flask.Response(body, mimetype="text/event-stream")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
        return response

    def _release(self) -> None:
        with self._lock:
            self.open -= 1

    def _events(self) -> Iterator[bytes]:
        source = self.source
        source.touch()
        ends = self._clock() + self.lifetime_s * random.uniform(0.75, 1.0)
        seq, version = 0, source.version
        yield f"retry: {RETRY_MS}\n\n".encode()
        last_sent = self._clock()
        while self._clock() < ends:
            source.touch()  # keeps the background refresher reading while a screen watches
            tick_at = last_sent + self.refresh_s
            current = source.wait_for_change(version, max(0.0, tick_at - self._clock()))
            now = self._clock()
            if current == version and now < tick_at:
                continue  # spurious wake-up
            wait = last_sent + self.min_gap_s - now
            if wait > 0:
                time.sleep(wait)
                current = source.version
            seq += 1
            version = current
            last_sent = self._clock()
            yield f"data: {version}.{seq}\n\n".encode()


class _Stream:
    """A WSGI body that releases its stream slot exactly once, even if never iterated."""

    def __init__(self, events: Iterator[bytes], release: Callable[[], None]) -> None:
        self._events = events
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._events)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            getattr(self._events, "close", lambda: None)()
            release()


POLL_RETRY_MS = 30_000


def _refuse(reason: str) -> flask.Response:
    """A stream that only says "poll, and try me again later", then ends.

    A 200 with one ``poll`` event rather than an error status: a browser logs any
    EventSource error response in its console, and a refused wall is not broken.
    ``X-Marvec-Push`` tells other clients why.
    """
    body = f"retry: {POLL_RETRY_MS}\nevent: poll\ndata: {POLL_RETRY_MS}\n\n"
    response = flask.Response(body, mimetype="text/event-stream")
    response.headers["X-Marvec-Push"] = reason
    response.headers["Cache-Control"] = "no-store"
    return response


def install_push(server: flask.Flask, source: Any, refresh_s: float, **options: Any) -> PushStreams:
    """Register ``GET /_marvec/push`` on ``server`` (``server.extensions["marvec_push"]``)."""
    streams = PushStreams(source, refresh_s, **options)
    server.add_url_rule(PUSH_PATH, "marvec_push", streams.view, methods=["GET"])
    server.extensions["marvec_push"] = streams
    return streams
