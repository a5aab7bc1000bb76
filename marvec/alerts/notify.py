"""Notifications in the Prometheus Alertmanager webhook format (contract 6), and sending them.

``webhook_body(state, public_url)`` is pure: one alert's firing or resolved message, the
body Alertmanager itself POSTs to a webhook receiver (``"version": "4"``), so that any
receiver or bridge (to Telegram, Slack, e-mail, a pager) takes it. ``post_json`` sends
one with a timeout; the retries and their backoff live in ``marvec.alerts.service``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import orjson

__all__ = ["NEVER", "backoff_s", "post_json", "webhook_body"]

NEVER = "0001-01-01T00:00:00Z"
"""Alertmanager's ``endsAt`` of an alert still firing."""


def webhook_body(state: dict[str, Any], public_url: str = "") -> dict[str, Any]:
    status = "resolved" if state["status"] == "resolved" else "firing"
    labels = {"alertname": state["rule"], "severity": state["severity"], **state["labels"]}
    annotations = {"summary": state["summary"], "summary_en": state["summary_en"],
                   "value": str(state.get("value"))}
    base = public_url.rstrip("/")
    alert = {"status": status, "labels": labels, "annotations": annotations,
             "startsAt": state["starts_at"], "endsAt": state["ends_at"] if status == "resolved" else NEVER,
             "generatorURL": f"{base}/crisis" if base else "", "fingerprint": state["fp"]}
    return {"version": "4", "groupKey": f"marvec/{state['rule']}/{state['fp']}", "truncatedAlerts": 0,
            "status": status, "receiver": "marvec", "groupLabels": {"alertname": state["rule"]},
            "commonLabels": labels, "commonAnnotations": annotations, "externalURL": base,
            "alerts": [alert]}


def backoff_s(attempts: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds before the next try after ``attempts`` failures: 1, 2, 4, ... up to ``cap``."""
    return min(cap, base * 2 ** max(0, attempts))


def post_json(url: str, body: dict[str, Any], timeout: float = 5.0) -> None:
    """POST ``body``; raises ``OSError`` (with the reason) unless the answer is 2xx."""
    request = urllib.request.Request(url, data=orjson.dumps(body), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "marvec-alerts"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        raise OSError(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise OSError(f"{url}: {getattr(exc, 'reason', exc)}") from None
