"""/crisis: active incidents for the crisis team, most severe and oldest first.

Each incident with its hazard, kecamatan, status, people affected and status
timeline; floods with the flood/drainage complaints within ``flood_radius_m``.
Filter by hazard and kecamatan; the map and the totals follow the incidents shown. The
filters keep their choice in the browser's session storage (Dash persistence), so the
language toggle, which renders the page anew, and a reload keep it.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html

from dashboard.alerts_api import ACK_ROLES
from dashboard.components import ids
from dashboard.components.citymap import create_map
from dashboard.components.context import ScreenContext, clamp_scale
from dashboard.components.live import cached_page_outputs, create_page_digests
from dashboard.components.ops import (
    create_level_form,
    create_note_form,
    create_part,
    may,
    ops_outputs,
    ops_view,
    register_ops,
)
from dashboard.components.read import Read
from dashboard.components.shell import (
    create_banner,
    create_live,
    create_topbar,
    create_watchdog,
    heartbeat,
    live_inputs,
    register_clock,
)
from layers.citymap import city_map_figure, map_layers
from layers.fmt import fmt_int, label
from layers.freshness import banner, status_pills
from layers.geo import flood_complaints
from layers.incidents import filter_incidents, incident_card, sort_incidents, totals
from layers.legend import map_legend
from marvec.contract import HAZARDS
from marvec.i18n import normalize, translator

PAGE = ids.CRISIS
OPS_PARTS = ("level", "alerts", "log")
CARDS_N = 50
"""Incident cards drawn at most (most severe, then oldest); "+K lainnya" says the rest, and
the filters narrow the list. The map and the totals still cover every incident shown."""

OUTPUTS: tuple[tuple[str, str, str], ...] = (
    (PAGE.kpis, "children", "totals"),
    (PAGE.kpis, "className", "totals_class"),
    (ids.CRISIS_COUNT, "children", "count"),
    (ids.CRISIS_LIST, "children", "cards"),
    (PAGE.legend, "children", "legend"),
    (PAGE.pills, "children", "pills"),
    (PAGE.banner, "children", "banner"),
    (PAGE.banner, "className", "banner_class"),
    *ops_outputs(PAGE, OPS_PARTS),
)
KEYS = tuple(key for _, _, key in OUTPUTS)


def render(
    screen: ScreenContext, read: Read, lang: str, scale: float,
    hazards: list[str] | None = None, kecamatan: list[str] | None = None, can_ack: bool = False,
) -> dict[str, Any]:
    """Every changing part of the crisis screen for one read and filter choice."""
    tr = translator(lang)
    snap = read.snapshot
    radius = screen.settings.flood_radius_m
    active = sort_incidents(snap.disasters.incidents) if snap else []
    shown = filter_incidents(active, hazards, kecamatan)
    listed = shown[:CARDS_N]  # a thousand incidents: the worst fifty as cards, the rest counted
    near = flood_complaints(snap, radius, listed) if snap else {}
    layers = map_layers(snap, screen.frame, "disasters", tr, lang, scale, incidents=shown,
                        flood_radius_m=radius, zoom_to_incidents=True, ramp="muted")
    filtered = bool(hazards) or bool(kecamatan)
    empty = tr("crisis.none_filtered") if active else tr("crisis.none")
    cards = [incident_card(i, tr, lang, read.now, near.get(i.incident_id, []), radius) for i in listed]
    if len(shown) > len(listed):
        cards.append(html.Div(tr("crisis.more").format(n=fmt_int(len(shown) - len(listed), lang)),
                              className="empty more"))
    banner_children, banner_class = banner(read.fresh, tr)
    return {
        "totals": totals(snap.disasters if snap else None, tr, lang, shown if filtered else None),
        "totals_class": "totals filtered" if filtered else "totals",
        "count": tr("crisis.count").format(shown=fmt_int(len(shown), lang), total=fmt_int(len(active), lang)),
        "cards": cards or [html.Div(empty, className="empty")],
        "legend": map_legend(layers.classes, "disasters", tr, lang, near=True),
        "pills": status_pills(read.fresh, tr, compact=True),
        "banner": banner_children,
        "banner_class": banner_class,
        **ops_view(snap, OPS_PARTS, lang, read.now, can_ack),
        "layers": layers,
    }


def _choice(values: list[str] | None) -> tuple[str, ...] | None:
    """A filter's value as a memo key (``None``: no filter; order kept, as ``filter_incidents`` sees it)."""
    return None if values is None else tuple(str(v) for v in values)


def dropdown_labels(tr: Any) -> Any:
    """The dropdown's own texts (search, clear, nothing found...) in the page's language
    (a ``dcc.Dropdown.Labels`` dict)."""
    return {"select_all": tr("crisis.dd_select_all"), "deselect_all": tr("crisis.dd_deselect_all"),
            "selected_count": tr("crisis.dd_selected"), "search": tr("crisis.dd_search"),
            "clear_search": tr("crisis.dd_clear_search"), "clear_selection": tr("crisis.dd_clear"),
            "no_options_found": tr("crisis.dd_none")}


