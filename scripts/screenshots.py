"""Take PNGs of every screen into ``docs/img/``, on real or on fixture data.

Rerunnable by anyone with the venv and Debian's chromium + chromium-driver:

    .venv/bin/python scripts/screenshots.py --live          # real pipeline (docs/img/live_*.png)
    .venv/bin/python scripts/screenshots.py --live --hours 4 live_wall
    .venv/bin/python scripts/screenshots.py                 # fixture snapshots (the other PNGs)
    .venv/bin/python scripts/screenshots.py wall_3840       # only the named ones

``--live`` starts an embedded Kafka-protocol broker and an embedded Redis, sends the
simulator's backlog and ``--hours`` of simulated history through a real consumer, keeps
a trickle of new events flowing while it shoots, and serves the app on a real
``SnapshotSource``: what the screens show is what the war room would see. The fixture
mode runs the app on a fake snapshot source (``tests/snapshot_fixtures.py``), no Redis
or Kafka, for states that are hard to catch live (a stale feed, each wall focus).
Each shot waits until the page shows data and the map is drawn, and reports any page
that scrolls.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # tests/ for streamrig's own imports

from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from dashboard.app import create_app  # noqa: E402
from layers.citymap import FOCI  # noqa: E402
from marvec.contract import WITA  # noqa: E402
from marvec.settings import Settings  # noqa: E402
from tests.snapshot_fixtures import (  # noqa: E402
    FakeSource,
    load_boundaries,
    rich_period,
    rich_replay,
    rich_snapshot,
    with_alerts,
    with_crisis,
    with_silent_feed,
)
from tests.test_screens_rig import AppServer, make_driver, quit_driver, set_viewport  # noqa: E402

# The live mode's pieces (Kafka, Redis, the consumer) are imported when it runs.

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
    """Tap the worst hotspot; tap again if the page was still wiring its callbacks."""
    for _ in range(3):
        driver.find_elements(By.CSS_SELECTOR, ".hot-row")[0].click()
        try:
            WebDriverWait(driver, 4).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".detail-sheet:not(.hidden) h2"))
            return
        except TimeoutException:
            continue
    raise RuntimeError("the kecamatan sheet did not open")


def _seven_days(driver: Any) -> None:
    """Tap "7 hari" and wait for the tiles to say so."""
    driver.find_element(By.ID, "mayor-period-7d").click()
    WebDriverWait(driver, 10).until(lambda d: "7 hari" in d.find_element(By.CSS_SELECTOR, ".mayor .kpi-grid").text)


def _open_rapor_detail(driver: Any) -> None:
    """Tap the worst-ranked OPD's row and wait for its sheet with its history."""
    for _ in range(3):
        rows = driver.find_elements(By.CSS_SELECTOR, "#rapor-table tr.rapor-row:not(.rapor-unassigned)")
        rows[-1].click()
        try:
            WebDriverWait(driver, 4).until(lambda d: d.find_elements(
                By.CSS_SELECTOR, '.rapor-sheet:not(.hidden) [data-section="months"]'))
            return
        except TimeoutException:
            continue
    raise RuntimeError("the OPD sheet did not open")


def _replay_hour(n: int) -> Callable[[Any], None]:
    """Wait for the replay to step to its ``n``-th hour (``MARVEC_REPLAY_STEP_SECONDS`` each)."""
    def action(driver: Any) -> None:
        WebDriverWait(driver, 60).until(
            lambda d: f"jam {n} dari" in d.find_element(By.CSS_SELECTOR, ".replay-banner").text)
    return action


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
    Shot("mayor_7d_1180x820", "/mayor", 1180, 820, action=_seven_days),
    Shot("crisis_1920x1080", "/crisis", 1920, 1080, "crisis"),
    Shot("wall_alert_3840x2160", "/wall", 3840, 2160, "alert"),
    Shot("wall_alert_1920x1080", "/wall", 1920, 1080, "alert"),
    Shot("wall_replay_1920x1080", "/wall?replay=8", 1920, 1080, action=_replay_hour(3)),
    Shot("wall_replay_3840x2160", "/wall/replay?jam=8", 3840, 2160, action=_replay_hour(6)),
    Shot("wall_replay_began_1920x1080", "/wall/replay", 1920, 1080, "began"),
    Shot("crisis_alert_1920x1080", "/crisis", 1920, 1080, "alert", action=lambda d: d.execute_script(
        "document.querySelector('.ops-panel').open = true")),
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
    if name == "alert":
        return with_alerts(with_crisis(snap, now, boundaries), now)
    if name == "stale":
        return with_silent_feed(snap, "economy", 1260, now)
    return snap


