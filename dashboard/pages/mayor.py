"""/mayor: today at a glance on a tablet (touch-first, portrait or landscape).

Today's numbers with deltas vs yesterday, the OPD report card (worst first), staple
prices, hotspots by kecamatan. Tapping a kecamatan on the map or in the hotspot list
opens its detail sheet; its close button or a tap beside it closes it; nothing needs
hover.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboard.components import ids
from dashboard.components.citymap import create_map
from dashboard.components.context import Read, ScreenContext, clamp_scale
from dashboard.components.live import cached_page_outputs, create_page_digests
from dashboard.components.shell import (
    create_banner,
    create_live,
    create_topbar,
    create_watchdog,
    heartbeat,
    live_inputs,
    register_clock,
)
from dashboard.i18n import normalize, translator
from layers.citymap import city_map_figure, map_layers
from layers.district import district_detail, hotspot_list
from layers.dom import tagged
from layers.freshness import banner, status_pills
from layers.kpi import KPIS, kpi_views
from layers.legend import map_legend
from layers.report import price_table, report_card
from layers.tiles import kpi_tile

PAGE = ids.MAYOR
MAP_LABEL_PX = 12.0
"""Kecamatan label size on the tablet's map (half the wall's map: smaller labels)."""

OUTPUTS: tuple[tuple[str, str, str], ...] = (
    *((PAGE.kpi(i), "children", f"kpi{i}") for i in range(len(KPIS))),
    (ids.MAYOR_HOTSPOTS, "children", "hotspots"),
    (ids.MAYOR_REPORT, "children", "report"),
    (ids.MAYOR_PRICES, "children", "prices"),
    (PAGE.legend, "children", "legend"),
    (PAGE.pills, "children", "pills"),
    (PAGE.banner, "children", "banner"),
    (PAGE.banner, "className", "banner_class"),
    (ids.MAYOR_DETAIL, "children", "detail"),
    (ids.MAYOR_DETAIL, "className", "detail_class"),
    (ids.MAYOR_SCRIM, "className", "scrim_class"),
)
KEYS = tuple(key for _, _, key in OUTPUTS)


def render(screen: ScreenContext, read: Read, lang: str, scale: float, selected: str | None) -> dict[str, Any]:
    """Every changing part of the mayor's screen for one read."""
    tr = translator(lang)
    snap = read.snapshot
    layers = map_layers(snap, screen.frame, "complaints", tr, lang, scale, selected=selected, label_base=MAP_LABEL_PX)
    banner_children, banner_class = banner(read.fresh, tr)
    detail = district_detail(snap, selected, tr, lang, read.now) if selected else None
    tiles = {f"kpi{i}": kpi_tile(v, tr, lang) for i, v in enumerate(kpi_views(snap, read.fresh))}
    return {
        **tiles,
        "hotspots": hotspot_list(snap, tr, lang),
        "report": report_card(snap, tr, lang),
        "prices": price_table(snap, tr, lang),
        "legend": map_legend(layers.classes, "complaints", tr, lang),
        "pills": status_pills(read.fresh, tr, compact=True),
        "banner": banner_children,
        "banner_class": banner_class,
        "detail": detail,
        "detail_class": "detail-sheet" if selected else "detail-sheet hidden",
        "scrim_class": "detail-scrim" if selected else "detail-scrim hidden",
        "layers": layers,
    }


def _section(title: str, body: Any, css: str, hint: str | None = None) -> html.Section:
    head = html.H2([title, html.Span(" · " + hint, className="muted") if hint else None])
    return html.Section([head, body], className=f"card {css}")