def _dropdown(cid: str, options: list[dict[str, str]], tr: Any) -> dcc.Dropdown:
    # persistence: the choice outlives the page's re-render on the language toggle (and a
    # reload) in this tab's session storage; a new tab starts unfiltered.
    return dcc.Dropdown(id=cid, options=options, multi=True, placeholder=tr("crisis.filter_all"),
                        labels=dropdown_labels(tr), persistence=True, persistence_type="session",
                        className="filter")


def _filters(screen: ScreenContext, tr: Any) -> html.Div:
    hazard_opts = [{"label": label(tr, "hazard", h), "value": h} for h in HAZARDS]
    kec_opts = [{"label": n, "value": n} for n in sorted(screen.names)]
    return html.Div([
        html.Label([tr("crisis.filter_hazard"), _dropdown(ids.CRISIS_HAZARD, hazard_opts, tr)],
                   className="filter-label"),
        html.Label([tr("crisis.filter_kecamatan"), _dropdown(ids.CRISIS_KECAMATAN, kec_opts, tr)],
                   className="filter-label"),
    ], className="filters")


def _ops_panel(view: dict[str, Any], tr: Any, lang: str) -> html.Details:
    """The firing alerts (acknowledge), then, one tap away, the level form and the log."""
    return html.Details([
        html.Summary([html.Span(tr("alert.title"), className="ops-title"),
                      create_part(PAGE, "alerts", view["ops_alerts"])]),
        html.Div([
            html.H3(tr("level.set")), create_level_form(PAGE, lang),
            html.H3(tr("log.title")), create_note_form(PAGE, lang), create_part(PAGE, "log", view["ops_log"]),
        ], className="ops-more"),
    ], className="card ops-panel")


def layout(screen: ScreenContext, lang: str) -> html.Div:
    tr = translator(lang)
    view = render(screen, screen.read(), lang, 1.0, can_ack=may(ACK_ROLES))
    figure = city_map_figure(screen.frame, view["layers"], "pan", uirevision="crisis")
    return html.Div([
        *create_live(PAGE, screen.settings.refresh_ms),
        create_page_digests(PAGE.digests, screen.frame, view, KEYS),
        create_topbar(PAGE, tr, tr("nav.crisis"), pills=view["pills"],
                      middle=create_part(PAGE, "level", view["ops_level"])),
        create_banner(PAGE, view["banner"], view["banner_class"]),
        html.Main([
            html.Section([
                _ops_panel(view, tr, lang),
                html.Div(view["totals"], id=PAGE.kpis, className=view["totals_class"]),
                _filters(screen, tr),
                html.Div(view["count"], id=ids.CRISIS_COUNT, className="count"),
                html.Div(view["cards"], id=ids.CRISIS_LIST, className="incident-list"),
            ], className="crisis-left"),
            html.Section([
                html.Div(create_map(PAGE.map, figure, "pan"), className="map-box"),
                html.Div(view["legend"], id=PAGE.legend, className="legend"),
            ], className="crisis-map"),
        ], className="crisis-grid"),
        create_watchdog(PAGE, tr),
    ], id=PAGE.root, className="page crisis")


def register(app: Dash, screen: ScreenContext) -> None:
    register_clock(app, PAGE)
    register_ops(app, screen, PAGE, OPS_PARTS, forms=True)

    @app.callback(
        Output(PAGE.map, "figure"),
        *[Output(cid, prop) for cid, prop, _ in OUTPUTS],
        Output(PAGE.heartbeat, "data"),
        Output(PAGE.digests, "data"),
        *live_inputs(PAGE),
        Input(ids.CRISIS_HAZARD, "value"),
        Input(ids.CRISIS_KECAMATAN, "value"),
        State(ids.LANG, "data"),
        State(PAGE.scale, "data"),
        State(PAGE.digests, "data"),
    )
    def refresh(n: int, push: Any, hazards: list[str] | None, kecamatan: list[str] | None,
                lang: str | None, scale: float | None, shown: list[str] | None) -> list[Any]:
        read = screen.read(whole_seconds=True)
        code, size = normalize(lang, screen.settings.lang), clamp_scale(scale)
        chosen = (_choice(hazards), _choice(kecamatan))
        can_ack = may(ACK_ROLES)  # the acknowledge buttons depend on who asks: in the key
        values, hashes = cached_page_outputs(
            screen.views, ("crisis", code, size, *chosen, can_ack), read, screen.frame, KEYS,
            lambda: render(screen, read, code, size, hazards, kecamatan, can_ack), shown)
        return [*values, heartbeat(n, push, read.now, screen.settings.refresh_ms), hashes]