def _ready(driver: Any) -> bool:
    plots = driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .scatterlayer .trace")
    clock = driver.find_elements(By.CSS_SELECTOR, ".clock")
    return bool(plots) and (not clock or "WITA" in clock[0].text)


def take(driver: Any, shot: Shot, boundaries: Any) -> Path:
    """Serve a fresh app for the shot (its rotation period lands on the wanted focus)."""
    names = list(boundaries.names)
    periods = {d: rich_period(d, names=names) for d in (7, 30)}
    source = FakeSource(scenario(shot.scenario, boundaries), periods)
    # The replay's city: receiving for 30 hours, or ("began") only for the last 5.5.
    source.replays = {h: rich_replay(h, names=names, began_hours_ago=5.5 if shot.scenario == "began" else 30.0,
                                     gaps=(4,)) for h in (6, 8, 12, 24)}
    return take_live(driver, shot, boundaries, source)


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


# -- live: the real pipeline -------------------------------------------------------
LIVE_SHOTS = (
    Shot("live_wall_3840x2160", "/wall", 3840, 2160, focus="complaints"),
    Shot("live_wall_1920x1080", "/wall", 1920, 1080, focus="economy"),
    Shot("live_wall_disasters_1920x1080", "/wall", 1920, 1080, focus="disasters"),
    Shot("live_wall_replay_1920x1080", "/wall/replay?jam=6", 1920, 1080),
    Shot("live_mayor_1180x820", "/mayor", 1180, 820),
    Shot("live_mayor_820x1180", "/mayor", 820, 1180),
    Shot("live_mayor_detail_820x1180", "/mayor", 820, 1180, action=_open_detail),
    Shot("live_crisis_1920x1080", "/crisis", 1920, 1080),
    Shot("live_crisis_1180x820", "/crisis", 1180, 820),
    Shot("live_rapor_1180x820", "/rapor", 1180, 820),
    Shot("live_rapor_820x1180", "/rapor", 820, 1180),
    Shot("live_rapor_detail_1180x820", "/rapor", 1180, 820, action=_open_rapor_detail),
)


def live_briefings(settings: Any, boundaries: Any) -> list[Path]:
    """The daily briefing and the monthly report card of today, made from the live stack's
    Redis like ``marvec brief`` does, their first pages saved as ``live_briefing_*.png``."""
    import redis

    from dashboard.briefings import make_briefing
    from layers.mapframe import build_frame
    from marvec.briefing import BriefingStore
    from marvec.store import read_snapshot

    client = redis.Redis.from_url(settings.redis_url)
    frame = build_frame(boundaries.geojson())
    today = datetime.now(WITA).date()
    out = []
    for kind in ("daily", "monthly"):
        made = make_briefing(settings, client, frame, read_snapshot(client, boundaries.names), kind,
                             today, notify=False)
        png = BriefingStore(client).file(made.stored.id, "png")
        if png is None:
            raise RuntimeError(f"briefing {made.stored.id} not rendered: {made.why_not}")
        path = OUT / f"live_briefing_{kind}.png"
        path.write_bytes(png)
        sizes = ", ".join(f"{ext} {n / 1024:.0f} KiB" for ext, n in made.stored.sizes.items())
        print(f"briefing {made.stored.id}: {sizes}", file=sys.stderr)
        out.append(path)
    client.close()
    return out


class Trickle:
    """Keeps simulated events flowing at ``rate`` per second (feeds stay live while shooting)."""

    def __init__(self, sim: Any, send: Callable[[list[Any]], None], rate: float) -> None:
        self.sim, self.send, self.rate = sim, send, rate
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        tokens, last = 0.0, time.monotonic()
        while not self.stop.wait(0.5):
            now = time.monotonic()
            tokens, last = tokens + (now - last) * self.rate, now
            if tokens >= 1:
                self.send(self.sim.next_batch(time.time(), int(tokens)))
                tokens -= int(tokens)


