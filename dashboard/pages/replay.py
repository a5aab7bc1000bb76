"""/wall/replay (also ``/wall?replay=N``): the last hours of the city played back on the wall.

For a shift hand-over. ``?jam=6|8|12|24`` (default ``MARVEC_REPLAY_HOURS``, 8) picks how
many hours; each is shown ``MARVEC_REPLAY_STEP_SECONDS`` (6 s), oldest first, looping:
the map shaded by that hour's complaints received per kecamatan (one scale for the
whole replay), the hour's numbers in the tiles, a progress strip across the hours. A
magenta banner and frame say PUTAR ULANG / REPLAY and which hour; there are no live
freshness pills, points or ticker, so it cannot be taken for the live wall; the banner's
link goes back to it. Same role as the wall (``dashboard.auth``: the first path segment).

One step interval drives it; each step reads the replay (``ScreenContext.replay``: one
pipelined read per length per worker every ``REPLAY_REFRESH_S``) and patches the map.
The hour shown is the interval's count (plus the hours stepped with the arrow keys; Space
pauses, ``assets/marvec.js``) modulo the hours (``layers.replay.step_index``), so any
worker answers any step.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, dcc, html

from dashboard.components import ids
from dashboard.components.citymap import create_map, patch_from
from dashboard.components.context import ScreenContext, clamp_scale
from dashboard.components.shell import (
    create_lang_button,
    create_watchdog,
    heartbeat,
    register_clock,
)
from layers.citymap import city_map_figure, map_changes
from layers.dom import tagged
from layers.fmt import shorten
from layers.replay import replay_layers, replay_parts, step_index
from marvec.i18n import normalize, translator
from marvec.replay import CHOICES

PAGE = ids.PageIds("replay")
STEP = "replay-step"
HOURS = "replay-hours"
OFFSET = "replay-offset"
"""Hours stepped by keyboard (``assets/marvec.js``: arrows, Space pauses the step interval)."""
BANNER = "replay-banner"
TITLE = "replay-map-title"
TILES = "replay-tiles"
PROGRESS = "replay-progress"
PANEL = "replay-panel"

OUTPUTS: tuple[tuple[str, str, str], ...] = (
    (BANNER, "children", "banner"),
    (TITLE, "children", "title"),
    (PAGE.legend, "children", "legend"),
    (TILES, "children", "tiles"),
    (PROGRESS, "children", "progress"),
    (PANEL, "children", "panel"),
)


def wanted(pathname: str | None, search: str | None) -> bool:
    """Whether the URL asks for the replay: ``/wall/replay`` or ``/wall?replay[=N]``."""
    parts = (pathname or "/").strip("/").split("/")
    if parts[0] != "wall":
        return False
    return parts[1:2] == ["replay"] or "replay" in parse_qs(search.lstrip("?") if search else "",
                                                           keep_blank_values=True)


def hours_asked(search: str | None, default: int) -> tuple[int | None, str | None]:
    """The hours the URL asks for (``?jam=N`` or ``?replay=N``; none or blank: ``default``)
    and, for anything but a choice, ``None`` with the value as given (for the error)."""
    query = parse_qs(search.lstrip("?") if search else "", keep_blank_values=True)
    given = (query.get("jam") or query.get("replay") or [""])[0].strip()
    if not given:
        return default, None
    if given.isdigit() and int(given) in CHOICES:
        return int(given), None
    return None, given


def render(screen: ScreenContext, hours: int, step: int | None, lang: str, scale: float) -> dict[str, Any]:
    """Every changing part for one step (``layers`` for the map patch)."""
    tr = translator(lang)
    replay = screen.replay(hours)
    index = step_index(step, replay)
    now = screen.clock()
    view = replay_parts(replay, index, tr, lang, now, screen.settings.replay_step_seconds)
    view["layers"] = replay_layers(replay, index, screen.frame, scale)
    view["index"] = index
    return view


def choices(tr: Any, hours: int | None) -> html.Div:
    """Links to the other lengths (a kiosk's operator opens the URL; these are for a desk)."""
    return html.Div([dcc.Link(tr("replay.hours").format(n=n), href=f"/wall/replay?jam={n}",
                              className="btn replay-choice" + (" on" if n == hours else "")) for n in CHOICES],
                    className="replay-choices")


def error_layout(screen: ScreenContext, lang: str, given: str) -> html.Div:
    tr = translator(lang)
    text = tr("replay.bad").format(value=shorten(given, 20), choices=", ".join(map(str, CHOICES)))
    return html.Div([
        html.Div([html.Span(tr("replay.title").upper(), className="replay-tag"), html.Span(text)],
                 className="replay-banner replay-error", role="alert"),
        choices(tr, None),
        dcc.Link(tr("replay.live"), href="/wall", className="btn replay-live"),
    ], id=PAGE.root, className="page wall replay replay-bad")


def layout(screen: ScreenContext, lang: str, search: str | None = None) -> html.Div:
    """The replay, filled with its first hour so the first paint already has data."""
    hours, bad = hours_asked(search, screen.settings.replay_hours)
    if hours is None:
        return error_layout(screen, lang, bad or "")
    tr = translator(lang)
    view = render(screen, hours, 0, lang, 1.0)
    figure = city_map_figure(screen.frame, view["layers"], "none", uirevision="replay",
                             tiles_url=screen.settings.tiles_url)
    step_ms = 1000 * screen.settings.replay_step_seconds
    return tagged(html.Div([
        dcc.Interval(id=STEP, interval=step_ms, n_intervals=0),
        dcc.Interval(id=PAGE.clock_tick, interval=1000, n_intervals=0),
        dcc.Store(id=PAGE.heartbeat, data={"seq": -1, "refresh": step_ms}),
        dcc.Store(id=PAGE.scale, data=1.0),
        dcc.Store(id=HOURS, data=hours),
        dcc.Store(id=OFFSET, data=0),
        html.Header([
            html.Div([html.Span("MARVEC", className="brand"), html.Span(tr("replay.title"), className="page-title")],
                     className="topbar-left"),
            html.Div(className="topbar-middle"),
            choices(tr, hours),
            dcc.Link(["← ", tr("replay.live")], href="/wall", className="btn replay-live"),
            html.Div("--:--:--", id=PAGE.clock, className="clock"),
            create_lang_button(PAGE.page, tr),
        ], className="topbar replay-topbar"),
        # Across the whole wall, under the top bar: what this is and which hour.
        tagged(html.Div(view["banner"], id=BANNER, className="replay-banner", role="status"),
               paused=" · " + tr("replay.paused")),
        html.Main([
            html.Section([
                html.Div(view["title"], id=TITLE, className="map-title"),
                html.Div(create_map(PAGE.map, figure), className="map-box"),
                html.Div(view["legend"], id=PAGE.legend, className="legend"),
            ], className="wall-map"),
            html.Section([
                html.Div(view["tiles"], id=TILES, className="kpi-grid replay-grid"),
                html.Div(view["panel"], id=PANEL, className="focus-panel replay-panel"),
            ], className="wall-side"),
        ], className="wall-main"),
        html.Footer(view["progress"], id=PROGRESS, className="replay-progress"),
        create_watchdog(PAGE, tr),
    ], id=PAGE.root, className="page wall replay"), replay_offset=OFFSET, replay_step=STEP)


def register(app: Dash, screen: ScreenContext) -> None:
    """The replay's one step callback (one replay read, every output) and its clock."""
    register_clock(app, PAGE)

    @app.callback(
        Output(PAGE.map, "figure"),
        *[Output(cid, prop) for cid, prop, _ in OUTPUTS],
        Output(PAGE.heartbeat, "data"),
        Input(STEP, "n_intervals"),
        Input(OFFSET, "data"),
        State(HOURS, "data"),
        State(ids.LANG, "data"),
        State(PAGE.scale, "data"),
    )
    def step(n: int | None, offset: Any, hours: Any, lang: str | None, scale: float | None) -> list[Any]:
        moved = offset if isinstance(offset, int) and not isinstance(offset, bool) and abs(offset) < 10**6 else 0
        chosen = hours if isinstance(hours, int) and not isinstance(hours, bool) and hours in CHOICES \
            else screen.settings.replay_hours
        code = normalize(lang, screen.settings.lang)
        view = render(screen, chosen, (n or 0) + moved, code, clamp_scale(scale))
        return [patch_from(map_changes(screen.frame, view["layers"])), *[view[k] for _, _, k in OUTPUTS],
                heartbeat(n, None, screen.clock(), 1000 * screen.settings.replay_step_seconds)]
