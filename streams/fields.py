"""Field checkers shared by the three feed validators.

Each checker returns the clean value or raises ``Invalid`` naming the field, what
was expected and what arrived. Pure functions: no I/O.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any


class Invalid(Exception):
    """A message breaks the contract. ``reason`` is a dead-letter reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# RFC 3339 date-time (section 5.6): any number of fraction digits, ``Z`` or a numeric
# offset, ``T``/``t`` or a space between date and time. ASCII digits only (``re.ASCII``:
# ``\d`` would match any Unicode digit) and the whole string (``fullmatch``: ``$`` would
# let a trailing newline through).
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_CYCLE_S = 146_097 * 86_400  # 400 Gregorian years
EARLIEST_TS = datetime(1, 1, 1, tzinfo=UTC).timestamp()
"""Before 0001-01-01T00:00:00Z a time has no Python date (the fold needs its WITA day)."""

SAFE_INTEGER = 2**53 - 1
"""Largest integer exchanged exactly (RFC 7493 I-JSON: JSON readers with doubles, the
snapshot API's clients among them, lose digits beyond it), so larger integers are refused."""


def _show(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long to print (Python's digit limit)
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def string(obj: dict[str, Any], name: str, *, required: bool, min_len: int = 1,
           max_len: int = 128) -> str | None:
    """A string field of ``min_len``..``max_len`` characters."""
    value = obj.get(name)
    if value is None:
        if required:
            raise Invalid("schema", f"{name} is required")
        return None
    if not isinstance(value, str):
        raise Invalid("schema", f"{name} must be a string, got {type(value).__name__}")
    if not min_len <= len(value) <= max_len:
        raise Invalid("schema", f"{name} must be {min_len}-{max_len} characters, got {len(value)}")
    return value


def choice(obj: dict[str, Any], name: str, allowed: tuple[str, ...], *, required: bool) -> str | None:
    """A string field restricted to ``allowed``."""
    value = obj.get(name)
    if value is None:
        if required:
            raise Invalid("schema", f"{name} is required (one of {', '.join(allowed)})")
        return None
    if value not in allowed or not isinstance(value, str):
        raise Invalid("schema", f"{name} must be one of {', '.join(allowed)}, got {_show(value)}")
    return value


def integer(obj: dict[str, Any], name: str, *, required: bool, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
    """An integer field (JSON integer; booleans and floats are refused)."""
    value = obj.get(name)
    if value is None:
        if required:
            raise Invalid("schema", f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("schema", f"{name} must be an integer, got {_show(value)}")
    lo = -SAFE_INTEGER if minimum is None else max(minimum, -SAFE_INTEGER)
    hi = SAFE_INTEGER if maximum is None else min(maximum, SAFE_INTEGER)
    if not lo <= value <= hi:
        raise Invalid("schema", f"{name} must be an integer in {lo}..{hi}, got {_show(value)}")
    return value


def number(obj: dict[str, Any], name: str, *, required: bool = False,
           lo: float = -math.inf, hi: float = math.inf) -> float | None:
    """A finite number field."""
    value = obj.get(name)
    if value is None:
        if required:
            raise Invalid("schema", f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("schema", f"{name} must be a number, got {_show(value)}")
    try:
        value = float(value)
    except OverflowError:  # an integer too large for a double
        value = math.inf
    if not math.isfinite(value) or not lo <= value <= hi:
        raise Invalid("schema", f"{name} must be a finite number in {lo}..{hi}, got {value}")
    return value


@lru_cache(maxsize=8192)
def _hour_start(year: int, month: int, day: int, hour: int, sign: str | None, off_h: int, off_m: int) -> float:
    """Unix time of the start of an hour given as local date, hour and UTC offset (cached:
    a feed's events share few hours). Raises ``ValueError`` for a date that does not exist."""
    if off_h > 23 or off_m > 59:
        raise ValueError("offset out of range")
    offset = timedelta(hours=off_h, minutes=off_m) * (-1 if sign == "-" else 1)
    # RFC 3339 years start at 0000, Python's at 1: year 0 is read 400 years (one whole
    # Gregorian cycle, _CYCLE_S) later and moved back
    shift = 400 if year == 0 else 0
    when = datetime(year + shift, month, day, hour, tzinfo=timezone(offset))
    return when.timestamp() - (_CYCLE_S if shift else 0)


def timestamp(obj: dict[str, Any], name: str, now: float, max_future_s: float) -> float:
    """An RFC 3339 time with an offset, as a Unix time; too far ahead is ``future_time``."""
    value = obj.get(name)
    if not isinstance(value, str):
        raise Invalid("schema", f"{name} is required as an RFC 3339 string with offset")
    return parse_time(value, name, now, max_future_s)


@lru_cache(maxsize=8192)
def _minute_start(year: str, month: str, day: str, hour: str, minute: str, sign: str | None,
                  off_h: str | None, off_m: str | None) -> float:
    """Unix time of the start of a minute, from the digits as written (cached: a batch's
    events share few minutes). Raises ``ValueError`` for a time that does not exist."""
    if int(minute) > 59:
        raise ValueError("minute out of range")
    base = _hour_start(int(year), int(month), int(day), int(hour), sign, int(off_h or 0),
                       int(off_m or 0))
    return base + int(minute) * 60


def parse_time(value: str, name: str, now: float, max_future_s: float) -> float:
    """``timestamp`` of a string already known to be one."""
    m = _RFC3339.fullmatch(value)
    if m is None:
        raise Invalid("schema", f"{name} must be RFC 3339 with an offset, got {_show(value)}")
    g = m.groups()
    try:
        second = int(g[5])
        if second > 60:  # 60: RFC 3339's leap second (Unix time: the next second)
            raise ValueError("second out of range")
        base = _minute_start(g[0], g[1], g[2], g[3], g[4], g[7], g[8], g[9])
    except (ValueError, OverflowError):
        raise Invalid("schema", f"{name} is not a real date/time: {_show(value)}") from None
    ts = base + second + (float("0." + g[6]) if g[6] else 0.0)
    if ts < EARLIEST_TS:
        raise Invalid("schema", f"{name} is before 0001-01-01T00:00:00Z: {_show(value)}")
    if ts > now + max_future_s:
        ahead = int(ts - now)
        raise Invalid("future_time", f"{name} is {ahead} s in the future (limit {int(max_future_s)} s)")
    return ts


def location(obj: dict[str, Any], *, required: bool) -> tuple[float, float] | None:
    """``{"lat": float, "lon": float}`` in WGS84, as (lat, lon)."""
    value = obj.get("location")
    if value is None:
        if required:
            raise Invalid("schema", "location is required as {\"lat\": float, \"lon\": float}")
        return None
    if not isinstance(value, dict):
        raise Invalid("schema", f"location must be an object with lat and lon, got {_show(value)}")
    lat = number(value, "lat", required=True, lo=-90.0, hi=90.0)
    lon = number(value, "lon", required=True, lo=-180.0, hi=180.0)
    assert lat is not None and lon is not None
    return lat, lon
