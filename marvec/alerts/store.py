"""The alerts' Redis side: the evaluation lease, fenced state changes, the notification
outbox, acknowledgements, the alert level and the war-room log.

Exactly once across processes: every process that may evaluate (``marvec consume`` and
each dashboard worker) tries to hold one lease (``SET NX PX``, renewed each round); only
the holder evaluates, and its changes go through one script that first checks it still
holds the lease, then writes the states, queues the notifications and appends the log,
all or nothing. A process that stops renewing loses the lease after ``LEASE_MS`` and the
next one takes over from the states in Redis: no transition is repeated or skipped.
Notifications are claimed one by one from the outbox (a claim moves them to an
in-flight set); one claimed by a process that died is queued again after
``INFLIGHT_STALE_S``. The keys are ``Keys.ops_prefix``'s, which ``marvec rebuild`` keeps.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
import redis

from marvec.keys import Keys
from marvec.timeutil import iso

__all__ = ["LEVELS", "AlertStore", "LogEntry", "alerts_view"]

LEASE_MS = 10_000
INFLIGHT_STALE_S = 60.0
LOG_CAP = 5000
LEVELS = ("normal", "waspada", "siaga", "awas")

LogEntry = dict[str, Any]
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def alerts_view(states: dict[str, dict[str, Any]], acks: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The API's list: firing (most severe, then newest first), then resolved (newest first)."""
    out = []
    for fp, st in states.items():
        if st["status"] == "pending":
            continue
        ack = acks.get(fp) or {}
        out.append({"fingerprint": fp, "rule": st["rule"], "status": st["status"],
                    "severity": st["severity"], "labels": st["labels"], "value": st.get("value"),
                    "summary": st["summary"], "summary_en": st["summary_en"],
                    "starts_at": st["starts_at"], "ends_at": st["ends_at"],
                    "acknowledged_by": ack.get("by"), "acknowledged_at": ack.get("at")})
    firing = sorted((a for a in out if a["status"] == "firing"), key=lambda a: a["starts_at"] or "",
                    reverse=True)
    firing.sort(key=lambda a: _SEVERITY_ORDER.get(a["severity"], 9))  # stable: newest first within
    resolved = sorted((a for a in out if a["status"] == "resolved"), key=lambda a: a["ends_at"] or "",
                      reverse=True)
    return firing + resolved

_HOLD = """
local cur = redis.call('GET', KEYS[1])
if cur == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
"""

_APPLY = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local p = cjson.decode(ARGV[2])
for fp, st in pairs(p.changes) do
  if st == cjson.null then redis.call('HDEL', KEYS[2], fp) else redis.call('HSET', KEYS[2], fp, st) end
