"""Field checkers shared by the three feed validators.

Each checker returns the clean value or raises ``Invalid`` naming the field, what
was expected and what arrived. Pure functions: no I/O.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any


class Invalid(Exception):
    """A message breaks the contract. ``reason`` is a dead-letter reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


def _show(value: Any) -> str:
    text = repr(value)
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
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise Invalid("schema", f"{name} must be in {minimum}..{maximum}, got {value}")
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
    value = float(value)
    if not math.isfinite(value) or not lo <= value <= hi:
        raise Invalid("schema", f"{name} must be a finite number in {lo}..{hi}, got {value}")
    return value


def timestamp(obj: dict[str, Any], name: str, now: float, max_future_s: float) -> float:
    """An RFC 3339 time with an offset, as a Unix time; too far ahead is ``future_time``."""
    value = obj.get(name)
    if not isinstance(value, str):
        raise Invalid("schema", f"{name} is required as an RFC 3339 string with offset")
    if not _RFC3339.match(value):
        raise Invalid("schema", f"{name} must be RFC 3339 with an offset, got {_show(value)}")
    try:
        ts = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T")).timestamp()
    except ValueError:
        raise Invalid("schema", f"{name} is not a real date/time: {_show(value)}") from None
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
