"""The war room's own state on the screens (contract 6): the city's alert level, the
firing alerts and the war-room log (pure; text only, never raw HTML).

Every screen shows the level (``level_badge``; large on the wall). The wall carries a
strip of the firing alerts (``alert_strip``: new ones stand out, acknowledged ones say
by whom); ``/crisis`` and ``/mayor`` list them with an acknowledge button
(``alert_list``), ``/crisis`` also shows the log (``log_list``).
"""

from __future__ import annotations

from dash import html

from layers.dom import tagged
from layers.fmt import Translate, fmt_age, fmt_clock, parse_time
from marvec.snapshot import AlertItem, Ops, Snapshot

LEVELS = ("normal", "waspada", "siaga", "awas")
CRISIS_LEVELS = frozenset({"siaga", "awas"})
"""Levels that put the wall into crisis focus until lowered (contract 6)."""
NEW_FOR_S = 120.0
"""An alert that started less than this long ago stands out on the wall."""
STRIP_N = 2
"""Alerts on the wall's strip at most (most severe, then newest), each readable in full
from metres away; "+K lainnya" after."""
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def ops_of(snapshot: Snapshot | None) -> Ops:
    return snapshot.ops if snapshot is not None else Ops()


def crisis_level(snapshot: Snapshot | None) -> bool:
    """Whether the declared level is ``siaga`` or ``awas`` (the wall holds crisis focus)."""
    return ops_of(snapshot).level in CRISIS_LEVELS


def summary_of(alert: AlertItem, lang: str) -> str:
    return (alert.summary_en if lang == "en" else alert.summary) or alert.summary or alert.rule


def level_badge(snapshot: Snapshot | None, tr: Translate, lang: str, large: bool = False) -> html.Div:
    """``SIAGA · Air Sungai Tallo naik · sejak 14:05``; ``NORMAL`` alone when normal."""
    ops = ops_of(snapshot)
    level = ops.level if ops.level in LEVELS else "normal"
    parts: list[html.Span] = [html.Span(tr("level." + level).upper(), className="level-name")]
    if level != "normal":
        if ops.level_reason:
            parts.append(html.Span(ops.level_reason, className="level-reason"))
        if ops.level_set_at:
            parts.append(html.Span(tr("level.since").format(time=fmt_clock(ops.level_set_at)),
                                   className="level-since"))
    css = f"level-badge level-{level}" + (" large" if large else "")
    return tagged(html.Div(parts, className=css, title=tr("level.title")), level=level)


def _age(alert: AlertItem, now: float, lang: str) -> str:
    start = parse_time(alert.starts_at)
    return fmt_age(None if start is None else max(0.0, now - start), lang)


def _ack_text(alert: AlertItem, tr: Translate) -> str | None:
    if not alert.acknowledged_by:
        return None
    return tr("alert.acked").format(who=alert.acknowledged_by, time=fmt_clock(alert.acknowledged_at))


def ranked_firing(snapshot: Snapshot | None) -> list[AlertItem]:
    """Firing alerts, most severe first, then newest first."""
    firing = ops_of(snapshot).firing
    firing = sorted(firing, key=lambda a: a.starts_at or "", reverse=True)
    return sorted(firing, key=lambda a: SEVERITY_RANK.get(a.severity, 9))


def alert_strip(snapshot: Snapshot | None, tr: Translate, lang: str, now: float,
                limit: int = STRIP_N) -> html.Div:
    """The wall's strip: one line per firing alert (at most ``limit``), empty when none.

    A critical alert is red, a new one (under ``NEW_FOR_S``) pulses until acknowledged;
    ``data-critical-new`` lists the fingerprints of new unacknowledged critical alerts
    (the page's script sounds a chime for each once, when sound is on).
    """
    firing = ranked_firing(snapshot)
    if not firing:
        return tagged(html.Div([], className="alert-strip empty"), critical_new="")
    items = []
    fresh_critical = []
    for a in firing[:limit]:
        start = parse_time(a.starts_at)
        new = start is not None and now - start < NEW_FOR_S and not a.acknowledged_by
        if new and a.severity == "critical":
            fresh_critical.append(a.fingerprint)
        ack = _ack_text(a, tr)
        items.append(tagged(html.Div([
            html.Span(tr("severity." + a.severity), className="alert-sev"),
            html.Span(summary_of(a, lang), className="alert-summary"),
            html.Span(_age(a, now, lang), className="alert-age"),
            html.Span("✓ " + ack, className="alert-ack") if ack else None,
        ], className=f"alert-item sev-{a.severity}" + (" new" if new else "") + (" acked" if ack else "")),
            fingerprint=a.fingerprint))
    if len(firing) > limit:
        items.append(html.Div(tr("panel.more").format(n=len(firing) - limit), className="alert-more"))
    return tagged(html.Div(items, className="alert-strip"), critical_new=" ".join(fresh_critical))


