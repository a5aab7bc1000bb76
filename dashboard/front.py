"""The buffering front of ``marvec dashboard``: slow and idle clients cost no worker thread.

Gunicorn's gthread worker gives a connection a thread as soon as it is accepted, and
that thread blocks until the request's headers are complete: 80 clients trickling a
header line every few seconds held every thread of a worker and ``/healthz`` timed
out. This front, one asyncio process, listens on the public address instead. It reads
each request's head (at most ``MAX_HEAD_BYTES`` within ``HEAD_TIMEOUT_S``) and its
body (declared length, at most ``MAX_BODY_BYTES`` within ``BODY_TIMEOUT_S``) into
memory, and only then hands the whole request to gunicorn over a private Unix socket,
so a worker thread only ever sees a complete request. Responses stream back (the push
stream is a long response) and are buffered here, so a client that reads slowly does
not hold a thread either. Thousands of waiting connections cost a few KiB each here.

One request per connection (``Connection: close``): the front never keeps an idle
client. The client's address reaches the app as ``X-Marvec-Peer`` (set here, any
incoming one dropped; ``PeerFromFront`` makes it ``REMOTE_ADDR``). A chunked request
body is passed through as it arrives (only a head is buffered for it).

In production a buffering reverse proxy (nginx in docker-compose.yml) stands in front
of this too; see docs/deploy.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import socket
import sys
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("marvec.dashboard.front")

HEAD_TIMEOUT_S = 10.0
"""A request's line and headers must arrive within this (slowloris: closed after it)."""
BODY_TIMEOUT_S = 30.0
"""A declared-length body must arrive within this after its head."""
MAX_HEAD_BYTES = 32 * 1024
MAX_BODY_BYTES = 4 * 1024 * 1024
"""Largest body buffered (the app's own limits are smaller: 413 from it)."""
MAX_CONNECTIONS = 8192
"""Connections held at once; beyond it a new one is closed at once."""
UPSTREAM_TIMEOUT_S = 5.0
RESPONSE_BUFFER_BYTES = 16 * 1024 * 1024
"""Response bytes buffered for a slow reader before the front waits for it."""
SLOW_READER_TIMEOUT_S = 60.0
PEER_HEADER = "X-Marvec-Peer"
_HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te", b"upgrade",
                  b"x-marvec-peer", b"expect"})


def _reply(status: str, detail: str) -> bytes:
    body = (detail + "\n").encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


class Front:
    """Accepts on ``sock`` and forwards complete requests to the Unix socket ``upstream``."""

    def __init__(self, upstream: str, *, head_timeout_s: float = HEAD_TIMEOUT_S,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        self.upstream = upstream
        self.head_timeout_s = head_timeout_s
        self.max_connections = max_connections
        self.active = 0

    async def serve(self, sock: socket.socket) -> None:
        server = await asyncio.start_server(self._handle, sock=sock, limit=MAX_HEAD_BYTES,
                                            backlog=4096)
        async with server:
            await server.serve_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.active >= self.max_connections:
            writer.transport.abort()
            return
        self.active += 1
        try:
            await self._one(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError, OSError):
            pass
        except Exception:  # never let one connection end the front
            log.exception("front: unexpected error on a connection")
        finally:
            self.active -= 1
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(_read_head(reader), self.head_timeout_s)
        except asyncio.LimitOverrunError:
            writer.write(_reply("431 Request Header Fields Too Large", "request head too large"))
            await writer.drain()
            return
        except TimeoutError:
            writer.write(_reply("408 Request Timeout", "request head not complete in time"))
            return
        if head is None:
            return
        parsed = parse_head(head)
        if isinstance(parsed, str):
            writer.write(_reply("400 Bad Request", parsed))
            await writer.drain()
            return
        line, headers, length, chunked, expect = parsed
        if length is not None and length > MAX_BODY_BYTES:
            writer.write(_reply("413 Content Too Large", f"body of {length} bytes is too large"))
            await writer.drain()
            return
        body = b""
        if length:
            if expect:
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = await asyncio.wait_for(reader.readexactly(length), BODY_TIMEOUT_S)
        peer = writer.get_extra_info("peername")
        address = peer[0] if isinstance(peer, tuple) and peer else ""
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_unix_connection(self.upstream, limit=256 * 1024), UPSTREAM_TIMEOUT_S)
        except (OSError, TimeoutError):
            writer.write(_reply("503 Service Unavailable", "the dashboard is starting; retry"))
            await writer.drain()
            return
        try:
            up_writer.write(build_head(line, headers, address) + body)
            pump = asyncio.ensure_future(_copy(reader, up_writer)) if chunked else None
            try:
                await _relay(up_reader, writer)
            finally:
                if pump is not None:
                    pump.cancel()
        finally:
            up_writer.transport.abort()
        with contextlib.suppress(ConnectionError, TimeoutError):
            await asyncio.wait_for(writer.drain(), SLOW_READER_TIMEOUT_S)


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    """The request line and headers (up to the blank line); ``None`` at a clean EOF."""
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        stripped = head.lstrip(b"\r\n")
        if stripped:
            return stripped
        # Only blank lines (RFC 9112 2.2 allows leading ones): read on.


