"""The mayor's briefings: a daily one at a set WITA time and a monthly report card.

A briefing is a document dated by the morning it is issued: the daily briefing of day D
gives the city as it stands when it is made and the whole of day D-1 ("kemarin"); the
monthly report card of the 1st of a month gives the month before, OPD by OPD. This
module gathers the figures (``gather``: one snapshot, the day hashes of D-1, the report
card's history), stores what ``layers.briefing`` and ``marvec.render`` made of them
(HTML, PDF, PNG) in Redis for ``BRIEFING_KEEP_DAYS`` under the war room's own prefix
(``marvec rebuild`` keeps them: they cannot be made again as they were), lists them for
``/briefings``, and says when one is due (``due``).

Never invented: a figure of D-1 is known only for a feed whose data began before D-1
did (one that began during D-1 says from when it counts; one that began later, or
never, is "–").
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import redis

from marvec.contract import WITA
from marvec.history import History, day_code, read_history
from marvec.keys import Keys
from marvec.snapshot import Snapshot
from marvec.timeutil import parse_iso

Kind = Literal["daily", "monthly"]
KINDS: tuple[Kind, ...] = ("daily", "monthly")
BRIEFING_KEEP_DAYS = 90
FILES = {"pdf": "application/pdf", "png": "image/png", "html": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Known:
    """A day's figure: ``value`` (``None``: not known) and, when counting began during
    the day, from when (Unix time)."""

    value: float | None
    since: float | None = None


@dataclass(frozen=True)
class DayFigures:
    """The whole of one WITA day (the day before a daily briefing)."""

    day: date
    received: Known
    resolved: Known
    on_time_pct: Known
    tx_count: Known
    tx_amount: Known
    posts: Known


@dataclass(frozen=True)
class Briefing:
    kind: Kind
    issued: date
    generated_at: float
    snapshot: Snapshot
    day: DayFigures | None
    """The day reported (daily briefings)."""
    history: History | None
    month: tuple[date, date] | None = None
    """First and last day of the month reported (monthly report cards)."""

    @property
    def id(self) -> str:
        return briefing_id(self.kind, self.issued)


def briefing_id(kind: str, issued: date) -> str:
    return f"{kind}-{issued.isoformat()}"


def parse_id(value: str) -> tuple[Kind, date] | None:
    """``daily-2026-12-03`` -> ("daily", date); ``None`` for anything else."""
    kind, _, day = value.partition("-")
    if kind not in KINDS:
        return None
    try:
        return kind, date.fromisoformat(day)
    except ValueError:
        return None


# -- when ---------------------------------------------------------------------------
def parse_clock(value: str) -> tuple[int, int]:
    """``06:30`` -> (6, 30); ValueError otherwise."""
    hh, sep, mm = value.strip().partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
        raise ValueError(f"expected HH:MM (WITA), got {value!r}")
    h, m = int(hh), int(mm)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"expected HH:MM (WITA), got {value!r}")
    return h, m


def due(now: float, at: str) -> list[tuple[Kind, date]]:
    """The briefings due by ``now``: today's daily one once the WITA clock passed ``at``,
    and on the 1st of a month the monthly report card as well."""
    h, m = parse_clock(at)
    local = datetime.fromtimestamp(now, WITA)
    if (local.hour, local.minute) < (h, m):
        return []
    today = local.date()
    out: list[tuple[Kind, date]] = [("daily", today)]
    if today.day == 1:
        out.append(("monthly", today))
    return out


def month_before(issued: date) -> tuple[date, date]:
    last = issued.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


# -- the figures --------------------------------------------------------------------
def _start(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=WITA).timestamp()


def _known(value: float | None, day: date, since: float | None) -> Known:
    """``value`` of ``day`` as far as the feed's data (begun at ``since``) covers it."""
    if since is None or since >= _start(day + timedelta(days=1)):
        return Known(None)
    return Known(value, since if since > _start(day) else None)


def _int(h: dict[bytes, bytes], field: str) -> int:
    v = h.get(field.encode())
    return int(v) if v is not None else 0


def day_figures(raw: Sequence[dict[bytes, bytes]], day: date, complaints_since: float | None,
                economy_since: float | None, posts_since: float | None) -> DayFigures:
    """Pure: one day's figures from its ``complaint_day``, ``opd_day``, ``tx_day`` and
    ``posts_day`` hashes (in that order)."""
    cday, oday, tday, pday = raw
    r = sum(int(v) for k, v in oday.items() if k.startswith(b"r:"))
    ok = sum(int(v) for k, v in oday.items() if k.startswith(b"ok:"))
    posts = sum(int(v) for k, v in pday.items() if k.startswith(b"n:"))
    return DayFigures(
        day=day,
        received=_known(_int(cday, "received"), day, complaints_since),
        resolved=_known(_int(cday, "resolved"), day, complaints_since),
        on_time_pct=_known(round(100.0 * ok / r, 1) if r else None, day, complaints_since),
        tx_count=_known(_int(tday, "count"), day, economy_since),
        tx_amount=_known(_int(tday, "amount"), day, economy_since),
        posts=_known(posts, day, posts_since),
    )


def feed_since(snapshot: Snapshot, feed: str) -> float | None:
    """From when a feed's days are fully counted: the later of its first event and when
    Marvec began receiving it (a backlog loaded this morning with older event times does
    not make yesterday whole: the rule of "vs kemarin" on the screens)."""
    stats = snapshot.feeds.get(feed)
    if stats is None:
        return None
    first, began = parse_iso(stats.first_event_at), parse_iso(stats.receiving_since)
    if first is None:
        return None
    return first if began is None else max(first, began)


