"""Prepare a batch of verdicts as the items the planner folds (``streams.plan``).

Adds to each event its record (partition, offset, raw index) and the time buckets it
falls in. Each item names its record's raw bytes (1-based index), so any record the
fold cannot accept can be dead-lettered unchanged within the same Redis commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from marvec.keys import partition_id
from marvec.timeutil import hour_day
from streams.decode import Verdict

log = logging.getLogger("marvec.consume")


def _event_item(base: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """The event itself (no copy: it is the batch's own), with its record and time buckets."""
    t = event["t"]
    hour = int(t // 3600)
    event["m"], event["h"] = int(t // 60), hour
    event["d"], event["de"] = hour_day(hour)
    event.update(base)
    return event


def build_items(verdicts: Sequence[Verdict]) -> tuple[list[dict[str, Any]], list[bytes]]:
    """The items to plan and the raw values they reference (1-based).

    A record that cannot be prepared (a fault, not bad input: validation ran before)
    becomes an ``internal`` dead letter instead of stopping the consumer on it forever.
    """
    items: list[dict[str, Any]] = []
    raws: list[bytes] = []
    tps: dict[tuple[str, int], str] = {}
    for v in verdicts:
        rec = v.record
        raws.append(rec.value if rec.value is not None else b"")
        tp = tps.get((rec.topic, rec.partition))
        if tp is None:
            tp = tps[(rec.topic, rec.partition)] = partition_id(rec.topic, rec.partition)
        base = {"tp": tp, "p": rec.partition,
                "o": rec.offset, "f": v.feed, "raw": len(raws)}
        if v.event is not None:
            try:
                items.append(_event_item(base, v.event))
                continue
            except Exception as exc:
                log.error("cannot prepare %s@%d for the fold: %r", base["tp"], rec.offset, exc)
                v.event, v.reason = None, "internal"
                v.detail = f"fault while preparing this message: {str(exc)[:160]}"
        base["rej"], base["det"] = v.reason, v.detail
        items.append(base)
    return items, raws
