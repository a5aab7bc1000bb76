"""The outside contract (v2) as constants: feeds, enumerations, rules and reason codes.

One home for every value the contract names, so that validation, the simulator,
the fold and the screens agree.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Final

WITA: Final = timezone(timedelta(hours=8), "WITA")
"""Asia/Makassar: the war room's clock. "Today" is a calendar date on this clock."""

FEEDS: Final = ("complaints", "economy", "disasters", "publicinfo")
"""Every feed Marvec reads (v2 section 7 added ``publicinfo``), in display order."""
LIVE_FEEDS: Final = ("complaints", "economy", "disasters")
"""The feeds of the live picture: each is expected every few minutes, and the screens'
freshness is theirs. ``publicinfo`` (posts, surveys) arrives a few times a day."""
SLOW_FEED_STALE_SECONDS: Final = {"publicinfo": 3 * 86400}
"""How long a slow feed may be silent before it is stale (never heard: not stale)."""
DEFAULT_TOPICS: Final = {
    "complaints": "marvec.complaints",
    "economy": "marvec.economy",
    "disasters": "marvec.disasters",
    "publicinfo": "marvec.publicinfo",
    "deadletter": "marvec.deadletter",
}

MAX_MESSAGE_BYTES: Final = 64 * 1024
MAX_FUTURE_SECONDS: Final = 10 * 60

COMPLAINT_STATUSES: Final = ("received", "assigned", "in_progress", "resolved", "rejected")
COMPLAINT_OPEN_STATUSES: Final = frozenset({"received", "assigned", "in_progress"})
COMPLAINT_CATEGORIES: Final = (
    "roads", "drainage", "waste", "street_lighting", "water", "electricity",
    "public_order", "health", "education", "administration", "other",
)
PRIORITIES: Final = ("low", "normal", "high", "urgent")
DEFAULT_PRIORITY: Final = "normal"
SLA_SECONDS: Final = {
    "urgent": 24 * 3600,
    "high": 3 * 86400,
    "normal": 7 * 86400,
    "low": 14 * 86400,
}

ECONOMY_KINDS: Final = ("price", "transactions")
COMMODITIES: Final = (
    "beras", "gula_pasir", "minyak_goreng", "daging_ayam", "daging_sapi",
    "telur_ayam", "cabai_merah", "cabai_rawit", "bawang_merah", "bawang_putih",
)
UNITS: Final = ("kg", "liter")

HAZARDS: Final = (
    "flood", "tidal_flood", "fire", "landslide", "earthquake", "extreme_weather",
    "strong_wind", "tree_fall", "building_collapse", "other",
)
INCIDENT_STATUSES: Final = ("reported", "verified", "responding", "contained", "closed")
PUBLICINFO_KINDS: Final = ("post", "survey")
CHANNELS: Final = ("instagram", "facebook", "tiktok", "x", "youtube", "website", "other")

IMPACT_FIELDS: Final = ("affected_people", "displaced", "injured", "deaths")

# Dead-letter reason codes (contract 1.5). ``internal`` is Marvec's own: a valid
# message that tripped a fault in the fold is parked rather than blocking its partition.
REASONS: Final = ("invalid_json", "schema", "outside_city", "too_large", "future_time", "internal")

DLQ_HEADERS: Final = (
    "marvec-error", "marvec-detail", "marvec-topic", "marvec-partition", "marvec-offset",
)
