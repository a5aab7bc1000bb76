"""Rule evaluation as pure functions: snapshot values in, alert state changes out.

``values(snapshot, measure)`` reads one measure's values with their labels;
``step(states, rules, snapshot, now)`` moves every alert through
``pending`` (breached, waiting out its ``for``) -> ``firing`` -> ``resolved`` and returns
the changed states and the transitions to notify. No I/O: ``marvec.alerts.store``
applies the result atomically in Redis, fenced by the evaluation lease.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from marvec.alerts.rules import Rule
from marvec.contract import LIVE_FEEDS
from marvec.snapshot import Snapshot
from marvec.timeutil import iso, parse_iso

__all__ = ["KEEP_RESOLVED_S", "Step", "fingerprint", "step", "summary", "values"]

KEEP_RESOLVED_S = 24 * 3600
"""Resolved alerts stay listed (``GET /api/v1/alerts``) this long."""

Names = Callable[[str, str, str], str]
"""``(lang, label, value) -> display text`` for label values in summaries."""


def _plain(_lang: str, _label: str, value: str) -> str:
    return value


def values(snap: Snapshot, measure: str, now: float) -> Iterable[tuple[dict[str, str], float]]:
    """``(labels, value)`` of ``measure`` in ``snap`` at ``now``; an unknown value is left
    out (no price yesterday is no change, not a 0% change)."""
    c, d, e = snap.complaints, snap.disasters, snap.economy
    if measure.startswith("incident."):
        field = measure.removeprefix("incident.")
        for i in d.incidents:
            v = getattr(i, field)
            if v is not None:
                yield {"incident_id": i.incident_id, "hazard": i.hazard,
                       "kecamatan": i.kecamatan or "-"}, float(v)
    elif measure == "disasters.displaced":
        yield {}, float(d.displaced)
    elif measure == "disasters.affected_people":
        yield {}, float(d.affected_people)
    elif measure == "feed.silent_s":
        generated = parse_iso(snap.generated_at) or now
        for feed in LIVE_FEEDS:
            stats = snap.feeds.get(feed)
            if stats is not None and stats.silent_for_s is not None:  # never heard: unknown
                yield {"feed": feed}, round(stats.silent_for_s + max(0.0, now - generated))
    elif measure == "complaints.overdue":
        yield {}, float(c.overdue)
    elif measure == "complaints.open":
        yield {}, float(c.open)
    elif measure == "complaints.overdue_by_opd":
        for opd, s in c.by_opd.items():
            yield {"opd": opd}, float(s.overdue)
    elif measure == "complaints.open_by_kecamatan":
        for k, n in c.by_kecamatan.items():
            yield {"kecamatan": k}, float(n)
    elif measure == "complaints.open_by_category":
        for k, n in c.by_category.items():
            yield {"category": k}, float(n)
    elif measure in ("price.change_1d_pct", "price.change_7d_pct"):
        field = measure.removeprefix("price.")
        for commodity, p in e.prices.items():
            v = getattr(p, field)
            if v is not None:
                yield {"commodity": commodity}, float(v)
    else:  # pragma: no cover - rules are checked against MEASURES at load
        raise ValueError(f"unknown measure {measure!r}")


def fingerprint(rule: str, labels: dict[str, str]) -> str:
    """Stable id of one alert: its rule and labels (Alertmanager's ``fingerprint``)."""
    text = rule + "\x00" + "\x00".join(f"{k}={labels[k]}" for k in sorted(labels))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def summary(template: str, labels: dict[str, str], value: float, lang: str, names: Names = _plain) -> str:
    shown = {k: names(lang, k, v) for k, v in labels.items()}
    return template.format(value=_fmt(value), **shown)


@dataclass
class Step:
    changes: dict[str, dict[str, Any] | None]
    """Fingerprint -> its new state (None: forget it)."""
    transitions: list[dict[str, Any]]
    """States that just fired or resolved, in order: these are notified and logged."""


def step(states: dict[str, dict[str, Any]], rules: list[Rule], snap: Snapshot, now: float,
         names: Names = _plain) -> Step:
    """One evaluation round over ``snap`` from the stored ``states``."""
    changes: dict[str, dict[str, Any] | None] = {}
    transitions: list[dict[str, Any]] = []
    breached: set[str] = set()
    for rule in rules:
        for labels, value in values(snap, rule.measure, now):
            if not rule.matches(labels) or not rule.breached(value, labels):
                continue
            fp = fingerprint(rule.name, labels)
            breached.add(fp)
            old = states.get(fp)
            new: dict[str, Any]
            if old is None or old["status"] == "resolved":
                new = {"fp": fp, "rule": rule.name, "severity": rule.severity, "labels": labels,
                       "status": "pending", "pending_since": now, "starts_at": None, "ends_at": None}
            else:
                new = dict(old)
            new["value"] = value
            new["summary"] = summary(rule.summary_id, labels, value, "id", names)
            new["summary_en"] = summary(rule.summary_en, labels, value, "en", names)
            if new["status"] == "pending" and now - new["pending_since"] >= rule.for_s:
                new["status"], new["starts_at"] = "firing", iso(now)
                transitions.append(new)
            if new != old:
                changes[fp] = new
    for fp, old in states.items():
        if fp in breached:
            continue
        if old["status"] == "pending":
            changes[fp] = None
        elif old["status"] == "firing":
            new = {**old, "status": "resolved", "ends_at": iso(now)}
            changes[fp] = new
            transitions.append(new)
        elif old["status"] == "resolved" and now - (parse_iso(old.get("ends_at")) or now) > KEEP_RESOLVED_S:
            changes[fp] = None
    return Step(changes, transitions)
