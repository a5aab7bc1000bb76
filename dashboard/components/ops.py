"""The war room's state on a page (contract 6): the level badge, the wall's alert strip,
the acknowledge list, the level form and the war-room log, with their callbacks.

Each page places the parts it shows (``create_*``) and calls ``register_ops`` once: one
callback per page keeps them fresh from the same snapshot read as the rest of the page
(the source's cache: no extra Redis read), sending nothing when they did not change.
Acknowledging, setting the level and adding a note write through
``marvec.alerts.store.AlertStore``, after the same role checks as the HTTP API
(``dashboard.alerts_api``): whoever may not gets a one-line refusal, never a write.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import redis
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.alerts_api import ACK_ROLES, LEVEL_ROLES, MAX_TEXT, NOTE_ROLES
from dashboard.auth import current_principal
from dashboard.components import ids
from dashboard.components.context import ScreenContext
from dashboard.components.ids import PageIds
from dashboard.components.shell import live_inputs
from dashboard.i18n import normalize, translator
from layers.ops import LEVELS, alert_list, alert_strip, level_badge, log_list
from marvec.alerts.store import AlertStore
from marvec.snapshot import Snapshot

PARTS = ("level", "strip", "alerts", "log")
"""What a page may show: ``level`` (every page), ``strip`` (the wall), ``alerts`` (the
list with acknowledge: /crisis, /mayor), ``log`` (/crisis)."""


def part_id(page: PageIds, part: str) -> str:
    return f"{page.page}-ops-{part}"


def _digest_id(page: PageIds) -> str:
    return f"{page.page}-ops-digest"


def may(roles: frozenset[str]) -> bool:
    """Whether the caller of the current request has one of ``roles``."""
    who = current_principal()
    return who is not None and who.role in roles


def render_parts(snapshot: Snapshot | None, parts: tuple[str, ...], lang: str, now: float,
                 can_ack: bool | None = None, large_level: bool = False) -> dict[str, Any]:
    """Each part's children for one snapshot (pure)."""
    tr = translator(lang)
    if can_ack is None:
        can_ack = may(ACK_ROLES)
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


def create_ops_store(page: PageIds) -> dcc.Store:
    return dcc.Store(id=_digest_id(page), data=None, storage_type="memory")


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


def register_ops(app: Dash, screen: ScreenContext, page: PageIds, parts: tuple[str, ...],
                 large_level: bool = False, forms: bool = False) -> None:
    """Keep ``parts`` fresh on ``page``; with ``forms``, the level and note forms act."""
    outputs = [Output(part_id(page, p), "children") for p in parts]

    @app.callback(*outputs, Output(_digest_id(page), "data"),
                  *live_inputs(page), State(_digest_id(page), "data"), State(ids.LANG, "data"))
    def refresh(_n: int | None, _push: Any, digest: str | None, lang: str | None) -> tuple[Any, ...]:
        read = screen.read(whole_seconds=True)
        code = normalize(lang or screen.settings.lang)
        can_ack = may(ACK_ROLES)
        view = render_parts(read.snapshot, parts, code, read.now, can_ack, large_level)
        blob = orjson.dumps([view[p].to_plotly_json() for p in parts], default=_plain)
        new = hashlib.blake2b(blob + code.encode(), digest_size=8).hexdigest()
        if new == digest:
            raise PreventUpdate
        return (*(view[p] for p in parts), new)

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


def _plain(obj: Any) -> Any:
    if hasattr(obj, "to_plotly_json"):
        return obj.to_plotly_json()
    raise TypeError(type(obj).__name__)
