"""Time helpers on the war room's clock (WITA, UTC+08:00)."""

from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache

from marvec.contract import WITA


def wita_day(ts: float) -> str:
    """The WITA calendar date of a Unix time, as ``YYYYMMDD``."""
    return datetime.fromtimestamp(ts, WITA).strftime("%Y%m%d")


@lru_cache(maxsize=4096)
def hour_day(hour: int) -> tuple[str, float]:
    """WITA day ``YYYYMMDD`` and its end (Unix time) for a Unix hour (WITA is whole hours)."""
    ts = hour * 3600.0
    return wita_day(ts), day_start(ts) + 86400.0


def day_of(ts: float) -> tuple[str, float]:
    """The WITA day ``YYYYMMDD`` of a Unix time and that day's end."""
    return hour_day(int(ts // 3600))


def iso(ts: float) -> str:
    """A Unix time as RFC 3339 with the WITA offset, at the precision it carries: whole
    seconds without a fraction, else the fraction to the microsecond with trailing zeros
    dropped (an instant received as ``.250`` comes back as ``.25``, the same instant)."""
    whole = math.floor(ts)
    micros = round((ts - whole) * 1e6)
    if micros >= 1_000_000:  # rounded up into the next second
        whole, micros = whole + 1, 0
    base = datetime.fromtimestamp(whole, WITA).isoformat(timespec="seconds")
    if not micros:
        return base
    return f"{base[:19]}.{micros:06d}".rstrip("0") + base[19:]


def parse_iso(value: str | None) -> float | None:
    """An RFC 3339 time as written by ``iso`` (or any ISO 8601 with an offset) as Unix
    time; None for None, empty or unreadable text."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def day_start(ts: float) -> float:
    """Unix time of 00:00 WITA on the day of ``ts``."""
    d = datetime.fromtimestamp(ts, WITA)
    return d.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