def alert_list(snapshot: Snapshot | None, tr: Translate, lang: str, now: float, can_ack: bool) -> html.Div:
    """Firing alerts with who acknowledged them and when (shown to everyone), and an
    acknowledge button for roles that may; then the ones resolved in the last 24 h."""
    ops = ops_of(snapshot)
    firing = ranked_firing(snapshot)
    rows = []
    for a in firing:
        ack = _ack_text(a, tr)
        action: html.Span | html.Button
        if ack:
            action = html.Span("✓ " + ack, className="alert-ack")
        elif can_ack:
            action = html.Button(tr("alert.ack"), id={"type": "alert-ack", "fp": a.fingerprint},
                                 className="btn ack", n_clicks=0)
        else:
            action = html.Span(tr("alert.unacked"), className="alert-ack muted")
        rows.append(tagged(html.Li([
            html.Span(tr("severity." + a.severity), className="alert-sev"),
            html.Div([html.Div(summary_of(a, lang), className="alert-summary"),
                      html.Div(tr("alert.started").format(time=fmt_clock(a.starts_at),
                                                          age=_age(a, now, lang)), className="muted")],
                     className="alert-body"),
            action,
        ], className=f"alert-row sev-{a.severity}" + (" acked" if ack else "")), fingerprint=a.fingerprint))
    resolved = [a for a in ops.alerts if a.status == "resolved"][:5]
    for a in resolved:
        rows.append(tagged(html.Li([
            html.Span(tr("alert.resolved"), className="alert-sev resolved"),
            html.Div([html.Div(summary_of(a, lang), className="alert-summary"),
                      html.Div(tr("alert.ended").format(time=fmt_clock(a.ends_at)), className="muted")],
                     className="alert-body"),
        ], className="alert-row resolved"), fingerprint=a.fingerprint))
    if not rows:
        return html.Div(tr("alert.none"), className="muted alert-none")
    return html.Div(html.Ul(rows, className="alert-list"))


def _log_text(entry: dict, tr: Translate, lang: str) -> str:
    """What happened, in the screen's language (entries as ``marvec.alerts`` writes them:
    ``kind`` ``alert_firing``/``alert_resolved``/``ack``/``level``/``note``, ``text``)."""
    kind = str(entry.get("kind"))
    text = str((entry.get("text_en") if lang == "en" else None) or entry.get("text") or "")
    if kind == "level":
        level = tr("level." + str(entry.get("level"))).upper()
        return tr("log.level").format(level=level) + (f": {text}" if text else "")
    if kind in ("alert_firing", "alert_resolved", "ack"):
        return tr("log." + kind).format(summary=text)
    return text


def log_list(snapshot: Snapshot | None, tr: Translate, lang: str, limit: int = 12) -> html.Div | html.Ol:
    """The war-room log, newest first: time, who, what."""
    entries = ops_of(snapshot).log[:limit]
    if not entries:
        return html.Div(tr("log.none"), className="muted")
    return html.Ol([tagged(html.Li([
        html.Span(fmt_clock(e.get("at")), className="log-at"),
        html.Span(str(e.get("by") or tr("log.system")), className="log-by"),
        html.Span(_log_text(e, tr, lang), className="log-text"),
    ], className=f"log-row log-{e.get('kind')}"), kind=str(e.get("kind"))) for e in entries], className="war-log")
