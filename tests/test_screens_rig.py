"""The rig for the screen tests: app server, Chromium, fixtures and text waits (no tests here).

The app is served by werkzeug in a thread. ``tests/test_screens.py`` and
``tests/test_screens_desks.py`` feed it an injectable ``FakeSource`` (states that are
hard to produce for real); ``tests/test_screens_live.py`` feeds it a real
``SnapshotSource`` on a Redis seeded through the real consumers. Waits poll the page's
text and never sleep; the ``driver`` fixture ends every test by asserting a clean
console. Also used by ``scripts/screenshots.py``.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from dashboard.app import create_app
from layers.freshness import freshness
from layers.kpi import KPIS, kpi_views
from layers.tiles import value_text
from marvec.settings import Settings
from marvec.snapshot import Snapshot
from tests.snapshot_fixtures import FakeBoundaries, FakeSource, rich_snapshot

HAVE_CHROMIUM = bool(shutil.which("chromium") and shutil.which("chromedriver"))
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason="needs chromium and chromedriver (apt-get install chromium chromium-driver)"),
]


CHROME_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
               "--disable-dev-shm-usage")


class AppServer:
    """A Flask/Dash app served by werkzeug in a thread on a free port."""

    def __init__(self, flask_app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = make_server(host, port, flask_app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


def make_driver(width: int = 1920, height: int = 1080) -> Any:
    """Headless Chromium with a fresh profile, an exact viewport and browser logs on.

    Close it with ``quit_driver`` (which also removes the profile directory).
    """
    profile = tempfile.mkdtemp(prefix="marvec-chrome-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in CHROME_ARGS:
        opts.add_argument(arg)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.marvec_profile = profile
    set_viewport(driver, width, height)
    return driver


def quit_driver(driver: Any) -> None:
    driver.quit()
    shutil.rmtree(getattr(driver, "marvec_profile", ""), ignore_errors=True)


def set_viewport(driver: Any, width: int, height: int, touch: bool = False) -> None:
    """Make the page viewport exactly ``width`` x ``height`` CSS pixels (device scale 1)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": touch, "maxTouchPoints": 5})


def severe_console_errors(driver: Any) -> list[dict[str, Any]]:
    """SEVERE browser-console entries, ignoring a missing favicon."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]

WAIT_S = 15


def wait(driver: Any, timeout: float = WAIT_S) -> WebDriverWait:
    """A wait that shrugs off elements replaced mid-check (the screens re-render live)."""
    return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,))


def texts(driver: Any, css: str) -> list[str]:
    """The text of every element matching ``css`` (read in the page, so never stale)."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText.trim())", css)


@pytest.fixture(scope="module")
def boundaries() -> FakeBoundaries:
    return FakeBoundaries()


@pytest.fixture(scope="module")
def source(boundaries: FakeBoundaries) -> FakeSource:
    return FakeSource(rich_snapshot(boundaries=boundaries))


@pytest.fixture(scope="module")
def base(source: FakeSource, boundaries: FakeBoundaries) -> Iterator[str]:
    # A 2 s crisis hold: the wall returns to its rotation soon after a crisis test ends it
    # (the hold itself: tests/test_wall_hold.py).
    settings = Settings(auth="open", lang="id", refresh_ms=1000, stale_after_seconds=300, crisis_hold_seconds=2)
    server = AppServer(create_app(settings, boundaries, source).server)
    yield server.url
    server.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = make_driver(1920, 1080)
    yield driver
    quit_driver(driver)


@pytest.fixture
def driver(browser: Any, base: str, source: FakeSource, boundaries: FakeBoundaries) -> Iterator[Any]:
    """A fresh snapshot, Indonesian, 1920x1080; afterwards the console must be clean."""
    source.set(rich_snapshot(boundaries=boundaries))
    set_viewport(browser, 1920, 1080)
    browser.get(base + "/")
    browser.execute_script("window.localStorage.clear()")
    yield browser
    assert severe_console_errors(browser) == []
    assert browser.execute_script("return window.__xss") is None


def wait_text(driver: Any, css: str, expected: str, timeout: float = WAIT_S) -> None:
    """Wait until the first element matching ``css`` shows exactly ``expected``."""
    try:
        wait(driver, timeout).until(lambda d: texts(d, css)[:1] == [expected])
    except TimeoutException:
        got = texts(driver, css)[:1] or ["<no element>"]
        raise AssertionError(f"{css!r} never showed {expected!r}; it shows {got[0]!r}") from None


def wait_contains(driver: Any, css: str, expected: str, timeout: float = WAIT_S) -> None:
    """Wait until some element matching ``css`` contains ``expected``."""
    try:
        wait(driver, timeout).until(lambda d: any(expected in t for t in texts(d, css)))
    except TimeoutException:
        raise AssertionError(f"no {css!r} ever contained {expected!r}; they show {texts(driver, css)!r}") from None


def wait_gone(driver: Any, css: str, timeout: float = WAIT_S) -> None:
    wait(driver, timeout).until(lambda d: not d.find_elements(By.CSS_SELECTOR, css))


def tile(key: str) -> str:
    return f'[data-kpi="{key}"] .tile-value'


def plot_traces(driver: Any, graph_id: str) -> list[dict[str, Any]]:
    return driver.execute_script(
        "const gd=document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        "return gd && gd.data ? gd.data.map(t => ({type: t.type, fill: t.fill || null, name: t.name,"
        " n: (t.x || []).length})) : [];", graph_id)


def shown_kpis(driver: Any) -> dict[str, str]:
    """Every KPI tile's headline number as the page shows it, by key."""
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('[data-kpi]')]"
        ".map(e => [e.dataset.kpi, e.querySelector('.tile-value').innerText.trim()]))")


def expected_kpis(snapshot: Snapshot, lang: str = "id") -> dict[str, str]:
    """Every KPI tile's number for ``snapshot``, formatted by ``layers`` as the tiles do."""
    fresh = freshness(snapshot, True, 0.0, float("inf"))
    return {v.spec.key: value_text(v, lang) for v in kpi_views(snapshot, fresh, KPIS)}


def tap_at(driver: Any, x: float, y: float) -> None:
    """A pointer tap at viewport coordinates (what a finger on the tablet does)."""
    from selenium.webdriver.common.action_chains import ActionChains

    actions = ActionChains(driver)
    actions.w3c_actions.pointer_action.move_to_location(int(x), int(y)).click()
    actions.perform()
