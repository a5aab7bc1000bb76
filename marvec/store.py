"""Reading the snapshot from Redis in one round trip (implementation in progress)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import redis

from marvec.contract import FEEDS
from marvec.keys import Keys
from marvec.snapshot import Complaints, Disasters, Economy, FeedStats, Snapshot
from marvec.timeutil import iso


def read_snapshot(
    client: redis.Redis, kecamatan: Sequence[str], now: float | None = None, keys: Keys = Keys()
) -> Snapshot:
    """Read every aggregate in one Redis round trip and build the typed snapshot.

    Raises ``redis.exceptions.ConnectionError`` when Redis does not answer.
    """
    now = time.time() if now is None else now
    client.ping()
    return Snapshot(
        generated_at=iso(now),
        feeds={f: FeedStats() for f in FEEDS},
        complaints=Complaints(by_kecamatan={k: 0 for k in kecamatan}),
        economy=Economy(by_kecamatan={k: 0 for k in kecamatan}),
        disasters=Disasters(),
        kecamatan=list(kecamatan),
    )
