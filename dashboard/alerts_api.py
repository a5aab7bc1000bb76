"""The alerts, the alert level and the war-room log over HTTP (contract 6), and the
alert loop of each dashboard worker.

``GET /api/v1/alerts``; ``POST /api/v1/alerts/{fingerprint}/ack`` (crisis, mayor, admin);
``GET``/``PUT /api/v1/level`` (``PUT``: crisis, admin, with a reason); ``GET``/``POST
/api/v1/log`` (``POST``: crisis, mayor, admin). Who acted is the logged-in user or the
display token's name. Writes take JSON only (a cross-site form cannot send it), and
every worker and host reads the same Redis, so an acknowledgement shows everywhere at
once. See docs/alerts.md.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import flask
import redis

from dashboard.auth import current_principal
from marvec.alerts.evaluate import KEEP_RESOLVED_S
from marvec.alerts.rules import load_rules
from marvec.alerts.service import AlertService
from marvec.alerts.store import LEVELS, AlertStore, alerts_view
from marvec.settings import Settings
from marvec.snapshot import Snapshot

__all__ = ["ACK_ROLES", "LEVEL_ROLES", "NOTE_ROLES", "install_alerts"]

ACK_ROLES = frozenset({"crisis", "mayor", "admin"})
LEVEL_ROLES = frozenset({"crisis", "admin"})
NOTE_ROLES = frozenset({"crisis", "mayor", "admin"})
MAX_TEXT = 1000


def _json_error(status: int, error: str, detail: str) -> flask.Response:
    response = flask.jsonify({"error": error, "detail": detail})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _ok(body: Any, status: int = 200) -> flask.Response:
    response = flask.jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


class AlertsApi:
    def __init__(self, settings: Settings, client: Callable[[], redis.Redis]) -> None:
        self.settings, self._client = settings, client
        self._store: AlertStore | None = None

    @property
    def store(self) -> AlertStore:
        if self._store is None:
            self._store = AlertStore(self._client())
        return self._store

    def _who(self, roles: frozenset[str]) -> tuple[str | None, flask.Response | None]:
        who = current_principal()
        if who is None:
            return None, _json_error(401, "unauthorized", "log in or send a display token")
        if who.role not in roles:
            return None, _json_error(403, "forbidden", f"role {who.role} may not do this; "
                                                       f"roles {', '.join(sorted(roles))} may")
        return who.name, None

    def _body(self) -> dict[str, Any] | flask.Response:
        if not flask.request.is_json:
            return _json_error(415, "unsupported_media_type", "send Content-Type: application/json")
        body = flask.request.get_json(silent=True)
        if not isinstance(body, dict):
            return _json_error(400, "invalid_json", "expected a JSON object")
        return body

    def list_alerts(self) -> flask.Response:
        try:
            items = alerts_view(self.store.states(), self.store.acks())
        except redis.RedisError:
            return _json_error(503, "redis_unavailable", "alerts cannot be read now; retry shortly")
        return _ok({"alerts": items, "firing": sum(1 for a in items if a["status"] == "firing"),
                    "resolved_kept_s": KEEP_RESOLVED_S})

    def ack(self, fingerprint: str) -> flask.Response:
        who, refused = self._who(ACK_ROLES)
        if refused is not None:
            return refused
        assert who is not None
        result = self.store.ack(fingerprint, who)
        if result == 0:
            return _json_error(404, "not_found", f"no alert {fingerprint}")
        if result == -1:
            return _json_error(409, "not_firing", f"alert {fingerprint} is not firing")
        ack = self.store.acks().get(fingerprint, {})
        return _ok({"fingerprint": fingerprint, "acknowledged_by": ack.get("by"),
                    "acknowledged_at": ack.get("at"), "already": result == 2})

    def get_level(self) -> flask.Response:
        try:
            return _ok(self.store.level())
        except redis.RedisError:
            return _json_error(503, "redis_unavailable", "the alert level cannot be read now")

    def put_level(self) -> flask.Response:
        who, refused = self._who(LEVEL_ROLES)
        if refused is not None:
            return refused
        body = self._body()
        if isinstance(body, flask.Response):
            return body
        level, reason = body.get("level"), body.get("reason")
        if level not in LEVELS:
            return _json_error(400, "invalid_level", f"level must be one of {', '.join(LEVELS)}")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_TEXT:
            return _json_error(400, "reason_required", f"say why in reason (1-{MAX_TEXT} characters)")
        assert who is not None
        return _ok(self.store.set_level(level, reason.strip(), who))

    def get_log(self) -> flask.Response:
        try:
            limit = max(1, min(1000, int(flask.request.args.get("limit", "200"))))
        except ValueError:
            return _json_error(400, "invalid_limit", "limit must be a whole number 1-1000")
        return _ok({"entries": self.store.log(limit)})

    def post_note(self) -> flask.Response:
        who, refused = self._who(NOTE_ROLES)
        if refused is not None:
            return refused
        body = self._body()
        if isinstance(body, flask.Response):
            return body
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return _json_error(400, "text_required", f"text must be 1-{MAX_TEXT} characters")
        assert who is not None
        return _ok(self.store.note(text.strip(), who), status=201)


class _WorkerLoop:
    """Starts this worker's ``AlertService`` on its first request (after gunicorn's fork:
    threads do not survive one) and once per process."""

    def __init__(self, settings: Settings, client: Callable[[], redis.Redis],
                 read: Callable[[], Snapshot | None]) -> None:
        self.settings, self.client, self.read = settings, client, read
        self.rules = load_rules(settings.alert_rules, settings.stale_after_seconds)  # bad: stop now
        self.pid: int | None = None
        self.service: AlertService | None = None
        self._lock = threading.Lock()

    def __call__(self) -> None:
        if self.pid == os.getpid():
            return
        with self._lock:
            if self.pid == os.getpid():
                return
            from dashboard import metrics

            self.service = AlertService(self.settings, self.client(), self.read, rules=self.rules,
                                        registry=metrics.REGISTRY).start()
            self.pid = os.getpid()


def install_alerts(server: flask.Flask, settings: Settings, client: Callable[[], redis.Redis],
                   read: Callable[[], Snapshot | None], *, evaluate: bool = True) -> AlertsApi:
    """Register the routes; with ``evaluate``, each worker joins the alert evaluation."""
    api = AlertsApi(settings, client)
    server.add_url_rule("/api/v1/alerts", "marvec_alerts", api.list_alerts, methods=["GET"])
    server.add_url_rule("/api/v1/alerts/<fingerprint>/ack", "marvec_alert_ack", api.ack, methods=["POST"])
    server.add_url_rule("/api/v1/level", "marvec_level", api.get_level, methods=["GET"])
    server.add_url_rule("/api/v1/level", "marvec_level_put", api.put_level, methods=["PUT"])
    server.add_url_rule("/api/v1/log", "marvec_log", api.get_log, methods=["GET"])
    server.add_url_rule("/api/v1/log", "marvec_log_post", api.post_note, methods=["POST"])
    if evaluate:
        loop = _WorkerLoop(settings, client, read)
        server.before_request(loop)
        server.extensions["marvec_alerts"] = loop
    return api
