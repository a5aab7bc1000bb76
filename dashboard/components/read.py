"""One tick's read of the world, as every page's callback and the page cache see it."""

from __future__ import annotations

from dataclasses import dataclass

from layers.freshness import Freshness
from marvec.snapshot import Snapshot


@dataclass(frozen=True)
class Read:
    """One tick's view of the world: the snapshot (last good one), whether it is fresh, when."""

    snapshot: Snapshot | None
    ok: bool
    now: float
    fresh: Freshness
    error: str | None = None
