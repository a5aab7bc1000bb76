"""Take PNGs of every screen on a rich fixture snapshot, into ``docs/img/``.

Rerunnable by anyone with the venv and Debian's chromium + chromium-driver:

    .venv/bin/python scripts/screenshots.py            # all shots
    .venv/bin/python scripts/screenshots.py wall_3840  # only the named ones

The app runs in-process with a fake snapshot source (``tests/snapshot_fixtures.py``),
so no Redis or Kafka is needed. Each shot waits until the page shows the snapshot's
numbers and the map is drawn, and reports any page that scrolls.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from dashboard.app import create_app  # noqa: E402
from layers.citymap import FOCI  # noqa: E402
from marvec.settings import Settings  # noqa: E402
from tests.snapshot_fixtures import (  # noqa: E402
    FakeSource,
    load_boundaries,
    rich_snapshot,
    with_crisis,
    with_silent_feed,
)
from tests.test_screens_rig import AppServer, make_driver, quit_driver, set_viewport  # noqa: E402

OUT = ROOT / "docs" / "img"


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    width: int
    height: int
    scenario: str = "rich"
    action: Callable[[Any], None] | None = None
    focus: str | None = None
    """Wall rotation slot to show (``complaints``, ``economy``, ``disasters``)."""


def _open_detail(driver: Any) -> None:
    driver.find_elements(By.CSS_SELECTOR, ".hot-row")[0].click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".detail-sheet:not(.hidden) h2"))


SHOTS = (
    Shot("wall_3840x2160", "/wall", 3840, 2160, focus="complaints"),
    Shot("wall_1920x1080", "/wall", 1920, 1080, focus="complaints"),
    Shot("wall_economy_1920x1080", "/wall", 1920, 1080, focus="economy"),
    Shot("wall_disasters_3840x2160", "/wall", 3840, 2160, focus="disasters"),
    Shot("wall_crisis_1920x1080", "/wall", 1920, 1080, "crisis"),
    Shot("wall_stale_1920x1080", "/wall", 1920, 1080, "stale"),
    Shot("mayor_1180x820", "/mayor", 1180, 820),
    Shot("mayor_820x1180", "/mayor", 820, 1180),
    Shot("mayor_detail_1180x820", "/mayor", 1180, 820, action=_open_detail),
    Shot("crisis_1920x1080", "/crisis", 1920, 1080, "crisis"),
)


def rotation_for(focus: str | None, now: float) -> int:
    """A ``wall_rotate_seconds`` that puts ``now`` well inside ``focus``'s rotation slot."""
    if focus is None:
        return 3600
    for seconds in range(1800, 7200, 7):
        slot, into = divmod(now, seconds)
        if FOCI[int(slot) % len(FOCI)] == focus and 0.2 < into / seconds < 0.8:
            return seconds
    raise RuntimeError(f"no rotation period lands on {focus}")


def scenario(name: str, boundaries: Any) -> Any:
    now = time.time()
    snap = rich_snapshot(now, boundaries)
    if name == "crisis":
        return with_crisis(snap, now, boundaries)
    if name == "stale":
        return with_silent_feed(snap, "economy", 1260, now)
    return snap


def _ready(driver: Any) -> bool:
    plots = driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .scatterlayer .trace")
    clock = driver.find_elements(By.CSS_SELECTOR, ".clock")
    return bool(plots) and (not clock or "WITA" in clock[0].text)


def take(driver: Any, shot: Shot, boundaries: Any) -> Path:
    """Serve a fresh app for the shot (its rotation period lands on the wanted focus)."""
    source = FakeSource(scenario(shot.scenario, boundaries))
    settings = Settings(auth="open", lang="id", refresh_ms=1000,
                        wall_rotate_seconds=rotation_for(shot.focus, time.time()))
    server = AppServer(create_app(settings, boundaries, source).server)
    try:
        return _shoot(driver, server.url, shot)
    finally:
        server.close()


def _shoot(driver: Any, base: str, shot: Shot) -> Path:
    set_viewport(driver, shot.width, shot.height, touch=shot.path == "/mayor")
    driver.get(base + shot.path)
    WebDriverWait(driver, 30).until(_ready)
    if shot.action:
        shot.action(driver)
    time.sleep(1.5)  # let plotly finish its resize and the first patch land
    overflow = driver.execute_script(
        "const e=document.scrollingElement;return [e.scrollWidth-innerWidth, e.scrollHeight-innerHeight]")
    if shot.path != "/mayor" and (overflow[0] > 0 or overflow[1] > 0):
        print(f"  ! {shot.name}: page scrolls by {overflow}", file=sys.stderr)
    out = OUT / f"{shot.name}.png"
    driver.save_screenshot(str(out))
    return out


def main(argv: list[str]) -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    wanted = set(argv)
    shots = [s for s in SHOTS if not wanted or s.name in wanted or any(s.name.startswith(w) for w in wanted)]
    OUT.mkdir(parents=True, exist_ok=True)
    boundaries = load_boundaries()
    driver = make_driver(1920, 1080)
    try:
        for shot in shots:
            print(take(driver, shot, boundaries).relative_to(ROOT))
    finally:
        quit_driver(driver)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
