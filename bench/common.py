"""Shared set-up for the benchmarks: embedded services, topics, simulated events."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kafka import KafkaProducer

from marvec.contract import FEEDS
from marvec.embedded import start_embedded_kafka, start_embedded_redis
from marvec.settings import Settings
from marvec.topics import ensure_topics
from streams.sources.sim.simulate import Simulator


@contextmanager
def services() -> Iterator[tuple[str, str]]:
    """(bootstrap, redis_url) of a fresh embedded broker and Redis for one benchmark run."""
    run_dir = Path(tempfile.mkdtemp(prefix="marvec-bench-"))
    with start_embedded_kafka(None, run_dir) as kafka, start_embedded_redis(None, run_dir) as red:
        yield kafka.bootstrap, red.url


def fresh_settings(bootstrap: str, redis_url: str, partitions: int = 6, **kw: object) -> Settings:
    tag = f"b{uuid.uuid4().hex[:8]}"
    s = Settings(kafka_bootstrap=bootstrap, redis_url=redis_url, consumer_group=f"{tag}.g",
                 **{f"topic_{f}": f"{tag}.{f}" for f in (*FEEDS, "deadletter")}, **kw)
    ensure_topics(s, partitions=partitions)
    return s


def simulated(n: int, seed: int = 42, hours: float = 6.0, invalid_ratio: float = 0.0) -> list:
    """``n`` messages of the simulator's realistic mix spread over the last ``hours``."""
    now = time.time()
    sim = Simulator(seed, now - hours * 3600, invalid_ratio)
    out = sim.history()
    step = max(1, n // 200)
    t = now - hours * 3600
    while len(out) < n:
        t += hours * 3600 * step / n
        out.extend(sim.next_batch(min(t, now), step))
    return out[:n]


def produce(settings: Settings, messages: list) -> float:
    """Send every message; returns seconds taken."""
    producer = KafkaProducer(**settings.kafka_client_options(), linger_ms=50,
                             batch_size=1 << 20, acks=1, max_request_size=4 << 20)
    topics = settings.topics
    t0 = time.perf_counter()
    for m in messages:
        producer.send(topics[m.feed], value=m.value, key=m.key.encode() if m.key else None)
    producer.flush()
    producer.close()
    return time.perf_counter() - t0


WHAT_IF_CONSUME = """
import functools, sys
import kafka
import streams.consumer as c
c.KafkaConsumer = functools.partial(kafka.KafkaConsumer, fetch_max_wait_ms=int(sys.argv[1]))
from marvec.cli import main
sys.exit(main(["consume"]))
"""


def consume_process(settings: Settings, redis_url: str, db: int = 0,
                    fetch_max_wait_ms: int | None = None, boundaries: Path | None = None,
                    extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """A real ``marvec consume`` process against ``settings``' topics.

    ``fetch_max_wait_ms``: a what-if run of the same command with the Kafka consumer's
    fetch long-poll shortened (kafka-python's default is 500 ms); product code unchanged.
    ``boundaries``: a kecamatan file for ``MARVEC_BOUNDARIES`` (else the bundled ones)."""
    env = {**os.environ, "MARVEC_KAFKA_BOOTSTRAP": settings.kafka_bootstrap or "",
           "MARVEC_REDIS_URL": redis_url.rsplit("/", 1)[0] + f"/{db}",
           "MARVEC_CONSUMER_GROUP": settings.consumer_group, "MARVEC_LOG_LEVEL": "WARNING",
           "MARVEC_KAFKA_SESSION_TIMEOUT_MS": "6000",
           **{f"MARVEC_TOPIC_{f.upper()}": t for f, t in settings.topics.items()},
           "MARVEC_TOPIC_DEADLETTER": settings.topic_deadletter}
    env.update(extra_env or {})
    if boundaries is not None:
        env["MARVEC_BOUNDARIES"] = str(boundaries)
    if fetch_max_wait_ms is not None:
        return subprocess.Popen([sys.executable, "-c", WHAT_IF_CONSUME, str(fetch_max_wait_ms)], env=env)
    return subprocess.Popen([sys.executable, "-m", "marvec", "consume"], env=env)


def table(rows: list[tuple], header: tuple) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = lambda r: "  ".join(str(x).rjust(w) for x, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])


# -- helpers for latency / screens / memory / map ------------------------------------------

def loadavg() -> str:
    """The 1/5/15-minute load averages, printed next to every figure (2-core machine)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    """One line: cores, CPU model, memory."""
    model = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as f:
        mem_kb = int(f.readline().split()[1])
    return f"{os.cpu_count()} cores, {model}, {mem_kb / 2**20:.1f} GiB RAM, load {loadavg()}; {revision()}"


def revision() -> str:
    """The commit measured, and whether product code differs from it in the work tree."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "streams", "marvec", "dashboard", "layers",
                                "geodata"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "commit unknown"
    return f"commit {head}" + (" + uncommitted product changes" if dirty else "")


def percentiles(values: list[float], qs: tuple[float, ...] = (50, 95, 99)) -> list[float]:
    """Nearest-rank percentiles of ``values`` (nan when empty)."""
    if not values:
        return [float("nan")] * len(qs)
    s = sorted(values)
    return [s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))] for q in qs]


