"""The HTTP shell around the screens: health, the snapshot API, metrics, headers, access.

``install_server`` is called once by ``dashboard.app.create_app`` on the Dash app's
Flask server. It adds ``GET /healthz``, ``GET /api/v1/snapshot``, ``GET /api/v1/period``, ``GET /metrics``,
the screens' push stream ``GET /_marvec/push`` (``dashboard.push``), the login routes and access guard (``dashboard.auth``), request metrics, and the
security headers on every response. See docs/api.md and docs/security.md.
"""

from __future__ import annotations

import threading
import time
from html import escape
from typing import Any

import flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import metrics
from dashboard.auth import CallbackPages, current_principal, install_auth
from dashboard.push import install_push
from dashboard.security import build_csp, install_headers, install_log_redaction
from dashboard.source import SnapshotResult, SnapshotSource
from marvec.contract import FEEDS, SLOW_FEED_STALE_SECONDS
from marvec.i18n import translate
from marvec.period import MAX_DAYS
from marvec.settings import Settings
from marvec.snapshot import Snapshot
from marvec.timeutil import iso, parse_iso
from marvec.writable import WriteProbe
from streams.clock import clock_health

STALE_HEADER = "X-Marvec-Stale"


def install_server(
    server: flask.Flask, settings: Settings, source: SnapshotSource, dash_app: Any = None,
    callback_pages: CallbackPages | None = None,
) -> None:
    """Register the routes and hooks on ``server``.

    ``dash_app`` (the ``dash.Dash`` owning ``server``) lets the CSP allow exactly its
    inline scripts by hash; when omitted it is found through ``server``'s Dash views.
    ``callback_pages`` places each of its callbacks on a page, whose roles the callback
    then needs (``dashboard.auth.CallbackPages``; ``None``: every role may call them).
    Raises ``SettingsError`` (one line) when MARVEC_AUTH=required lacks a usable
    MARVEC_SECRET_KEY or MARVEC_USERS_FILE is unreadable.
    """
    _trust_proxies(server, settings)
    _install_request_metrics(server)
    # Sessions, revocations and login limits live in the source's Redis, shared by every
    # worker and host (a test stand-in without one: nobody can log in).
    client = getattr(source, "client", None)
    install_auth(server, settings, client if callable(client) else None, callback_pages)
    install_headers(server, _CspFor(server, settings, dash_app))
    install_log_redaction()
    _install_not_found(server, settings.lang)
    _install_body_limits(server)
    views = _Views(settings, source)
    server.add_url_rule("/healthz", "marvec_healthz", views.healthz, methods=["GET"])
    server.add_url_rule("/api/v1/snapshot", "marvec_snapshot", views.snapshot, methods=["GET"])
    server.add_url_rule("/api/v1/period", "marvec_period", views.period, methods=["GET"])
    server.add_url_rule("/metrics", "marvec_metrics", views.metrics, methods=["GET"])
    install_push(server, source, settings.refresh_ms / 1000)