end
for _, fp in ipairs(p.clear_acks) do redis.call('HDEL', KEYS[5], fp) end
for _, m in ipairs(p.outbox) do redis.call('ZADD', KEYS[3], p.now, m) end
for _, e in ipairs(p.log) do redis.call('LPUSH', KEYS[4], e) end
if #p.log > 0 then redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[3]) - 1) end
return 1
"""

_CLAIM = """
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
for _, m in ipairs(stale) do redis.call('ZREM', KEYS[2], m); redis.call('ZADD', KEYS[1], ARGV[1], m) end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do redis.call('ZREM', KEYS[1], m); redis.call('ZADD', KEYS[2], ARGV[1], m) end
return due
"""

_ACK = """
local st = redis.call('HGET', KEYS[1], ARGV[1])
if st == false then return 0 end
if cjson.decode(st).status ~= 'firing' then return -1 end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 2 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('LPUSH', KEYS[3], ARGV[3])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[4]) - 1)
return 1
"""


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class AlertStore:
    """One process's handle on the alerts in one Redis; ``token`` identifies it in the lease."""

    def __init__(self, client: redis.Redis, keys: Keys | None = None, token: str | None = None) -> None:
        self.client, self.k = client, keys or Keys()
        self.token = token or uuid.uuid4().hex
        self._hold = client.register_script(_HOLD)
        self._apply = client.register_script(_APPLY)
        self._claim = client.register_script(_CLAIM)
        self._ack = client.register_script(_ACK)

    # -- evaluation ------------------------------------------------------------------
    def hold_lease(self, ttl_ms: int = LEASE_MS) -> bool:
        """Take or renew the evaluation lease; True while this process holds it."""
        return bool(self._hold(keys=[self.k.alerts_lease], args=[self.token, ttl_ms]))

    def release_lease(self) -> None:
        """Hand the lease over at once (a clean stop), if this process holds it."""
        pipe = self.client.pipeline()
        pipe.watch(self.k.alerts_lease)
        if pipe.get(self.k.alerts_lease) == self.token.encode():
            pipe.multi()
            pipe.delete(self.k.alerts_lease)
            pipe.execute()
        else:
            pipe.reset()

    def states(self) -> dict[str, dict[str, Any]]:
        return {fp.decode(): orjson.loads(v) for fp, v in self.client.hgetall(self.k.alerts).items()}

    def apply(self, changes: dict[str, dict[str, Any] | None], clear_acks: list[str],
              outbox: list[dict[str, Any]], log: list[LogEntry], now: float) -> bool:
        """Write one round's result if this process still holds the lease (False if not)."""
        payload = {"changes": {fp: (None if st is None else _dumps(st)) for fp, st in changes.items()},
                   "clear_acks": clear_acks, "outbox": [_dumps(m) for m in outbox],
                   "log": [_dumps(e) for e in log], "now": now}
        keys = [self.k.alerts_lease, self.k.alerts, self.k.alerts_outbox, self.k.warroom_log,
                self.k.alert_acks]
        # cjson decodes an empty object and an empty array alike; both loop zero times.
        return bool(self._apply(keys=keys, args=[self.token, _dumps(payload), LOG_CAP]))

    # -- notifications ---------------------------------------------------------------
    def claim(self, now: float, limit: int = 20) -> list[tuple[bytes, dict[str, Any]]]:
        """Notifications due at ``now``, each moved to in-flight: ``(member, decoded)``."""
        raw = self._claim(keys=[self.k.alerts_outbox, self.k.alerts_inflight],
                          args=[now, limit, now - INFLIGHT_STALE_S])
        return [(m, orjson.loads(m)) for m in raw]

    def sent(self, member: bytes) -> None:
        self.client.zrem(self.k.alerts_inflight, member)

    def retry(self, member: bytes, note: dict[str, Any], due: float) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.zrem(self.k.alerts_inflight, member)
        pipe.zadd(self.k.alerts_outbox, {_dumps({**note, "attempts": note.get("attempts", 0) + 1}): due})
        pipe.execute()

    def pending(self) -> int:
        pipe = self.client.pipeline(transaction=False)
        pipe.zcard(self.k.alerts_outbox)
        pipe.zcard(self.k.alerts_inflight)
        return sum(pipe.execute())

    # -- people ----------------------------------------------------------------------
    def acks(self) -> dict[str, dict[str, Any]]:
        return {fp.decode(): orjson.loads(v) for fp, v in self.client.hgetall(self.k.alert_acks).items()}

    def ack(self, fp: str, who: str, now: float | None = None) -> int:
        """1 acknowledged now, 2 already acknowledged, 0 unknown, -1 not firing."""
        at = iso(now or time.time())
        entry = {"at": at, "kind": "ack", "by": who, "fp": fp, "text": f"acknowledged {fp}"}
        state = self.client.hget(self.k.alerts, fp)
        if state is not None:
            entry["text"] = orjson.loads(state).get("summary", fp)
        return int(self._ack(keys=[self.k.alerts, self.k.alert_acks, self.k.warroom_log],
                             args=[fp, _dumps({"by": who, "at": at}), _dumps(entry), LOG_CAP]))

    def level(self) -> dict[str, Any]:
        h = {k.decode(): v.decode() for k, v in self.client.hgetall(self.k.alert_level).items()}
        return {"level": h.get("level", "normal"), "reason": h.get("reason"),
                "set_by": h.get("set_by"), "set_at": h.get("set_at")}

    def set_level(self, level: str, reason: str, who: str, now: float | None = None) -> dict[str, Any]:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}")
        at = iso(now or time.time())
        before = self.level()["level"]
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.k.alert_level, mapping={"level": level, "reason": reason, "set_by": who, "set_at": at})
        pipe.lpush(self.k.warroom_log, _dumps({"at": at, "kind": "level", "by": who, "level": level,
                                               "from": before, "text": reason}))
        pipe.ltrim(self.k.warroom_log, 0, LOG_CAP - 1)
        pipe.execute()
        return self.level()

    def note(self, text: str, who: str, now: float | None = None) -> LogEntry:
        entry = {"at": iso(now or time.time()), "kind": "note", "by": who, "text": text}
        pipe = self.client.pipeline(transaction=True)
        pipe.lpush(self.k.warroom_log, _dumps(entry))
        pipe.ltrim(self.k.warroom_log, 0, LOG_CAP - 1)
        pipe.execute()
        return entry

    def announce(self, notes: list[dict[str, Any]], entry: LogEntry, now: float | None = None) -> None:
        """Queue notifications for the contact points (sent by the leader's sender, with its
        retries) and record ``entry`` in the war-room log, together."""
        now = time.time() if now is None else now
        pipe = self.client.pipeline(transaction=True)
        for note in notes:
            pipe.zadd(self.k.alerts_outbox, {_dumps(note): now})
        pipe.lpush(self.k.warroom_log, _dumps(entry))
        pipe.ltrim(self.k.warroom_log, 0, LOG_CAP - 1)
        pipe.execute()

    def log(self, limit: int = 200) -> list[LogEntry]:
        return [orjson.loads(e) for e in self.client.lrange(self.k.warroom_log, 0, max(0, limit - 1))]
