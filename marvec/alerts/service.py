"""The alert loop every Marvec process runs (``marvec consume``, each dashboard worker).

Every ``alert_eval_seconds`` it takes or renews the lease (``AlertStore.hold_lease``);
the one holder reads the snapshot, evaluates the rules (``evaluate.step``), applies the
changes fenced by the lease, and delivers due notifications to each webhook URL, retried
with backoff, in a thread of its own so that a slow receiver delays neither evaluation
nor any screen. Why these processes: the consumers always run where data arrives, the
dashboards where people look; no extra process is needed (contract 6), and whichever
of them is alive holds the lease.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from prometheus_client import CollectorRegistry, Counter, Gauge

from marvec.alerts.evaluate import Names, step
from marvec.alerts.notify import backoff_s, post_json, webhook_body
from marvec.alerts.rules import Rule, load_rules
from marvec.alerts.store import AlertStore
from marvec.keys import Keys
from marvec.settings import Settings
from marvec.snapshot import Snapshot
from marvec.timeutil import iso

__all__ = ["AlertMetrics", "AlertService", "label_names"]

log = logging.getLogger("marvec.alerts")


class AlertMetrics:
    def __init__(self, registry: CollectorRegistry | None) -> None:
        kw: dict[str, Any] = {"registry": registry} if registry is not None else {}
        self.sent = Counter("marvec_alert_notifications_sent_total",
                            "Alert notifications a receiver accepted.", **kw)
        self.failed = Counter("marvec_alert_notifications_failed_total",
                              "Alert notification attempts that failed (each is retried).", **kw)
        self.pending = Gauge("marvec_alert_notifications_pending",
                             "Alert notifications not yet accepted (queued or being sent).",
                             multiprocess_mode="livemax", **kw)
        self.leader = Gauge("marvec_alert_evaluator_leader",
                            "1 while this process holds the evaluation lease.",
                            multiprocess_mode="livemax", **kw)
        self.firing = Gauge("marvec_alerts_firing", "Alerts firing, as the leader last counted.",
                            multiprocess_mode="livemax", **kw)


_METRICS: dict[int, AlertMetrics] = {}


def metrics_for(registry: CollectorRegistry | None) -> AlertMetrics:
    """One set of metrics per registry (a process may build several services in tests)."""
    key = id(registry)
    if key not in _METRICS:
        _METRICS[key] = AlertMetrics(registry)
    return _METRICS[key]


def label_names(lang: str, label: str, value: str) -> str:
    """Display names of hazards and commodities in summaries (the screens' own texts)."""
    if label not in ("hazard", "commodity"):
        return value
    from marvec.i18n import translate  # the one table of display names

    return translate(f"{label}.{value}", lang)


class AlertService:
    """Evaluate and notify while this process holds the lease; ``start``/``stop`` the threads."""

    def __init__(self, settings: Settings, client: redis.Redis, read: Callable[[], Snapshot | None],
                 *, rules: list[Rule] | None = None, keys: Keys | None = None,
                 registry: CollectorRegistry | None = None, names: Names = label_names,
                 send: Callable[[str, dict[str, Any]], None] = post_json,
                 backoff_base_s: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        self.settings, self.read, self.names, self.send, self.clock = settings, read, names, send, clock
        self.rules = rules if rules is not None else load_rules(settings.alert_rules,
                                                                settings.stale_after_seconds)
        self.store = AlertStore(client, keys)
        self.metrics = metrics_for(registry)
        self.backoff_base_s = backoff_base_s
        self.leader = False
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._wake = threading.Event()
        self._warned = 0.0

    # -- one round -------------------------------------------------------------------
    def tick(self) -> bool:
        """One evaluation round; True when this process led it."""
        self.leader = self.store.hold_lease()
        self.metrics.leader.set(1 if self.leader else 0)
        if not self.leader:
            return False
        snap = self.read()
        if snap is None:  # no picture (Redis unreachable, a rebuild): no change either way
            return True
        now = self.clock()
        states = self.store.states()
        result = step(states, self.rules, snap, now, self.names)
        if not result.changes:
            return True
        clear = [fp for fp, st in result.changes.items()
                 if st is None or (st["status"] in ("pending", "firing") and
                                   (states.get(fp) or {}).get("status") in (None, "resolved"))]
        outbox = [{"id": f"{t['fp']}:{t['status']}:{t['starts_at']}", "url": url,
                   "body": webhook_body(t, self.settings.public_url), "attempts": 0}
                  for t in result.transitions for url in self.settings.webhook_urls]
        entries = [{"at": iso(now), "kind": f"alert_{t['status']}", "by": "marvec", "fp": t["fp"],
                    "severity": t["severity"], "text": t["summary"], "text_en": t["summary_en"]}
                   for t in result.transitions]
        if not self.store.apply(result.changes, clear, outbox, entries, now):
            self.leader = False  # the lease passed to another process mid-round: it redoes it
            return False
        for t in result.transitions:
            log.info("alert %s %s: %s", t["status"], t["rule"], t["summary_en"])
        self.metrics.firing.set(sum(1 for st in {**states, **result.changes}.values()
                                    if st is not None and st["status"] == "firing"))
        if outbox:
            self._wake.set()
        return True

    def deliver(self) -> int:
        """Send what is due (leader only); returns how many a receiver accepted."""
        if not self.leader:
            return 0
        done = 0
        now = self.clock()
        for member, note in self.store.claim(now):
            try:
                self.send(note["url"], note["body"])
            except OSError as exc:
                attempts = int(note.get("attempts", 0))
                delay = backoff_s(attempts, self.backoff_base_s)
                self.metrics.failed.inc()
                self.store.retry(member, note, now + delay)
                if now - self._warned > 60:
                    self._warned = now
                    log.warning("alert notification to %s failed (%s); retrying in %.0f s",
                                note["url"], exc, delay)
            else:
                self.store.sent(member)
                self.metrics.sent.inc()
                done += 1
        self.metrics.pending.set(self.store.pending())
        return done

    # -- threads ---------------------------------------------------------------------
    def start(self) -> AlertService:
        for name, target in (("marvec-alerts", self._evaluate_loop), ("marvec-alerts-send", self._send_loop)):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)
        if self.leader:
            with contextlib.suppress(redis.RedisError):
                self.store.release_lease()

    def _evaluate_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except redis.RedisError as exc:
                self.leader = False
                if self.clock() - self._warned > 60:
                    self._warned = self.clock()
                    log.warning("alerts: Redis unavailable (%s); evaluation paused", exc)
            except Exception:  # a bug must not end alerting for the process's life
                log.exception("alerts: evaluation failed")
            self._stop.wait(self.settings.alert_eval_seconds)

    def _send_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver()
            except redis.RedisError:
                pass
            except Exception:
                log.exception("alerts: delivery failed")
            self._wake.wait(min(1.0, self.settings.alert_eval_seconds))
            self._wake.clear()