@contextlib.contextmanager
def live_stack(hours: float, rate: float, seed: int) -> Iterator[tuple[Any, Any]]:
    """Embedded broker and Redis, ``hours`` of simulated history through a real consumer,
    then a trickle at ``rate``; yields ``(settings, SnapshotSource)``."""
    from kafka import KafkaProducer
    from streamrig import boundaries, running_consumer, wait_consumed

    from dashboard.source import SnapshotSource
    from marvec.embedded import start_embedded_kafka, start_embedded_redis
    from marvec.topics import ensure_topics
    from streams.sources.sim.simulate import Simulator

    with tempfile.TemporaryDirectory(prefix="marvec-shots-") as run_dir, \
            start_embedded_kafka(None, Path(run_dir)) as kafka, start_embedded_redis(None, Path(run_dir)) as red:
        settings = Settings(kafka_bootstrap=kafka.bootstrap, redis_url=red.url)
        ensure_topics(settings, partitions=3)
        producer = KafkaProducer(**settings.kafka_client_options(), linger_ms=20, acks=1, enable_idempotence=False)
        sent = [0]

        def send(batch: list[Any]) -> None:
            for m in batch:
                producer.send(settings.topics[m.feed], value=m.value, key=m.key.encode() if m.key else None)
            sent[0] += len(batch)
            producer.flush(timeout=30)

        began = time.monotonic()
        sim = Simulator(seed, time.time() - hours * 3600)
        send(sim.history())
        for batch in sim.backfill(time.time(), rate):
            send(batch)
        with running_consumer(settings) as worker:
            wait_consumed([worker], sent[0], timeout=300)
            print(f"live: {sent[0]} events ({hours:g} h of history) through a real consumer "
                  f"in {time.monotonic() - began:.0f} s", file=sys.stderr)
            trickle = Trickle(sim, send, rate)
            trickle.thread.start()
            try:
                yield settings, SnapshotSource(red.url, boundaries().names, refresh_s=1.0)
            finally:
                trickle.stop.set()
                trickle.thread.join(timeout=10)
                producer.close(timeout=5)


def take_live(driver: Any, shot: Shot, boundaries: Any, source: Any) -> Path:
    """Serve a fresh app on ``source`` for the shot and take it."""
    settings = Settings(auth="open", lang="id", refresh_ms=1000,
                        wall_rotate_seconds=rotation_for(shot.focus, time.time()))
    server = AppServer(create_app(settings, boundaries, source).server)
    try:
        return _shoot(driver, server.url, shot)
    finally:
        server.close()


def _chosen(shots: tuple[Shot, ...], wanted: list[str]) -> list[Shot]:
    return [s for s in shots if not wanted or any(s.name.startswith(w) for w in wanted)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only shots whose name starts with one of these")
    parser.add_argument("--live", action="store_true", help="real broker, Redis and consumer (live_*.png)")
    parser.add_argument("--hours", type=float, default=2.0, help="--live: hours of simulated history")
    parser.add_argument("--rate", type=float, default=3.0, help="--live: simulated events per second")
    parser.add_argument("--seed", type=int, default=20260301, help="--live: simulator seed")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("kafka").setLevel(logging.ERROR)
    OUT.mkdir(parents=True, exist_ok=True)
    driver = make_driver(1920, 1080)
    try:
        if args.live:
            from streamrig import boundaries
            with live_stack(args.hours, args.rate, args.seed) as (settings, source):
                for shot in _chosen(LIVE_SHOTS, args.names):
                    print(take_live(driver, shot, boundaries(), source).relative_to(ROOT))
                if not args.names or any("briefing".startswith(n) or n.startswith("live_briefing") for n in args.names):
                    for path in live_briefings(settings, boundaries()):
                        print(path.relative_to(ROOT))
        else:
            fixture_boundaries = load_boundaries()
            for shot in _chosen(SHOTS, args.names):
                print(take(driver, shot, fixture_boundaries).relative_to(ROOT))
    finally:
        quit_driver(driver)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
