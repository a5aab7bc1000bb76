"""The Dash app factory: ``create_app(settings, boundaries, source)``.

A thin shell: the URL picks a page module (``/wall``, ``/wall/replay`` or ``/wall?replay=N``,
``/mayor``, ``/crisis``, ``/rapor``; ``/`` links to them), the stored language re-renders it, and each page registers its own
live callback. Everything is served from the package (``serve_locally``): no CDN, so
the war room works offline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, cast

import dash
from dash import Input, Output, dcc, html

from dashboard.alerts_api import install_alerts
from dashboard.auth import ANY_ROLE, BY_PATHNAME
from dashboard.briefings import install_briefings
from dashboard.components import ids
from dashboard.components.context import ScreenContext, Source
from dashboard.components.shell import register_lang_toggle
from dashboard.intake import install_intake
from dashboard.pages import crisis, home, mayor, rapor, replay, wall
from dashboard.server import install_server
from layers.mapframe import build_frame
from marvec.i18n import normalize
from marvec.settings import Settings

ASSETS = Path(__file__).resolve().parent / "assets"

INDEX = """<!DOCTYPE html>
<html lang="{lang}">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


def _shell(settings: Settings) -> html.Div:
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.LANG, storage_type="local", data=settings.lang),
        dcc.Store(id=ids.HTML_LANG, storage_type="memory"),  # <html lang>, kept by marvec.setLang
        html.Div(id=ids.PAGE, className="page-host"),
    ])


def _register_router(app: dash.Dash, screen: ScreenContext) -> None:
    pages: dict[str, Callable[[str], Any]] = {
        "/wall": lambda lang: wall.layout(screen, lang),
        "/mayor": lambda lang: mayor.layout(screen, lang),
        "/crisis": lambda lang: crisis.layout(screen, lang),
        "/rapor": lambda lang: rapor.layout(screen, lang),
    }

    # The pathname stays the first input: the access guard renders what it names
    # (``dashboard.auth.callback_pages_of``); the query only picks the wall's replay.
    @app.callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), Input(ids.LANG, "data"),
                  Input(ids.URL, "search"))
    def route(pathname: str | None, lang: str | None, search: str | None) -> Any:
        code = normalize(lang, screen.settings.lang)
        if replay.wanted(pathname, search):  # /wall/replay, /wall?replay=8
            return replay.layout(screen, code, search)
        path = "/" + (pathname or "/").strip("/").split("/")[0]
        return pages.get(path, home.layout)(code)


def _on_page(app: dash.Dash, pages: dict[str, str], page: str, register: Callable[[], None]) -> None:
    """Run ``register`` and put every server callback it added on ``page`` (the access guard
    lets a callback render only for the roles of its page, ``dashboard.auth.CallbackPages``)."""
    before = set(app.callback_map)
    register()
    pages.update(dict.fromkeys(set(app.callback_map) - before, page))


def _install_server(app: dash.Dash, settings: Settings, source: Source, pages: dict[str, str]) -> None:
    """Hand the Flask server to ``dashboard.server`` (API, health, auth, headers).

    ``install_server`` is typed for the real ``SnapshotSource``; tests and screenshots
    pass a stand-in with the same ``get()`` (it tolerates those, see its docstring).
    """
    install_server(app.server, settings, cast(Any, source), dash_app=app, callback_pages=pages)


def create_app(
    settings: Settings, boundaries: Any, source: Source, clock: Callable[[], float] = time.time,
    *, evaluate_alerts: bool = False,
) -> dash.Dash:
    """Build the Dash app for ``boundaries`` (``geodata.Boundaries``) and a snapshot ``source``.

    ``source.get()`` must return an object with ``snapshot``, ``ok``, ``fetched_at`` and
    ``error`` (``dashboard.source.SnapshotResult``). ``clock`` is injectable for tests.
    ``evaluate_alerts``: each worker joins the alert evaluation (``marvec dashboard``).
    """
    frame = build_frame(boundaries.geojson())
    client = getattr(source, "client", None)
    screen = ScreenContext(settings, frame, tuple(boundaries.names), source, clock)
    app = dash.Dash(
        # update_title=None: no "Updating..." title flicker (Dash's type hint says str only).
        __name__, title="Marvec", update_title=None,  # type: ignore[arg-type]
        serve_locally=True, assets_folder=str(ASSETS),
        suppress_callback_exceptions=True, use_pages=False, index_string=INDEX.replace("{lang}", settings.lang),
    )
    app.layout = _shell(settings)
    pages: dict[str, str] = {}
    _on_page(app, pages, BY_PATHNAME, lambda: _register_router(app, screen))
    _on_page(app, pages, ANY_ROLE, lambda: register_lang_toggle(app))
    # The replay's callbacks are the wall's: the same role (``/wall/replay``).
    for name, page in (("wall", wall), ("wall", replay), ("mayor", mayor), ("crisis", crisis), ("rapor", rapor)):
        _on_page(app, pages, name, lambda page=page: page.register(app, screen))  # type: ignore[misc]
    _install_server(app, settings, source, pages)
    if callable(client):  # a test stand-in without Redis has no intake or alerts API
        install_intake(app.server, settings, boundaries, client)
        install_alerts(app.server, settings, client, partial(_good_snapshot, source),
                       evaluate=evaluate_alerts)
        install_briefings(app.server, settings, client, frame, partial(_good_snapshot, source),
                          schedule=evaluate_alerts)
    warm(app)
    return app


def _good_snapshot(source: Source) -> Any:
    result = source.get()
    return result.snapshot if result.ok else None


def warm(app: dash.Dash) -> None:
    """Let Dash register its script bundles now, before any request (and before gunicorn forks).

    Dash does it on its first request, in a ``before_request`` hook that marks itself
    done before it has registered anything: a request arriving meanwhile on another
    thread found ``/_dash-component-suites/dash/...`` unregistered and answered 500
    (``DependencyException``), so a fresh worker could break the page it first served.
    """
    with app.server.test_request_context("/"):
        app._setup_server()  # Dash's own first-request set-up, run once here
