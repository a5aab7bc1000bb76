"""Time helpers on the war room's clock (WITA, UTC+08:00)."""

from __future__ import annotations

from datetime import datetime

from marvec.contract import WITA


def wita_day(ts: float) -> str:
    """The WITA calendar date of a Unix time, as ``YYYYMMDD``."""
    return datetime.fromtimestamp(ts, WITA).strftime("%Y%m%d")


def iso(ts: float) -> str:
    """A Unix time as RFC 3339 with the WITA offset (seconds precision)."""
    return datetime.fromtimestamp(ts, WITA).isoformat(timespec="seconds")


def day_start(ts: float) -> float:
    """Unix time of 00:00 WITA on the day of ``ts``."""
    d = datetime.fromtimestamp(ts, WITA)
    return d.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
