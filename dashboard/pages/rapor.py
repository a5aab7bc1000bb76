"""/rapor: the OPD report card on the mayor's tablet (roles mayor and admin).

Every OPD with its score and rank (``layers.rapor``: the formula is there), best first,
the lagging ones flagged, the unassigned complaints as a line of their own; a tap on a
row opens its detail sheet (closed by its button or a tap beside it). Beside (landscape)
or below (portrait) it, residents' awareness of a chosen survey topic by kecamatan on
the city map, with the city-wide split. The page fills the screen without scrolling;
a long table scrolls inside its own card.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html

from dashboard.components import ids
from dashboard.components.citymap import create_map
from dashboard.components.context import ScreenContext, clamp_scale
from dashboard.components.ids import PageIds
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
from layers.citymap import city_map_figure
from layers.dom import tagged
from layers.freshness import banner, status_pills
from layers.rapor import (
    awareness_layers,
    awareness_legend,
    awareness_split,
    chosen_topic,
    lag_summary,
    rapor_detail,
    rapor_table,
    topic_dropdown,
    topic_options,
)
from marvec.i18n import normalize, translator

PAGE = PageIds("rapor")
SELECTED = "rapor-selected"
TABLE = "rapor-table"
LAGS = "rapor-lags"
DETAIL = "rapor-detail"
SCRIM = "rapor-scrim"
TOPIC = "rapor-topic"
SPLIT = "rapor-split"
TOPIC_NAME = "rapor-topic-name"
MAP_LABEL_PX = 11.0

OUTPUTS: tuple[tuple[str, str, str], ...] = (
    (TABLE, "children", "table"),
    (LAGS, "children", "lags"),
    (TOPIC, "options", "topic_options"),
    (SPLIT, "children", "split"),
    (TOPIC_NAME, "children", "topic_name"),
    (PAGE.legend, "children", "legend"),
    (PAGE.pills, "children", "pills"),
    (PAGE.banner, "children", "banner"),
    (PAGE.banner, "className", "banner_class"),
    (DETAIL, "children", "detail"),
    (DETAIL, "className", "detail_class"),
    (SCRIM, "className", "scrim_class"),
    *ops_outputs(PAGE, ("level",)),
)
KEYS = tuple(key for _, _, key in OUTPUTS)


def render(screen: ScreenContext, read: Read, lang: str, scale: float, selected: str | None,
           topic: str | None) -> dict[str, Any]:
    """Every changing part of the report card for one read, selection and topic."""
    tr = translator(lang)
    snap = read.snapshot
    chosen = chosen_topic(snap, topic)
    aw = snap.publicinfo.awareness.get(chosen) if snap and chosen else None
    banner_children, banner_class = banner(read.fresh, tr)
    history = screen.history(snap)
    detail = rapor_detail(snap, selected, tr, lang, history) if selected else None
    shown = detail is not None
    return {
        "table": rapor_table(snap, tr, lang, history),
        "lags": lag_summary(snap, tr, lang),
        "topic_options": topic_options(snap, tr, lang),
        "topic": chosen,
        "split": awareness_split(aw, tr, lang),
        "topic_name": chosen or "",
        "legend": awareness_legend(tr, lang),
        "pills": status_pills(read.fresh, tr, compact=True),
        "banner": banner_children,
        "banner_class": banner_class,
        "detail": detail,
        "detail_class": "rapor-sheet" if shown else "rapor-sheet hidden",
        "scrim_class": "rapor-scrim" if shown else "rapor-scrim hidden",
        **ops_view(snap, ("level",), lang, read.now, can_ack=False),
        "layers": awareness_layers(screen.frame, aw, lang, scale, MAP_LABEL_PX),
    }


def layout(screen: ScreenContext, lang: str) -> html.Div:
    tr = translator(lang)
    read = screen.read()
    view = render(screen, read, lang, 1.0, None, None)
    figure = city_map_figure(screen.frame, view["layers"], "tap", uirevision="rapor")
    return tagged(html.Div([
        *create_live(PAGE, screen.settings.refresh_ms),
        create_page_digests(PAGE.digests, screen.frame, view, KEYS),
        dcc.Store(id=SELECTED, storage_type="memory"),
        create_topbar(PAGE, tr, tr("rapor.title"), pills=view["pills"],
                      middle=create_part(PAGE, "level", view["ops_level"])),
        create_banner(PAGE, view["banner"], view["banner_class"]),
        html.Main([
            html.Section([
                html.H2([tr("rapor.title"), html.Span(" · " + tr("rapor.hint"), className="muted"),
                         html.Span(view["lags"], id=LAGS, className="rapor-lags")]),
                html.Div(view["table"], id=TABLE, className="rapor-table-wrap"),
            ], className="card rapor-card"),
            html.Section([
                html.H2([tr("rapor.awareness"), html.Span(" · ", className="muted"),
                         html.Span(view["topic_name"], id=TOPIC_NAME, className="muted")]),
                html.Label([html.Span(tr("rapor.topic"), className="rapor-topic-label"),
                            topic_dropdown(TOPIC, read.snapshot, view["topic"], tr, lang)],
                           className="rapor-topic-row"),
                html.Div(view["split"], id=SPLIT),
                html.Div(create_map(PAGE.map, figure, "tap"), className="rapor-map"),
                html.Div(view["legend"], id=PAGE.legend, className="legend rapor-legend"),
            ], className="card rapor-aware"),
        ], className="rapor-grid"),
        tagged(html.Div(id=SCRIM, className=view["scrim_class"]), select=""),
        html.Div(view["detail"], id=DETAIL, className=view["detail_class"]),
        create_watchdog(PAGE, tr),
    ], id=PAGE.root, className="page rapor"), select_store=SELECTED)


def register(app: Dash, screen: ScreenContext) -> None:
    register_clock(app, PAGE)

    # Rows, the sheet's close button and the scrim select in the browser (``data-select``
    # -> ``assets/marvec.js`` -> the ``SELECTED`` store), as on /mayor.
    @app.callback(
        Output(PAGE.map, "figure"),
        *[Output(cid, prop) for cid, prop, _ in OUTPUTS],
        Output(PAGE.heartbeat, "data"),
        Output(PAGE.digests, "data"),
        *live_inputs(PAGE),
        Input(SELECTED, "data"),
        Input(TOPIC, "value"),
        State(ids.LANG, "data"),
        State(PAGE.scale, "data"),
        State(PAGE.digests, "data"),
    )
    def refresh(n: int, push: Any, selected: str | None, topic: str | None, lang: str | None,
                scale: float | None, shown: list[str] | None) -> list[Any]:
        read = screen.read(whole_seconds=True)
        code, size = normalize(lang, screen.settings.lang), clamp_scale(scale)
        chosen = selected if isinstance(selected, str) else None
        wanted = topic if isinstance(topic, str) else None
        values, hashes = cached_page_outputs(screen.views, ("rapor", code, size, chosen, wanted), read, screen.frame,
                                             KEYS, lambda: render(screen, read, code, size, chosen, wanted), shown)
        return [*values, heartbeat(n, push, read.now, screen.settings.refresh_ms), hashes]

