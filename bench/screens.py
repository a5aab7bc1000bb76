"""Many screens: 1, 10 and 100 simulated /wall screens on their update cycle.

    python bench/screens.py [--screens 1 10 100] [--seconds 20] [--workers 2] [--poll]

Redis is seeded with 6 hours of the simulator's mix through the real decode and fold
(``common.fold_messages``); the picture is then static, so every Redis command counted
comes from the dashboard. ``marvec dashboard`` (gunicorn gthread, ``--workers``
processes, open auth, ``MARVEC_REFRESH_MS=1000``) serves the app.

The request body is captured once from the real /wall page in headless Chromium (the
JSON its data callback POSTs to ``/_dash-update-component``). Each simulated screen
does what the page's script does (``dashboard/assets/marvec.js``): it keeps the push
stream ``GET /_marvec/push`` open and POSTs the body for each event (with the event in
the push input and the digests the previous answer returned, so, like a real screen, it
is sent only what changed); events arriving while an update is in flight make one
more update, as in Dash. A screen whose stream is refused polls every refresh
interval instead. ``--poll`` simulates the old page instead: a POST every interval.

Per level: Redis commands per tick (``INFO commandstats`` ``cmdstat_evalsha`` and
``total_commands_processed`` deltas over the window, less this script's own INFO
calls), the update time seen by the screens and the server's own time per request
(gunicorn access log) p50/p95, push streams open and refused. Baseline: one raw
``SnapshotReader.read``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis
import requests

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import (
    capture_wall_request,
    dashboard_process,
    fold_messages,
    loadavg,
    machine,
    percentiles,
    profile_shares,
    py_spy,
    simulated,
    stop,
    table,
    wall_request,
)

from dashboard.source import IDLE_AFTER_S
from geodata import load_boundaries
from marvec.embedded import free_port, start_embedded_redis
from marvec.store import SnapshotReader

REFRESH_S = 1.0
ACCESS = re.compile(r'"POST /_dash-update-component HTTP/1\.[01]" (\d+) (\S+) (\d+)ms')


def redis_counts(client: redis.Redis) -> tuple[int, int]:
    """(EVALSHA calls, total commands processed) so far."""
    stats = client.info("commandstats")
    total = client.info("stats")["total_commands_processed"]
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0)), int(total)


class Screen(threading.Thread):
    """One simulated wall: push stream (or polling), a POST per event, digests carried over."""

    def __init__(self, base: str, body: dict, until: float, phase: float, poll: bool) -> None:
        super().__init__(daemon=True)
        self.url, self.push_url = base + "/_dash-update-component", base + "/_marvec/push"
        self.body, self.until, self.phase, self.poll = json.loads(json.dumps(body)), until, phase, poll
        self.times: list[float] = []
        self.bytes: list[int] = []
        self.skipped = self.errors = 0
        self.streamed = self.refused = False
        self.events = 0
        self._event = threading.Event()
        self._push: str | None = None
        self._stream_up = False

    def _listen(self) -> None:
        """The page's EventSource: every ``data:`` line wakes the update loop."""
        try:
            with requests.get(self.push_url, stream=True, timeout=(5, 10)) as res:
                if res.status_code != 200:
                    self.refused = True
                    return
                self.streamed = self._stream_up = True
                buf = b""
                for chunk in res.iter_content(chunk_size=None):
                    buf += chunk
                    while b"\n\n" in buf:
                        event, buf = buf.split(b"\n\n", 1)
                        for line in event.split(b"\n"):
                            if line.startswith(b"data: "):
                                self._push = "s" + line[6:].decode()
                                self.events += 1
                                self._event.set()
                    if time.time() > self.until:
                        return
        except Exception:
            self.errors += 1
        finally:
            self._stream_up = False

    def _post(self, session: requests.Session, n: int) -> None:
        inputs = self.body["inputs"]
        inputs[0]["value"] = n
        for i in inputs:
            if i["id"] == "wall-push":
                i["value"] = self._push
        t = time.perf_counter()
        try:
            res = session.post(self.url, json=self.body, timeout=30)
            res.raise_for_status()
            self.times.append((time.perf_counter() - t) * 1000)
            self.bytes.append(len(res.content))
            if res.status_code == 200:
                digests = res.json()["response"].get("wall-digests", {}).get("data")
                if digests is not None:
                    for s in self.body["state"]:
                        if s["id"] == "wall-digests":
                            s["value"] = digests
        except Exception:
            self.errors += 1

    def run(self) -> None:
        session = requests.Session()
        n = self.body["inputs"][0]["value"] or 0
        time.sleep(self.phase)
        if not self.poll:
            threading.Thread(target=self._listen, daemon=True).start()
            deadline = time.time() + 5
            while not (self._stream_up or self.refused) and time.time() < deadline:
                time.sleep(0.01)
        next_at = time.time()
        while time.time() < self.until:
            if self._stream_up:
                if not self._event.wait(timeout=0.5):
                    continue
                self._event.clear()
                self._post(session, n)
                continue
            time.sleep(max(0.0, next_at - time.time()))  # polling (--poll, or the stream was refused)
            n += 1
            self._push = None if self.poll else f"p{n}"
            self._post(session, n)
            next_at += REFRESH_S
            while next_at < time.time():  # the update took longer than a tick: that tick is lost
                next_at += REFRESH_S
                self.skipped += 1


