"""The poll loop every adapter shares: timeout, backoff, conditional GET, checkpoint, metrics.

It knows no source by name. A source is a ``poll_once(fetch, now) -> [(feed, key, event)]``
function; ``fetch(url)`` returns the body (the previous one when the server answered 304). The
checkpoint (ETag / Last-Modified per URL, and the event ids already delivered) is written
only after ``flush()`` confirmed delivery, so a restart neither skips nor repeats.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Gauge, start_http_server

from streams.sources.producer import DeliveryFailed

log = logging.getLogger("marvec.sources")

POLLS = Counter("marvec_source_polls", "Polls by source", ["source"])
EVENTS = Counter("marvec_source_events", "Events produced (delivered) by source", ["source"])
FAILURES = Counter("marvec_source_failures", "Failed polls by source", ["source"])
LAST_SUCCESS = Gauge("marvec_source_last_success_timestamp_seconds", "Last good poll", ["source"])
SEEN_MAX = 50_000

Produced = tuple[str, str, dict[str, Any]]
PollOnce = Callable[[Callable[[str], bytes | None], datetime], list[Produced]]


class SourceError(Exception):
    """A URL, file or reply the adapter cannot read; the message is one line."""


@dataclass
class Checkpoint:
    path: Path
    validators: dict[str, dict[str, str]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    bodies: dict[str, bytes] = field(default_factory=dict)
    """Last body per URL, in memory only: a 304 answers with it. After a restart the first
    GET is unconditional, so a source that needs the whole reply (a closing due) gets it."""

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        if not path.exists():
            return cls(path)
        try:
            doc = json.loads(path.read_text())
            return cls(path, dict(doc.get("validators", {})), list(doc.get("seen", [])))
        except (OSError, ValueError) as exc:
            raise SourceError(f"checkpoint {path}: unreadable ({exc}); move it away to start over") from None

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"validators": self.validators, "seen": self.seen[-SEEN_MAX:]}))
        os.replace(tmp, self.path)


class Fetcher:
    """``fetch(url)`` with a timeout and conditional GET; new validators kept pending."""

    def __init__(self, checkpoint: Checkpoint, timeout: float) -> None:
        self.checkpoint, self.timeout = checkpoint, timeout
        self.pending: dict[str, dict[str, str]] = {}

    def __call__(self, url: str) -> bytes | None:
        if "://" not in url or url.startswith("file://"):
            path = Path(url.removeprefix("file://"))
            try:
                return path.read_bytes()
            except OSError as exc:
                raise SourceError(f"{url}: cannot read ({exc.strerror})") from None
        headers = {"User-Agent": "marvec-source/1", "Accept": "*/*"}
        old = self.checkpoint.validators.get(url, {}) if url in self.checkpoint.bodies else {}
        if "etag" in old:
            headers["If-None-Match"] = old["etag"]
        if "last_modified" in old:
            headers["If-Modified-Since"] = old["last_modified"]
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                        timeout=self.timeout) as reply:
                body: bytes = reply.read()
                got = {k: v for k, v in (("etag", reply.headers.get("ETag")),
                                         ("last_modified", reply.headers.get("Last-Modified"))) if v}
                self.pending[url] = got
                self.checkpoint.bodies[url] = body
                return body
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return self.checkpoint.bodies.get(url)
            raise SourceError(f"{url}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceError(f"{url}: {reason or type(exc).__name__}") from None


def poll_loop(name: str, poll_once: PollOnce, send: Callable[[str, dict[str, Any], str], object],
              flush: Callable[[], None], state_dir: Path, interval: float, stop: threading.Event,
              *, timeout: float = 10.0, max_backoff: float = 600.0, once: bool = False,
              clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
    """Poll until ``stop`` (or once); returns events delivered. Failures back off, doubling."""
    checkpoint = Checkpoint.load(state_dir / f"{name}.json")
    delivered, delay = 0, interval
    while not stop.is_set():
        POLLS.labels(name).inc()
        fetch = Fetcher(checkpoint, timeout)
        try:
            seen = set(checkpoint.seen)
            new = [p for p in poll_once(fetch, clock()) if p[2]["event_id"] not in seen]
            for feed, key, event in new:
                send(feed, event, key)
            flush()
        except (SourceError, DeliveryFailed, ValueError) as exc:
            FAILURES.labels(name).inc()
            delay = min(max(delay, interval) * 2, max_backoff)
            log.error("source %s: %s (next try in %.0f s)", name, str(exc).splitlines()[0], delay)
        else:
            checkpoint.seen.extend(p[2]["event_id"] for p in new)
            checkpoint.validators.update(fetch.pending)
            checkpoint.save()
            delivered += len(new)
            EVENTS.labels(name).inc(len(new))
            LAST_SUCCESS.labels(name).set(time.time())
            delay = interval
            log.info("source %s: %d new events", name, len(new))
        if once:
            break
        stop.wait(delay)
    return delivered


def serve_metrics(port: int | None) -> None:
    """Prometheus text on ``port`` (none when unset)."""
    if port:
        start_http_server(port)
