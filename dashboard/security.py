"""Security headers, the login throttle (Redis) and secret redaction in logs.

Helpers plus one Flask hook (``install_headers``); no Dash import.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlparse

import flask

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


THROTTLE_SCRIPT = """
-- KEYS: pair, user ('' for none), known ('' for none); ARGV: addr, now, free, user_free, max_s, forget_ms
local now, max_s = tonumber(ARGV[2]), tonumber(ARGV[5])
local function wait(key, free)
  local got = redis.call('HMGET', key, 'n', 'last')
  local n, last = tonumber(got[1]), tonumber(got[2])
  if not n or not last or n < free then return 0 end
  return math.max(0, last + math.min(max_s, 2 ^ (n - free)) - now)
end
local known = KEYS[3] ~= '' and redis.call('ZSCORE', KEYS[3], ARGV[1])
local w = wait(KEYS[1], tonumber(ARGV[3]))
if KEYS[2] ~= '' and not known then w = math.max(w, wait(KEYS[2], tonumber(ARGV[4]))) end
if w > 0 then return tostring(w) end
for _, key in ipairs({KEYS[1], (not known) and KEYS[2] or ''}) do
  if key ~= '' then
    redis.call('HINCRBY', key, 'n', 1)
    redis.call('HSET', key, 'last', ARGV[2])
    redis.call('PEXPIRE', key, ARGV[6])
  end
end
return known and 'known' or 'new'
"""


class LoginThrottle:
    """Progressive delays on login attempts, counted in Redis for every worker and host.

    An attempt is counted *before* the password is checked (one atomic script: no burst
    of parallel guesses slips through) against two keys: the (user, client address) pair,
    and, from an address the user never logged in from, the user. A key's first
    ``free`` (pair) / ``user_free`` (user) attempts go at once; after that each must
    wait ``2 ** (n - free)`` s after the previous one, at most ``max_delay_s``. A success
    clears the pair and remembers the address as known for the user, so a distributed
    attack on a user's name never delays that user where they logged in before; and a
    failure from one address never delays another address. Counts are forgotten
    ``forget_s`` after a key's latest attempt. Bad display tokens count per address
    (``token_attempt``) and never stop a valid token: it is checked before the throttle.

    Every method raises ``redis.RedisError`` when Redis does not answer (logins need
    Redis to record their sessions anyway).
    """

    def __init__(
        self,
        client: Callable[[], Any],
        keys: Keys | None = None,
        *,
        free: int = 5,
        user_free: int = 10,
        max_delay_s: float = 900.0,
        forget_s: float = 3600.0,
        max_known: int = 20,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self.keys = keys or Keys()
        self.free, self.user_free = free, user_free
        self.max_delay_s, self.forget_s, self.max_known = max_delay_s, forget_s, max_known
        self._clock = clock
        self._script: Any = None

    def attempt(self, user: str | None, addr: str) -> tuple[int, bool]:
        """Count one login attempt of ``user`` (``None``: a name that is no user) from
        ``addr``: ``(seconds to wait, 0 when it may go ahead; whether addr is known)``.
        A refused attempt (wait > 0) is not counted."""
        pair = self.keys.login_failures(f"pair:{user if user is not None else '?'}|{addr}")
        user_key = self.keys.login_failures(f"user:{user}") if user is not None else ""
        known = self.keys.known_addresses(user) if user is not None else ""
        reply = self._run((pair, user_key, known), addr)
        if reply in (b"known", b"new"):
            return 0, reply == b"known"
        return max(1, math.ceil(float(reply))), False

    def succeeded(self, user: str, addr: str, known: bool) -> None:
        """``user`` logged in from ``addr``: clear the pair, take back the attempt the
        user key counted (if ``addr`` was new) and remember ``addr`` for ``user``."""
        now = self._clock()
        pipe = self._client().pipeline(transaction=True)
        pipe.delete(self.keys.login_failures(f"pair:{user}|{addr}"))
        if not known:
            user_key = self.keys.login_failures(f"user:{user}")
            pipe.hincrby(user_key, "n", -1)
            pipe.pexpire(user_key, int(self.forget_s * 1000))  # never a key without expiry
        k = self.keys.known_addresses(user)
        pipe.zadd(k, {addr: now})
        pipe.zremrangebyrank(k, 0, -(self.max_known + 1))
        pipe.expire(k, 180 * 86400)
        pipe.execute()

    def token_attempt(self, addr: str) -> int:
        """Count one bad display token from ``addr``: seconds the client must wait before
        the next bad one is even answered 401 (0: answered now)."""
        reply = self._run((self.keys.login_failures(f"token:{addr}"), "", ""), addr)
        return 0 if reply in (b"known", b"new") else max(1, math.ceil(float(reply)))

    def _run(self, keys: tuple[str, str, str], addr: str) -> bytes:
        client = self._client()
        if self._script is None:
            self._script = client.register_script(THROTTLE_SCRIPT)
        reply = self._script(keys=list(keys), client=client, args=[
            addr, repr(self._clock()), self.free, self.user_free, self.max_delay_s,
            int(self.forget_s * 1000)])
        return reply if isinstance(reply, bytes) else str(reply).encode()


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
