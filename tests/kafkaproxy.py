"""A small TCP proxy for fault tests: put it between clients and a server, then cut it.

``TcpProxy(target_port).start()`` listens on ``proxy.port`` and forwards every
connection to ``127.0.0.1:target_port``. ``cut()`` closes every open connection and the
listening socket, so new connections are refused (the server looks down, though it keeps
running with all its state); ``restore()`` listens on the same port again. Works for any
TCP protocol (Kafka, Redis). For Kafka the broker must *advertise* the proxy's port, or
clients reconnect to the broker directly after their first metadata request.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from typing import Self

HOST = "127.0.0.1"
CHUNK = 256 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class TcpProxy:
    """Forwards ``HOST:port`` to ``HOST:target_port`` until ``cut()``; see the module doc."""

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self.accepted = 0  # connections accepted over the proxy's life
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._threads: list[threading.Thread] = []
        self._up = False

    # -- life cycle -------------------------------------------------------------------
    def start(self) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, self.port))
        sock.listen(128)
        sock.settimeout(0.2)
        with self._lock:
            self._listener, self._up = sock, True
        thread = threading.Thread(target=self._accept_loop, args=(sock,), daemon=True,
                                  name=f"proxy-accept-{self.port}")
        thread.start()
        self._threads.append(thread)
        return self

    def cut(self) -> None:
        """Refuse new connections and drop every open one (both directions)."""
        with self._lock:
            self._up = False
            listener, self._listener = self._listener, None
            pairs, self._pairs = self._pairs, set()
        if listener is not None:
            listener.close()
        for a, b in pairs:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()

    def restore(self) -> None:
        """Listen and forward again, on the same port."""
        if not self._up:
            self.start()

    def close(self) -> None:
        self.cut()
        for thread in self._threads:
            thread.join(timeout=2)

    @property
    def is_up(self) -> bool:
        return self._up

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._pairs)

    def __enter__(self) -> Self:
        return self if self._up else self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- forwarding ----------------------------------------------------------------------
    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by cut()
                return
            try:
                upstream = socket.create_connection((HOST, self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            for s in (client, upstream):
                s.settimeout(None)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if not self._up or self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._pairs.add((client, upstream))
                self.accepted += 1
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True,
                             name=f"proxy-pump-{self.port}").start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        """Copy bytes both ways until either side closes (or ``cut()`` closes both)."""
        sel = selectors.DefaultSelector()
        peer = {a: b, b: a}
        try:
            sel.register(a, selectors.EVENT_READ)
            sel.register(b, selectors.EVENT_READ)
            while True:
                for key, _ in sel.select(timeout=0.5):
                    src = key.fileobj
                    data = src.recv(CHUNK)  # type: ignore[union-attr]
                    if not data:
                        return
                    peer[src].sendall(data)  # type: ignore[index]
                with self._lock:
                    if (a, b) not in self._pairs:
                        return
        except (OSError, ValueError):  # a socket closed under us
            return
        finally:
            sel.close()
            with self._lock:
                self._pairs.discard((a, b))
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.close()
