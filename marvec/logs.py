"""Logging set-up: one line format for every command, as text for a terminal or JSON lines.

Every Marvec process (consumers, sources, the simulator, the dashboard and its gunicorn
access and error lines) logs through the root handler configured here, so a line looks
the same wherever it comes from::

    2026-12-02T19:05:01.123+08:00 INFO    marvec.consume: consumed 1200 (240/s) ...

The time is ISO 8601 with its offset, in UTC unless ``MARVEC_LOG_TZ`` names another zone
(``Asia/Makassar``: WITA, the screens' clock). The access log leaves out the traffic a
screen makes by itself (Dash callbacks, push streams, static assets) unless
``MARVEC_ACCESS_LOG=all``; a failed request (status 400 or more) is always logged.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

ACCESS_LOGGERS = ("gunicorn.access", "werkzeug")
QUIET_PATHS = ("/_dash-update-component", "/_marvec/push", "/assets/", "/_dash-component-suites/",
               "/_dash-layout", "/_dash-dependencies", "/_favicon.ico", "/favicon.ico")
"""Requests a screen makes by itself: left out of the access log by default."""
_REQUEST = re.compile(r'"[A-Z]+ (?P<path>[^ "?]+)[^"]*" (?P<status>\d{3})')


def zone(name: str) -> tzinfo:
    """The time zone called ``name`` (``UTC``, ``Asia/Makassar``); ``ValueError`` if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"expected an IANA time zone such as UTC or Asia/Makassar, got {name!r}") from None


def timestamp(created: float, tz: tzinfo) -> str:
    """``2026-12-02T19:05:01.123+08:00``: milliseconds and the zone's offset."""
    return datetime.fromtimestamp(created, tz).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """``<ISO time> <LEVEL> <logger>: <message>`` (+ the exception on the next lines)."""

    def __init__(self, tz: tzinfo) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return timestamp(record.created, self.tz)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg (+ fields, exception)."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        super().__init__()
        self.tz = tz or ZoneInfo("UTC")

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": timestamp(record.created, self.tz),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            doc.update(extra)
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(doc, default=str).decode()


class QuietAccess(logging.Filter):
    """Drops access lines of screen traffic (``QUIET_PATHS``) that succeeded."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name not in ACCESS_LOGGERS:
            return True
        found = _REQUEST.search(record.getMessage())
        if found is None or int(found["status"]) >= 400:
            return True
        return not found["path"].startswith(QUIET_PATHS)


def setup_logging(fmt: str = "text", level: str = "INFO", *, tz: str = "UTC",
                  access: str = "quiet") -> None:
    """Configure the root logger once for a command (``MARVEC_LOG_*``, ``MARVEC_ACCESS_LOG``)."""
    handler = logging.StreamHandler(sys.stderr)
    zone_info = zone(tz)
    handler.setFormatter(JsonFormatter(zone_info) if fmt == "json" else TextFormatter(zone_info))
    if access != "all":
        handler.addFilter(QuietAccess())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("kafka", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # kafka-python 3 warns whenever its I/O loop waited >100 ms for our batch work: routine
    # under load, and the consumer's own progress line reports batch times.
    logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)
