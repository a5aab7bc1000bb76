"""Is this data new? Per-feed freshness and the plain-words banner (pure).

A feed is ``live`` while its consumers applied an event less than ``stale_after_s``
ago, ``stale`` when it has been silent longer, ``none`` when it never delivered
anything, and ``down`` when the backend itself cannot be read (the screen then shows
the last good snapshot and says from when).
"""

from __future__ import annotations

from dataclasses import dataclass

from dash import html

from layers.fmt import Translate, fmt_clock, parse_time
from marvec.contract import LIVE_FEEDS as FEEDS
from marvec.snapshot import FeedStats, Snapshot


@dataclass(frozen=True)
class FeedStatus:
    feed: str
    state: str
    """``live``, ``stale``, ``none`` or ``down``."""
    since: str | None = None
    """WITA ``HH:MM`` of the newest data we have (for ``stale`` and ``down``)."""

    @property
    def live(self) -> bool:
        return self.state == "live"


@dataclass(frozen=True)
class Freshness:
    ok: bool
    """The backend answered and the snapshot itself is recent."""
    snapshot_at: str | None
    feeds: dict[str, FeedStatus]

    def of(self, feed: str) -> FeedStatus:
        return self.feeds.get(feed, FeedStatus(feed, "none"))

    @property
    def all_live(self) -> bool:
        return self.ok and all(s.live for s in self.feeds.values())


def _feed_status(feed: str, stats: FeedStats | None, age_s: float, now: float, limit: float) -> FeedStatus:
    if stats is None:
        return FeedStatus(feed, "none")
    applied = parse_time(stats.last_applied_at)
    if stats.silent_for_s is not None:
        silent = stats.silent_for_s + age_s
    elif applied is not None:
        silent = now - applied
    else:
        return FeedStatus(feed, "none")
    if silent <= limit:
        return FeedStatus(feed, "live")
    since = fmt_clock(applied if applied is not None else now - silent)
    return FeedStatus(feed, "stale", since)


def freshness(snapshot: Snapshot | None, ok: bool, now: float, stale_after_s: float) -> Freshness:
    """Freshness of every feed for a snapshot read at ``now`` (``ok``: the read succeeded).

    A snapshot older than ``stale_after_s`` counts as a failed read too: a source that
    keeps serving its last good copy must not look live.
    """
    if snapshot is None:
        state = "none" if ok else "down"
        return Freshness(ok, None, {f: FeedStatus(f, state) for f in FEEDS})
    generated = parse_time(snapshot.generated_at)
    age = max(0.0, now - generated) if generated is not None else 0.0
    reachable = ok and snapshot.redis_ok and age <= stale_after_s
    at = fmt_clock(snapshot.generated_at)
    if not reachable:
        return Freshness(False, at, {f: FeedStatus(f, "down", at) for f in FEEDS})
    feeds = {f: _feed_status(f, snapshot.feeds.get(f), age, now, stale_after_s) for f in FEEDS}
    return Freshness(True, at, feeds)


def banner_lines(fresh: Freshness, tr: Translate) -> list[str]:
    """What to say, in order of gravity; empty when everything is live."""
    if fresh.snapshot_at is None and not fresh.ok:
        return [tr("fresh.down_nodata")]
    if not fresh.ok:
        return [tr("fresh.down").format(time=fresh.snapshot_at)]
    lines = []
    for status in fresh.feeds.values():
        feed = tr("feed." + status.feed)
        if status.state == "stale":
            lines.append(tr("fresh.stale").format(feed=feed, time=status.since))
        elif status.state == "none":
            lines.append(tr("fresh.none").format(feed=feed))
    return lines


def status_pills(fresh: Freshness, tr: Translate, compact: bool = False) -> list[html.Span]:
    """One small pill per feed: a dot and either the word live or the time of the last data.

    ``compact`` leaves the word out for live feeds (the green dot says it); a feed
    that is not live always says why.
    """
    pills = []
    for feed in FEEDS:
        status = fresh.of(feed)
        if status.state == "live":
            tail = tr("fresh.live")
            if compact:
                pills.append(html.Span([html.Span(className="dot"), tr("feed." + feed)],
                                       className="pill pill-live", title=tail))
                continue
        elif status.state == "none":
            tail = tr("fresh.nodata")
        else:
            tail = tr("fresh.last").format(time=status.since)
        pills.append(html.Span(
            [html.Span(className="dot"), f"{tr('feed.' + feed)} · {tail}"],
            className=f"pill pill-{status.state}", title=tail,
        ))
    return pills


def banner(fresh: Freshness, tr: Translate) -> tuple[list[html.Div], str]:
    """Banner children and class: ``banner down``, ``banner stale`` or ``banner hidden``."""
    lines = banner_lines(fresh, tr)
    if not lines:
        return [], "banner hidden"
    kind = "down" if not fresh.ok else "stale"
    return [html.Div(line, className="banner-line") for line in lines], f"banner {kind}"