def _first_event(snapshot: Snapshot, feed: str) -> float | None:
    """The history's weeks and months count from the feed's first event (``marvec.history``)."""
    stats = snapshot.feeds.get(feed)
    return parse_iso(stats.first_event_at) if stats is not None else None


def gather(client: redis.Redis, keys: Keys, snapshot: Snapshot, kind: Kind, issued: date,
           now: float | None = None) -> Briefing:
    """Everything one briefing shows, read now."""
    now = time.time() if now is None else now
    history = read_history(client, keys, min(now, _start(issued + timedelta(days=1)) - 1),
                           _first_event(snapshot, "complaints"), _first_event(snapshot, "publicinfo"))
    if kind == "monthly":
        return Briefing(kind, issued, now, snapshot, None, history, month_before(issued))
    day = issued - timedelta(days=1)
    code = day_code(day)
    pipe = client.pipeline(transaction=False)
    for key in (keys.complaint_day(code), keys.opd_day(code), keys.tx_day(code), keys.posts_day(code)):
        pipe.hgetall(key)
    figures = day_figures(pipe.execute(), day, feed_since(snapshot, "complaints"), feed_since(snapshot, "economy"),
                          feed_since(snapshot, "publicinfo"))
    return Briefing(kind, issued, now, snapshot, figures, history)


# -- stored briefings ---------------------------------------------------------------
@dataclass(frozen=True)
class Stored:
    id: str
    kind: Kind
    issued: date
    generated_at: float
    sizes: dict[str, int]
    summary: str


class BriefingStore:
    """Briefings in Redis: one hash each (``html``, ``pdf``, ``png``, ``meta``) expiring
    after ``keep_days``, and an index sorted by when each was made."""

    def __init__(self, client: redis.Redis, keys: Keys | None = None, keep_days: int = BRIEFING_KEEP_DAYS) -> None:
        self.client, self.k, self.keep_days = client, keys or Keys(), keep_days

    def save(self, b: Briefing, files: dict[str, bytes], summary: str) -> Stored:
        meta = {"kind": b.kind, "issued": b.issued.isoformat(), "generated_at": b.generated_at,
                "sizes": {k: len(v) for k, v in files.items()}, "summary": summary}
        key = self.k.briefing(b.id)
        keep = self.keep_days * 86400
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(key)
        pipe.hset(key, mapping={**files, "meta": json.dumps(meta)})
        pipe.expireat(key, int(_start(b.issued) + keep))
        pipe.zadd(self.k.briefings, {b.id: b.generated_at})
        pipe.zremrangebyscore(self.k.briefings, "-inf", time.time() - keep)
        pipe.execute()
        return Stored(b.id, b.kind, b.issued, b.generated_at, meta["sizes"], summary)  # type: ignore[arg-type]

    def list(self) -> list[Stored]:
        """Every briefing still kept, newest first."""
        ids = [i.decode() for i in self.client.zrevrange(self.k.briefings, 0, -1)]
        pipe = self.client.pipeline(transaction=False)
        for i in ids:
            pipe.hget(self.k.briefing(i), "meta")
        out = []
        for i, raw in zip(ids, pipe.execute(), strict=True):
            parsed = parse_id(i)
            if raw is None or parsed is None:
                continue  # expired between the two reads
            meta = json.loads(raw)
            out.append(Stored(i, parsed[0], parsed[1], float(meta["generated_at"]),
                              dict(meta.get("sizes") or {}), str(meta.get("summary") or "")))
        return out

    def file(self, bid: str, ext: str) -> bytes | None:
        if ext not in FILES or parse_id(bid) is None:
            return None
        value = self.client.hget(self.k.briefing(bid), ext)
        return bytes(value) if value is not None else None

    def exists(self, kind: Kind, issued: date) -> bool:
        return bool(self.client.exists(self.k.briefing(briefing_id(kind, issued))))

    def claim(self, kind: Kind, issued: date, for_s: int = 900) -> bool:
        """Whether this process may make that briefing now (one process at a time, on
        every host; a claim that was not followed by a save lapses after ``for_s``)."""
        return bool(self.client.set(self.k.briefing_claim(briefing_id(kind, issued)), "1", nx=True, ex=for_s))


def link(public_url: str, bid: str, ext: str = "pdf") -> str:
    base = public_url.rstrip("/")
    return f"{base}/briefings/{bid}.{ext}"


def notification(b: Stored, public_url: str, url: str) -> dict[str, Any]:
    """An outbox entry for one contact point (``marvec.alerts``' sender delivers it, with
    its retries): an Alertmanager-style message with the briefing's link."""
    name = "MarvecBriefingDaily" if b.kind == "daily" else "MarvecRaporMonthly"
    at = datetime.fromtimestamp(b.generated_at, WITA).isoformat(timespec="seconds")
    return {"id": f"briefing:{b.id}", "url": url, "attempts": 0, "body": {
        "version": "4", "status": "firing", "receiver": "marvec", "groupKey": f"briefing:{b.id}",
        "alerts": [{"status": "firing", "labels": {"alertname": name, "severity": "info", "briefing": b.id},
                    "annotations": {"summary": b.summary, "link": link(public_url, b.id),
                                    "png": link(public_url, b.id, "png")},
                    "startsAt": at, "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": link(public_url, b.id)}],
        "externalURL": public_url,
    }}


def add_brief_arguments(p: Any) -> None:
    p.add_argument("--date", help="the day the briefing is issued, YYYY-MM-DD (default: today, WITA); "
                                  "a daily briefing reports the day before it")
    p.add_argument("--kind", choices=KINDS, default="daily",
                   help="daily (default) or monthly (the report card of the month before --date's month)")
    p.add_argument("--out", type=Path, help="also write its PDF, PNG and HTML into this directory")
    p.add_argument("--no-notify", action="store_true", help="do not send the link to the contact points")
