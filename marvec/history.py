"""The OPD report card's history: weekly and monthly figures per OPD.

They come from the day hashes the write path keeps ``HISTORY_DAY_TTL`` (400 days):
``Keys.opd_day`` (resolutions, time to resolution and to first response per OPD, by the
WITA day they happened) and ``Keys.posts_day`` (posts, reach and channels per OPD, by the
day the post was published). ``read_days`` is the one Redis read (pipelined ``HGETALL``
of each day, both keys); ``build_history`` is pure.

Never invented: a span (a week, a month) that ends before the feed's data began has no
figures (``None`` throughout: "–" on screens); one that began before the data did says
from when it is counted (``Span.complaints_from`` / ``posts_from``). Within a covered
span an OPD with nothing resolved has ``resolved == 0`` and no on-time share or mean
(``None``), never 0 %.

Weeks are ISO weeks (Monday to Sunday, WITA), months calendar months; the last span of
each is the current one, partial up to today.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import redis

from marvec.contract import WITA
from marvec.keys import HISTORY_DAY_TTL, Keys

WEEKS = 4
MONTHS = 13
DAYS_MAX = HISTORY_DAY_TTL // 86400
"""The most days a read asks for: what the write path keeps."""


@dataclass(frozen=True)
class Figures:
    """One OPD in one span. ``None``: not known (the span is before the data began, or
    nothing was resolved / responded / reported to take a share or mean of)."""

    resolved: int | None = None
    within_sla: int | None = None
    on_time_pct: float | None = None
    mean_resolution_h: float | None = None
    first_responses: int | None = None
    mean_first_response_h: float | None = None
    posts: int | None = None
    reach: int | None = None
    """Summed latest reach of the span's posts; ``None`` when none of them has a reach."""
    posts_by_channel: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    """A week or a month: its label (``2026-W49`` / ``2026-12``), first and last day, and
    from which day each half is counted (``None``: the span ended before that feed's
    data began; a later day than ``start``: counted from then)."""

    label: str
    start: date
    end: date
    complaints_from: date | None
    posts_from: date | None
    by_opd: dict[str, Figures]

    def get(self, opd: str) -> Figures:
        """The OPD's figures: zeros where the span is covered, ``None`` where it is not."""
        found = self.by_opd.get(opd)
        if found is not None:
            return found
        return _figures(self, {}, {}, opd)


@dataclass(frozen=True)
class History:
    today: date
    weeks: list[Span]
    months: list[Span]
    last_website: dict[str, date]
    """The newest day each OPD published on its website, within the days kept."""
    complaints_since: date | None
    posts_since: date | None

    @property
    def opds(self) -> list[str]:
        names: set[str] = set(self.last_website)
        for span in (*self.weeks, *self.months):
            names.update(span.by_opd)
        return sorted(n for n in names if n != "-")

    def days_since_website(self, opd: str) -> int | None:
        """Days since the OPD's last website post; ``None`` when none is known (no post in
        the days kept, or no public-information data at all)."""
        last = self.last_website.get(opd)
        return None if last is None else (self.today - last).days


def wita_date(ts: float) -> date:
    return datetime.fromtimestamp(ts, WITA).date()


def day_code(d: date) -> str:
    return d.strftime("%Y%m%d")


def week_spans(today: date, n: int = WEEKS) -> list[tuple[str, date, date]]:
    """The last ``n`` ISO weeks up to ``today``'s, oldest first: (label, first, last day)."""
    monday = today - timedelta(days=today.weekday())
    out = []
    for i in range(n - 1, -1, -1):
        start = monday - timedelta(weeks=i)
        iso = start.isocalendar()
        out.append((f"{iso.year}-W{iso.week:02d}", start, start + timedelta(days=6)))
    return out


def month_spans(today: date, n: int = MONTHS) -> list[tuple[str, date, date]]:
    """The last ``n`` calendar months up to ``today``'s, oldest first."""
    out = []
    y, m = today.year, today.month
    for _ in range(n):
        start = date(y, m, 1)
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        out.append((f"{y}-{m:02d}", start, nxt - timedelta(days=1)))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def days_needed(today: date, weeks: int = WEEKS, months: int = MONTHS) -> list[date]:
    """Every day from the first span's start to today, at most ``DAYS_MAX``."""
    first = min(s for _, s, _ in (*week_spans(today, weeks), *month_spans(today, months))) if (weeks or months) \
        else today
    n = min((today - first).days + 1, DAYS_MAX)
    return [today - timedelta(days=i) for i in range(n - 1, -1, -1)]


DayData = tuple[dict[str, str], dict[str, str]]
"""One day's ``opd_day`` and ``posts_day`` hashes (field -> value)."""