def layout(screen: ScreenContext, lang: str) -> html.Div:
    tr = translator(lang)
    view = render(screen, screen.read(), lang, 1.0, None)
    figure = city_map_figure(screen.frame, view["layers"], "tap", uirevision="mayor")
    return tagged(html.Div([
        *create_live(PAGE, screen.settings.refresh_ms),
        create_page_digests(PAGE.digests, screen.frame, view, KEYS),
        dcc.Store(id=ids.MAYOR_SELECTED, storage_type="memory"),
        create_topbar(PAGE, tr, tr("nav.mayor"), pills=view["pills"]),
        create_banner(PAGE, view["banner"], view["banner_class"]),
        html.Main([
            _section(tr("mayor.today"), html.Div(
                [html.Div(view[f"kpi{i}"], id=PAGE.kpi(i), className="kpi-slot") for i in range(len(KPIS))],
                id=PAGE.kpis, className="kpi-grid"), "today"),
            _section(tr("mayor.map"), html.Div([
                html.Div(create_map(PAGE.map, figure, "tap"), className="map-box"),
                html.Div(view["legend"], id=PAGE.legend, className="legend"),
            ]), "map-card"),
            _section(tr("mayor.hotspots"), html.Div([
                html.Div(view["hotspots"], id=ids.MAYOR_HOTSPOTS, className="hot-wrap"),
                html.Button(_more_label(tr, False, len(screen.names)), id=ids.MAYOR_HOT_MORE,
                            className="btn more", n_clicks=0),
            ]), "hotspots"),
            _section(tr("mayor.report_card"), html.Div(view["report"], id=ids.MAYOR_REPORT), "report",
                     tr("mayor.report_hint")),
            _section(tr("mayor.prices"), html.Div(view["prices"], id=ids.MAYOR_PRICES), "prices"),
        ], className="mayor-grid"),
        tagged(html.Div(id=ids.MAYOR_SCRIM, className=view["scrim_class"]), select=""),
        html.Div(view["detail"], id=ids.MAYOR_DETAIL, className=view["detail_class"]),
        create_watchdog(PAGE, tr),
    ], id=PAGE.root, className="page mayor"), select_store=ids.MAYOR_SELECTED)


def _more_label(tr: Any, expanded: bool, total: int) -> str:
    return tr("mayor.hot_fewer") if expanded else tr("mayor.hot_all").format(n=total)


def tapped_kecamatan(click: dict[str, Any] | None, names: tuple[str, ...]) -> str | None:
    """The kecamatan under a tap on the map (polygon fills carry their name), if any."""
    for point in (click or {}).get("points", []):
        data = point.get("customdata")
        if isinstance(data, str) and data in names:
            return data
        curve = point.get("curveNumber")
        if isinstance(curve, int) and 0 <= curve < len(names):
            return names[curve]
    return None


def register(app: Dash, screen: ScreenContext) -> None:
    register_clock(app, PAGE)

    @app.callback(
        Output(ids.MAYOR_HOTSPOTS, "className"),
        Output(ids.MAYOR_HOT_MORE, "children"),
        Input(ids.MAYOR_HOT_MORE, "n_clicks"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def more(clicks: int | None, lang: str | None) -> tuple[str, str]:
        """Landscape shows the worst hotspots beside the map; a tap shows every kecamatan."""
        expanded = bool((clicks or 0) % 2)
        tr = translator(normalize(lang, screen.settings.lang))
        return "hot-wrap expanded" if expanded else "hot-wrap", _more_label(tr, expanded, len(screen.names))

    # Hotspot rows, the sheet's close button and the dimmed page around the sheet select
    # in the browser (``data-select`` -> ``marvec.js`` -> the store); the map here.
    @app.callback(Output(ids.MAYOR_SELECTED, "data"), Input(PAGE.map, "clickData"), prevent_initial_call=True)
    def select(click: dict[str, Any] | None) -> Any:
        return tapped_kecamatan(click, screen.names) or no_update

    @app.callback(
        Output(PAGE.map, "figure"),
        *[Output(cid, prop) for cid, prop, _ in OUTPUTS],
        Output(PAGE.heartbeat, "data"),
        Output(PAGE.digests, "data"),
        *live_inputs(PAGE),
        Input(ids.MAYOR_SELECTED, "data"),
        State(ids.LANG, "data"),
        State(PAGE.scale, "data"),
        State(PAGE.digests, "data"),
    )
    def refresh(n: int, push: Any, selected: str | None, lang: str | None, scale: float | None,
                shown: list[str] | None) -> list[Any]:
        read = screen.read(whole_seconds=True)
        chosen = selected if selected in screen.names else None
        code, size = normalize(lang, screen.settings.lang), clamp_scale(scale)
        values, hashes = cached_page_outputs(screen.views, ("mayor", code, size, chosen), read, screen.frame, KEYS,
                                             lambda: render(screen, read, code, size, chosen), shown)
        return [*values, heartbeat(n, push, read.now, screen.settings.refresh_ms), hashes]
