"""``marvec up``: the whole stack on one machine.

Starts an embedded Kafka-protocol broker and an embedded Redis where none is
configured, then the consumers, the simulator and the dashboard as child
processes. Ctrl-C or SIGTERM stops all of it within seconds and leaves no process
behind.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from marvec.embedded import port_is_free, start_embedded_kafka, start_embedded_redis
from marvec.errors import ServiceError, SettingsError
from marvec.settings import Settings

CHILD_GRACE_S = 6.0
"""How long the consumers, simulator and dashboard get after SIGTERM before SIGKILL (a
consumer gives itself 5 s, ``streams.run.SHUTDOWN_BUDGET_S``; gunicorn 4 s)."""
SERVICE_GRACE_S = 2.0
"""Then the embedded broker and Redis, together: nothing they hold outlives ``marvec up``."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


log = logging.getLogger("marvec.up")


def _say(msg: str) -> None:
    log.info(msg)


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class Stack:
    """The child processes of ``marvec up``; stops them all within a fixed time."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.services: list[Any] = []
        self.hurry = False  # a second Ctrl-C/SIGTERM while stopping: no more grace

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        proc = subprocess.Popen(argv, env=env, start_new_session=True)
        self.children.append((name, proc))

    def dead(self) -> tuple[str, int] | None:
        for name, proc in self.children:
            if proc.poll() is not None:
                return name, proc.returncode
        return None

    def _wait_all(self, procs: list[subprocess.Popen[bytes]], grace: float) -> None:
        deadline = time.monotonic() + grace
        while not self.hurry and time.monotonic() < deadline:
            if all(p.poll() is not None for p in procs):
                return
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM every child's process group at once, SIGKILL what is left after
        ``CHILD_GRACE_S`` (the whole group: a worker whose parent already exited too),
        then the same for the embedded services with ``SERVICE_GRACE_S``."""
        procs = [proc for _, proc in self.children]
        for proc in procs:
            _kill_group(proc.pid, signal.SIGTERM)
        self._wait_all(procs, CHILD_GRACE_S)
        for name, proc in self.children:
            if proc.poll() is None:
                _say(f"{name} did not stop within {CHILD_GRACE_S:g} s: killed")
            _kill_group(proc.pid, signal.SIGKILL)
        for proc in procs:
            proc.wait()
        for service in self.services:
            service.terminate()
        self._wait_all([s.process for s in self.services if s.process], SERVICE_GRACE_S)
        for service in self.services:
            service.stop(grace=0)


def _environment(settings: Settings, stack: Stack, run_dir: Path, host: str) -> dict[str, str]:
    env = dict(os.environ)
    if not settings.kafka_bootstrap:
        kafka = start_embedded_kafka(None, run_dir)
        stack.services.append(kafka)
        env["MARVEC_KAFKA_BOOTSTRAP"] = kafka.bootstrap
        _say(f"embedded Kafka-protocol broker (Tansu) on {kafka.bootstrap}")
    if not settings.redis_url:
        red = start_embedded_redis(None, run_dir)
        stack.services.append(red)
        env["MARVEC_REDIS_URL"] = red.url
        _say(f"embedded Redis on {red.url}")
    if "MARVEC_AUTH" not in os.environ and _is_loopback(host):
        env["MARVEC_AUTH"] = "open"
        _say("MARVEC_AUTH=open: no login, because the dashboard listens on loopback only")
    return env


def _spawn_all(stack: Stack, env: dict[str, str], args: argparse.Namespace) -> None:
    me = [sys.executable, "-m", "marvec"]
    stack.spawn("dashboard", [*me, "dashboard", "--host", args.host, "--port", str(args.port),
                              "--workers", "1"], env)
    for i in range(max(1, args.consumers)):
        stack.spawn(f"consumer-{i + 1}", [*me, "consume"], env)
    for name in filter(None, env.get("MARVEC_SOURCES", "").split(",")):
        url = env.get(f"MARVEC_{name.strip().upper()}_URL")
        stack.spawn(f"source-{name}", [*me, "source", name.strip(), *(["--url", url] if url else [])], env)
    if not args.no_simulate:
        rate = [] if args.rate is None else ["--rate", str(args.rate)]
        stack.spawn("simulator", [*me, "simulate", *rate, "--backfill-hours", str(args.backfill_hours)], env)


def up(settings: Settings, args: argparse.Namespace) -> int:
    """Run the whole stack until Ctrl-C/SIGTERM or until a part dies."""
    if not port_is_free(args.host, args.port):
        raise ServiceError(f"port {args.port} is busy on {args.host}: stop what listens there "
                           "or choose another with --port")
    from geodata import load_boundaries
    from marvec.settings import load_settings
    from marvec.topics import ensure_topics

    load_boundaries(settings.boundaries, settings.boundaries_field)
    for name in filter(None, settings.sources.split(",")):
        if name != "bmkg" and not getattr(settings, f"{name}_url"):
            raise SettingsError(f"MARVEC_{name.upper()}_URL", f"not set; MARVEC_SOURCES names {name}")
    run_dir = Path(os.environ.get("MARVEC_RUN_DIR", ".marvec/run")).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack()
    # Both explicitly: a shell starts a background job (`marvec up &`, a script, CI) with
    # SIGINT ignored, and Python then leaves it ignored: Ctrl-C/kill -INT did nothing.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        env = _environment(settings, stack, run_dir, args.host)
        child_settings = load_settings(kafka_bootstrap=env["MARVEC_KAFKA_BOOTSTRAP"],
                                       redis_url=env["MARVEC_REDIS_URL"])
        ensure_topics(child_settings, partitions=6)
        _spawn_all(stack, env, args)
        _say(f"open http://{args.host}:{args.port}/wall  (also /mayor and /crisis); Ctrl-C stops all")
        while (dead := stack.dead()) is None:
            time.sleep(0.5)
        _say(f"{dead[0]} exited with code {dead[1]}; stopping everything")
        return 1
    except KeyboardInterrupt:
        _say("stopping...")
        return 0
    finally:
        _stop(stack)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _stop(stack: Stack) -> None:
    """Stop the stack; a further Ctrl-C or SIGTERM only drops the remaining grace."""
    def hurry(*_: object) -> None:
        stack.hurry = True
    signal.signal(signal.SIGINT, hurry)
    signal.signal(signal.SIGTERM, hurry)
    started = time.monotonic()
    stack.stop()
    _say(f"stopped in {time.monotonic() - started:.1f} s")
