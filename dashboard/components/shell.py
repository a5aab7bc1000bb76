"""Page furniture: top bar, live timers, freshness banner, connection watchdog, language button."""

from __future__ import annotations

from typing import Any

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.components import ids
from dashboard.components.ids import PageIds
from dashboard.push import PUSH_PATH
from layers.fmt import Translate

PAGES = ("wall", "mayor", "rapor", "crisis")


FALLBACK_FACTOR = 5
"""The data interval runs at this many refresh periods: a last resort behind the push
stream and the script's own polling at the refresh period when the stream is down."""


def create_live(page: PageIds, refresh_ms: int) -> list[Any]:
    """The page's data triggers (push store, fallback interval), the client clock tick and their stores.

    The hidden hook tells ``assets/marvec.js`` where to listen (``dashboard.push``) and
    which store to write each event into.
    """
    return [
        dcc.Interval(id=page.tick, interval=FALLBACK_FACTOR * refresh_ms, n_intervals=0),
        dcc.Interval(id=page.clock_tick, interval=1000, n_intervals=0),
        dcc.Store(id=page.heartbeat, data={"seq": -1, "refresh": refresh_ms}),
        dcc.Store(id=page.scale, data=1.0),
        dcc.Store(id=page.push, data=None, storage_type="memory"),
        html.Div(hidden=True, className="push-hook", **{  # type: ignore[arg-type]
            "data-push-store": page.push, "data-push-url": PUSH_PATH, "data-refresh": str(refresh_ms)}),
    ]


def live_inputs(page: PageIds) -> list[Input]:
    """The data callback's triggers, first: the fallback interval, then the push store."""
    return [Input(page.tick, "n_intervals"), Input(page.push, "data")]


def heartbeat(n: int | None, push: Any, now: float, refresh_ms: int) -> dict[str, Any]:
    """What the watchdog watches: ``seq`` differs on every answer (interval count and push event)."""
    return {"seq": f"{n or 0}.{push}", "at": now, "refresh": refresh_ms}


def create_lang_button(page: str, tr: Translate) -> html.Button:
    """Switches Bahasa Indonesia <-> English (kept in the browser's local storage)."""
    return html.Button(tr("lang.code"), id=ids.lang_button_id(page), className="btn lang",
                       title=tr("lang.switch"), n_clicks=0)


def create_nav(current: str, tr: Translate) -> html.Nav:
    links = [
        dcc.Link(tr("nav." + p), href=f"/{p}", className="nav-link" + (" active" if p == current else ""))
        for p in PAGES
    ]
    return html.Nav(links, className="nav")


def create_topbar(
    page: PageIds, tr: Translate, title: str, middle: Any = None, nav: bool = True, pills: Any = None
) -> html.Header:
    """Brand and page title, an optional middle slot, feed pills, the WITA clock, nav, language."""
    return html.Header([
        html.Div([html.Span("MARVEC", className="brand"), html.Span(title, className="page-title")],
                 className="topbar-left"),
        html.Div(middle, className="topbar-middle"),
        html.Div(pills, id=page.pills, className="pills"),
        html.Div("--:--:--", id=page.clock, className="clock"),
        create_nav(page.page, tr) if nav else None,
        create_lang_button(page.page, tr),
    ], className="topbar")


def create_banner(page: PageIds, children: Any, class_name: str) -> html.Div:
    """The freshness banner (hidden when every feed is live). ``role=status`` for screen readers."""
    return html.Div(children, id=page.banner, className=class_name, role="status")


def create_watchdog(page: PageIds, tr: Translate) -> html.Div:
    """Shown by the browser itself when the server has not answered for a while."""
    return html.Div([
        html.Span(tr("fresh.conn_lost")),
        html.Span(" · " + tr("fresh.last_ok") + " ", className="muted"),
        html.Span("", id=page.watchdog + "-time", className="watchdog-time"),
    ], id=page.watchdog, className="watchdog hidden", role="alert")


def register_clock(app: Dash, page: PageIds) -> None:
    """Clock, watchdog and screen scale, computed in the browser every second (no server)."""
    app.clientside_callback(
        ClientsideFunction(namespace="marvec", function_name="tick"),
        Output(page.clock, "children"),
        Output(page.watchdog, "className"),
        Output(page.watchdog + "-time", "children"),
        Output(page.scale, "data"),
        Input(page.clock_tick, "n_intervals"),
        State(page.heartbeat, "data"),
        State(ids.LANG, "data"),
    )


def register_lang_toggle(app: Dash) -> None:
    """Any page's language button flips the stored language; ``<html lang>`` follows it
    (screen readers, hyphenation, the browser's translate offer)."""
    app.clientside_callback(
        ClientsideFunction(namespace="marvec", function_name="setLang"),
        Output(ids.HTML_LANG, "data"),
        Input(ids.LANG, "data"),
    )

    @app.callback(
        Output(ids.LANG, "data"),
        Input({"type": ids.LANG_BUTTON, "page": ALL}, "n_clicks"),
        State(ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def toggle(clicks: list[int | None], lang: str | None) -> str:
        if not ctx.triggered or not any(clicks or []):
            raise PreventUpdate
        if not ctx.triggered[0].get("value"):
            raise PreventUpdate
        return "en" if lang == "id" else "id"