def server_times(log: Path, offset: int) -> tuple[list[float], int]:
    text = log.read_bytes()[offset:].decode(errors="replace")
    return [float(m.group(3)) for m in ACCESS.finditer(text)], len(log.read_bytes())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--screens", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--profile", metavar="DIR", help="py-spy the dashboard during the largest level")
    ap.add_argument("--poll", action="store_true", help="simulate the old page: a POST every interval, no push")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    boundaries = load_boundaries(None)
    names = [str(n) for n in boundaries.names]
    run_dir = Path(tempfile.mkdtemp(prefix="marvec-bench-screens-"))
    log = run_dir / "dashboard.log"
    with start_embedded_redis(None, run_dir) as red:
        url = red.url.rsplit("/", 1)[0] + "/0"
        client = redis.Redis.from_url(url)
        fold_messages(client, simulated(100_000, hours=6.0), boundaries)
        port = free_port()
        dash = dashboard_process(url, port, refresh_ms=int(REFRESH_S * 1000), workers=args.workers,
                                 log_path=str(log))
        base = f"http://127.0.0.1:{port}"
        try:
            body = capture_wall_request(base)
            built = wall_request_shape(body)
            print(f"captured the wall's tick body from Chromium ({len(json.dumps(body)):,} bytes, "
                  f"{len(body['outputs'])} outputs); matches the body built from callback_map: {built}")
            # baseline: one raw read, same Redis, same picture (after the workers' refreshers went idle)
            time.sleep(IDLE_AFTER_S + 1)
            reader = SnapshotReader(redis.Redis.from_url(url))
            reader.read(names)
            raw_t, raw_cmds = [], []
            for _ in range(20):
                e0, c0 = redis_counts(client)
                t = time.perf_counter()
                reader.read(names)
                raw_t.append((time.perf_counter() - t) * 1000)
                e1, c1 = redis_counts(client)
                raw_cmds.append((e1 - e0, c1 - c0 - 2))  # less our own two INFO calls
            info_cost = 2
            raw_eval, raw_total = raw_cmds[-1]
            rows = [("raw SnapshotReader.read (baseline)", "-", f"{raw_eval}", f"{raw_total}",
                     "-", "{:.1f} / {:.1f}".format(*percentiles(raw_t, (50, 95))), "-", "-", "-", "-",
                     loadavg().split()[0])]
            results = {}
            for n in args.screens:
                time.sleep(IDLE_AFTER_S + 1)  # the previous level's refreshers stop reading first
                offset = log.stat().st_size
                e0, c0 = redis_counts(client)
                t0 = time.time()
                until = t0 + args.seconds
                screens = [Screen(base, body, until, random.uniform(0, REFRESH_S), args.poll) for _ in range(n)]
                spy = (py_spy(dash.pid, args.seconds, f"{args.profile}/dashboard-{n}.txt", subprocesses=True, idle=False)
                       if args.profile and n == max(args.screens) else None)
                for s in screens:
                    s.start()
                for s in screens:
                    s.join()
                elapsed = time.time() - t0
                streamed, refused = sum(s.streamed for s in screens), sum(s.refused for s in screens)
                if spy is not None:
                    spy.wait(timeout=60)
                e1, c1 = redis_counts(client)
                time.sleep(0.5)
                server, _ = server_times(log, offset)
                ticks = elapsed / REFRESH_S
                lat = [x for s in screens for x in s.times]
                done = len(lat)
                skipped = sum(s.skipped for s in screens)
                errors = sum(s.errors for s in screens)
                evals = (e1 - e0) / ticks
                total = (c1 - c0 - info_cost) / ticks
                c50, c95 = percentiles(lat, (50, 95))
                s50, s95 = percentiles(server, (50, 95))
                kb = sum(x for s in screens for x in s.bytes) / max(1, done) / 1024
                results[n] = (evals, total, c95, s95)
                rows.append((f"{n} screen{'s' if n > 1 else ''}", f"{done / elapsed:.1f}", f"{evals:.2f}",
                             f"{total:.1f}", f"{c50:.0f} / {c95:.0f}", f"{s50:.0f} / {s95:.0f}",
                             f"{kb:.1f}", f"{streamed} / {refused}", skipped, errors, loadavg().split()[0]))
                print(f"  {n} screens: {done} updates in {elapsed:.0f} s, {streamed} streams ({refused} refused), "
                      f"{sum(s.events for s in screens)} events, {skipped} ticks skipped, {errors} errors, "
                      f"{evals:.2f} EVALSHA/tick, load {loadavg()}", flush=True)
        finally:
            stop(dash)
    print(table(rows, ("screens", "updates/s", "EVALSHA/tick", "Redis cmds/tick", "screen update ms p50 / p95",
                       "server ms p50 / p95", "KB/update", "streams / refused", "ticks skipped", "errors",
                       "load 1m")))
    one, most = results[min(results)], results[max(results)]
    r95 = percentiles(raw_t, (95,))[0]
    print(f"summary: {max(results)} screens cost {most[0]:.2f} EVALSHA/tick vs {one[0]:.2f} for one "
          f"({most[0] / max(one[0], 1e-9):.1f}x; raw read = {raw_eval} EVALSHA, {raw_total} commands; "
          f"{args.workers} worker process(es), {'polling' if args.poll else 'push'}); update p95 at {max(results)} screens {most[2]:,.0f} ms seen by "
          f"the screens, {most[3]:,.0f} ms in the server ({most[3] / r95:.1f}x a raw read's {r95:.1f} ms; "
          f"target <= 100 ms: {'met' if most[2] <= 100 else 'MISSED'}); load {loadavg()}")
    if args.profile:
        print(f"py-spy, dashboard at {max(args.screens)} screens (CPU samples; inclusive / self):")
        for fr, inc, own in profile_shares(f"{args.profile}/dashboard-{max(args.screens)}.txt", top=40):
            print(f"  {inc:6.1%} {own:6.1%}  {fr}")


def wall_request_shape(captured: dict) -> bool:
    """Whether the captured body has the same output, inputs and state ids as ``common.wall_request``."""
    from dashboard.app import create_app
    from dashboard.source import SnapshotSource
    from marvec.settings import Settings

    b = load_boundaries(None)
    app = create_app(Settings(auth="open"), b, SnapshotSource("redis://127.0.0.1:1/0", list(b.names)))
    built = wall_request(app)
    ids_of = lambda body, k: [(x["id"], x["property"]) for x in body[k]]  # noqa: E731
    return (built["output"] == captured["output"] and ids_of(built, "inputs") == ids_of(captured, "inputs")
            and ids_of(built, "state") == ids_of(captured, "state"))


if __name__ == "__main__":
    main()