class _Views:
    def __init__(self, settings: Settings, source: SnapshotSource) -> None:
        self.settings = settings
        self.source = source
        self._last_json: dict[bool, tuple[SnapshotResult, str]] = {}
        client = getattr(source, "client", None)
        self._writes = WriteProbe(client) if callable(client) else None

    def healthz(self) -> flask.Response:
        result = self.source.get()
        refused = self._writes.check() if self._writes is not None and result.ok else None
        body = health_body(result, self.settings.stale_after_seconds, time.time(), refused)
        response = flask.jsonify(body)
        response.status_code = 200 if result.ok else 503
        response.headers["Cache-Control"] = "no-store"
        return response

    def snapshot(self) -> flask.Response:
        result = self.source.get()
        if result.snapshot is None:
            response = flask.jsonify({
                "error": "no_snapshot",
                "detail": "Redis is unreachable and no snapshot has been read since this server "
                          "started; retry shortly and check /healthz",
                "redis_ok": False,
            })
            response.status_code = 503
            response.headers["Retry-After"] = "5"
        else:
            who = current_principal()
            with_text = who is None or who.role in TEXT_ROLES
            response = flask.Response(self._json(result, with_text), mimetype="application/json")
            if not result.ok or result.stale:
                response.headers[STALE_HEADER] = "1"
        response.headers["Cache-Control"] = "no-store"
        return response

    def period(self) -> flask.Response:
        """``GET /api/v1/period?days=N`` (1..30, default 7): the last N WITA days' sums
        (``marvec.period.Period``; ``null`` where unknown). The access guard treats it as
        it treats ``/api/v1/snapshot``: every role may read it."""
        text = flask.request.args.get("days", "7")
        days = int(text) if text.isdigit() else 0
        if not 1 <= days <= MAX_DAYS:
            response = flask.jsonify({"error": "bad_days",
                                      "detail": f"days must be a whole number from 1 to {MAX_DAYS}, got {text[:20]!r}"})
            response.status_code = 400
        else:
            get = getattr(self.source, "period", None)
            period = get(days) if get is not None else None
            if period is None:
                response = flask.jsonify({"error": "no_period",
                                          "detail": "Redis is unreachable and no period has been read since this "
                                                    "server started; retry shortly and check /healthz"})
                response.status_code = 503
                response.headers["Retry-After"] = "5"
            else:
                response = flask.Response(period.model_dump_json(), mimetype="application/json")
        response.headers["Cache-Control"] = "no-store"
        return response

    def _json(self, result: SnapshotResult, with_text: bool) -> str:
        """The snapshot's JSON (with or without citizen text), serialised once per read and
        kind however many pollers ask."""
        cached = self._last_json.get(with_text)
        if cached is not None and cached[0] is result:
            return cached[1]
        assert result.snapshot is not None
        body = dump_snapshot(result.snapshot if with_text else without_complaint_text(result.snapshot))
        self._last_json[with_text] = (result, body)
        return body

    def metrics(self) -> flask.Response:
        last_good = getattr(self.source, "last_good_at", None)  # test stand-ins may lack it
        metrics.SNAPSHOT_AGE.set(-1 if last_good is None else max(0.0, time.time() - last_good))
        data, content_type = metrics.render()
        return flask.Response(data, content_type=content_type, headers={"Cache-Control": "no-store"})


def dump_snapshot(snapshot: Snapshot) -> str:
    """``GET /api/v1/snapshot``'s body."""
    return snapshot.model_dump_json()


TEXT_ROLES = frozenset({"crisis", "mayor", "admin"})
"""Roles whose ``/api/v1/snapshot`` carries the latest complaints' citizen text
(``complaints.latest[].text``): those of the screens that show it (crisis, mayor). The
wall's carries none but the ticker's shortened quotes, which the wall itself shows."""


def without_complaint_text(snapshot: Snapshot) -> Snapshot:
    """``snapshot`` with every ``complaints.latest[].text`` set to ``null``."""
    latest = [c.model_copy(update={"text": None}) for c in snapshot.complaints.latest]
    return snapshot.model_copy(update={"complaints": snapshot.complaints.model_copy(update={"latest": latest})})


def health_body(result: SnapshotResult, stale_after_s: float, now: float,
                refused: str | None = None) -> dict[str, Any]:
    """The ``/healthz`` JSON: Redis reachability, whether it takes writes (``refused``
    names why not), and each feed's freshness at ``now``."""
    snap = result.snapshot
    bad_keys = [{"key": k, "error": e} for k, e in getattr(result, "bad_keys", ())]
    clock = clock_health(getattr(result, "clocks", None) or {}, now)
    feeds = {name: feed_health(snap, name, SLOW_FEED_STALE_SECONDS.get(name, stale_after_s), now,
                               slow=name in SLOW_FEED_STALE_SECONDS and result.ok)
             for name in _feed_names(snap)}
    if not result.ok:
        status = "redis_down"
    elif refused is not None:
        status = "writes_refused"
    elif any(f["stale"] for f in feeds.values()):
        status = "stale"
    elif bad_keys:
        status = "bad_keys"
    elif clock["behind"]:
        status = "clock_skew"
    else:
        status = "ok"
    return {
        "status": status,
        "redis_ok": result.ok,
        "checked_at": iso(result.fetched_at),
        # True: the latest read did not finish in time and this answer is older than two
        # refresh periods (checked_at says how old).
        "answer_stale": bool(getattr(result, "stale", False)),
        "error": None if result.ok else "redis unreachable",
        "writes_ok": None if not result.ok else refused is None,
        "writes_refused": refused,
        # Keys under the prefix the read could not read (wrong type): served as empty.
        "bad_keys": bad_keys,
        # Each consumer's clock against the broker's (a slow clock refuses live events).
        "clock": clock,
        "snapshot_generated_at": snap.generated_at if snap else None,
        "stale_after_s": stale_after_s,
        "feeds": feeds,
    }


