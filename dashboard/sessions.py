"""Login sessions and display-token revocations, recorded in Redis for every worker and host.

A session cookie alone proves nothing any more: each login records a random session
id (``Keys.session``) that the cookie carries, and every request checks it is still
there. Logout deletes it, so a copied cookie dies with it. Display tokens issued by
``marvec token`` are recorded (``Keys.display_tokens``) for ``marvec token list``;
``marvec token revoke NAME`` records a revocation time per display name
(``Keys.revoked_displays``) that every token of that name issued until then fails
against, whether sent as a bearer token or used for a session.

Checks are cached in each worker for ``CACHE_S`` (1 s), so a logout or revocation takes
effect everywhere within a second, at one Redis read per session (or display name) per
second per worker. While Redis does not answer, a session this worker confirmed within
``GRACE_S`` stays valid (the war room keeps its screens) and nothing new is confirmed.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from marvec.keys import Keys

log = logging.getLogger(__name__)

CACHE_S = 1.0
GRACE_S = 300.0
MAX_CACHED = 20_000


class _Cache:
    """Key -> (value, checked at), the least recently checked dropped beyond ``MAX_CACHED``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: OrderedDict[str, tuple[Any, float]] = OrderedDict()

    def get(self, key: str) -> tuple[Any, float] | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: str, value: Any, at: float) -> None:
        with self._lock:
            self._data.pop(key, None)
            self._data[key] = (value, at)
            while len(self._data) > MAX_CACHED:
                self._data.popitem(last=False)


class Sessions:
    """Server-side session records and display revocations in Redis (see the module doc)."""

    def __init__(self, client: Callable[[], Any], keys: Keys | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self.keys = keys or Keys()
        self._clock = clock
        self._alive = _Cache()
        self._revoked = _Cache()
        self._down = False

    def start(self, name: str, via: str, ttl_s: float) -> str:
        """Record a new session for ``name``; its id. Raises ``redis.RedisError``."""
        sid = secrets.token_urlsafe(24)
        key = self.keys.session(sid)
        pipe = self._client().pipeline(transaction=True)
        pipe.hset(key, mapping={"u": name, "via": via, "at": repr(time.time())})
        pipe.pexpire(key, max(1000, int(ttl_s * 1000)))
        pipe.execute()
        self._alive.put(sid, True, self._clock())
        return sid

    def end(self, sid: str) -> None:
        """Delete the session everywhere (its cookie, wherever copied, stops working)."""
        self._alive.put(sid, False, self._clock())
        try:
            self._client().delete(self.keys.session(sid))
        except redis.RedisError as exc:
            log.error("could not end session in Redis (%s); it ends when Redis is back and the "
                      "cookie is checked again", type(exc).__name__)

    def alive(self, sid: str) -> bool:
        """Whether the session ``sid`` was started and not ended (checked at most once a
        ``CACHE_S`` per worker)."""
        now = self._clock()
        cached = self._alive.get(sid)
        if cached is not None and (now - cached[1] < CACHE_S or cached[0] is False):
            return bool(cached[0])
        try:
            alive = bool(self._client().exists(self.keys.session(sid)))
        except redis.RedisError as exc:
            self._lost(exc)
            return cached is not None and bool(cached[0]) and now - cached[1] < GRACE_S
        self._back()
        self._alive.put(sid, alive, now)
        return alive

    def display_revoked(self, name: str, issued_ms: int) -> bool:
        """Whether a display token named ``name`` issued at ``issued_ms`` was revoked."""
        now = self._clock()
        cached = self._revoked.get(name)
        if cached is None or now - cached[1] >= CACHE_S:
            try:
                raw = self._client().hget(self.keys.revoked_displays, name)
            except redis.RedisError as exc:
                self._lost(exc)
                if cached is None or now - cached[1] >= GRACE_S:
                    return True  # never confirmed here: refuse rather than trust blindly
            else:
                self._back()
                cached = (None if raw is None else int(raw), now)
                self._revoked.put(name, cached[0], now)
        revoked_ms = cached[0]
        return revoked_ms is not None and issued_ms <= revoked_ms

    def _lost(self, exc: Exception) -> None:
        if not self._down:
            log.warning("sessions cannot be checked in Redis (%s): sessions this worker confirmed in "
                        "the last %d s stay valid, new ones are refused", type(exc).__name__, GRACE_S)
        self._down = True

    def _back(self) -> None:
        if self._down:
            log.info("sessions are checked in Redis again")
        self._down = False


# -- display token registry (``marvec token``) -----------------------------------------

@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    name: str
    role: str
    created: float
    expires: float
    revoked: float | None


def record_display_token(client: Any, keys: Keys, token_id: str, name: str, role: str,
                         created: float, expires: float) -> None:
    """Remember an issued token (``marvec token list``); expired entries are dropped."""
    client.hset(keys.display_tokens, token_id,
                json.dumps({"name": name, "role": role, "created": created, "expires": expires}))
    prune_display_tokens(client, keys)


def prune_display_tokens(client: Any, keys: Keys, now: float | None = None) -> None:
    now = time.time() if now is None else now
    expired = [tid for tid, raw in client.hgetall(keys.display_tokens).items()
               if float(json.loads(raw).get("expires", 0)) <= now]
    if expired:
        client.hdel(keys.display_tokens, *expired)


def list_display_tokens(client: Any, keys: Keys) -> list[TokenRecord]:
    """Every recorded unexpired token, oldest first, with its name's revocation time."""
    prune_display_tokens(client, keys)
    revoked = {k.decode(): int(v) / 1000 for k, v in client.hgetall(keys.revoked_displays).items()}
    out = []
    for tid, raw in client.hgetall(keys.display_tokens).items():
        data = json.loads(raw)
        when = revoked.get(data["name"])
        out.append(TokenRecord(tid.decode(), data["name"], data["role"], float(data["created"]),
                               float(data["expires"]),
                               when if when is not None and float(data["created"]) <= when else None))
    return sorted(out, key=lambda r: (r.created, r.name))


def revoke_display(client: Any, keys: Keys, name: str, now: float | None = None) -> int:
    """Refuse every token named ``name`` issued until now (recorded or not); how many
    recorded, unexpired tokens that ended."""
    now = time.time() if now is None else now
    client.hset(keys.revoked_displays, name, int(now * 1000))
    return sum(1 for r in list_display_tokens(client, keys) if r.name == name and r.revoked is not None)