def dashboard_process(redis_url: str, port: int, refresh_ms: int = 1000, workers: int = 1,
                      log_path: str | None = None) -> subprocess.Popen:
    """``marvec dashboard`` (gunicorn, open auth) on 127.0.0.1:``port``; returns once it answers."""
    import urllib.request

    env = {**os.environ, "MARVEC_REDIS_URL": redis_url, "MARVEC_AUTH": "open",
           "MARVEC_REFRESH_MS": str(refresh_ms), "MARVEC_LOG_LEVEL": "INFO"}
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "marvec", "dashboard", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(workers)],
                            env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"marvec dashboard exited with {proc.returncode} (log: {log_path})")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc
        except urllib.error.HTTPError:
            return proc  # 503: up, Redis without data yet
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("marvec dashboard did not answer within 60 s")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM one process we started, then SIGKILL it after 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class PacedProducer:
    """A thread producing the simulator's mix at a steady ``rate`` events/s (event time = now)."""

    def __init__(self, settings: Settings, rate: float, seed: int = 7, tick_s: float = 0.05) -> None:
        import threading

        self.settings, self.rate, self.tick_s = settings, rate, tick_s
        self.sim = Simulator(seed, time.time())
        self.producer = KafkaProducer(**settings.kafka_client_options(), linger_ms=5, acks=1,
                                      batch_size=256 << 10, max_request_size=4 << 20)
        self.sent, self.sent_live, self.behind = 0, 0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paced-producer", daemon=True)

    def start(self, history: bool = True) -> PacedProducer:
        if history:
            self._send(self.sim.history())
        self._thread.start()
        return self

    def _send(self, batch: list) -> None:
        topics = self.settings.topics
        for m in batch:
            self.producer.send(topics[m.feed], value=m.value, key=m.key.encode() if m.key else None)
        self.sent += len(batch)

    def _run(self) -> None:
        t0 = time.perf_counter()
        due = 0.0
        while not self._stop.is_set():
            elapsed = time.perf_counter() - t0
            target = int(elapsed * self.rate)
            n = target - self.sent_live
            if n > 0:
                self._send(self.sim.next_batch(time.time(), n))
                self.sent_live += n
            self.behind = max(self.behind, (target - self.sent_live) / self.rate)
            due += self.tick_s
            time.sleep(max(0.0, t0 + due - time.perf_counter()))

    def close(self) -> int:
        """Stop; returns how many live events were sent."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.producer.flush()
        self.producer.close()
        return self.sent_live


def chrome(width: int = 1920, height: int = 1080):
    """Headless Debian Chromium with the test suite's flags (tests/test_screens_rig.py)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="marvec-bench-chrome-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    return driver


RECORD_DASH_BODIES = """
(() => {
  window.__dashBodies = [];
  const orig = window.fetch;
  window.fetch = function(url, opts) {
    if (String(url).includes('_dash-update-component') && opts && opts.body) {
      window.__dashBodies.push(String(opts.body));
    }
    return orig.apply(this, arguments);
  };
})();
"""


def capture_wall_request(base_url: str, tick_id: str = "wall-tick", timeout: float = 30.0) -> dict:
    """The exact JSON body the /wall page POSTs to ``/_dash-update-component`` on its data tick."""
    import json

    driver = chrome()
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_DASH_BODIES})
        driver.get(base_url + "/wall")
        deadline = time.time() + timeout
        while time.time() < deadline:
            for body in driver.execute_script("return window.__dashBodies || []"):
                req = json.loads(body)
                inputs = [i for i in req.get("inputs", []) if isinstance(i, dict)]
                shown = [s for s in req.get("state", []) if isinstance(s, dict) and s.get("id", "").endswith("-digests")]
                if any(i.get("id") == tick_id for i in inputs) and shown and shown[0].get("value"):
                    return req  # a data tick after the first paint (digests of what the page shows)
            time.sleep(0.2)
        raise RuntimeError("the wall never sent its data tick")
    finally:
        driver.quit()


