"""The crisis screen's incident list: order, filters, and one card per incident (pure)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from dash import html

from layers.dom import tagged
from layers.fmt import (
    DASH,
    Translate,
    fmt_age,
    fmt_clock,
    fmt_dec,
    fmt_int,
    label,
    parse_time,
    shorten,
)
from layers.geo import NearbyComplaint
from marvec.snapshot import Disasters, Incident


def sort_incidents(incidents: Sequence[Incident]) -> list[Incident]:
    """Most severe first; within a severity the oldest (longest running) first."""
    return sorted(incidents, key=lambda i: (-i.severity, parse_time(i.occurred_at) or 0.0, i.incident_id))


def filter_incidents(
    incidents: Sequence[Incident], hazards: Collection[str] | None = None, kecamatan: Collection[str] | None = None
) -> list[Incident]:
    """Incidents of the chosen hazards and kecamatan (an empty or missing choice means all)."""
    return [
        i for i in incidents
        if (not hazards or i.hazard in hazards) and (not kecamatan or i.kecamatan in kecamatan)
    ]


def _fmt_km(metres: float, lang: str) -> str:
    return f"{fmt_dec(metres / 1000, 1, lang)} km" if metres >= 1000 else f"{fmt_int(metres, lang)} m"


def impact_line(incident: Incident, tr: Translate, lang: str) -> html.Div | None:
    """Affected, displaced, injured, dead: each shown only when reported (``None`` if none is)."""
    parts = []
    for field, unit in (("affected_people", "affected"), ("displaced", "displaced"),
                        ("injured", "injured"), ("deaths", "deaths")):
        value = getattr(incident, field)
        if value is not None:
            parts.append(html.Span([html.B(fmt_int(value, lang)), f" {tr('unit.' + unit)}"], className=f"impact {unit}"))
    return html.Div(parts, className="impact-line") if parts else None


def measure_line(incident: Incident, tr: Translate, lang: str) -> str | None:
    """Water level for floods, magnitude and depth for earthquakes."""
    if incident.water_level_cm is not None:
        return tr("crisis.water").format(cm=fmt_int(incident.water_level_cm, lang))
    if incident.magnitude is not None:
        depth = fmt_dec(incident.depth_km, 0, lang) if incident.depth_km is not None else DASH
        return tr("crisis.quake").format(mag=fmt_dec(incident.magnitude, 1, lang), depth=depth)
    return None


@dataclass(frozen=True)
class TimelineStep:
    """A run of updates with one status: when it began and the severities it went through."""

    at: str
    status: str
    severities: tuple[int, ...]


def timeline_steps(incident: Incident) -> list[TimelineStep]:
    """Status changes oldest first, each run of one status merged into one step.

    Field teams send many updates while ``responding`` (new counts, a new severity);
    listed one by one they bury the status history the crisis team reads.
    """
    steps: list[TimelineStep] = []
    for e in sorted(incident.timeline or [], key=lambda e: parse_time(e.at) or 0.0):
        sev = () if e.severity is None else (e.severity,)
        if steps and steps[-1].status == e.status:
            last = steps[-1]
            if sev and (not last.severities or last.severities[-1] != sev[0]):
                steps[-1] = TimelineStep(last.at, last.status, last.severities + sev)
            continue
        steps.append(TimelineStep(e.at, e.status, sev))
    return steps


def timeline(incident: Incident, tr: Translate) -> html.Ol:
    """Status changes oldest first: ``14:02 dilaporkan (3)`` → ``14:20 ditangani (3→4)``."""
    items = [
        html.Li([
            html.Span(fmt_clock(s.at), className="tl-time"),
            html.Span(label(tr, "istatus", s.status), className=f"tl-status st-{s.status}"),
            html.Span(f"({'→'.join(str(v) for v in s.severities)})", className="tl-sev") if s.severities else None,
        ], className="tl-step")
        for s in timeline_steps(incident)
    ]
    return html.Ol(items or [html.Li(label(tr, "istatus", incident.status), className="tl-step")],
                   className="timeline")


def near_block(
    near: Sequence[NearbyComplaint], radius_m: float, tr: Translate, lang: str, now: float | None = None,
) -> html.Div | None:
    """The flood-related complaints near a flood: count, then the nearest few, each with the
    citizen's own report (the complaint's first text, escaped; never the OPD's status note),
    its status and how long ago it last changed."""
    if not near:
        return None
    key = "crisis.near.one" if len(near) == 1 else "crisis.near"
    head = tr(key).format(n=fmt_int(len(near), lang), radius=_fmt_km(radius_m, lang))
    items = []
    for n in near[:4]:
        c = n.complaint
        at = parse_time(c.occurred_at)
        age = fmt_age(now - at if now is not None and at is not None else None, lang)
        text = shorten(c.text, 90) if c.text else tr("crisis.near_no_text")
        items.append(tagged(html.Li([
            html.Span(_fmt_km(n.distance_m, lang), className="near-dist"),
            html.Span(label(tr, "cat", c.category), className="near-cat"),
            html.Span(label(tr, "cstatus", c.status), className=f"near-status cst-{c.status}"),
            html.Span(tr("crisis.near_updated").format(age=age), className="near-age"),
            html.Q(text, className="near-text" + ("" if c.text else " none"), title=tr("crisis.near_report")),
        ], className="near-item"), complaint=c.complaint_id))
    return html.Div([html.Div(head, className="near-head"), html.Ul(items, className="near-list")], className="near")


def incident_card(
    incident: Incident, tr: Translate, lang: str, now: float,
    near: Sequence[NearbyComplaint] = (), radius_m: float = 0,
) -> html.Div:
    """Severity, hazard, kecamatan, status, age, impact, measure, status timeline, nearby complaints."""
    start = parse_time(incident.occurred_at)
    since = tr("crisis.since").format(time=fmt_clock(incident.occurred_at),
                                      age=fmt_age(now - start if start else None, lang))
    measure = measure_line(incident, tr, lang)
    return tagged(html.Div([
        html.Div([
            html.Span(str(incident.severity), className=f"sev sev-{incident.severity}",
                      title=f"{tr('crisis.severity')} {incident.severity}"),
            html.Span(label(tr, "hazard", incident.hazard), className="card-hazard"),
            html.Span(incident.kecamatan or tr("incident.no_kecamatan"), className="card-kec"),
            html.Span(label(tr, "istatus", incident.status), className=f"status st-{incident.status}"),
        ], className="card-head"),
        html.Div([since] + ([" · " + measure] if measure else []), className="card-meta"),
        impact_line(incident, tr, lang),
        timeline(incident, tr),
        near_block(near, radius_m, tr, lang, now),
    ], className=f"incident-card sev-border-{incident.severity}"), incident=incident.incident_id)


def _sum(values: Sequence[int | None]) -> int | None:
    """The sum of the reported values; ``None`` when there are some but none is reported."""
    known = [v for v in values if v is not None]
    return sum(known) if known or not values else None


def totals(
    disasters: Disasters | None, tr: Translate, lang: str, shown: Sequence[Incident] | None = None,
) -> list[html.Div]:
    """Active incidents and the people they touch, as a row of small tiles.

    ``shown``: the incidents a filter left; the tiles then add up those (an incident that
    reports no count adds nothing; no incident reporting one is ``–``, never 0).
    """
    d = disasters
    cells: tuple[tuple[str, int | None, str], ...]
    if shown is not None and d is not None:
        cells = (("disasters.active", len(shown), "kpi.disasters.active"),
                 ("affected", _sum([i.affected_people for i in shown]), "kpi.disasters.affected_people"),
                 ("displaced", _sum([i.displaced for i in shown]), "kpi.disasters.displaced"),
                 ("injured", _sum([i.injured for i in shown]), "unit.injured"),
                 ("deaths", _sum([i.deaths for i in shown]), "unit.deaths"))
    else:
        cells = (("disasters.active", d.active if d else None, "kpi.disasters.active"),
                 ("affected", d.affected_people if d else None, "kpi.disasters.affected_people"),
                 ("displaced", d.displaced if d else None, "kpi.disasters.displaced"),
                 ("injured", d.injured if d else None, "unit.injured"),
                 ("deaths", d.deaths if d else None, "unit.deaths"))
    return [
        tagged(html.Div([html.Div(fmt_int(value, lang), className="total-value"),
                         html.Div(tr(key), className="total-label")],
                        className="total" + (" tone-alert" if name == "deaths" and value else "")), total=name)
        for name, value, key in cells
    ]
