"""What every feed module provides, and the decoding pieces the feeds share.

A feed module (``streams/feeds/<feed>.py``) defines one ``Feed``: its topic and
entity key, its typed event (a ``msgspec`` Struct, decoded and validated in one
pass in C), how the typed event becomes the compact event the planner folds, the
full hand-written check that explains a rejection field by field, the state it
reads before planning and the fold handler that plans its writes. The registry
(``streams.feeds.FEEDS``) lists them; nothing outside this folder names a feed.
See docs/feeds.md for the checklist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import msgspec
import numpy as np

from streams import fields as F
from streams.fields import SAFE_INTEGER, Invalid

if TYPE_CHECKING:
    from streams.plan import FoldConfig, NeedsBuilder, Planner

Event = dict[str, Any]
"""The compact event the planner folds: short keys, validated values."""


class Locator(Protocol):
    """What decoding needs of the loaded boundaries."""

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray: ...

    def match_name(self, name: str) -> str | None: ...


# -- constrained field types, as contract section 1 states them ---------------------------
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Name64 = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Opd = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]
Count = Annotated[int, msgspec.Meta(ge=0, le=SAFE_INTEGER)]
Positive = Annotated[int, msgspec.Meta(ge=1, le=SAFE_INTEGER)]


class Location(msgspec.Struct, forbid_unknown_fields=True):
    lat: Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
    lon: Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)]


class Common(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Section 1.1: the fields of every feed.

    Unknown fields are forbidden here, not in the contract: msgspec skips an unknown
    field's value without checking it as strictly as the reference JSON reader does
    (UTF-8, escapes, nesting depth, integer range), so a message with extra fields takes
    the field-by-field path, which accepts them and keeps them out of aggregates."""

    event_id: Id
    occurred_at: str
    source: Name64
    location: Location | None = None
    kecamatan: Id | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed of the contract, as the write path needs it."""

    name: str
    entity_key: str
    decoder: msgspec.json.Decoder[Any]
    compact: Callable[[Any, Event, Locator], bool]
    """Fill the compact event from the typed one; False when a rule the types cannot
    express fails (the full ``check`` then names it)."""
    check: Callable[[dict[str, Any], Event, Locator], None]
    """The field-by-field check of a decoded JSON object: fills the compact event or
    raises ``Invalid`` naming the field (the slow path, for rejections)."""
    needs_city: Callable[[Event], bool]
    """Whether an event outside every kecamatan is rejected (``outside_city``)."""
    needs: Callable[[Event, NeedsBuilder], None]
    """The stored state the event's fold reads (entity hashes, hash cells)."""
    fold: Callable[[Planner, Event], str | None]
    """Plan the event's writes; a string refuses it (``schema``) before any write."""
    alive: Callable[[FoldConfig, dict[str, Any]], Any] | None = None
    """For a feed with entities: what an entity contributes while live (None once it is
    closed); live entities persist, closed ones expire after the retention."""


@lru_cache(maxsize=1024)
def _match(locator: Locator, name: str) -> str | None:
    """Lenient name matching, cached: the same few spellings arrive all day."""
    return locator.match_name(name)


def kecamatan_of(name: str | None, locator: Locator) -> str | None:
    """The loaded boundaries' spelling of ``name``; raises ``Invalid`` when unknown."""
    if name is None:
        return None
    canonical = _match(locator, name)  # type: ignore[arg-type]
    if canonical is None:
        raise Invalid("schema", f"kecamatan {name!r} is not a kecamatan of the loaded boundaries")
    return canonical


def place(ev: Event, typed: Common, locator: Locator) -> None:
    """Location and kecamatan of a typed event (the kecamatan name matched leniently)."""
    loc = typed.location
    if loc is not None:
        ev["lat"], ev["lon"] = loc.lat, loc.lon
    ev["k"] = kecamatan_of(typed.kecamatan, locator)


def place_checked(ev: Event, obj: dict[str, Any], locator: Locator, *, loc_required: bool) -> None:
    """``place`` for the slow path: each field checked by hand."""
    loc = F.location(obj, required=loc_required)
    if loc is not None:
        ev["lat"], ev["lon"] = loc
    ev["k"] = kecamatan_of(F.string(obj, "kecamatan", required=False, max_len=128), locator)


def placed(ev: Event) -> bool:
    """Whether the event has a location or a kecamatan."""
    return "lat" in ev or ev["k"] is not None