def read_days(client: redis.Redis, keys: Keys, days: Sequence[date]) -> dict[date, DayData]:
    """The day hashes of ``days`` in one pipelined round trip (absent days: empty)."""
    pipe = client.pipeline(transaction=False)
    for d in days:
        pipe.hgetall(keys.opd_day(day_code(d)))
        pipe.hgetall(keys.posts_day(day_code(d)))
    res = pipe.execute()
    return {d: (_text(res[2 * i]), _text(res[2 * i + 1])) for i, d in enumerate(days)}


def _text(h: dict[Any, Any]) -> dict[str, str]:
    return {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in h.items()}


def _covered(start: date, end: date, since: date | None) -> date | None:
    if since is None or since > end:
        return None
    return max(start, since)


def _sum_days(days: dict[date, DayData], start: date, end: date) -> tuple[dict[str, int], dict[str, int]]:
    opd: dict[str, int] = defaultdict(int)
    posts: dict[str, int] = defaultdict(int)
    d = start
    while d <= end:
        o, p = days.get(d, ({}, {}))
        for k, v in o.items():
            opd[k] += int(v)
        for k, v in p.items():
            posts[k] += int(v)
        d += timedelta(days=1)
    return opd, posts


def _figures(span: Span, opd_sums: dict[str, int], post_sums: dict[str, int], opd: str) -> Figures:
    out: dict[str, Any] = {}
    if span.complaints_from is not None:
        r, ok, rs = opd_sums.get(f"r:{opd}", 0), opd_sums.get(f"ok:{opd}", 0), opd_sums.get(f"rs:{opd}", 0)
        f, fs = opd_sums.get(f"f:{opd}", 0), opd_sums.get(f"fs:{opd}", 0)
        out.update(resolved=r, within_sla=ok, first_responses=f,
                   on_time_pct=round(100.0 * ok / r, 1) if r else None,
                   mean_resolution_h=round(rs / r / 3600, 1) if r else None,
                   mean_first_response_h=round(fs / f / 3600, 1) if f else None)
    if span.posts_from is not None:
        n = post_sums.get(f"n:{opd}", 0)
        prefix = f"c:{opd}:"
        out.update(posts=n,
                   reach=post_sums[f"r:{opd}"] if post_sums.get(f"rk:{opd}", 0) > 0 else None,
                   posts_by_channel={k[len(prefix):]: v for k, v in post_sums.items()
                                     if k.startswith(prefix) and v > 0})
    return Figures(**out)


def _opds_in(opd_sums: Iterable[str], post_sums: Iterable[str]) -> set[str]:
    names = {k.split(":", 1)[1] for k in opd_sums}
    names |= {k.split(":", 1)[1] for k in post_sums if k.startswith("n:")}
    return names


def _span(days: dict[date, DayData], label: str, start: date, end: date, today: date,
          complaints_since: date | None, posts_since: date | None) -> Span:
    end = min(end, today)
    bare = Span(label, start, end, _covered(start, end, complaints_since), _covered(start, end, posts_since), {})
    opd_sums, post_sums = _sum_days(days, start, end)
    by_opd = {opd: _figures(bare, opd_sums, post_sums, opd) for opd in _opds_in(opd_sums, post_sums)}
    return Span(label, start, end, bare.complaints_from, bare.posts_from, by_opd)


def build_history(days: dict[date, DayData], today: date, complaints_since: date | None,
                  posts_since: date | None, weeks: int = WEEKS, months: int = MONTHS) -> History:
    """Weekly and monthly figures per OPD from the days read (pure)."""
    last_web: dict[str, date] = {}
    for d in sorted(days):
        for k, v in days[d][1].items():
            if k.startswith("c:") and k.endswith(":website") and int(v) > 0:
                last_web[k[2:-len(":website")]] = d
    return History(
        today=today,
        weeks=[_span(days, *s, today, complaints_since, posts_since) for s in week_spans(today, weeks)],
        months=[_span(days, *s, today, complaints_since, posts_since) for s in month_spans(today, months)],
        last_website=last_web, complaints_since=complaints_since, posts_since=posts_since,
    )


def read_history(client: redis.Redis, keys: Keys, now: float, complaints_since: float | None,
                 posts_since: float | None, weeks: int = WEEKS, months: int = MONTHS) -> History:
    """Read the days the spans need and build the history. ``*_since``: Unix time of the
    feed's first event (the snapshot's ``first_event_at``), ``None`` when it has none."""
    today = wita_date(now)
    need = days_needed(today, weeks, months)
    return build_history(read_days(client, keys, need), today,
                         None if complaints_since is None else wita_date(complaints_since),
                         None if posts_since is None else wita_date(posts_since), weeks, months)
