"""/: a big link per screen, then the wall's replay and the briefings (full page loads:
``/briefings`` is not a Dash page)."""

from __future__ import annotations

from dash import dcc, html

from dashboard.components.shell import PAGES, create_lang_button
from marvec.i18n import translator


def layout(lang: str) -> html.Div:
    tr = translator(lang)
    cards = [
        dcc.Link([html.Div(tr("nav." + p), className="home-card-title"),
                  html.Div(tr(f"nav.{p}.desc"), className="home-card-desc"),
                  html.Div(f"/{p}", className="home-card-path")], href=f"/{p}", className="home-card")
        for p in PAGES
    ] + [
        html.A([html.Div(tr(f"nav.{key}"), className="home-card-title"),
                html.Div(tr(f"nav.{key}.desc"), className="home-card-desc"),
                html.Div(path, className="home-card-path")], href=path, className="home-card home-card-more")
        for key, path in (("replay", "/wall/replay"), ("briefings", "/briefings"))
    ]
    return html.Div([
        html.Header([html.Span("MARVEC", className="brand"), html.Span(tr("app.title"), className="page-title"),
                     create_lang_button("home", tr)], className="topbar home-bar"),
        html.Main(cards, className="home-cards"),
    ], className="page home")
