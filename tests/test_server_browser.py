"""Real Chromium against the HTTP shell: Dash runs under the CSP, the login form works."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dash
import plotly.graph_objects as go
import pytest
import redis
from dash import dcc, html
from test_server import ScriptedReader, scripted_source
from werkzeug.serving import make_server

from dashboard.auth import save_user
from dashboard.server import install_server
from dashboard.source import SnapshotSource
from marvec.settings import Settings

pytestmark = pytest.mark.browser

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")

# Recorded before any page script runs (DevTools bypasses the page's CSP).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""

SQUARE = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "id": "Mariso", "properties": {},
    "geometry": {"type": "Polygon", "coordinates": [[[119.40, -5.14], [119.42, -5.14],
                                                     [119.42, -5.16], [119.40, -5.16], [119.40, -5.14]]]}}]}


def screens_app(settings: Settings, sessions: redis.Redis | None = None) -> dash.Dash:
    """Figures of the kinds the screens use (SVG charts, MapLibre maps) and a clientside clock;
    logins recorded in ``sessions`` (default: a Redis that never answers)."""
    app = dash.Dash(__name__)
    choropleth = go.Figure(go.Choroplethmap(geojson=SQUARE, locations=["Mariso"], z=[3]))
    choropleth.update_layout(map_style="white-bg", map_center={"lat": -5.15, "lon": 119.41}, map_zoom=11)
    points = go.Figure(go.Scattermap(lat=[-5.15], lon=[119.41], mode="markers"))
    points.update_layout(map_style="white-bg")
    app.layout = html.Div([
        html.Div(id="clock"), dcc.Interval(id="tick", interval=300),
        dcc.Graph(id="bar", figure=go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))),
        dcc.Graph(id="line", figure=go.Figure(go.Scatter(x=[1, 2, 3], y=[2, 1, 3]))),
        dcc.Graph(id="choropleth", figure=choropleth), dcc.Graph(id="points", figure=points),
    ])
    app.clientside_callback("function(n) { return 'tick ' + n; }",
                            dash.Output("clock", "children"), dash.Input("tick", "n_intervals"))
    source = scripted_source(ScriptedReader())
    if sessions is not None:
        source = SnapshotSource(lambda: sessions, ["Mariso"], refresh_s=60, reader=ScriptedReader())
    install_server(app.server, settings, source, dash_app=app)
    return app


@pytest.fixture
def serve_app() -> Iterator[Callable[[dash.Dash], str]]:
    servers: list[Any] = []

    def start(app: dash.Dash) -> str:
        server = make_server("127.0.0.1", 0, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromedriver are needed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600",
                "--use-gl=swiftshader", "--enable-unsafe-swiftshader", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    yield driver
    driver.quit()


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def text_of(driver: Any, element_id: str) -> str:
    found = driver.find_elements("id", element_id)
    return found[0].text if found else ""


def severe_console(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_dash_charts_maps_and_clientside_callbacks_run_under_the_csp(browser: Any, serve_app: Callable[[dash.Dash], str]) -> None:
    base = serve_app(screens_app(Settings(auth="open")))
    browser.get(base + "/")
    wait_for(lambda: text_of(browser, "clock").startswith("tick"), what="the clientside clock")
    wait_for(lambda: len(browser.find_elements("css selector", ".js-plotly-plot")) == 4, what="4 plots")
    wait_for(lambda: browser.find_elements("css selector", "#choropleth canvas"), what="the MapLibre canvas")
    time.sleep(1.0)  # let the maps' workers start
    assert browser.execute_script("return window.__csp") == []
    assert severe_console(browser) == []


def test_the_csp_is_enforced(browser: Any, serve_app: Callable[[dash.Dash], str]) -> None:
    base = serve_app(screens_app(Settings(auth="open")))
    browser.get(base + "/")
    wait_for(lambda: text_of(browser, "clock").startswith("tick"), what="the clientside clock")
    browser.execute_script("setTimeout('window.__evaluated = 1', 0)")  # string eval: must be refused
    violations = wait_for(lambda: browser.execute_script("return window.__csp"), what="a CSP violation")
    assert any(v.startswith("script-src") for v in violations)
    assert browser.execute_script("return window.__evaluated") is None


def test_login_form_in_a_real_browser_lands_on_the_wall(browser: Any, serve_app: Callable[[dash.Dash], str],
                                                        tmp_path: Path, redis_client: redis.Redis) -> None:
    users = tmp_path / "users.json"
    save_user(users, "pusdalops", "Banjir#Tamalate", "crisis")
    settings = Settings(auth="required", secret_key="browser-test-secret-123", users_file=users)
    base = serve_app(screens_app(settings, redis_client))
    browser.get(base + "/wall")
    wait_for(lambda: "/login" in browser.current_url, what="the redirect to /login")
    browser.find_element("id", "username").send_keys("pusdalops")
    browser.find_element("id", "password").send_keys("Banjir#Tamalate")
    browser.find_element("css selector", "button[type=submit]").click()
    wait_for(lambda: browser.current_url.endswith("/wall"), what="landing on /wall")
    wait_for(lambda: text_of(browser, "clock").startswith("tick"), what="the dashboard running")
    browser.get(base + "/mayor")
    wait_for(lambda: "Access denied" in browser.page_source, what="the 403 page")
    assert browser.execute_script("return window.__csp") == []


@pytest.mark.parametrize("path", ["/wall", "/mayor", "/crisis"])
def test_real_screens_run_under_the_csp(browser: Any, serve_app: Callable[[dash.Dash], str], path: str) -> None:
    from test_server_app import real_app

    from geodata import load_boundaries

    base = serve_app(real_app(Settings(auth="open"), load_boundaries(None)))
    browser.get(base + path)
    wait_for(lambda: len(browser.find_elements("css selector", ".js-plotly-plot")) > 0, what="the screen's plots")
    time.sleep(2.0)  # callbacks, map workers
    assert browser.execute_script("return window.__csp") == []
    blocked = [m for m in severe_console(browser) if "Content Security Policy" in m or "Refused" in m]
    assert blocked == []


def test_a_wall_token_runs_the_real_wall_in_a_browser_and_gets_no_mayor(
        browser: Any, serve_app: Callable[[dash.Dash], str], redis_client: redis.Redis) -> None:
    """The callbacks' role checks let the real wall run (its router and data callbacks)."""
    from test_server_app import real_app

    from dashboard.auth import make_display_token
    from geodata import load_boundaries

    settings = Settings(auth="required", secret_key="browser-test-secret-123")
    base = serve_app(real_app(settings, load_boundaries(None), redis_client))
    browser.get(f"{base}/login/token?t={make_display_token(settings, 'lobby')}")
    wait_for(lambda: browser.current_url.endswith("/wall"), what="landing on /wall")
    wait_for(lambda: browser.find_elements("css selector", ".page.wall"), what="the wall rendered by the router")
    wait_for(lambda: len(browser.find_elements("css selector", ".js-plotly-plot")) > 0, what="the wall's map")
    time.sleep(2.0)  # a few data ticks
    assert [m for m in severe_console(browser) if "403" in m] == [], "no callback of the wall is refused"
    browser.get(base + "/mayor")
    wait_for(lambda: "Access denied" in browser.page_source, what="the 403 page")


