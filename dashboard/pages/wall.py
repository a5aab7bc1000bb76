"""/wall: the war-room wall. Dark, huge numbers, no scroll bars, no interaction needed.

One interval tick reads the snapshot once and updates every part; the map is
patched (fills, labels, points), never redrawn. Focus rotates complaints -> economy
-> disasters every ``wall_rotate_seconds`` and jumps to crisis while any active
incident is at severity 4 or above, holding it ``crisis_hold_seconds`` after the last
one (the hold is kept in the browser, ``ids.WALL_HOLD``: any worker can answer a tick).
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Output, State, dcc, html, no_update

from dashboard.components import ids
from dashboard.components.citymap import create_map
from dashboard.components.context import ScreenContext, clamp_scale
from dashboard.components.live import cached_page_outputs, create_page_digests
from dashboard.components.ops import create_part, ops_outputs, ops_view
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
from geodata.population import load_population
from layers.citymap import FOCI, city_map_figure, map_layers
from layers.dom import tagged
from layers.fmt import Translate, fmt_clock, fmt_int, label
from layers.focus import CrisisHold, Focus, crisis_incidents, held_focus
from layers.freshness import banner, status_pills
from layers.kpi import KPIS, kpi_views
from layers.legend import map_legend
from layers.panels import focus_panel
from layers.ticker import ticker
from layers.tiles import kpi_tile
from marvec.i18n import normalize, translator

PAGE = ids.WALL
OPS_PARTS = ("level", "strip")
"""The wall shows the city's level (large) and the firing alerts; it acknowledges nothing."""

# (component id, property, key in the rendered view), in callback output order. Each KPI
# tile is its own output so a change to one number resends one tile, not nine.
OUTPUTS: tuple[tuple[str, str, str], ...] = (
    (PAGE.root, "className", "root_class"),
    (ids.WALL_FOCUS, "children", "focus"),
    (ids.WALL_MAP_TITLE, "children", "title"),
    (PAGE.legend, "children", "legend"),
    *((PAGE.kpi(i), "children", f"kpi{i}") for i in range(len(KPIS))),
    (ids.WALL_PANEL, "children", "panel"),
    (ids.WALL_TICKER, "children", "ticker"),
    (PAGE.pills, "children", "pills"),
    (PAGE.banner, "children", "banner"),
    (PAGE.banner, "className", "banner_class"),
    (ids.WALL_ALARM, "children", "alarm"),
    (ids.WALL_ALARM, "className", "alarm_class"),
    *ops_outputs(PAGE, OPS_PARTS),
)

KEYS = tuple(key for _, _, key in OUTPUTS)


def focus_tabs(focus: Focus, tr: Translate) -> list[html.Span]:
    """The rotation as tabs; the current one lit, with a bar showing its time running out."""
    names = (*FOCI, "crisis") if focus.crisis else FOCI
    tabs = []
    for name in names:
        active = name == focus.name
        bar = html.Span(className="focus-progress", style={"width": f"{round(100 * focus.progress)}%"})
        tabs.append(html.Span([tr("focus." + name), bar if active else None],
                              className=f"focus-tab focus-{name}" + (" active" if active else "")))
    return tabs


def alarm(read: Read, tr: Translate, lang: str, focus: Focus | None = None) -> tuple[list[html.Div], str]:
    """The crisis strip above the map (never over it): since when the wall is in crisis
    focus, then one line per incident at crisis severity (or, held after the last one went,
    when the wall returns to its rotation)."""
    found = crisis_incidents(read.snapshot)
    lines = []
    if focus is not None and focus.crisis and focus.since is not None:
        head = [tr("focus.crisis_since").format(time=fmt_clock(focus.since))]
        if focus.held_until is not None:
            head.append(" · " + tr("focus.crisis_held").format(time=fmt_clock(focus.held_until)))
        lines.append(html.Div(head, className="alarm-line alarm-since"))
    for i in found[:3]:
        text = tr("crisis.banner").format(
            hazard=label(tr, "hazard", i.hazard), severity=i.severity,
            kecamatan=i.kecamatan or tr("incident.no_kecamatan"), status=label(tr, "istatus", i.status),
        )
        if i.affected_people:
            text += f" · {fmt_int(i.affected_people, lang)} {tr('unit.affected')}"
        lines.append(html.Div(text, className="alarm-line"))
    return lines, "alarm" if lines else "alarm hidden"


def decide(screen: ScreenContext, read: Read, hold_data: Any) -> tuple[Focus, CrisisHold | None]:
    """The focus for this read and the hold the browser keeps (from the one it sent)."""
    return held_focus(read.snapshot, read.now, screen.settings.wall_rotate_seconds,
                      screen.settings.crisis_hold_seconds, CrisisHold.from_data(hold_data))


