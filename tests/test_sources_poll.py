"""The shared poll loop against a local HTTP server: 304, timeout + backoff, restart."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from streams.sources import bmkg
from streams.sources.poll import Checkpoint, Fetcher, SourceError, poll_loop

FIX = Path(__file__).parent / "fixtures" / "sources"
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


class Handler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[dict[str, str]]] = []
    sleep = 0.0

    def do_GET(self) -> None:
        type(self).hits.append(dict(self.headers))
        time.sleep(type(self).sleep)
        if self.path.endswith("bad.json"):
            body = b"{not json"
        else:
            body = (FIX / self.path.lstrip("/")).read_bytes()
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(sleep: float = 0.0) -> Iterator[str]:
    Handler.hits, Handler.sleep = [], sleep
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _bmkg_poll(url: str):
    def poll(fetch, now):
        return [("disasters", e["incident_id"], e)
                for e in bmkg.events(bmkg.parse_feed(fetch(url) or b""), now)]
    return poll


def test_conditional_get_304_and_restart_produce_nothing_new(tmp_path):
    sent: list[dict] = []
    with serving() as base:
        poll = _bmkg_poll(f"{base}/autogempa.json")
        args = dict(send=lambda f, e, k: sent.append(e), flush=lambda: None, state_dir=tmp_path,
                    interval=0.01, stop=threading.Event(), once=True, clock=lambda: NOW)
        assert poll_loop("bmkg", poll, **args) == 1
        assert poll_loop("bmkg", poll, **args) == 0  # a restart: the checkpoint has the id
        assert [h.get("If-None-Match") for h in Handler.hits] == [None, None]
        # within one process the second GET is conditional and 304 reuses the body
        ck = Checkpoint.load(tmp_path / "bmkg.json")
        fetch = Fetcher(ck, 5)
        first = fetch(f"{base}/autogempa.json")
        ck.validators.update(fetch.pending)
        assert Fetcher(ck, 5)(f"{base}/autogempa.json") == first
        assert Handler.hits[-1].get("If-None-Match") == '"v1"'
    assert len(sent) == 1


def test_undelivered_events_are_not_checkpointed(tmp_path):
    def failing_flush() -> None:
        raise ValueError("broker refused")

    with serving() as base:
        poll = _bmkg_poll(f"{base}/autogempa.json")
        kw = dict(state_dir=tmp_path, interval=0.01, stop=threading.Event(), once=True, clock=lambda: NOW)
        assert poll_loop("bmkg", poll, lambda *a: None, failing_flush, **kw) == 0
        assert poll_loop("bmkg", poll, lambda *a: None, lambda: None, **kw) == 1


def test_a_source_that_times_out_is_one_line_and_backs_off(tmp_path, caplog):
    with serving(sleep=1.0) as base:
        with pytest.raises(SourceError, match="timed out"):
            Fetcher(Checkpoint(tmp_path / "x.json"), 0.2)(f"{base}/autogempa.json")
        stop = threading.Event()
        waits: list[float] = []
        real_wait = stop.wait

        def wait(delay: float) -> bool:
            waits.append(delay)
            if len(waits) == 3:
                stop.set()
            return real_wait(0)

        stop.wait = wait  # type: ignore[method-assign]
        poll_loop("slow", _bmkg_poll(f"{base}/autogempa.json"), lambda *a: None, lambda: None,
                  tmp_path, 1.0, stop, timeout=0.2)
    assert waits == [2.0, 4.0, 8.0]
    assert all("\n" not in r.getMessage() for r in caplog.records)


def test_bad_reply_and_missing_file_are_one_line(tmp_path):
    with serving() as base, pytest.raises(bmkg.BmkgFormatError, match="not JSON"):
        bmkg.parse_feed(Fetcher(Checkpoint(tmp_path / "x.json"), 2)(f"{base}/bad.json") or b"")
    with pytest.raises(SourceError, match="cannot read"):
        Fetcher(Checkpoint(tmp_path / "x.json"), 2)(str(tmp_path / "nope.json"))
