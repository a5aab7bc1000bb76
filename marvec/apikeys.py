"""API keys of the intake API (contract 5): made, listed and revoked by ``marvec apikey``.

A key is 32 random bytes, shown once when made (``mvk_`` + URL-safe base64). Redis keeps
only its SHA-256 (a key has 256 bits of entropy, so a fast hash is enough: nothing to
guess by brute force) in ``Keys.api_key(name)``, with the feeds it may post to, and an
index ``Keys.api_key_index`` from hash to name. Every intake request looks the hash up
in the index (one ``HGET``), so ``revoke`` ends a key at once on every worker and host.
The keys live under ``Keys.access_prefix``, which ``marvec rebuild`` keeps.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from marvec.errors import SettingsError
from marvec.keys import Keys
from marvec.settings import Settings
from marvec.timeutil import iso

__all__ = ["INTAKE_FEEDS", "ApiKey", "ApiKeyError", "ApiKeys", "hash_key"]

INTAKE_FEEDS = ("complaints", "economy", "disasters")
"""The feeds contract 5 lets a system post to."""
KEY_PREFIX = "mvk_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class ApiKeyError(ValueError):
    """A request ``marvec apikey`` cannot carry out (a bad name, an unknown key)."""


@dataclass(frozen=True)
class ApiKey:
    name: str
    feeds: tuple[str, ...]
    created_at: str | None
    revoked_at: str | None

    @property
    def live(self) -> bool:
        return self.revoked_at is None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """The API keys stored in one Redis."""

    def __init__(self, client: redis.Redis, keys: Keys | None = None) -> None:
        self.client, self.keys = client, keys or Keys()

    def add(self, name: str, feeds: list[str] | tuple[str, ...], now: float | None = None) -> str:
        """Make a key for ``name`` allowed to post to ``feeds``; returns it (never stored)."""
        if not _NAME.fullmatch(name):
            raise ApiKeyError(f"name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                            "starting with a letter or digit")
        wrong = [f for f in feeds if f not in INTAKE_FEEDS]
        if not feeds or wrong:
            raise ApiKeyError(f"--feed must be one of {', '.join(INTAKE_FEEDS)}"
                            + (f" (got {', '.join(wrong)})" if wrong else ""))
        record = self.client.hgetall(self.keys.api_key(name))
        if record and b"revoked_at" not in record:
            raise ApiKeyError(f"a live key named {name!r} exists: revoke it first")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        digest = hash_key(key)
        unique = tuple(dict.fromkeys(feeds))
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(self.keys.api_key(name))
        pipe.hset(self.keys.api_key(name), mapping={
            "sha256": digest, "feeds": ",".join(unique), "created_at": iso(now or time.time())})
        pipe.hset(self.keys.api_key_index, digest, name)
        pipe.execute()
        return key

    def revoke(self, name: str, now: float | None = None) -> ApiKey:
        """End ``name``'s key at once; returns its record (``ApiKeyError`` when unknown)."""
        k = self.keys.api_key(name)
        record = self.client.hgetall(k)
        if not record:
            raise ApiKeyError(f"no API key named {name!r} (marvec apikey list shows them)")
        if b"revoked_at" not in record:
            pipe = self.client.pipeline(transaction=True)
            pipe.hdel(self.keys.api_key_index, record.get(b"sha256", b""))
            pipe.hset(k, "revoked_at", iso(now or time.time()))
            pipe.execute()
        return self._record(name, self.client.hgetall(k))

    def list(self) -> list[ApiKey]:
        prefix = self.keys.api_key("")
        out = []
        for raw in self.client.scan_iter(match=f"{prefix}*", count=500):
            name = raw.decode()[len(prefix):]
            out.append(self._record(name, self.client.hgetall(raw)))
        return sorted(out, key=lambda k: k.name)

    def lookup(self, key: str) -> ApiKey | None:
        """The live key ``key`` is, or None (unknown or revoked)."""
        name = self.client.hget(self.keys.api_key_index, hash_key(key))
        if name is None:
            return None
        record = self.client.hgetall(self.keys.api_key(name.decode()))
        if not record or b"revoked_at" in record:
            return None
        return self._record(name.decode(), record)

    @staticmethod
    def _record(name: str, h: dict[bytes, bytes]) -> ApiKey:
        def get(field: str) -> str | None:
            value = h.get(field.encode())
            return value.decode() if value is not None else None

        feeds = tuple(f for f in (get("feeds") or "").split(",") if f)
        return ApiKey(name, feeds, get("created_at"), get("revoked_at"))


# -- marvec apikey add|revoke|list ------------------------------------------------

def add_apikey_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="apikey_command", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="make a key for a system that posts events (printed once)")
    add.add_argument("name", help="who posts with it, e.g. anrong-app or call-centre-112")
    add.add_argument("--feed", action="append", required=True, choices=INTAKE_FEEDS,
                     help="a feed it may post to (repeat for several)")
    rev = sub.add_parser("revoke", help="end a key at once, on every dashboard worker and host")
    rev.add_argument("name")
    sub.add_parser("list", help="the keys: name, feeds, made, revoked")


def run_apikey(args: argparse.Namespace, settings: Settings,
               out: Callable[[str], None] = print) -> None:
    """Carry out ``marvec apikey ...`` against MARVEC_REDIS_URL; ``SettingsError`` on a bad request."""
    from marvec.topics import check_redis

    if not settings.redis_url:
        raise SettingsError("MARVEC_REDIS_URL", "not set; name the Redis the dashboards read "
                            "(under marvec up, the URL it logs at start)")
    store = ApiKeys(check_redis(settings.redis_url))
    try:
        if args.apikey_command == "add":
            key = store.add(args.name, args.feed)
            out(f"API key {args.name!r} made for {', '.join(dict.fromkeys(args.feed))}; it is "
                "shown once, here, and stored only hashed. Send it as 'Authorization: Bearer <key>':")
            out(key)
        elif args.apikey_command == "revoke":
            record = store.revoke(args.name)
            out(f"API key {record.name!r} revoked at {record.revoked_at}")
        else:
            rows = store.list()
            if not rows:
                out("no API keys (marvec apikey add NAME --feed FEED makes one)")
            for k in rows:
                state = f"revoked {k.revoked_at}" if k.revoked_at else "live"
                out(f"{k.name}\tfeeds={','.join(k.feeds)}\tcreated {k.created_at}\t{state}")
    except ApiKeyError as exc:
        raise SettingsError(f"marvec apikey {args.apikey_command}", str(exc)) from None