def render(screen: ScreenContext, read: Read, lang: str, scale: float, focus: Focus | None = None) -> dict[str, Any]:
    """Every changing part of the wall for one read (also the first paint) in ``focus``
    (default: as decided without a hold)."""
    tr = translator(lang)
    snap = read.snapshot
    if focus is None:
        focus = decide(screen, read, None)[0]
    shade = "disasters" if focus.crisis else focus.name
    per10k = screen.settings.map_shading == "per10k"
    layers = map_layers(snap, screen.frame, shade, tr, lang, scale, population=load_population().counts if per10k else None)
    banner_children, banner_class = banner(read.fresh, tr)
    alarm_children, alarm_class = alarm(read, tr, lang, focus)
    stale = "" if read.fresh.ok else " is-stale"
    tiles = {f"kpi{i}": kpi_tile(v, tr, lang) for i, v in enumerate(kpi_views(snap, read.fresh))}
    return {
        **tiles,
        "root_class": f"page wall focus-{focus.name}{stale}",
        "focus": focus_tabs(focus, tr),
        "title": tr("map." + focus.name),
        "legend": map_legend(layers.classes, shade, tr, lang, per10k=per10k),
        "panel": focus_panel(snap, shade, tr, lang, read.now),
        "ticker": ticker(snap, tr, limit=5, text_limit=70, lang=lang),
        "pills": status_pills(read.fresh, tr, compact=True),
        "banner": banner_children,
        "banner_class": banner_class,
        "alarm": alarm_children,
        "alarm_class": alarm_class,
        **ops_view(snap, OPS_PARTS, lang, read.now, can_ack=False, large_level=True),
        "layers": layers,
    }


def layout(screen: ScreenContext, lang: str) -> html.Div:
    """The wall, filled from the current snapshot so the first paint already has data."""
    tr = translator(lang)
    read = screen.read()
    focus, hold = decide(screen, read, None)
    view = render(screen, read, lang, 1.0, focus)
    figure = city_map_figure(screen.frame, view["layers"], "none", uirevision="wall",
                             tiles_url=screen.settings.tiles_url)
    return html.Div([
        *create_live(PAGE, screen.settings.refresh_ms),
        # Session storage: a reloaded wall keeps its hold (and "since"); it wins over this data.
        dcc.Store(id=ids.WALL_HOLD, storage_type="session", data=hold.to_data() if hold else None),
        create_page_digests(PAGE.digests, screen.frame, view, KEYS),
        create_topbar(PAGE, tr, tr("nav.wall"), html.Div(view["focus"], id=ids.WALL_FOCUS, className="focus-tabs"),
                      nav=False, pills=view["pills"]),
        # The city's level, large, then the firing alerts, across the wall under the top bar.
        tagged(html.Div([create_part(PAGE, "level", view["ops_level"]),
                         create_part(PAGE, "strip", view["ops_strip"], "wall-strip")], className="wall-ops"),
               sound="on" if screen.settings.wall_sound else "off"),
        html.Main([
            html.Section([
                html.Div(view["title"], id=ids.WALL_MAP_TITLE, className="map-title"),
                html.Div(view["alarm"], id=ids.WALL_ALARM, className=view["alarm_class"]),
                html.Div(create_map(PAGE.map, figure), className="map-box"),
                html.Div(view["legend"], id=PAGE.legend, className="legend"),
                create_banner(PAGE, view["banner"], view["banner_class"]),
            ], className="wall-map"),
            html.Section([
                html.Div([html.Div(view[f"kpi{i}"], id=PAGE.kpi(i), className="kpi-slot")
                          for i in range(len(KPIS))], id=PAGE.kpis, className="kpi-grid"),
                html.Div(view["panel"], id=ids.WALL_PANEL, className="focus-panel"),
            ], className="wall-side"),
        ], className="wall-main"),
        html.Footer([html.Span(tr("ticker.title"), className="ticker-label"),
                     html.Div(view["ticker"], id=ids.WALL_TICKER, className="ticker-items")], className="ticker"),
        create_watchdog(PAGE, tr),
    ], id=PAGE.root, className=view["root_class"])


def register(app: Dash, screen: ScreenContext) -> None:
    """The wall's one live callback (one snapshot read, every output) and its clock."""
    register_clock(app, PAGE)

    @app.callback(
        Output(PAGE.map, "figure"),
        *[Output(cid, prop) for cid, prop, _ in OUTPUTS],
        Output(PAGE.heartbeat, "data"),
        Output(PAGE.digests, "data"),
        Output(ids.WALL_HOLD, "data"),
        *live_inputs(PAGE),
        State(ids.LANG, "data"),
        State(PAGE.scale, "data"),
        State(PAGE.digests, "data"),
        State(ids.WALL_HOLD, "data"),
    )
    def refresh(n: int, push: Any, lang: str | None, scale: float | None, shown: list[str] | None,
                hold_data: Any) -> list[Any]:
        read = screen.read(whole_seconds=True)
        code, size = normalize(lang, screen.settings.lang), clamp_scale(scale)
        focus, hold = decide(screen, read, hold_data)
        # The render depends on the focus decided from this browser's hold, so it is in the key.
        key = ("wall", code, size, focus.name, focus.since, focus.held_until)
        values, hashes = cached_page_outputs(screen.views, key, read, screen.frame, KEYS,
                                             lambda: render(screen, read, code, size, focus), shown)
        kept = hold.to_data() if hold else None
        return [*values, heartbeat(n, push, read.now, screen.settings.refresh_ms), hashes,
                no_update if kept == hold_data else kept]
