"""Expiry of what went silent: markets and OPDs that would otherwise stay forever.

A market's latest price (``Keys.price``) and an OPD code (``Keys.opds``) have no end
event, so a source that names thousands of them (or a market that closed) would keep
them in every snapshot. The sweep removes a market whose latest price is older than
``MARVEC_SILENT_RETENTION_DAYS`` (event time) and an OPD with no open complaint, nothing
due and no resolution within it (its resolutions list goes with it).

Who runs it: every consumer has a ``Pruner`` thread, off the batch loop; a claim key in
Redis (``Keys.prune_claim``, ``SET NX EX`` inside the script) lets one process run it
per period (``PRUNE_EVERY_S``) whatever the number of consumers. Each call of
``prune.lua`` is atomic against the commit script and examines about ``chunk`` fields
(HSCAN/SSCAN), so a hostile cardinality never holds Redis long; the cursor lives in
Redis (``Keys.prune_cursor``), so the next call, by whichever process, goes on from there.
``marvec rebuild`` runs one whole sweep before it names the new picture.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import redis

from marvec.contract import COMMODITIES
from marvec.keys import Keys, lua_templates
from marvec.scripts import load_script

log = logging.getLogger("marvec.consume")

PRUNE_LUA = load_script("streams", "prune.lua")
PRUNE_EVERY_S = 600
"""At most one sweep run per this period across all consumers (the claim's TTL)."""
CHUNK = 1000
"""About how many price fields / OPD members one script call examines."""
MAX_CALLS = 200
"""Script calls of one run at most; a sweep not finished by then goes on next period."""
WAKE_S = 60.0
"""How often each consumer's thread tries the claim (the claim decides who runs)."""
FIRST_S = 10.0
"""The first try after the consumer started."""


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What prune calls did: ``status`` of the first call (``ok``, ``claimed``: another
    process holds this period, ``no_picture``: Redis holds no Marvec picture)."""

    status: str = "ok"
    markets: int = 0
    opds: int = 0
    examined: int = 0
    calls: int = 0
    done: bool = False


class Pruner:
    """Runs the bounded expiry sweep; ``start`` runs it periodically on a thread."""

    def __init__(self, client: redis.Redis, retention_days: int, keys: Keys | None = None, *,
                 chunk: int = CHUNK, every_s: float = PRUNE_EVERY_S, max_calls: int = MAX_CALLS) -> None:
        self.client = client
        self.keys = keys or Keys()
        self.retention_s = retention_days * 86400
        self.chunk, self.every_s, self.max_calls = chunk, every_s, max_calls
        self.metrics: Any = None
        """A ``ConsumerMetrics`` to count removals in, or None."""
        self.wake_s, self.first_s = WAKE_S, FIRST_S
        self._script = client.register_script(PRUNE_LUA)
        self._templates = orjson.dumps(lua_templates(self.keys))
        self._thread: threading.Thread | None = None

    def step(self, now: float, token: str = "", *, need_epoch: bool = True) -> PruneResult:
        """One script call: about ``chunk`` fields examined from where the sweep stands.
        ``token`` claims the period (``""``: no claim, for a rebuild)."""
        request = {"cutoff": now - self.retention_s, "budget": self.chunk,
                   "commodities": list(COMMODITIES), "token": token,
                   "claim_s": max(1, int(self.every_s)), "need_epoch": need_epoch}
        raw = orjson.loads(self._script(keys=[], args=[self._templates, orjson.dumps(request)]))
        return PruneResult(str(raw["status"]), int(raw["markets"]), int(raw["opds"]),
                           int(raw["examined"]), 1, bool(raw["done"]))

    def run_once(self, now: float | None = None) -> PruneResult:
        """Claim this period and run calls until the sweep is done or ``max_calls``;
        counts and logs what was removed. Another process's claim: nothing done."""
        token = uuid.uuid4().hex
        total = PruneResult(calls=0)
        for _ in range(self.max_calls):
            r = self.step(time.time() if now is None else now, token)
            if r.status != "ok":
                return r if total.calls == 0 else total
            total = PruneResult("ok", total.markets + r.markets, total.opds + r.opds,
                                total.examined + r.examined, total.calls + 1, r.done)
            if r.done:
                break
        self._report(total)
        return total

    def sweep(self, now: float | None = None) -> PruneResult:
        """A whole sweep, unclaimed and whatever the epoch (``marvec rebuild``, which
        holds Redis alone): the calls until one finishes the sweep, from its start."""
        self.client.delete(self.keys.prune_cursor)
        total = PruneResult(calls=0)
        while not total.done:
            r = self.step(time.time() if now is None else now, need_epoch=False)
            total = PruneResult("ok", total.markets + r.markets, total.opds + r.opds,
                                total.examined + r.examined, total.calls + 1, r.done)
        self._report(total)
        return total

    def _report(self, r: PruneResult) -> None:
        if self.metrics is not None:
            self.metrics.expired(r.markets, r.opds)
        if r.markets or r.opds:
            log.info("expired %d market price(s) silent for over %d days and %d OPD(s) with "
                     "nothing open or resolved in that time (%d examined, %d call(s)%s)",
                     r.markets, self.retention_s // 86400, r.opds, r.examined, r.calls,
                     "" if r.done else "; the sweep goes on next period")

    def start(self, stop: threading.Event) -> Pruner:
        """Try the claim every ``wake_s`` (jittered) until ``stop``; never raises."""
        def loop() -> None:
            wait = self.first_s
            while not stop.wait(wait):
                try:
                    self.run_once()
                except (redis.exceptions.RedisError, OSError) as exc:
                    log.warning("expiry of silent markets and OPDs skipped this time: %s", exc)
                wait = self.wake_s * (0.8 + 0.4 * random.random())
        self._thread = threading.Thread(target=loop, name="expiry", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
