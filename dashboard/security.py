"""Security headers, the login rate limiter and secret redaction in logs.

Pure helpers plus one Flask hook (``install_headers``); no Redis, no Dash import.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlparse

import flask
import redis

from marvec.keys import Keys

log = logging.getLogger(__name__)

# Hosts plotly's built-in map styles load from (style JSON, vector tiles, glyphs,
# sprites). Only needed when no own tile server is configured (MARVEC_TILES_URL).
PLOTLY_MAP_HOSTS = (
    "https://basemaps.cartocdn.com",
    "https://*.basemaps.cartocdn.com",
    "https://tile.openstreetmap.org",
    "https://*.tile.openstreetmap.org",
)


def tile_origins(tiles_url: str | None) -> tuple[str, ...]:
    """Origins the map may fetch from: the configured tile server's, or plotly's defaults."""
    if not tiles_url:
        return PLOTLY_MAP_HOSTS
    parsed = urlparse(tiles_url.replace("{", "").replace("}", ""))
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return (f"{parsed.scheme}://{parsed.netloc}",)
    return ()  # a relative URL: served by this app, covered by 'self'


def build_csp(script_hashes: Iterable[str] = (), tiles_url: str | None = None) -> str:
    """The Content-Security-Policy for every response.

    Scripts: only this origin plus the exact inline scripts Dash renders (by hash):
    no 'unsafe-inline', no 'unsafe-eval'. Styles need 'unsafe-inline' because plotly.js
    and Dash components inject <style> elements at run time. Map libraries run web
    workers from blob: URLs.
    """
    tiles = " ".join(tile_origins(tiles_url))
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *script_hashes]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: blob: {tiles}".strip(),
        "font-src": "'self' data:",
        "connect-src": f"'self' {tiles}".strip(),
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def install_headers(server: flask.Flask, csp: Callable[[flask.Response], str]) -> None:
    """Add the security headers to every response (errors and Dash's own included)."""

    @server.after_request
    def _security_headers(response: flask.Response) -> flask.Response:
        for name, value in STATIC_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", csp(response))
        if flask.request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


class RateLimiter:
    """Sliding-window counter of failures per key, in this process's memory.

    ``limit`` failures within ``window_s`` block the key until the oldest one leaves
    the window. Memory stays bounded: at most ``max_keys`` keys are tracked (the
    least recently touched are dropped first).
    """

    def __init__(
        self,
        limit: int = 5,
        window_s: float = 60.0,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait before another attempt is allowed for any of ``keys``; 0 when allowed."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                hits = self._prune(key, now)
                if hits is not None and len(hits) >= self.limit:
                    wait = max(wait, hits[0] + self.window_s - now)
        return max(1, int(wait + 0.999)) if wait > 0 else 0

    def fail(self, *keys: str) -> None:
        """Record one failed attempt against each key."""
        now = self._clock()
        with self._lock:
            for key in keys:
                hits = self._hits.pop(key, None) or deque(maxlen=self.limit)
                hits.append(now)
                self._hits[key] = hits  # re-insert: most recently touched last
            while len(self._hits) > self.max_keys:
                self._hits.pop(next(iter(self._hits)))

    def reset(self, key: str) -> None:
        """Forget a key's failures (after a successful login)."""
        with self._lock:
            self._hits.pop(key, None)

    def _prune(self, key: str, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits


class SharedRateLimiter:
    """``RateLimiter``'s contract, counted in Redis so every worker and host shares it.

    Each key is a sorted set of failure times (``Keys.login_failures``) trimmed to the
    newest ``limit`` and expiring with the window, so N workers give an attacker the
    same 5 tries a minute as one. While Redis does not answer, this worker's own
    ``fallback`` counts (failures are always recorded there too), so the limit never
    lapses; it is per worker again until Redis is back. After a failed call Redis is
    left alone for ``pause_s``, so a dead Redis slows at most one login per pause.
    """

    def __init__(
        self,
        client: Callable[[], Any],
        keys: Keys | None = None,
        limit: int = 5,
        window_s: float = 60.0,
        *,
        fallback: RateLimiter | None = None,
        clock: Callable[[], float] = time.time,
        pause_s: float = 5.0,
    ) -> None:
        self._client = client
        self.pause_s = pause_s
        self._paused_until = 0.0
        self.keys = keys or Keys()
        self.limit = limit
        self.window_s = window_s
        self.fallback = fallback or RateLimiter(limit, window_s)
        self._clock = clock
        self._down = False

    def retry_after(self, *keys: str) -> int:
        now = self._clock()
        if self._paused():
            return self.fallback.retry_after(*keys)
        try:
            pipe = self._client().pipeline(transaction=False)
            for key in keys:
                pipe.zremrangebyscore(self.keys.login_failures(key), "-inf", now - self.window_s)
                pipe.zrevrange(self.keys.login_failures(key), self.limit - 1, self.limit - 1, withscores=True)
            replies = pipe.execute()
        except redis.RedisError as exc:
            self._lost(exc)
            return self.fallback.retry_after(*keys)
        self._back()
        wait = 0.0
        for nth in replies[1::2]:
            if nth:  # the limit-th newest failure is still in the window
                wait = max(wait, float(nth[0][1]) + self.window_s - now)
        return max(1, int(wait + 0.999)) if wait > 0 else 0

    def fail(self, *keys: str) -> None:
        self.fallback.fail(*keys)
        now = self._clock()
        if self._paused():
            return
        try:
            pipe = self._client().pipeline(transaction=False)
            for key in keys:
                k = self.keys.login_failures(key)
                pipe.zadd(k, {f"{now!r}:{secrets.token_hex(4)}": now})
                pipe.zremrangebyrank(k, 0, -(self.limit + 1))
                pipe.pexpire(k, int(self.window_s * 1000) + 1000)
            pipe.execute()
        except redis.RedisError as exc:
            self._lost(exc)
            return
        self._back()

    def reset(self, key: str) -> None:
        self.fallback.reset(key)
        if self._paused():
            return
        try:
            self._client().delete(self.keys.login_failures(key))
        except redis.RedisError as exc:
            self._lost(exc)

    def _paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def _lost(self, exc: Exception) -> None:
        self._paused_until = time.monotonic() + self.pause_s
        if not self._down:
            log.warning("login rate limits count in this worker only while Redis does not answer (%s)",
                        type(exc).__name__)
        self._down = True

    def _back(self) -> None:
        if self._down:
            log.info("login rate limits are shared through Redis again")
        self._down = False


_SECRET_QUERY = re.compile(r"([?&](?:t|token|password)=)[^&\s\"']+", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with display tokens (``?t=``), passwords and bearer tokens replaced."""
    return _BEARER.sub(r"\1[redacted]", _SECRET_QUERY.sub(r"\1[redacted]", text))


class RedactingFilter(logging.Filter):
    """Logging filter that redacts tokens from access-log lines (werkzeug, gunicorn)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_log_redaction(names: Iterable[str] = ("werkzeug", "gunicorn.access")) -> None:
    """Attach ``RedactingFilter`` once to each named logger."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