Parsed = tuple[bytes, list[tuple[bytes, bytes]], int | None, bool, bool]


def parse_head(head: bytes) -> Parsed | str:
    """(request line, headers, content length, chunked, expects 100) or what is wrong."""
    lines = head[:-4].split(b"\r\n")
    line = lines[0]
    parts = line.split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        return "malformed request line"
    headers: list[tuple[bytes, bytes]] = []
    for raw in lines[1:]:
        name, sep, value = raw.partition(b":")
        if not sep or not name or name != name.strip() or raw[:1] in (b" ", b"\t"):
            return "malformed header line"
        headers.append((name, value.strip()))
    lengths = {v for n, v in headers if n.lower() == b"content-length"}
    encodings = [v.lower() for n, v in headers if n.lower() == b"transfer-encoding"]
    if encodings:
        if lengths:
            return "both Content-Length and Transfer-Encoding"
        if encodings[-1].split(b",")[-1].strip() != b"chunked":
            return "unsupported Transfer-Encoding"
    length: int | None = None
    if lengths:
        if len(lengths) != 1 or not next(iter(lengths)).isdigit():
            return "invalid Content-Length"
        length = int(next(iter(lengths)))
    expect = any(n.lower() == b"expect" and v.lower() == b"100-continue" for n, v in headers)
    return line, headers, length, bool(encodings), expect


def build_head(line: bytes, headers: Iterable[tuple[bytes, bytes]], peer: str) -> bytes:
    """The head sent to gunicorn: hop-by-hop headers dropped, the peer and ``close`` added."""
    out = [line]
    out += [n + b": " + v for n, v in headers if n.lower() not in _HOP]
    out.append(f"{PEER_HEADER}: {peer}".encode())
    out.append(b"Connection: close")
    return b"\r\n".join(out) + b"\r\n\r\n"


async def _relay(up: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Upstream's response to the client, buffered here for a slow reader."""
    while True:
        chunk = await up.read(64 * 1024)
        if not chunk:
            return
        if writer.transport.is_closing():
            return
        writer.write(chunk)
        if writer.transport.get_write_buffer_size() > RESPONSE_BUFFER_BYTES:
            await asyncio.wait_for(writer.drain(), SLOW_READER_TIMEOUT_S)
        elif writer.transport.get_write_buffer_size() == 0:
            continue
        else:
            await asyncio.sleep(0)


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await reader.read(64 * 1024):
            writer.write(chunk)
            await writer.drain()


class PeerFromFront:
    """WSGI middleware for gunicorn behind ``Front``: ``X-Marvec-Peer`` is ``REMOTE_ADDR``.

    Trusted because gunicorn then listens only on a private Unix socket that only the
    front connects to (the front drops any ``X-Marvec-Peer`` a client sent)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        peer = environ.pop("HTTP_X_MARVEC_PEER", None)
        if peer:
            environ["REMOTE_ADDR"] = peer
        return self.app(environ, start_response)


async def _watch_parent(parent: int) -> None:
    """End the front when the gunicorn master that started it is gone."""
    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    log.info("front: the dashboard's master exited; stopping")


async def _main(sock: socket.socket, upstream: str, parent: int) -> None:
    front = Front(upstream)
    serving = asyncio.ensure_future(front.serve(sock))
    watching = asyncio.ensure_future(_watch_parent(parent))
    await asyncio.wait([serving, watching], return_when=asyncio.FIRST_COMPLETED)


def main(argv: list[str] | None = None) -> int:
    """``python -m dashboard.front --fd N --upstream PATH`` (started by ``dashboard.wsgi.serve``)."""
    parser = argparse.ArgumentParser(prog="marvec-dashboard-front")
    parser.add_argument("--fd", type=int, required=True, help="the bound, listening public socket")
    parser.add_argument("--upstream", required=True, help="gunicorn's Unix socket")
    parser.add_argument("--log-format", default="text", help="MARVEC_LOG_FORMAT")
    parser.add_argument("--log-level", default="INFO", help="MARVEC_LOG_LEVEL")
    args = parser.parse_args(argv)
    from marvec.logs import setup_logging

    setup_logging(args.log_format, args.log_level)
    with contextlib.suppress(ValueError, OSError):
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sock = socket.socket(fileno=args.fd)
    sock.setblocking(False)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(sock, args.upstream, os.getppid()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
