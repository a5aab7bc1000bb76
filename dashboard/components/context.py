"""What every page needs: settings, the map frame, the snapshot source, and one read per tick."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from dashboard.components.live import ViewMemo
from dashboard.components.read import Read
from layers.freshness import freshness
from layers.mapframe import MapFrame
from marvec.history import History
from marvec.period import Period
from marvec.replay import Replay
from marvec.settings import Settings
from marvec.snapshot import Snapshot

log = logging.getLogger(__name__)


class SourceResult(Protocol):
    """What ``get()`` answers (read-only: ``SnapshotResult`` is a frozen dataclass)."""

    @property
    def snapshot(self) -> Snapshot | None: ...

    @property
    def ok(self) -> bool: ...

    @property
    def fetched_at(self) -> float: ...

    @property
    def error(self) -> str | None: ...


class Source(Protocol):
    """``dashboard.source.SnapshotSource``: one cached Redis read per refresh interval."""

    def get(self) -> SourceResult: ...


@dataclass
class ScreenContext:
    settings: Settings
    frame: MapFrame
    names: tuple[str, ...]
    source: Source
    clock: Callable[[], float] = time.time
    _last: Any = field(default=None, repr=False)
    views: ViewMemo = field(default_factory=ViewMemo, repr=False)
    """The pages' renders in this process, shared by every screen (``live.cached_page_outputs``)."""
    def read(self, whole_seconds: bool = False) -> Read:
        """Ask the source once. A source that raises counts as unreachable, never as a crash.

        ``whole_seconds`` floors ``now`` to the second (the live ticks: every screen
        asking within one second of one snapshot sees the same render).
        """
        now = self.clock()
        if whole_seconds:
            now = float(math.floor(now))
        try:
            result = self.source.get()
            snapshot, ok, error = result.snapshot, bool(result.ok), result.error
        except Exception as exc:  # the wall must keep running whatever the source does
            log.exception("snapshot source failed")
            snapshot, ok, error = self._last, False, f"{type(exc).__name__}: {exc}"
        if snapshot is not None:
            self._last = snapshot
        fresh = freshness(snapshot, ok, now, self.settings.stale_after_seconds)
        return Read(snapshot, ok, now, fresh, error)


    def period(self, days: int) -> Period | None:
        """The last ``days`` days' sums (``SnapshotSource.period``)."""
        result = self._ask("period", days)
        return result if isinstance(result, Period) else None

    def replay(self, hours: int) -> Replay | None:
        """The last ``hours`` hours for the wall's replay (``SnapshotSource.replay``)."""
        result = self._ask("replay", hours)
        return result if isinstance(result, Replay) else None

    def history(self, snapshot: Snapshot | None) -> History | None:
        """The report card's weekly and monthly history (``SnapshotSource.history``)."""
        result = self._ask("history", snapshot)
        return result if isinstance(result, History) else None

    def _ask(self, what: str, arg: Any) -> Any:
        """One of the source's optional reads; ``None`` when the source has none (a test
        stand-in without Redis) or it failed: the page keeps running whatever it does."""
        get = getattr(self.source, what, None)
        if get is None:
            return None
        try:
            return get(arg)
        except Exception:
            log.exception("%s read failed", what)
            return None


SCALE_MIN, SCALE_MAX = 1.0, 3.0
"""The screen scale the page sends (window height / 1080, ``marvec.js``) stays in this range."""


def clamp_scale(value: Any) -> float:
    """The ``scale`` a callback received, made safe: a finite number clamped to
    [``SCALE_MIN``, ``SCALE_MAX``]; anything else (NaN, infinities, a list, a string,
    a boolean, ``None``) is 1. A crafted callback request cannot size the map absurdly
    or make the callback fail."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 1.0
    number = float(value)
    if not math.isfinite(number):
        return 1.0
    return min(SCALE_MAX, max(SCALE_MIN, number))
