"""The mayor's briefings in the dashboard: making one (``make_briefing``, also behind
``marvec brief``), making them on time (``BriefingClock``, one thread per dashboard
worker; a claim in Redis lets one process on one host make each), and reading them
(``/briefings``: the list; ``/briefings/<id>.pdf|png|html``: the files; roles mayor
and admin, like the report card).

A briefing is made from the same snapshot the screens read (``marvec.briefing`` for
the figures, ``layers.briefing`` for the document, ``marvec.render`` for PDF and PNG
with headless Chromium). Without Chromium the HTML is still stored and listed, and the
log says in one line why there is no PDF. Each contact point (``MARVEC_ALERT_WEBHOOK_URLS``)
gets the link through the alerts' outbox, with its retries; the war-room log records it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Any

import flask
import redis

from layers.briefing import daily_html, long_date, monthly_html, summary
from layers.mapframe import MapFrame
from marvec.alerts.store import AlertStore
from marvec.briefing import (
    FILES,
    BriefingStore,
    Kind,
    Stored,
    due,
    gather,
    link,
    notification,
    parse_id,
)
from marvec.contract import WITA
from marvec.errors import SettingsError
from marvec.i18n import normalize, translator
from marvec.keys import Keys
from marvec.render import RenderError, find_chromium, render
from marvec.settings import Settings
from marvec.snapshot import Snapshot

log = logging.getLogger("marvec.briefing")

CHECK_S = 60.0
"""How often each worker looks whether a briefing is due (the first look after as long)."""


@dataclass(frozen=True)
class Made:
    stored: Stored
    rendered: bool
    why_not: str | None = None


def make_briefing(settings: Settings, client: redis.Redis, frame: MapFrame, snapshot: Snapshot, kind: Kind,
                  issued: date, now: float | None = None, *, notify: bool = True,
                  keys: Keys | None = None) -> Made:
    """Gather, lay out, render, store and announce one briefing."""
    k = keys or Keys()
    lang = normalize(settings.lang, "id")
    tr = translator(lang)
    b = gather(client, k, snapshot, kind, issued, now)
    html = daily_html(b, frame, tr, lang) if kind == "daily" else monthly_html(b, tr, lang)
    files: dict[str, bytes]
    why: str | None = None
    try:
        files = render(html, find_chromium(settings.chromium))
    except (RenderError, SettingsError) as exc:
        why = str(exc)
        files = {"html": html.encode()}
    line = summary(b, tr, lang)
    stored = BriefingStore(client, k, settings.briefing_keep_days).save(b, files, line)
    if notify:
        ext = "pdf" if "pdf" in files else "html"
        notes = [notification(stored, settings.public_url, url) for url in settings.webhook_urls]
        for n in notes:
            n["body"]["alerts"][0]["annotations"]["link"] = link(settings.public_url, stored.id, ext)
        AlertStore(client, k).announce(notes, {
            "at": datetime.fromtimestamp(b.generated_at, WITA).isoformat(timespec="seconds"), "kind": "briefing",
            "by": "marvec", "text": line, "text_en": summary(b, translator("en"), "en"),
            "link": link(settings.public_url, stored.id, ext)}, b.generated_at)
    return Made(stored, why is None, why)


class BriefingClock:
    """Makes the briefings that are due (``marvec.briefing.due``) and not made yet. Every
    worker runs one; the claim in Redis lets exactly one make each briefing. It waits
    for a good snapshot (never briefs from an empty or unreachable picture)."""

    def __init__(self, settings: Settings, client: Callable[[], redis.Redis], frame: MapFrame,
                 read: Callable[[], Snapshot | None], clock: Callable[[], float] = time.time,
                 check_s: float = CHECK_S) -> None:
        self.settings, self.client, self.frame, self.read, self.clock = settings, client, frame, read, clock
        self.check_s = check_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned: set[str] = set()

    def tick(self) -> list[Made]:
        if self.settings.briefing_time == "off":
            return []
        now = self.clock()
        client = self.client()
        store = BriefingStore(client, keep_days=self.settings.briefing_keep_days)
        todo = [(kind, day) for kind, day in due(now, self.settings.briefing_time) if not store.exists(kind, day)]
        if not todo:
            return []
        snap = self.read()
        if snap is None or not any(f.accepted for f in snap.feeds.values()):
            return []  # no picture yet: try again at the next look
        out = []
        for kind, day in todo:
            if not store.claim(kind, day):
                continue  # another process makes it
            made = make_briefing(self.settings, client, self.frame, snap, kind, day, now)
            log.info("briefing %s made (%s)", made.stored.id,
                     ", ".join(f"{ext} {size // 1024} KiB" for ext, size in made.stored.sizes.items()))
            if made.why_not and made.why_not not in self._warned:
                self._warned.add(made.why_not)
                log.warning("briefing %s has no PDF or PNG: %s", made.stored.id, made.why_not)
            out.append(made)
        return out

    def start(self) -> BriefingClock:
        self._thread = threading.Thread(target=self._loop, name="marvec-briefing", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.check_s):
            try:
                self.tick()
            except redis.RedisError as exc:
                log.warning("briefing: Redis unavailable (%s); trying again in %.0f s", exc, self.check_s)
            except Exception:  # a bug must not end the briefings for the process's life
                log.exception("briefing failed")


# -- /briefings ---------------------------------------------------------------------
def _size(n: int) -> str:
    return f"{max(1, round(n / 1024))} KiB"


def briefings_page(items: list[Stored], settings: Settings, lang: str) -> str:
    """The list, newest first: date, kind, its one-line summary, the files (plain HTML)."""
    tr = translator(lang)
    rows = []
    for s in items:
        made = datetime.fromtimestamp(s.generated_at, WITA).strftime("%d/%m %H:%M")
        files = " · ".join(f'<a href="/briefings/{escape(s.id)}.{ext}">{ext.upper()}</a> '
                           f'<span class="muted">{_size(s.sizes[ext])}</span>'
                           for ext in ("pdf", "png", "html") if ext in s.sizes)
        rows.append(f'<tr data-id="{escape(s.id)}"><td>{escape(long_date(s.issued, lang))}</td>'
                    f'<td>{escape(s.summary)}</td><td class="muted">{made} WITA</td><td>{files}</td></tr>')
    empty = tr("briefings.none").format(at=settings.briefing_time)
    body = (f"<table><tbody>{''.join(rows)}</tbody></table>" if rows else f'<p class="muted">{escape(empty)}</p>')
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{escape(tr("briefings.title"))} · Marvec</title>'
            f'<link rel="stylesheet" href="/assets/briefings.css"></head><body class="briefings">'
            f'<header><a class="brand" href="/">MARVEC</a><h1>{escape(tr("briefings.title"))}</h1>'
            f'<span class="muted">{escape(tr("briefings.kept").format(n=settings.briefing_keep_days))}</span>'
            f'<a class="back" href="/rapor">{escape(tr("nav.rapor"))}</a></header><main>{body}</main></body></html>')


def install_briefings(server: flask.Flask, settings: Settings, client: Callable[[], redis.Redis], frame: MapFrame,
                      read: Callable[[], Snapshot | None], *, schedule: bool) -> None:
    """The routes; with ``schedule``, each worker starts its ``BriefingClock`` on its first
    request (after gunicorn's fork)."""

    def store() -> BriefingStore:
        return BriefingStore(client(), keep_days=settings.briefing_keep_days)

    def listing() -> flask.Response:
        lang = normalize(flask.request.args.get("lang") or settings.lang, settings.lang)
        response = flask.Response(briefings_page(store().list(), settings, lang), mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        return response

    def one(name: str) -> flask.Response:
        bid, _, ext = name.rpartition(".")
        data = store().file(bid, ext) if parse_id(bid) is not None else None
        if data is None:
            flask.abort(404)
        response = flask.Response(data, mimetype=FILES[ext].split(";")[0])
        if ext == "html":
            response.headers["Content-Type"] = FILES["html"]
            response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        response.headers["Cache-Control"] = "private, max-age=300"
        response.headers["Content-Disposition"] = f'inline; filename="marvec-{bid}.{ext}"'
        return response

    server.add_url_rule("/briefings", "marvec_briefings", listing, methods=["GET"])
    server.add_url_rule("/briefings/<name>", "marvec_briefing", one, methods=["GET"])
    if schedule and settings.briefing_time != "off":
        started: dict[str, int] = {}
        lock = threading.Lock()

        def _start_clock() -> None:
            if started.get("pid") == os.getpid():
                return
            with lock:
                if started.get("pid") != os.getpid():
                    server.extensions["marvec_briefing"] = BriefingClock(settings, client, frame, read).start()
                    started["pid"] = os.getpid()

        server.before_request(_start_clock)


# -- marvec brief ---------------------------------------------------------------------
def run_brief(args: Any, settings: Settings) -> int:
    """``marvec brief``: make one briefing now from the live Redis picture."""
    from geodata import load_boundaries
    from layers.mapframe import build_frame
    from marvec import datameta
    from marvec.errors import ServiceError
    from marvec.store import read_snapshot

    if not settings.redis_url:
        raise SettingsError("MARVEC_REDIS_URL", "not set; expected redis://host:port/db")
    try:
        issued = date.fromisoformat(args.date) if args.date else datetime.now(WITA).date()
    except ValueError:
        raise SettingsError("--date", f"expected YYYY-MM-DD, got {args.date!r}") from None
    boundaries = load_boundaries(settings.boundaries, settings.boundaries_field)
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=10, socket_connect_timeout=5)
    try:
        datameta.check(client, boundaries)
        snapshot = read_snapshot(client, boundaries.names)
        made = make_briefing(settings, client, build_frame(boundaries.geojson()), snapshot, args.kind, issued,
                             notify=not args.no_notify)
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            store = BriefingStore(client, keep_days=settings.briefing_keep_days)
            for ext in made.stored.sizes:
                data = store.file(made.stored.id, ext)
                if data is not None:
                    (args.out / f"marvec-{made.stored.id}.{ext}").write_bytes(data)
    except redis.RedisError as exc:
        raise ServiceError(f"Redis at {settings.redis_url} did not answer ({exc})") from None
    finally:
        client.close()
    sizes = ", ".join(f"{ext} {_size(n)}" for ext, n in made.stored.sizes.items())
    print(f"briefing {made.stored.id} made ({sizes}); listed at /briefings for {settings.briefing_keep_days} days",
          file=sys.stderr)
    if made.why_not:
        print(f"marvec brief: no PDF or PNG: {made.why_not}", file=sys.stderr)
        return 1
    return 0