def feed_health(snap: Snapshot | None, feed: str, stale_after_s: float, now: float,
                slow: bool = False) -> dict[str, Any]:
    """One feed's freshness: silent for longer than ``stale_after_s`` (or never heard) is
    stale; a ``slow`` feed (a few events a day) never heard is not stale, only silent."""
    stats = snap.feeds.get(feed) if snap else None
    last_event = stats.last_event_at if stats else None
    last_applied = stats.last_applied_at if stats else None
    silent: float | None = None
    applied_ts = parse_iso(last_applied)
    if applied_ts is not None:
        silent = round(max(0.0, now - applied_ts), 1)
    elif stats is not None and stats.silent_for_s is not None and snap is not None:
        generated = parse_iso(snap.generated_at) or now
        silent = round(stats.silent_for_s + max(0.0, now - generated), 1)
    return {
        "last_event_at": last_event,
        "last_applied_at": last_applied,
        "silent_for_s": silent,
        "stale": (not slow) if silent is None else silent > stale_after_s,
        "stale_after_s": stale_after_s,
    }


def _feed_names(snap: Snapshot | None) -> list[str]:
    names = list(FEEDS)
    if snap is not None:
        names += [name for name in snap.feeds if name not in names]
    return names


BODY_LIMITS = (("/login", 16 * 1024), ("/api/v1/events/", 1024 * 1024),
               ("/_dash-update-component", 2 * 1024 * 1024))
"""Largest request body per path prefix (bytes); every other path: ``BODY_LIMIT``. The
intake API's 1 MiB is contract 5's."""
BODY_LIMIT = 64 * 1024


def body_limit(path: str) -> int:
    """The largest body a request to ``path`` may send."""
    for prefix, limit in BODY_LIMITS:
        if path.startswith(prefix):
            return limit
    return BODY_LIMIT


def _install_body_limits(server: flask.Flask) -> None:
    """413 for a body over its path's limit, before anything reads it: a declared length
    is refused at once, a chunked body is cut where it passes the limit (werkzeug)."""

    def _limit() -> flask.Response | None:
        limit = body_limit(flask.request.path)
        flask.request.max_content_length = limit
        length = flask.request.content_length
        if length is not None and length > limit:
            response = flask.jsonify({"error": "too_large",
                                      "detail": f"body of {length} bytes; the limit here is {limit}"})
            response.status_code = 413
            response.headers["Connection"] = "close"  # the rest of the body is never read
            return response
        return None

    server.before_request_funcs.setdefault(None, []).insert(0, _limit)  # before any reader


SCREENS = frozenset({"", "wall", "mayor", "rapor", "crisis", "admin"})
"""First path segments the Dash index answers (a screen and its details, e.g. ``/wall/detail``);
any other path is 404 (contract 3, v2)."""
ROBOTS = "User-agent: *\nDisallow: /\n"


def not_found_page(lang: str) -> str:
    """The 404 page for an unknown screen path: plain HTML in both languages (``lang``
    first), a link home, no script, nothing from the request echoed."""
    other = "en" if lang == "id" else "id"
    body = "".join(
        f'<section lang="{code}"><h1>{escape(translate("notfound.title", code))}</h1>'
        f'<p>{escape(translate("notfound.body", code))} '
        f'<a href="/">{escape(translate("notfound.link", code))}</a></p></section>'
        for code in (lang, other))
    title = escape(translate("notfound.title", lang))
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>404 · {title} · Marvec</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            f"<body>{body}</body></html>\n")


