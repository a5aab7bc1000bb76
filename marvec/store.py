"""Read the snapshot from Redis in one round trip (``read.lua``) and build it.

``read_snapshot`` is the only reader of Marvec's keys; ``build_snapshot`` is the
pure half that turns the raw values into the typed ``Snapshot``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import orjson
import redis

from marvec.contract import COMMODITIES, FEEDS
from marvec.keys import TIMELINE_LEN, Keys, lua_templates
from marvec.scripts import load_script
from marvec.snapshot import Snapshot
from marvec.store_build import build_snapshot
from marvec.timeutil import wita_day

READ_LUA = load_script("marvec", "read.lua")

LATEST_N = 300
TICKER_N = 40
RESOLUTIONS_N = 200
TOPICS_N = 20
"""Survey topics in a snapshot at most (the most recently surveyed)."""
# Bounds on what one read returns, whatever the cardinality a source throws at Marvec
# (bench/cardinality.py): the totals stay exact, the lists hold the worst/dearest first
# and say how many more there are.
OPDS_N = 100
"""OPDs whose resolution stats are read (the most overdue, then the most open); every
OPD's open and overdue counts are read whatever their number."""
MARKETS_N = 50
"""Markets in each price's ``by_market`` at most (the dearest); ``markets`` counts all
and the median covers all (computed in Redis)."""
LOG_N = 20
"""War-room log entries in a snapshot (the newest; ``GET /api/v1/log`` pages further)."""
INCIDENTS_N = 200
"""Active incidents whose timeline is read (most severe, then oldest); all are listed."""


def read_request(now: float, latest_n: int = LATEST_N) -> dict[str, Any]:
    """What ``read.lua`` fetches for a snapshot at ``now`` (buckets, days, limits)."""
    m, h = int(now // 60), int(now // 3600)
    return {
        "now": now,
        "feeds": list(FEEDS),
        "commodities": list(COMMODITIES),
        "days": {"today": wita_day(now),
                 "week": [wita_day(now - d * 86400) for d in (7, 6, 8)],
                 "yesterday": wita_day(now - 86400),
                 "last7": [wita_day(now - d * 86400) for d in range(7)]},
        "minutes": list(range(m - 59, m + 1)),
        "hours": list(range(h - 47, h + 1)),
        "gauge_minutes": list(range(m - 59, m + 1)) + list(range(m - 1445, m - 1439)),
        "gauge_hours": list(range(h - 47, h + 1)),
        "latest_n": latest_n,
        "ticker_n": TICKER_N,
        "resolutions_n": RESOLUTIONS_N,
        "timeline_n": TIMELINE_LEN,
        "topics_n": TOPICS_N,
        "opds_n": OPDS_N,
        "markets_n": MARKETS_N,
        "incidents_n": INCIDENTS_N,
        "log_n": LOG_N,
    }


class SnapshotReader:
    """Holds the registered read script; one ``read()`` is one Redis round trip."""

    def __init__(self, client: redis.Redis, keys: Keys | None = None) -> None:
        self.client = client
        self._script = client.register_script(READ_LUA)
        self._templates = orjson.dumps(lua_templates(keys or Keys()))
        self.clocks: dict[str, str] = {}
        """Consumer id -> its clock report (JSON, ``streams.clock``), as of the last read."""
        self.bad_keys: tuple[tuple[str, str], ...] = ()
        """(key, Redis's error) of each key the last read could not read (a key of the
        wrong type under the prefix): read as empty, the rest served."""

    def raw(self, request: dict[str, Any]) -> dict[str, Any]:
        """The raw values for ``request`` as decoded JSON (``bad_keys`` taken out)."""
        out = orjson.loads(self._script(keys=[], args=[self._templates, orjson.dumps(request)]))
        self.clocks = pairs_of(out.pop("clocks", None) or [])
        bad = out.pop("bad_keys", None) or []
        self.bad_keys = tuple(dict.fromkeys((_text(k), _text(e)) for k, e in bad))
        return out

    def read(self, kecamatan: Sequence[str], now: float | None = None,
             latest_n: int = LATEST_N) -> Snapshot:
        """Read and build the snapshot. Raises redis ``ConnectionError`` when Redis is down."""
        now = time.time() if now is None else now
        request = read_request(now, latest_n)
        return build_snapshot(self.raw(request), request, list(kecamatan))


def pairs_of(flat: Any) -> dict[str, str]:
    """A HGETALL reply (flat list, or ``{}`` when empty) as a dict."""
    if not isinstance(flat, list):
        return {}
    return {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat) - 1, 2)}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def read_snapshot(client: redis.Redis, kecamatan: Sequence[str], now: float | None = None,
                  keys: Keys | None = None) -> Snapshot:
    """One-off convenience around ``SnapshotReader`` (tests, CLI)."""
    return SnapshotReader(client, keys).read(kecamatan, now)

