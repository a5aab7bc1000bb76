"""`marvec dashboard` keeps answering with a thousand slow or idle connections open.

The real command (gunicorn behind ``dashboard.front``) against a real Redis: 500
slowloris connections trickle a header line every few seconds and 500 more send
nothing, re-opened whenever the server closes one, for 30 s, while ``/healthz`` is
timed. Before the front, gthread gave each of them a thread and ``/healthz`` timed out.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dashboard.front import PEER_HEADER, build_head, parse_head
from marvec.embedded import free_port

ROOT = Path(__file__).resolve().parents[1]
HOLD_S = 30.0
SLOW, IDLE = 500, 500


def _start_dashboard(redis_url: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MARVEC_REDIS_URL": redis_url,
           "MARVEC_AUTH": "open"}
    with log_path.open("wb") as log:
        return subprocess.Popen([sys.executable, "-m", "marvec", "dashboard", "--port", str(port)],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)


def _get(port: int, path: str, timeout: float = 5.0,
         headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _wait_up(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if _get(port, "/healthz")[0] == 200:
                return
        assert proc.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, "the dashboard did not answer in 90 s\n" + log_path.read_text()
        time.sleep(0.3)


def _raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(hard, need)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < need:
        pytest.skip(f"needs {need} file descriptors; the hard limit is {hard}")


class _Crowd:
    """``slow`` slowloris and ``idle`` silent connections, each re-opened when closed."""

    def __init__(self, port: int, slow: int, idle: int) -> None:
        self.port, self.slow, self.idle = port, slow, idle
        self.socks: dict[int, tuple[socket.socket, bool, float]] = {}
        self.opened = 0
        self.max_open = 0

    def _open(self, i: int, slowloris: bool) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            sock.setblocking(False)
            if slowloris:
                sock.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        except OSError:
            return
        self.socks[i] = (sock, slowloris, time.monotonic())
        self.opened += 1

    def run(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for i in range(self.slow + self.idle):
                slowloris = i < self.slow
                held = self.socks.get(i)
                if held is None:
                    self._open(i, slowloris)
                    continue
                sock, _, last = held
                try:
                    if sock.recv(4096, socket.MSG_PEEK) == b"":
                        raise ConnectionResetError  # closed by the server: re-open
                except BlockingIOError:
                    pass
                except OSError:
                    sock.close()
                    del self.socks[i]
                    continue
                if slowloris and time.monotonic() - last > 5:
                    with contextlib.suppress(OSError):
                        sock.send(b"X-Trickle: 1\r\n")
                        self.socks[i] = (sock, True, time.monotonic())
            self.max_open = max(self.max_open, len(self.socks))
            time.sleep(0.2)

    def close(self) -> None:
        for sock, _, _ in self.socks.values():
            sock.close()


@pytest.mark.integration
@pytest.mark.slow
def test_healthz_answers_fast_under_a_thousand_slow_and_idle_connections(
        redis_server: str, tmp_path: Path) -> None:
    _raise_fd_limit(4096)
    port = free_port()
    log_path = tmp_path / "dashboard.log"
    proc = _start_dashboard(redis_server, port, log_path)
    crowd = _Crowd(port, SLOW, IDLE)
    latencies: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                status, body = _get(port, "/healthz", timeout=5)
                ok = status == 200 and json.loads(body)["redis_ok"] is True
            except (OSError, http.client.HTTPException):
                ok = False
            latencies.append(time.perf_counter() - started if ok else 5.0)
            stop.wait(0.25)

    try:
        _wait_up(proc, port, log_path)
        prober = threading.Thread(target=probe, daemon=True)
        crowd.run(3.0)  # the crowd is in place before timing starts
        prober.start()
        crowd.run(HOLD_S)
        stop.set()
        prober.join(10)
        assert crowd.max_open >= 0.95 * (SLOW + IDLE), f"only {crowd.max_open} connections held"
        latencies.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(f"healthz under {crowd.max_open} slow/idle connections: n={len(latencies)} "
              f"p50={latencies[len(latencies) // 2]:.3f}s p95={p95:.3f}s max={latencies[-1]:.3f}s")
        assert len(latencies) >= 40
        assert p95 < 1.0, f"/healthz p95 {p95:.2f}s with {crowd.max_open} slow connections"
        # The slowloris requests themselves never reached a worker half-made.
        assert _get(port, "/healthz")[0] == 200
    finally:
        stop.set()
        crowd.close()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


@pytest.mark.integration
def test_the_front_buffers_refuses_and_passes_the_client_address(redis_server: str, tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "dashboard.log"
    proc = _start_dashboard(redis_server, port, log_path)
    try:
        _wait_up(proc, port, log_path)
        # A worker that exits (restarted by gunicorn) leaves the front and the socket alone.
        import re
        worker = int(re.findall(r"Booting worker with pid: (\d+)", log_path.read_text())[0])
        os.kill(worker, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while log_path.read_text().count("Booting worker") < 2:
            assert time.monotonic() < deadline, "gunicorn did not replace the worker"
            time.sleep(0.2)
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if _get(port, "/healthz")[0] == 200:
                    break
            assert time.monotonic() < deadline, "no answer after a worker restart\n" + log_path.read_text()
            time.sleep(0.2)
        # Unknown static paths are 404 on the real app, never the index page nor a 500.
        for path in ("/favicon.ico", "/assets/nope.css", "/_dash-component-suites/dash/nope.js"):
            status, body = _get(port, path)
            assert status == 404 and b"react-entry-point" not in body, (path, status)
        # A forged peer header is dropped: the access log shows the real address.
        assert _get(port, "/healthz", headers={PEER_HEADER: "6.6.6.6"})[0] == 200
        # A head trickled in pieces is answered once complete.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            for part in (b"GET /healthz HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n"):
                sock.sendall(part)
                time.sleep(0.3)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200") and b'"redis_ok":true' in reply.replace(b" ", b"")
        # Request smuggling shapes and oversize heads are refused by the front itself.
        for raw, status in ((b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\nabc", b"400"),
                            (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n", b"431"),
                            (b"POST /api/v1/events/complaints HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Length: 99999999\r\n\r\n", b"413")):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(raw)
                assert sock.recv(65536).split(b" ")[1] == status
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    output = log_path.read_text()
    assert '127.0.0.1 "GET /healthz HTTP/1.1" 200' in output
    assert "6.6.6.6" not in output
    assert "Traceback" not in output


def test_parse_head_and_build_head() -> None:
    parsed = parse_head(b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n"
                        b"X-Marvec-Peer: 1.2.3.4\r\n\r\n")
    assert not isinstance(parsed, str)
    line, headers, length, chunked, expect = parsed
    assert (line, length, chunked, expect) == (b"GET /x HTTP/1.1", None, False, False)
    head = build_head(line, headers, "10.0.0.7")
    assert head == (b"GET /x HTTP/1.1\r\nHost: a\r\nX-Marvec-Peer: 10.0.0.7\r\n"
                    b"Connection: close\r\n\r\n")
    assert parse_head(b"GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") \
        == "invalid Content-Length"
    assert parse_head(b"GET /x HTTP/1.1\r\n folded\r\n\r\n") == "malformed header line"