def test_kecamatan_names_render_on_the_map_as_text_in_a_real_browser(
        browser: Any, serve_app: Callable[[dash.Dash], str]) -> None:
    """Names from a boundaries file: no injected link or 60 px text in the drawn map,
    and quotes shown as quotes (not ``&quot;``)."""
    from layers.citymap import city_map_figure, map_layers
    from layers.mapframe import build_frame
    from marvec.i18n import translator

    evil = '<a href="https://evil.example">Klik</a><span style="font-size:60px">X</span>'
    quoted = 'Ujung "Lama" O\'Neil & Co'

    def square(name: str, x: float) -> dict[str, Any]:
        ring = [[x, -5.1], [x + 0.01, -5.1], [x + 0.01, -5.11], [x, -5.11], [x, -5.1]]
        return {"type": "Feature", "properties": {"kecamatan": name},
                "geometry": {"type": "Polygon", "coordinates": [ring]}}

    frame = build_frame({"features": [square(evil, 119.4), square(quoted, 119.42)]})
    figure = city_map_figure(frame, map_layers(None, frame, "complaints", translator("en")),
                             interactive="pan")
    app = dash.Dash(__name__)
    app.layout = html.Div([dcc.Graph(id="map", figure=figure)])
    install_server(app.server, Settings(auth="open"), scripted_source(ScriptedReader()), dash_app=app)
    browser.get(serve_app(app) + "/")
    texts = wait_for(lambda: browser.execute_script(
        "return Array.from(document.querySelectorAll('#map svg text.textpoint, #map svg g.textpoint text'))"
        ".map(t => t.textContent)"), what="the map's labels")
    drawn = " | ".join(texts)
    assert browser.execute_script("return document.querySelectorAll('#map svg a').length") == 0
    assert 'font-size: 60px' not in browser.execute_script(
        "return document.querySelector('#map svg').outerHTML")
    assert '<a href="https://evil.example">Klik</a>' in drawn, drawn  # shown as the text it is
    assert 'Ujung "Lama" O\'Neil & Co' in drawn.replace("\u00a0", " ") or \
        ('Ujung' in drawn and '"Lama"' in drawn and "O'Neil & Co" in drawn), drawn
    assert "&quot;" not in drawn and "&amp;" not in drawn and "&#x27;" not in drawn
