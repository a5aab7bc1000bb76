"""``marvec up`` from nothing: live data within a minute; Ctrl-C leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import wait_for

from marvec.contract import LIVE_FEEDS
from marvec.embedded import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except Exception as exc:  # not up yet
        return getattr(exc, "code", 0), b""


def _ours(marker: str) -> list[int]:
    """PIDs of live processes started for this run (their environment names our run dir)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                stat = (proc / "stat").read_text()
                if stat.rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_up_shows_live_data_within_a_minute_and_ctrl_c_stops_everything(tmp_path):
    port = free_port()
    run_dir = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARVEC_")}
    env["MARVEC_RUN_DIR"] = str(run_dir)
    started = time.monotonic()
    up = subprocess.Popen([sys.executable, "-m", "marvec", "up", "--port", str(port), "--rate", "30",
                           "--backfill-hours", "1"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        def live() -> dict | None:
            status, body = _get(base + "/api/v1/snapshot")
            if status != 200:
                return None
            snap = json.loads(body)
            feeds = snap["feeds"]
            ready = all(feeds[f]["accepted"] > 0 for f in LIVE_FEEDS) and snap["economy"]["prices"]
            return snap if ready else None

        snap = wait_for(live, timeout=60, interval=0.5, message="no live data within a minute")
        assert time.monotonic() - started < 60
        assert snap["complaints"]["open"] > 0 and snap["disasters"]["incidents"]
        for page in ("/wall", "/mayor", "/crisis"):
            status, body = _get(base + page)
            assert status == 200 and b"_dash-config" in body, page
        status, body = _get(base + "/healthz")
        assert status == 200 and json.loads(body)["redis_ok"] is True
        assert len(_ours(str(run_dir))) >= 5  # broker, redis, dashboard, consumer, simulator
    finally:
        stopping = time.monotonic()
        up.send_signal(signal.SIGINT)
        try:
            out, _ = up.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in _ours(str(run_dir)):  # they hold the output pipe: end them, then fail
                os.kill(pid, signal.SIGKILL)
            up.kill()
            out = up.communicate(timeout=30)[0]
            pytest.fail(f"marvec up still running 30 s after Ctrl-C:\n{out[-2000:]}")
    took = time.monotonic() - stopping
    assert took < 10, f"marvec up took {took:.1f} s to stop after Ctrl-C:\n{out[-2000:]}"
    assert up.returncode == 0, out
    assert "open http://127.0.0.1" in out and "stopped" in out
    wait_for(lambda: not _ours(str(run_dir)), timeout=10,
             message=f"processes left behind: {_ours(str(run_dir))}")


def test_up_on_a_busy_port_says_so_in_one_line(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MARVEC_")}
        done = subprocess.run([sys.executable, "-m", "marvec", "up", "--port", str(port)],
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"marvec up: error: port {port} is busy on 127.0.0.1: stop what "
                                   "listens there or choose another with --port")