def _outputs(key: str) -> list[dict]:
    """Dash's ``..a.p...b.q..`` multi-output key as ``[{"id": a, "property": p}, ...]``."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]


def dash_request(app, tick_id: str = "wall-tick", values: dict | None = None) -> dict:
    """The ``/_dash-update-component`` body for the callback driven by ``tick_id`` (built from
    ``app.callback_map`` as the renderer builds it). ``values``: ``{"id.prop": value}``."""
    values = values or {}
    for key, cb in app.callback_map.items():
        if any(i["id"] == tick_id for i in cb["inputs"]):
            def with_value(d: dict) -> dict:
                return {**d, "value": values.get(f"{d['id']}.{d['property']}")}

            outputs = _outputs(key)
            return {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
                    "inputs": [with_value(i) for i in cb["inputs"]],
                    "changedPropIds": [f"{cb['inputs'][0]['id']}.{cb['inputs'][0]['property']}"],
                    "state": [with_value(s) for s in cb["state"]]}
    raise KeyError(f"no callback is driven by {tick_id!r}")


def wall_request(app, lang: str = "id") -> dict:
    """The wall's data-tick body (n_intervals 1, no push event, Indonesian, scale 1, nothing shown yet)."""
    return dash_request(app, "wall-tick", {"wall-tick.n_intervals": 1, "wall-push.data": None, "lang-store.data": lang,
                                           "wall-scale.data": 1.0, "wall-digests.data": None})


def router_request(app, path: str = "/wall", lang: str = "id") -> dict:
    """The first paint: the router callback's body for ``path`` (the page layout, map geometry included)."""
    return dash_request(app, "url", {"url.pathname": path, "lang-store.data": lang})


def set_state(body: dict, n: int, digests: list | None, digests_id: str = "wall-digests", push: str | None = None) -> dict:
    """``body`` for tick ``n`` (and push event ``push``) with the page's digest store holding ``digests``."""
    out = {**body, "inputs": [{**i, "value": n} if i["property"] == "n_intervals" else
                              {**i, "value": push} if i["id"].endswith("-push") else i for i in body["inputs"]]}
    out["state"] = [{**s, "value": digests} if s["id"] == digests_id else s for s in body["state"]]
    return out


def page_digests(app, page: str = "wall") -> str:
    return f"{page}-digests"


def fold_messages(client, messages: list, boundaries, now: float | None = None,
                  batch: int = 5000) -> None:
    """Apply simulator messages to Redis through the real decode and fold, in this process."""
    from streams.decode import Record, decode_batch
    from streams.sink import RedisFold

    fold = RedisFold(client, dedupe_hours=168, retention_hours=168)
    epoch = fold.claim_epoch(uuid.uuid4().hex)
    topic_of = {f: f"bench.{f}" for f in FEEDS}
    feed_of = {t: f for f, t in topic_of.items()}
    offsets = dict.fromkeys(feed_of, 0)
    for i in range(0, len(messages), batch):
        records = []
        for m in messages[i:i + batch]:
            t = topic_of[m.feed]
            records.append(Record(t, 0, offsets[t], m.value))
            offsets[t] += 1
        at = time.time() if now is None else now
        fold.apply(decode_batch(records, feed_of, at, boundaries), at, epoch)


def py_spy(pid: int, seconds: float, out: str, subprocesses: bool = False, idle: bool = True) -> subprocess.Popen:
    """``py-spy record`` (collapsed stacks) of ``pid`` for ``seconds``; install with ``pip install py-spy``."""
    exe = Path(sys.executable).with_name("py-spy")
    cmd = [str(exe), "record", "--format", "raw", "--rate", "67", "-d", str(int(seconds)), "-p", str(pid), "-o", out,
           "--nonblocking"]
    return subprocess.Popen(cmd + (["--subprocesses"] if subprocesses else []) + (["--idle"] if idle else []),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def profile_shares(path: str, needles: tuple[str, ...] = (), top: int = 12,
                   within: str | None = None) -> list[tuple[str, float, float]]:
    """From py-spy's collapsed stacks: ``(function, inclusive share, self share)``, biggest first.

    ``needles`` keeps only functions whose ``name (file)`` contains one of them; ``within``
    counts only stacks that pass through that frame (e.g. one thread's loop)."""
    from collections import Counter as _Counter

    incl, self_, total = _Counter[str](), _Counter[str](), 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if not n.isdigit():
                continue
            count = int(n)
            if within is not None and within not in stack:
                continue
            frames = [fr.split(" (")[0] + " (" + fr.split(" (")[1].split(":")[0].rsplit("/", 1)[-1] + ")"
                      if " (" in fr else fr for fr in stack.split(";")]
            total += count
            for fr in set(frames):
                incl[fr] += count
            if frames:
                self_[frames[-1]] += count
    rows = [(fr, c / total, self_[fr] / total) for fr, c in incl.most_common()
            if not needles or any(nd in fr for nd in needles)]
    return rows[:top]
