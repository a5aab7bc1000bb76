"""Logs people can read: one line format everywhere, WITA or UTC times, a quiet access log."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from helpers import wait_for

from marvec.embedded import free_port
from marvec.errors import SettingsError
from marvec.logs import setup_logging
from marvec.settings import load_settings

WITA_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00 (DEBUG|INFO|WARNING|ERROR|CRITICAL) +[\w.]+: ")
T0 = 1_764_660_000.25  # 2025-12-02T07:20:00.250Z = 15:20:00.250 WITA


@pytest.fixture
def root_handler() -> Iterator[logging.Handler]:
    """Set-up under test on the root logger; pytest's own handlers put back afterwards."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = saved
    root.setLevel(level)


def _line(root: logging.Logger, name: str, msg: str, *args: object, ts: float = T0) -> str | None:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, msg, args or None, None)
    record.created = ts
    (handler,) = root.handlers
    return handler.format(record) if handler.filter(record) else None


def test_times_are_utc_by_default_and_wita_when_asked(root_handler):
    setup_logging("text")
    assert _line(root_handler, "marvec.consume", "hello") == \
        "2025-12-02T07:20:00.250+00:00 INFO    marvec.consume: hello"
    setup_logging("text", tz="Asia/Makassar")
    assert _line(root_handler, "marvec.consume", "hello") == \
        "2025-12-02T15:20:00.250+08:00 INFO    marvec.consume: hello"
    setup_logging("json", tz="Asia/Makassar")
    assert _line(root_handler, "marvec.consume", "n=%d", 3) == \
        '{"ts":"2025-12-02T15:20:00.250+08:00","level":"info","logger":"marvec.consume","msg":"n=3"}'


def test_an_unknown_log_zone_is_one_line_naming_the_setting(monkeypatch):
    monkeypatch.setenv("MARVEC_LOG_TZ", "Makassar")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith("MARVEC_LOG_TZ: expected an IANA time zone") and "\n" not in str(err.value)
    monkeypatch.setenv("MARVEC_LOG_TZ", "Asia/Makassar")
    assert load_settings().log_tz == "Asia/Makassar"


ACCESS = '127.0.0.1 "%s %s HTTP/1.1" %d 512 3ms'


@pytest.mark.parametrize(("method", "path", "status", "quiet_keeps"), [
    ("POST", "/_dash-update-component", 200, False),
    ("GET", "/_marvec/push", 200, False),
    ("GET", "/assets/marvec.css", 200, False),
    ("GET", "/_dash-component-suites/dash/dcc/dash_core_components.js", 200, False),
    ("POST", "/_dash-update-component", 500, True),  # a failing callback stays visible
    ("GET", "/wall", 200, True),
    ("GET", "/api/v1/snapshot", 200, True),
    ("POST", "/login", 302, True),
    ("GET", "/assets/../secret", 404, True),
])
def test_the_access_log_leaves_out_screen_traffic_unless_all(root_handler, method, path, status, quiet_keeps):
    msg = ACCESS % (method, path, status)
    setup_logging("text")
    assert (_line(root_handler, "gunicorn.access", msg) is not None) is quiet_keeps
    assert _line(root_handler, "marvec.consume", msg) is not None  # only access lines are filtered
    setup_logging("text", access="all")
    assert _line(root_handler, "gunicorn.access", msg) is not None


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            resp.read(1)
            return int(resp.status)
    except Exception as exc:
        return int(getattr(exc, "code", 0) or 0)


def _dashboard_log(redis_server: str, **env: str) -> list[str]:
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("MARVEC_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "marvec", "dashboard", "--port", str(port), "--workers", "1"],
        env={**base, "MARVEC_REDIS_URL": redis_server, "MARVEC_AUTH": "open",
             "MARVEC_LOG_TZ": "Asia/Makassar", **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _get(url + "/healthz") == 200, timeout=60, message="dashboard not up")
        for path in ("/api/v1/snapshot", "/assets/marvec.css", "/_dash-layout", "/_marvec/push"):
            _get(url + path)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    return [line for line in out.splitlines() if line.strip()]


@pytest.mark.integration
def test_the_dashboard_logs_one_format_in_wita_without_screen_traffic(redis_server):
    lines = _dashboard_log(redis_server)
    odd = [line for line in lines if not WITA_LINE.match(line)]
    assert not odd, f"lines in another format: {odd}"
    text = "\n".join(lines)
    assert "gunicorn.access: " in text and "/api/v1/snapshot" in text and "/healthz" in text
    assert "gunicorn.error: " in text  # gunicorn's own lines, in the same format
    for quiet in ("/assets/marvec.css", "/_dash-layout", "/_marvec/push"):
        assert quiet not in text
    loud = "\n".join(_dashboard_log(redis_server, MARVEC_ACCESS_LOG="all"))
    assert "/assets/marvec.css" in loud and "/_dash-layout" in loud and "/_marvec/push" in loud


@pytest.mark.integration
def test_consumer_lines_have_the_same_format(make_settings):
    settings = make_settings()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARVEC_")}
    env.update({"MARVEC_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
                "MARVEC_REDIS_URL": str(settings.redis_url), "MARVEC_LOG_TZ": "Asia/Makassar",
                "MARVEC_CONSUMER_GROUP": settings.consumer_group,
                "MARVEC_TOPIC_DEADLETTER": settings.topic_deadletter,
                **{f"MARVEC_TOPIC_{f.upper()}": t for f, t in settings.topics.items()}})
    proc = subprocess.Popen([sys.executable, "-m", "marvec", "consume"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(6)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    lines = [line for line in out.splitlines() if line.strip()]
    assert any("marvec.consume: consuming " in line for line in lines), out
    assert all(WITA_LINE.match(line) for line in lines), out
