"""Production serving: the lazily built WSGI app and ``serve()`` running real gunicorn."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dashboard import wsgi
from marvec.embedded import free_port
from marvec.errors import SettingsError
from marvec.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

SERVE_SCRIPT = textwrap.dedent("""
    import sys
    import dash
    from dash import html
    import dashboard.wsgi as w
    from dashboard.server import install_server
    from dashboard.source import SnapshotSource
    from marvec.logs import setup_logging
    from marvec.settings import Settings

    def build(settings):
        app = dash.Dash(__name__)
        app.layout = html.Div("Marvec")
        source = SnapshotSource(settings.redis_url, ["Mariso"], settings.refresh_ms / 1000)
        install_server(app.server, settings, source, dash_app=app)
        return app.server

    w.build_wsgi_app = build
    setup_logging("text", "INFO")
    settings = Settings(auth="required", secret_key="serve-test-secret-123456", redis_url=sys.argv[1])
    w.serve(settings, "127.0.0.1", int(sys.argv[2]), workers=2, threads=2)
""")


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_importing_the_module_builds_nothing() -> None:
    module = importlib.reload(wsgi)
    assert "app" not in vars(module), "app is built on first access, not at import"


def test_build_without_a_redis_url_names_the_setting() -> None:
    with pytest.raises(SettingsError) as err:
        wsgi.build_wsgi_app(Settings(auth="open"))
    assert err.value.setting == "MARVEC_REDIS_URL"


def test_access_log_format_leaves_the_query_string_out() -> None:
    options = wsgi.gunicorn_options("127.0.0.1", 8050, 2, 4)
    fmt = options["access_log_format"]
    assert "%(U)s" in fmt and "%(r)s" not in fmt and "%(q)s" not in fmt
    assert options["worker_class"] == "gthread" and options["workers"] == 2 and options["threads"] == 4
    assert wsgi.gunicorn_options("::1", 8050, 1, 1)["bind"] == ["[::1]:8050"]


@pytest.mark.integration
def test_serve_runs_gunicorn_workers_that_answer_and_log_no_token(redis_server: str, tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE_SCRIPT, redis_server, str(port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = fetch(f"{base}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
                time.sleep(0.2)
        assert status == 200 and json.loads(body)["redis_ok"] is True
        assert fetch(f"{base}/api/v1/snapshot")[0] == 401
        assert fetch(f"{base}/login/token?t=SECRET-TOKEN-VALUE")[0] == 401
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    output = log_path.read_text()
    assert "Booting worker" in output and output.count("Booting worker") >= 2
    assert '"GET /healthz HTTP/1.1" 200' in output
    assert '"GET /login/token HTTP/1.1" 401' in output
    assert "SECRET-TOKEN-VALUE" not in output


def test_serve_gives_push_streams_their_own_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    import flask
    from gunicorn.app.base import BaseApplication

    from dashboard.push import STREAMS_PER_WORKER, install_push

    server = flask.Flask(__name__)
    install_push(server, object(), 1.0)
    seen: dict[str, object] = {}

    def run(self: BaseApplication) -> None:
        seen["threads"], seen["workers"] = self.cfg.threads, self.cfg.workers

    monkeypatch.setattr(wsgi, "build_wsgi_app", lambda settings: server)
    monkeypatch.setattr(BaseApplication, "run", run)
    wsgi.serve(Settings(auth="open"), "127.0.0.1", 8050, workers=2, threads=4, streams=10)
    assert seen == {"threads": 14, "workers": 2}
    assert server.extensions["marvec_push"].max_streams == 10, "never more streams than their threads"
    wsgi.serve(Settings(auth="open"), "127.0.0.1", 8050, workers=1, threads=4)
    assert seen["threads"] == 4 + STREAMS_PER_WORKER
    assert server.extensions["marvec_push"].max_streams == STREAMS_PER_WORKER


def test_the_app_for_an_outside_gunicorn_polls_instead_of_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    import flask

    from dashboard.push import install_push

    server = flask.Flask(__name__)
    install_push(server, object(), 1.0)
    module = importlib.reload(wsgi)
    monkeypatch.setattr(module, "build_wsgi_app", lambda settings: server)
    monkeypatch.setattr(module, "load_settings", lambda: Settings(auth="open"))
    try:
        assert module.app is server
        assert server.extensions["marvec_push"].max_streams == 0, "its thread count is unknown here"
    finally:
        importlib.reload(wsgi)
