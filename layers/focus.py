"""Wall focus rotation: complaints -> economy -> disasters, and crisis when it matters (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from layers.citymap import FOCI
from layers.ops import crisis_level
from marvec.snapshot import Incident, Snapshot

CRISIS_SEVERITY = 4
"""An active incident at or above this severity takes the wall over."""


@dataclass(frozen=True)
class Focus:
    name: str
    """One of ``FOCI`` or ``crisis``."""
    progress: float
    """How far the current rotation slot has run, 0-1 (1 while in crisis)."""
    since: float | None = None
    """In crisis focus (held): when it began (epoch seconds); ``None`` otherwise or unknown."""
    held_until: float | None = None
    """In crisis focus with no crisis incident any more: when the hold ends."""

    @property
    def crisis(self) -> bool:
        return self.name == "crisis"


@dataclass(frozen=True)
class CrisisHold:
    """The wall's crisis focus, kept in the browser (the server is stateless across workers).

    ``since``: when the crisis focus began; ``seen``: the last time a crisis incident was seen.
    """

    since: float
    seen: float

    def to_data(self) -> dict[str, float]:
        return {"since": self.since, "seen": self.seen}

    @classmethod
    def from_data(cls, data: Any) -> CrisisHold | None:
        """The hold from the browser's store; ``None`` for nothing or anything malformed."""
        if not isinstance(data, dict):
            return None
        since, seen = data.get("since"), data.get("seen")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                   for v in (since, seen)):
            return None
        if since > seen:  # type: ignore[operator]
            return None
        return cls(float(since), float(seen))  # type: ignore[arg-type]


def crisis_incidents(snapshot: Snapshot | None) -> list[Incident]:
    """Active incidents at crisis severity, most severe first."""
    if snapshot is None:
        return []
    found = [
        i for i in snapshot.disasters.incidents
        if i.severity >= CRISIS_SEVERITY and i.status != "closed"
    ]
    return sorted(found, key=lambda i: -i.severity)


def crisis_hold(hold: CrisisHold | None, crisis_now: bool, now: float, hold_s: float) -> CrisisHold | None:
    """The crisis hold after a tick at ``now``; ``None``: no crisis focus.

    A crisis incident starts the hold (or extends it: ``seen`` moves to ``now``, ``since``
    stays). Without one the hold lasts until ``hold_s`` after the last one was seen, then
    releases; a crisis after the release (or after a hold long expired, e.g. a stored one
    from hours ago) starts a new one with a new ``since``. A hold from the future (a clock
    set back) is dropped.
    """
    if hold is not None and (hold.seen > now or now - hold.seen >= hold_s):
        hold = None
    if crisis_now:
        return CrisisHold(now, now) if hold is None else CrisisHold(hold.since, now)
    return hold


def rotation_focus(now: float, rotate_s: float) -> Focus:
    """The rotation slot at ``now``, from the clock: every wall and server process agrees, and
    a wall that reloads picks the rotation up where it was."""
    slot, into = divmod(now, rotate_s)
    return Focus(FOCI[int(slot) % len(FOCI)], into / rotate_s)


def crisis_now(snapshot: Snapshot | None) -> bool:
    """Whether the wall is in crisis right now: an active incident at crisis severity, or
    the city's level declared ``siaga`` or ``awas`` (contract 6: until it is lowered)."""
    return bool(crisis_incidents(snapshot)) or crisis_level(snapshot)


def wall_focus(snapshot: Snapshot | None, now: float, rotate_s: float) -> Focus:
    """The focus at ``now`` without a hold: crisis while any crisis incident is active or
    the level is siaga/awas, else the rotation slot."""
    if crisis_now(snapshot):
        return Focus("crisis", 1.0)
    return rotation_focus(now, rotate_s)


def held_focus(
    snapshot: Snapshot | None, now: float, rotate_s: float, hold_s: float, hold: CrisisHold | None,
) -> tuple[Focus, CrisisHold | None]:
    """The focus at ``now`` and the hold to keep: crisis while a crisis incident is active
    and for ``hold_s`` after the last one was seen, then the rotation slot."""
    active = crisis_now(snapshot)
    after = crisis_hold(hold, active, now, hold_s)
    if after is None:
        return rotation_focus(now, rotate_s), None
    return Focus("crisis", 1.0, after.since, None if active else after.seen + hold_s), after
