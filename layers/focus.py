"""Wall focus rotation: complaints -> economy -> disasters, and crisis when it matters (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from layers.citymap import FOCI
from marvec.snapshot import Incident, Snapshot

CRISIS_SEVERITY = 4
"""An active incident at or above this severity takes the wall over."""


@dataclass(frozen=True)
class Focus:
    name: str
    """One of ``FOCI`` or ``crisis``."""
    progress: float
    """How far the current rotation slot has run, 0-1 (1 while in crisis)."""

    @property
    def crisis(self) -> bool:
        return self.name == "crisis"


def crisis_incidents(snapshot: Snapshot | None) -> list[Incident]:
    """Active incidents at crisis severity, most severe first."""
    if snapshot is None:
        return []
    found = [
        i for i in snapshot.disasters.incidents
        if i.severity >= CRISIS_SEVERITY and i.status != "closed"
    ]
    return sorted(found, key=lambda i: -i.severity)


def wall_focus(snapshot: Snapshot | None, now: float, rotate_s: float) -> Focus:
    """The focus at ``now``: crisis while any crisis incident is active, else the rotation slot.

    The slot comes from the clock, so every wall and every server process agrees, and a
    wall that reloads picks the rotation up where it was.
    """
    if crisis_incidents(snapshot):
        return Focus("crisis", 1.0)
    slot, into = divmod(now, rotate_s)
    return Focus(FOCI[int(slot) % len(FOCI)], into / rotate_s)
