"""Production entry points: ``gunicorn dashboard.wsgi:app`` and ``marvec dashboard``.

Each worker process holds no state but its snapshot cache, so any number of
workers may serve the app; each re-reads Redis every ``BACKGROUND_REFRESH_S`` while
anyone asks, whatever the number of screens (``dashboard.source``).
``app`` is built on first access (PEP 562), so importing this module is free.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

import flask

from dashboard.front import PeerFromFront
from dashboard.push import STREAMS_PER_WORKER
from dashboard.security import install_log_redaction
from dashboard.source import BACKGROUND_REFRESH_S, SnapshotSource
from marvec.errors import SettingsError
from marvec.settings import Settings, load_settings

log = logging.getLogger(__name__)

GRACEFUL_TIMEOUT_S = 4

ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
"""Gunicorn access-log line without the query string, so ``?t=<display token>`` never lands in a log."""


def build_wsgi_app(settings: Settings | None = None) -> flask.Flask:
    """Settings (from the environment unless given), boundaries, source, Dash app -> its Flask server."""
    settings = settings if settings is not None else load_settings()
    if not settings.redis_url:
        raise SettingsError("MARVEC_REDIS_URL", "not set; expected redis://host:port/db of the Redis the consumers write")
    from dashboard.app import create_app  # the screens; imported late so this module stays light
    from geodata import load_boundaries

    boundaries = load_boundaries(settings.boundaries, settings.boundaries_field)
    check_data(settings.redis_url, boundaries)
    source = SnapshotSource(settings.redis_url, kecamatan_names(boundaries), settings.refresh_ms / 1000,
                            refresh_every_s=BACKGROUND_REFRESH_S)
    app = create_app(settings, boundaries, source, evaluate_alerts=True)
    return app if isinstance(app, flask.Flask) else app.server


def check_data(redis_url: str, boundaries: Any) -> None:
    """Refuse (one line) a Redis of another schema or boundaries; reading only, never
    writing. A Redis that does not answer yet is no reason to refuse: /healthz says so."""
    import redis

    from marvec import datameta

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3.0, socket_timeout=5.0)
    try:
        datameta.check(client, boundaries)
    except redis.RedisError as exc:
        log.warning("could not check Redis's data version at start (%s); serving anyway", exc)
    finally:
        client.close()


def limit_push_streams(server: Any, streams: int) -> None:
    """At most ``streams`` open push streams per worker on ``server`` (0: the screens poll)."""
    push = getattr(server, "extensions", {}).get("marvec_push")
    if push is not None:
        push.max_streams = streams


def kecamatan_names(boundaries: Any) -> list[str]:
    """The district names of loaded ``geodata.Boundaries``, in their display order."""
    return [str(name) for name in boundaries.names]


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8050,
    *,
    workers: int = 1,
    threads: int = 4,
    streams: int = STREAMS_PER_WORKER,
    use_gunicorn: bool = True,
) -> None:
    """Run the dashboard until interrupted (``marvec dashboard``).

    Gunicorn with ``workers`` processes of ``threads`` request threads each (gthread),
    plus ``streams`` threads for the screens' push streams (``dashboard.push``: each open
    stream holds a thread; a worker takes at most ``STREAMS_PER_WORKER``). Each
    worker keeps its own snapshot cache and metrics; login limits, sessions and token
    revocations are shared in Redis (docs/security.md), so raise ``workers`` for CPU
    freely. The app is built before serving, so a wrong setting stops the
    command with its one-line ``SettingsError``. Gunicorn listens on a private Unix
    socket behind ``dashboard.front``, which owns host:port and hands a worker only
    complete requests (slow or idle clients hold no thread). ``use_gunicorn=False`` (or no
    gunicorn, e.g. on Windows) runs Werkzeug's threaded server instead.
    """
    server = build_wsgi_app(settings)
    limit_push_streams(server, max(0, streams))
    install_log_redaction()
    if use_gunicorn:
        try:
            from gunicorn.app.base import BaseApplication
        except ImportError:
            use_gunicorn = False
    if not use_gunicorn:
        from werkzeug.serving import run_simple

        run_simple(host, port, server, threaded=True, use_reloader=False, use_debugger=False)
        return

    front = _FrontProcess(host, port, settings.log_format, settings.log_level)
    options = gunicorn_options(host, port, workers, threads + max(0, streams))
    # Gunicorn listens on a private Unix socket; the buffering front (dashboard.front) on
    # host:port, so slow or idle clients never hold a worker thread.
    options["bind"] = [f"unix:{front.upstream}"]
    options["when_ready"] = front.start
    options["on_exit"] = front.stop

    class _Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # options newer than the installed gunicorn are skipped
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return PeerFromFront(server)

    try:
        _Gunicorn().run()
    finally:
        front.stop()


class _FrontProcess:
    """The ``dashboard.front`` process in front of gunicorn's Unix socket.

    Started by gunicorn's master once it listens (``when_ready``): the master binds
    host:port (a port in use stops the command with one line), hands the socket to the
    front and closes its own copy, so no worker holds the public port. The front ends
    with the master (``on_exit``, or on its own when the master is gone)."""

    def __init__(self, host: str, port: int, log_format: str = "text", log_level: str = "INFO") -> None:
        self.host, self.port = host, port
        self.log = ["--log-format", log_format, "--log-level", log_level]
        self._dir = tempfile.mkdtemp(prefix="marvec-dashboard-")  # 0700: only this user
        self.upstream = os.path.join(self._dir, "gunicorn.sock")
        self.proc: subprocess.Popen[bytes] | None = None
        self._owner = os.getpid()  # gunicorn's workers are forks: only the master stops it

    def start(self, _arbiter: Any = None) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            sock = socket.create_server((self.host.strip("[]"), self.port), family=family,
                                        backlog=4096)
        except OSError as exc:
            raise SystemExit(f"marvec dashboard: error: cannot listen on "
                             f"{_bind(self.host, self.port)}: {exc.strerror or exc}") from None
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "dashboard.front", "--fd", str(sock.fileno()),
                 "--upstream", self.upstream, *self.log], pass_fds=(sock.fileno(),))
        finally:
            sock.close()
        log.info("listening on http://%s (buffering front, pid %d)", _bind(self.host, self.port),
                 self.proc.pid)

    def stop(self, _arbiter: Any = None) -> None:
        if os.getpid() != self._owner:
            return  # a worker exiting (its stack unwinds through serve() too)
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
        # After gunicorn closed (and unlinked) its socket: on_exit runs after that.
        shutil.rmtree(self._dir, ignore_errors=True)


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """The gunicorn settings ``serve`` uses (also a sane base for a gunicorn.conf.py)."""
    return {
        "bind": [_bind(host, port)],
        "workers": max(1, workers),
        "threads": max(1, threads),
        "worker_class": "gthread",
        "timeout": 60,
        # Push streams never end by themselves: a worker told to stop gets this long for its
        # requests, then gunicorn kills it (the screens reconnect), so a stop takes < 10 s.
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "keepalive": 5,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "proc_name": "marvec-dashboard",
        "control_socket_disable": True,  # gunicorn >= 25: no shared ~/.gunicorn/gunicorn.ctl
        "child_exit": _child_exit,
        "logger_class": _ThroughRootLogger,
    }


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover - no gunicorn: serve() falls back to Werkzeug
    _GunicornLogger = object


class _ThroughRootLogger(_GunicornLogger):
    """Gunicorn's error and access lines go through the root logger (MARVEC_LOG_FORMAT applies)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.propagate = True
        install_log_redaction()


def _child_exit(_server: Any, worker: Any) -> None:
    from dashboard.metrics import mark_worker_dead

    mark_worker_dead(worker.pid)


def _bind(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def __getattr__(name: str) -> Any:
    # ``gunicorn dashboard.wsgi:app`` looks ``app`` up with getattr: build it then, once.
    if name == "app":
        from marvec.logs import setup_logging

        settings = load_settings()
        setup_logging(settings.log_format, settings.log_level, tz=settings.log_tz,
                      access=settings.access_log)
        install_log_redaction()
        app = build_wsgi_app(settings)
        # Under a gunicorn configured elsewhere the thread count is unknown: a push stream
        # could hold the last request thread, so the pages poll (see docs/deploy.md).
        limit_push_streams(app, 0)
        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__: Sequence[str] = ("ACCESS_LOG_FORMAT", "build_wsgi_app", "gunicorn_options", "serve")
