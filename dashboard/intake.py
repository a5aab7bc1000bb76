"""``POST /api/v1/events/{feed}``: the intake API (contract 5).

Systems that hold events of their own (the Anrong app, the 112 call centre, an OPD's
system) post them here instead of writing a Kafka producer. Whatever ``MARVEC_AUTH``
says, a request needs ``Authorization: Bearer <key>`` with a key of ``marvec apikey``
(``marvec.apikeys``) that may post to the feed: no key or an unknown/revoked one is
401, another feed's key 403. The key is looked up in Redis on every request, so a
revoked key stops at once on every worker and host.

The body is one JSON event or an array of at most ``MAX_EVENTS``; the 1 MiB limit is
``dashboard.server.BODY_LIMITS``'s. Each event is checked with the consumers' own
rules (``streams.decode.validate``); the valid ones are produced to the feed's topic,
keyed by entity, through the shared producer, and their delivery is confirmed before
the 202 answer. A body that is not JSON is 400, one too long 413, and then nothing is
produced. A broker that does not confirm is 503: some events may have reached it, and
posting the same body again is safe (events are de-duplicated by ``event_id``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import flask
import orjson
import redis
from prometheus_client import Counter
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard import metrics
from marvec.apikeys import INTAKE_FEEDS, ApiKey, ApiKeys
from marvec.settings import Settings
from streams.decode import Locator, validate
from streams.sources.producer import entity_key

__all__ = ["INTAKE_PATH", "MAX_EVENTS", "install_intake"]

log = logging.getLogger("marvec.intake")

INTAKE_PATH = "/api/v1/events/"
MAX_EVENTS = 1000

EVENTS = Counter("marvec_dashboard_intake_events_total",
                 "Events posted to the intake API, by feed and verdict (queued, rejected).",
                 ["feed", "status"], registry=metrics.REGISTRY)
REFUSED = Counter("marvec_dashboard_intake_refused_total",
                  "Intake requests refused whole, by reason (no_key, bad_key, wrong_feed, "
                  "invalid_json, too_large, too_many, kafka_unavailable).",
                  ["reason"], registry=metrics.REGISTRY)


def _error(status: int, error: str, detail: str, **headers: str) -> flask.Response:
    REFUSED.labels(error).inc()
    response = flask.jsonify({"error": error, "detail": detail})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers)
    return response


class Intake:
    """The view; one per Flask server. The producer is made on first use in each worker
    process (after gunicorn's fork: a Kafka client's threads do not survive one)."""

    def __init__(self, settings: Settings, locator: Locator, client: Callable[[], redis.Redis],
                 producer_factory: Callable[[], Any] | None = None) -> None:
        self.settings, self.locator, self.client = settings, locator, client
        self._factory = producer_factory or self._default_producer
        self._producer: Any = None
        self._lock = threading.Lock()

    def _default_producer(self) -> Any:
        from streams.sources.producer import FeedProducer

        return FeedProducer(self.settings, linger_ms=2)

    def producer(self) -> Any:
        with self._lock:
            if self._producer is None:
                self._producer = self._factory()
            return self._producer

    def close(self) -> None:
        """Close this process's producer (every answer already waited for its delivery)."""
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            producer.close()

    def key(self) -> ApiKey | str | None:
        """The caller's live key; ``"none"`` when no Bearer key was sent."""
        header = flask.request.headers.get("Authorization", "")
        if header[:7].lower() != "bearer " or not header[7:].strip():
            return "none"
        return ApiKeys(self.client()).lookup(header[7:].strip())

    def post(self, feed: str) -> flask.Response:
        if feed not in INTAKE_FEEDS:
            return _error(404, "not_found", f"no feed {feed!r}; post to one of {', '.join(INTAKE_FEEDS)}")
        try:
            key = self.key()
        except redis.RedisError as exc:
            log.warning("intake: API keys unreadable: %s", exc)
            return _error(503, "redis_unavailable", "API keys cannot be checked now; retry shortly",
                          **{"Retry-After": "5"})
        www = {"WWW-Authenticate": 'Bearer realm="marvec-intake"'}
        if key == "none":
            return _error(401, "no_key", "send Authorization: Bearer <key> (marvec apikey add)", **www)
        if not isinstance(key, ApiKey):
            return _error(401, "bad_key", "unknown or revoked API key", **www)
        if feed not in key.feeds:
            return _error(403, "wrong_feed", f"key {key.name!r} may post to {', '.join(key.feeds)}, not {feed}")
        try:
            body = flask.request.get_data(cache=False)
        except RequestEntityTooLarge:
            return _error(413, "too_large", "the body is over 1 MiB", Connection="close")
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            return _error(400, "invalid_json", f"the body is not JSON: {str(exc)[:80]}")
        events = parsed if isinstance(parsed, list) else [parsed]
        if not isinstance(parsed, list | dict):
            return _error(400, "invalid_json", "expected a JSON object or an array of them")
        if not events:
            return _error(400, "invalid_json", "an empty array: nothing to queue")
        if len(events) > MAX_EVENTS:
            return _error(413, "too_many", f"{len(events)} events; at most {MAX_EVENTS} in one request")
        return self._queue(feed, events)

    def _queue(self, feed: str, events: list[Any]) -> flask.Response:
        values = [orjson.dumps(e) for e in events]
        verdicts = validate(feed, values, time.time(), self.locator)
        results: list[dict[str, Any]] = []
        queued: list[tuple[bytes, str | None]] = []
        for i, (event, value, v) in enumerate(zip(events, values, verdicts, strict=True)):
            event_id = event.get("event_id") if isinstance(event, dict) else None
            results.append({"index": i, "event_id": event_id if isinstance(event_id, str) else None,
                            "status": "queued" if v.reason is None else "rejected",
                            "reason": v.reason, "detail": v.detail})
            if v.reason is None:
                queued.append((value, entity_key(feed, event)))
        if queued and not self.settings.kafka_bootstrap:
            return _error(503, "kafka_unavailable", "this dashboard has no MARVEC_KAFKA_BOOTSTRAP: "
                          "it cannot queue events")
        if queued:
            try:
                producer = self.producer()
                for value, k in queued:
                    producer.send(feed, value, k)
                producer.flush(timeout=10.0)
            except Exception as exc:  # a refused delivery, a broker gone, a timeout: all a 503
                log.warning("intake: %d %s events not confirmed by the broker: %s", len(queued), feed, exc)
                return _error(503, "kafka_unavailable",
                              "the broker did not confirm the events; some may have arrived: post the "
                              "same body again (duplicates are ignored by event_id)", **{"Retry-After": "5"})
        accepted = len(queued)
        EVENTS.labels(feed, "queued").inc(accepted)
        EVENTS.labels(feed, "rejected").inc(len(events) - accepted)
        response = flask.jsonify({"accepted": accepted, "rejected": len(events) - accepted, "results": results})
        response.status_code = 202
        response.headers["Cache-Control"] = "no-store"
        return response


def install_intake(server: flask.Flask, settings: Settings, locator: Locator,
                   client: Callable[[], redis.Redis], producer_factory: Callable[[], Any] | None = None) -> Intake:
    """Register ``POST /api/v1/events/<feed>`` on ``server``."""
    intake = Intake(settings, locator, client, producer_factory)
    server.add_url_rule(INTAKE_PATH + "<feed>", "marvec_intake", intake.post, methods=["POST"])
    return intake
