"""The war room's state on a page (contract 6): the level badge, the wall's alert strip,
the acknowledge list, the level form and the war-room log, with their callbacks.

Each page places the parts it shows (``create_part``), adds them to its one live callback
(``ops_outputs``/``ops_view``: the same read, the same memo and digests as the rest of
the page, no extra request per tick) and calls ``register_ops`` for the actions.
Acknowledging, setting the level and adding a note write through
``marvec.alerts.store.AlertStore``, after the same role checks as the HTTP API
(``dashboard.alerts_api``): whoever may not gets a one-line refusal, never a write.
"""

from __future__ import annotations

from typing import Any

import flask
import redis
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.alerts_api import ACK_ROLES, LEVEL_ROLES, MAX_TEXT, NOTE_ROLES
from dashboard.auth import current_principal
from dashboard.components import ids
from dashboard.components.context import ScreenContext
from dashboard.components.ids import PageIds
from layers.ops import LEVELS, alert_list, alert_strip, level_badge, log_list
from marvec.alerts.store import AlertStore
from marvec.i18n import normalize, translator
from marvec.snapshot import Snapshot


def part_id(page: PageIds, part: str) -> str:
    return f"{page.page}-ops-{part}"


def may(roles: frozenset[str]) -> bool:
    """Whether the caller of the current request has one of ``roles`` (no request: no)."""
    if not flask.has_request_context():
        return False
    who = current_principal()
    return who is not None and who.role in roles


def render_parts(snapshot: Snapshot | None, parts: tuple[str, ...], lang: str, now: float,
                 can_ack: bool, large_level: bool = False) -> dict[str, Any]:
    """Each part's children for one snapshot (pure). A page shows some of ``level`` (every
    page), ``strip`` (the wall), ``alerts`` (the list with acknowledge) and ``log``."""
    tr = translator(lang)
    out: dict[str, Any] = {}
    for part in parts:
        if part == "level":
            out[part] = level_badge(snapshot, tr, lang, large=large_level)
        elif part == "strip":
            out[part] = alert_strip(snapshot, tr, lang, now)
        elif part == "alerts":
            out[part] = alert_list(snapshot, tr, lang, now, can_ack)
        elif part == "log":
            out[part] = log_list(snapshot, tr, lang)
    return out


def create_part(page: PageIds, part: str, children: Any = None, class_name: str = "") -> html.Div:
    return html.Div(children, id=part_id(page, part), className=f"ops-{part} {class_name}".strip())


def create_level_form(page: PageIds, lang: str) -> html.Div:
    """Set the city's level (crisis, admin): a level, a reason (required), a button."""
    tr = translator(lang)
    return html.Div([
        dcc.Dropdown(id=f"{page.page}-level-choice", options=[
            {"label": tr("level." + lv).upper(), "value": lv} for lv in LEVELS],
            value=None, clearable=False, searchable=False, placeholder=tr("level.set"),
            className="level-choice"),
        dcc.Input(id=f"{page.page}-level-reason", type="text", maxLength=MAX_TEXT,
                  placeholder=tr("level.reason"), debounce=False),
        html.Button(tr("level.set"), id=f"{page.page}-level-set", className="btn", n_clicks=0),
        html.Div(id=f"{page.page}-level-msg", className="level-msg muted", role="status"),
    ], className="level-form")


def create_note_form(page: PageIds, lang: str) -> html.Div:
    tr = translator(lang)
    return html.Div([
        dcc.Input(id=f"{page.page}-note-text", type="text", maxLength=MAX_TEXT,
                  placeholder=tr("log.note_placeholder")),
        html.Button(tr("log.add"), id=f"{page.page}-note-add", className="btn", n_clicks=0),
        html.Div(id=f"{page.page}-note-msg", className="level-msg muted", role="status"),
    ], className="level-form note-form")


def _store(screen: ScreenContext) -> AlertStore:
    client = getattr(screen.source, "client", None)
    if not callable(client):
        raise redis.ConnectionError("no Redis behind this screen's source")
    return AlertStore(client())


def ops_outputs(page: PageIds, parts: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """The parts as entries of a page's ``OUTPUTS`` (id, property, key ``ops_<part>``): the
    page's one live callback keeps them fresh with the rest, from the same read."""
    return tuple((part_id(page, p), "children", f"ops_{p}") for p in parts)


def ops_view(snapshot: Snapshot | None, parts: tuple[str, ...], lang: str, now: float,
             can_ack: bool, large_level: bool = False) -> dict[str, Any]:
    """``render_parts`` keyed for ``ops_outputs``."""
    view = render_parts(snapshot, parts, lang, now, can_ack, large_level)
    return {f"ops_{p}": v for p, v in view.items()}


def register_ops(app: Dash, screen: ScreenContext, page: PageIds, parts: tuple[str, ...],
                 forms: bool = False) -> None:
    """The actions on ``page``: acknowledge (when it lists ``alerts``) and, with ``forms``,
    the level and note forms."""
    if "alerts" in parts:
        @app.callback(Output(part_id(page, "alerts"), "className"),
                      Input({"type": "alert-ack", "fp": ALL}, "n_clicks"), prevent_initial_call=True)
        def acknowledge(clicks: list[int | None]) -> Any:
            trig = ctx.triggered_id
            if not isinstance(trig, dict) or not any(clicks or []):
                raise PreventUpdate
            who = current_principal()
            if who is None or who.role not in ACK_ROLES:
                return "ops-alerts denied"
            _store(screen).ack(str(trig["fp"]), who.name)
            return "ops-alerts"

    if forms:
        @app.callback(Output(f"{page.page}-level-msg", "children"), Output(f"{page.page}-level-reason", "value"),
                      Input(f"{page.page}-level-set", "n_clicks"),
                      State(f"{page.page}-level-choice", "value"), State(f"{page.page}-level-reason", "value"),
                      State(ids.LANG, "data"), prevent_initial_call=True)
        def set_level(n: int | None, level: str | None, reason: str | None, lang: str | None) -> tuple[str, Any]:
            tr = translator(normalize(lang or screen.settings.lang))
            if not n or level not in LEVELS:
                raise PreventUpdate
            if not may(LEVEL_ROLES):
                return tr("level.denied"), no_update
            text = (reason or "").strip()
            if not text:
                return tr("level.reason_needed"), no_update
            who = current_principal()
            assert who is not None
            _store(screen).set_level(level, text[:MAX_TEXT], who.name)
            return tr("level.done").format(level=tr("level." + level).upper()), ""

        @app.callback(Output(f"{page.page}-note-msg", "children"), Output(f"{page.page}-note-text", "value"),
                      Input(f"{page.page}-note-add", "n_clicks"), State(f"{page.page}-note-text", "value"),
                      prevent_initial_call=True)
        def add_note(n: int | None, text: str | None) -> tuple[str, Any]:
            body = (text or "").strip()
            if not n or not body:
                raise PreventUpdate
            who = current_principal()
            if who is None or who.role not in NOTE_ROLES:
                return "403", no_update
            _store(screen).note(body[:MAX_TEXT], who.name)
            return "✓", ""