def _install_not_found(server: flask.Flask, lang: str = "id") -> None:
    """Unknown paths answer 404 (JSON under ``/api/``, a small HTML page elsewhere) instead
    of Dash's catch-all index page with 200; ``/robots.txt`` keeps every crawler out of a
    city's war room."""

    from dash.exceptions import DependencyException

    page = not_found_page(lang)

    # Dash raises it for an unknown /_dash-component-suites/ file: a 500 and a traceback
    # in the log for a mistyped or probed URL. It is a 404, quietly.
    @server.errorhandler(DependencyException)
    def _unknown_suite(_exc: Exception) -> flask.Response:
        return flask.Response("Not found\n", status=404, mimetype="text/plain")

    @server.before_request
    def _not_found() -> flask.Response | None:
        path = flask.request.path
        if path == "/robots.txt":
            return flask.Response(ROBOTS, mimetype="text/plain")
        rule = flask.request.url_rule
        if path.startswith("/api/") and (rule is None or rule.rule.endswith("<path:path>")):
            response = flask.jsonify({"error": "not_found", "detail": f"no API path {path}"})
            response.status_code = 404
            return response
        screen = path.strip("/").split("/", 1)[0]
        if (rule is None or rule.rule.endswith("<path:path>")) and screen not in SCREENS:
            return flask.Response(page, status=404, mimetype="text/html")
        return None


def _trust_proxies(server: flask.Flask, settings: Settings) -> None:
    """Behind ``trusted_proxies`` reverse proxies, take the client address and scheme from them.

    Without it every login behind a proxy would share the proxy's address (one rate
    limit for everyone) and HTTPS would look like HTTP. ``trusted_proxies`` is read
    only if ``Settings`` has it (proposed ``MARVEC_TRUSTED_PROXIES``, default 0).
    """
    hops = int(getattr(settings, "trusted_proxies", 0) or 0)
    if hops > 0:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _install_request_metrics(server: flask.Flask) -> None:
    """Count and time every request by its URL rule (bounded labels, never the raw path)."""

    @server.before_request
    def _start_timer() -> None:
        flask.g.marvec_started = time.perf_counter()

    @server.after_request
    def _observe(response: flask.Response) -> flask.Response:
        started = flask.g.get("marvec_started")
        rule = flask.request.url_rule
        endpoint = rule.rule if rule is not None else "<unmatched>"
        method = flask.request.method if flask.request.method in _METHODS else "OTHER"
        metrics.HTTP_REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
        if started is not None:
            metrics.HTTP_LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response


_METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})


class _CspFor:
    """The CSP for a response: Dash's inline scripts allowed by hash, re-hashed for each page.

    Dash adds clientside-callback scripts lazily, so hashes are taken from the app when an
    HTML page is served (a few SHA-256 of short strings), not once at start.
    """

    def __init__(self, server: flask.Flask, settings: Settings, dash_app: Any) -> None:
        self._server = server
        self._tiles = settings.tiles_url
        self._dash_app = dash_app
        self._lock = threading.Lock()
        self._current = build_csp((), self._tiles)

    def __call__(self, response: flask.Response) -> str:
        if response.mimetype == "text/html":
            if self._dash_app is None:
                self._dash_app = _find_dash_app(self._server)
            if self._dash_app is not None:
                with self._lock:
                    self._current = build_csp(self._dash_app.csp_hashes(), self._tiles)
        return self._current


def _find_dash_app(server: flask.Flask) -> Any:
    """The ``dash.Dash`` serving on ``server`` (when ``install_server`` was not told).

    ``dash.get_app()`` may name another app (it is process-global and context-bound),
    so the app is recognised by its own index view, a closure over the Dash app.
    """
    try:
        import dash
    except ImportError:
        return None
    for view in server.view_functions.values():
        for cell in getattr(view, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if isinstance(value, dash.Dash) and value.server is server:
                return value
    return None
