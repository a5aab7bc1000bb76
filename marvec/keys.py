"""The Redis key layout: the one definition both the writer (streams) and the reader use.

No other module builds a key string. Keys live under one prefix. Times in bucket
names are Unix minutes / hours (timezone-free); day keys are WITA dates
(``YYYYMMDD``) because "today" is a WITA calendar day.

The writer (``streams/plan.py``, ``streams/sink.py``) builds every key through this
module; ``marvec/read.lua`` and ``streams/commit.lua`` receive every key name or
template from here as an argument, so this module stays the single source.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class Keys:
    """Key names under ``prefix`` (default ``mv:``)."""

    prefix: str = "mv:"

    # -- bookkeeping -----------------------------------------------------------
    @property
    def offsets(self) -> str:
        """Hash ``<topic>|<partition>`` -> last applied Kafka offset (exactly-once)."""
        return f"{self.prefix}offsets"

    @property
    def meta(self) -> str:
        """Hash: ``schema`` version, ``created_at``, ``rebuilt_at``, ``epoch``, and
        ``days_kept_from``: the Unix time from which every day key has been written with
        the 35-day ``DAY_KEY_TTL`` (``0`` after ``marvec rebuild``, which rewrites them all):
        a day that ended more than ``OLD_DAY_KEY_TTL`` before it may be gone, not zero."""
        return f"{self.prefix}meta"

    @property
    def data_meta(self) -> str:
        """Hash: ``schema`` (the layout's version) and ``boundaries`` (fingerprint of the
        kecamatan boundaries the aggregates were counted with); ``marvec.datameta`` owns it."""
        return f"{self.prefix}datameta"

    def feed(self, feed: str) -> str:
        """Hash: accepted, rejected, duplicates, first_event_ts, last_event_ts, first_applied_ts
        (when Marvec began receiving the feed: kept across ``marvec rebuild``), last_applied_ts."""
        return f"{self.prefix}feed:{feed}"

    def seen(self, feed: str) -> str:
        """Sorted set of accepted event_ids scored by occurred_at (de-duplication); entries
        older than the dedupe horizon are trimmed after every batch."""
        return f"{self.prefix}seen:{feed}"

    def outbox(self, tp: str) -> str:
        """List of dead letters (header JSON, raw bytes pairs) recorded in Redis for the
        partition ``tp`` (``<topic>|<partition>``), waiting to be produced to Kafka."""
        return f"{self.prefix}outbox:{tp}"

    @property
    def prune_claim(self) -> str:
        """String with a TTL: the token of the one process running the expiry of silent
        markets and idle OPDs (``streams.expiry``) this period (``SET NX EX``)."""
        return f"{self.prefix}prune:claim"

    @property
    def prune_cursor(self) -> str:
        """Hash ``target`` (which key the expiry sweep is in), ``cursor`` (its HSCAN/SSCAN
        cursor there): where the next bounded prune call continues, whichever process runs it."""
        return f"{self.prefix}prune:cursor"

    @property
    def kept_prefixes(self) -> tuple[str, ...]:
        """What ``marvec rebuild`` keeps: who may do what (``access_prefix``) and what people
        decided and were told (``ops_prefix``); neither can be rebuilt from the feeds."""
        return (self.access_prefix, self.ops_prefix)

    @property
    def ops_prefix(self) -> str:
        """Prefix of the war room's own records: alerts, the alert level, the log."""
        return f"{self.prefix}ops:"

    @property
    def alerts_lease(self) -> str:
        """String: the token of the process that evaluates the alert rules, with a TTL."""
        return f"{self.prefix}ops:alerts:lease"

    @property
    def alerts(self) -> str:
        """Hash fingerprint -> JSON state of each pending, firing or recently resolved alert."""
        return f"{self.prefix}ops:alerts"

    @property
    def alert_acks(self) -> str:
        """Hash fingerprint -> JSON ``{"by", "at"}``: who acknowledged the alert's current firing."""
        return f"{self.prefix}ops:alerts:acks"

    @property
    def alerts_outbox(self) -> str:
        """Sorted set of notifications to send (JSON), scored by when they are due."""
        return f"{self.prefix}ops:alerts:outbox"

    @property
    def alerts_inflight(self) -> str:
        """Sorted set of notifications being sent, scored by when they were claimed."""
        return f"{self.prefix}ops:alerts:inflight"

    @property
    def alert_level(self) -> str:
        """Hash: ``level``, ``reason``, ``set_by``, ``set_at`` (absent: ``normal``)."""
        return f"{self.prefix}ops:level"

    @property
    def warroom_log(self) -> str:
        """List of war-room log entries (JSON), newest first, capped."""
        return f"{self.prefix}ops:log"

    def briefing(self, bid: str) -> str:
        """Hash of one stored briefing (``daily-YYYY-MM-DD`` / ``monthly-YYYY-MM-DD``):
        ``html``, ``pdf``, ``png`` and ``meta`` (JSON); expires after the keep period."""
        return f"{self.prefix}ops:brief:{bid}"

    @property
    def briefings(self) -> str:
        """Sorted set of stored briefing ids scored by when each was made."""
        return f"{self.prefix}ops:briefs"

    def briefing_claim(self, bid: str) -> str:
        """String with a TTL: a process is making that briefing (one at a time)."""
        return f"{self.prefix}ops:brief:claim:{bid}"

    @property
    def access_prefix(self) -> str:
        """Prefix of the access-control keys (login limits, sessions, API keys, revoked
        tokens): who may do what, not aggregates, so ``marvec rebuild`` keeps them."""
        return f"{self.prefix}auth:"

    def api_key(self, name: str) -> str:
        """Hash of one intake API key: ``sha256`` of the key, ``feeds`` (comma-separated),
        ``created_at``, ``revoked_at`` (set when revoked; the record stays for the list)."""
        return f"{self.prefix}auth:apikey:{name}"

    @property
    def api_key_index(self) -> str:
        """Hash ``sha256`` of a live key -> its name: the intake API's one lookup per request;
        revoking removes the entry, so the key stops working on every worker at once."""
        return f"{self.prefix}auth:apikeys"

    def login_failures(self, who: str) -> str:
        """Hash ``n`` (attempts not yet cleared by a success), ``last`` (Unix time of the
        latest) for one login throttle key: ``pair:<user>|<addr>`` (a user name from one
        client address; ``?`` stands for every unknown name), ``user:<name>`` (a user from
        addresses it never logged in from), ``token:<addr>`` (bad display tokens).
        Expires an hour after the latest attempt. Shared by every dashboard worker and host."""
        return f"{self.prefix}auth:fail:{who}"

    def known_addresses(self, user: str) -> str:
        """Sorted set of the client addresses ``user`` logged in from, scored by the Unix
        time of the latest success there; capped, expires 180 days after the latest."""
        return f"{self.prefix}auth:known:{user}"

    def session(self, sid: str) -> str:
        """Hash ``u`` (user or display name), ``via`` (``password``/``token``), ``at``
        (Unix time it began) for one login session; it lives while this key does (deleted
        at logout, expiring with the session)."""
        return f"{self.prefix}auth:session:{sid}"

    @property
    def display_tokens(self) -> str:
        """Hash token id -> JSON ``{name, role, created, expires}`` of every display token
        ``marvec token`` issued (for ``marvec token list``); entries are removed once expired."""
        return f"{self.prefix}auth:tokens"

    @property
    def revoked_displays(self) -> str:
        """Hash display name -> Unix milliseconds of ``marvec token revoke NAME``: every
        token of that name issued at or before then is refused."""
        return f"{self.prefix}auth:revoked"

    # -- complaints ------------------------------------------------------------
    def complaint(self, complaint_id: str) -> str:
        """Hash: the complaint's current state."""
        return f"{self.prefix}c:id:{complaint_id}"

    @property
    def complaint_totals(self) -> str:
        """Hash: ``open``."""
        return f"{self.prefix}c:totals"

    @property
    def open_by_kecamatan(self) -> str:
        return f"{self.prefix}c:open:kec"

    @property
    def open_by_category(self) -> str:
        return f"{self.prefix}c:open:cat"

    @property
    def open_by_opd(self) -> str:
        return f"{self.prefix}c:open:opd"

    @property
    def open_by_kecamatan_category(self) -> str:
        """Hash ``<kecamatan>|<category>`` -> open count."""
        return f"{self.prefix}c:open:kc"

    @property
    def due(self) -> str:
        """Sorted set of open complaint ids scored by due time (overdue = score < now)."""
        return f"{self.prefix}c:due"

    def due_by_opd(self, opd: str) -> str:
        return f"{self.prefix}c:due:opd:{opd}"

    @property
    def latest_open(self) -> str:
        """Sorted set of open complaint ids scored by their latest event time."""
        return f"{self.prefix}c:latest"

    def resolutions(self, opd: str) -> str:
        """List of recent resolutions ``<seconds>|<within_sla 0/1>|<resolved_ts>``, newest
        first, capped; it expires with its OPD (``streams.expiry``) and, as a backstop, the
        silent retention after the latest push."""
        return f"{self.prefix}c:res:{opd}"

    def first_responses(self, opd: str) -> str:
        """List of recent first responses ``<seconds>|<responded_ts>`` (from received to the
        first later status), newest first, capped like ``resolutions``."""
        return f"{self.prefix}c:fr:{opd}"

    def opd_day(self, day: str) -> str:
        """Hash for a WITA day: per OPD (``-``: none assigned) ``r:<opd>`` complaints resolved
        that day, ``ok:<opd>`` of them within SLA, ``rs:<opd>`` their summed seconds to
        resolution, ``f:<opd>`` first responses that day, ``fs:<opd>`` their summed seconds;
        kept ``HISTORY_DAY_TTL`` (the report card's weekly and monthly history)."""
        return f"{self.prefix}c:od:{day}"

    @property
    def opds(self) -> str:
        """Set of the OPD codes seen with an open complaint; one with none open and no
        resolution within the silent retention leaves it (``streams.expiry``)."""
        return f"{self.prefix}c:opds"

    def complaint_day(self, day: str) -> str:
        """Hash for WITA day ``YYYYMMDD``: ``received``, ``resolved``, and ``k:<kecamatan>``
        the complaints received that day per kecamatan (``k:?`` outside every kecamatan;
        they sum to ``received``). Kept ``DAY_KEY_TTL`` (the mayor's 30-day view)."""
        return f"{self.prefix}c:day:{day}"

    # -- economy ---------------------------------------------------------------
    def price(self, commodity: str) -> str:
        """Hash market -> ``<occurred_ts>|<price_idr>|<unit>[|<kecamatan>]``: each market's latest price
        and the kecamatan it was placed in (when its event had a location or kecamatan);
        a market silent past the silent retention leaves it (``streams.expiry``)."""
        return f"{self.prefix}e:price:{commodity}"

    def price_day(self, commodity: str, day: str) -> str:
        """Hash market -> ``<occurred_ts>|<price_idr>``: latest price per market on that day."""
        return f"{self.prefix}e:pday:{commodity}:{day}"

    def tx_day(self, day: str) -> str:
        """Hash for WITA day: count, amount, ``k:<kec>`` amount, ``kc:<kec>`` count, ``m:<cat>``;
        kept ``DAY_KEY_TTL``."""
        return f"{self.prefix}e:tx:{day}"

    # -- disasters -------------------------------------------------------------
    def incident(self, incident_id: str) -> str:
        """Hash: the incident's current state."""
        return f"{self.prefix}d:id:{incident_id}"

    def timeline(self, incident_id: str) -> str:
        """List of ``<ts>|<status>|<severity>`` entries, capped."""
        return f"{self.prefix}d:tl:{incident_id}"

    @property
    def active_incidents(self) -> str:
        """Set of active incident ids."""
        return f"{self.prefix}d:active"

    @property
    def disaster_totals(self) -> str:
        """Hash: active, affected_people, displaced, injured, deaths (active incidents)."""
        return f"{self.prefix}d:totals"

    @property
    def active_by_hazard(self) -> str:
        return f"{self.prefix}d:hazard"

    @property
    def active_by_kecamatan(self) -> str:
        return f"{self.prefix}d:kec"

    # -- public information ----------------------------------------------------
    def post(self, post_id: str) -> str:
        """Hash: a post's state (``opd``, ``ch`` channel, ``reach``, ``eng`` engagements,
        the fold's ``st``, ``t``, ``p``, ``o``, ``first`` (published) and version ``v``)."""
        return f"{self.prefix}p:post:{post_id}"

    def survey(self, survey_id: str) -> str:
        """Hash: a survey's latest figures (``topic``, ``k``, ``n`` respondents, ``aw`` aware,
        ``wk`` want to know, ``ni`` not interested, the fold's fields and ``v``)."""
        return f"{self.prefix}p:survey:{survey_id}"

    def posts_day(self, day: str) -> str:
        """Hash for the WITA day posts were published: ``n:<opd>`` posts, ``r:<opd>`` their
        latest reach, ``rk:<opd>`` how many of them have a reach, ``c:<opd>:<channel>``
        posts per channel; kept 400 days (rapor)."""
        return f"{self.prefix}p:day:{day}"

    def awareness(self, topic: str) -> str:
        """Hash of a survey topic's sums: ``n``, ``aw``, ``wk``, ``ni``, and ``n:<kec>``,
        ``aw:<kec>`` per kecamatan."""
        return f"{self.prefix}p:aw:{topic}"

    @property
    def awareness_topics(self) -> str:
        """Sorted set of survey topics scored by the time of their newest survey event."""
        return f"{self.prefix}p:topics"

    @property
    def clocks(self) -> str:
        """Hash consumer id -> JSON ``{"skew_s", "future_time_rejects", "at"}``: each
        consumer's clock against the broker's record timestamps (``streams.clock``)."""
        return f"{self.prefix}clocks"

    # -- trends and ticker -----------------------------------------------------
    def minute_bucket(self, minute: int) -> str:
        """Hash of flow counters for Unix minute ``minute`` (event time); kept 25 h."""
        return f"{self.prefix}ts:m:{minute}"

    def hour_bucket(self, hour: int) -> str:
        """Hash of flow counters for Unix hour ``hour`` (event time); kept 8 days. Besides
        the minute buckets' fields it holds, for the wall's replay (``marvec.replay``),
        ``c:k:<kecamatan>`` complaints received that hour per kecamatan and ``d:k:<kecamatan>``
        incidents first seen that hour per kecamatan (``?``: none known); each set sums to
        ``c:received`` / ``d:new``. At most 2 x 16 small fields an hour."""
        return f"{self.prefix}ts:h:{hour}"

    def gauge_minute(self, minute: int) -> str:
        """Hash of gauge samples (open, overdue, active...) taken in wall-clock minute."""
        return f"{self.prefix}g:m:{minute}"

    def gauge_hour(self, hour: int) -> str:
        """Like ``gauge_minute`` for a wall-clock hour: each commit overwrites it, so it holds
        the hour's last sample (absent: nothing was committed that hour)."""
        return f"{self.prefix}g:h:{hour}"

    @property
    def ticker(self) -> str:
        """List of the newest events as JSON, newest first, capped."""
        return f"{self.prefix}ticker"


MINUTE_BUCKET_TTL = 25 * 3600
HOUR_BUCKET_TTL = 8 * 86400
DAY_KEY_TTL = 35 * 86400
"""Day aggregates (``complaint_day``, ``tx_day``, ``price_day``) live 35 days after their
day ends: the mayor's 30-day view and the 7-day price change, with margin (the memory
per day is measured in docs/performance.md)."""
OLD_DAY_KEY_TTL = 9 * 86400
"""The day keys' TTL before 35 days (``Keys.meta`` ``days_kept_from`` says since when)."""
TICKER_LEN = 100
TIMELINE_LEN = 30
RESOLUTIONS_LEN = 500
HISTORY_DAY_TTL = 400 * 86400
"""Days of the OPD report card's history (``opd_day``, ``posts_day``) are kept 13 months
and more: its weekly and monthly figures."""


def partition_id(topic: str, partition: int) -> str:
    """The ``<topic>|<partition>`` name used in offsets and outbox keys."""
    return f"{topic}|{partition}"


def lua_templates(keys: Keys) -> dict[str, str]:
    """Key templates for the Lua scripts (``%s`` where an argument goes).

    Built by calling the ``Keys`` methods with ``%s`` so the scripts never spell a
    key themselves.
    """
    one = ("feed", "seen", "outbox", "complaint", "due_by_opd", "resolutions", "first_responses",
           "opd_day", "complaint_day",
           "price", "tx_day", "incident", "timeline", "minute_bucket", "hour_bucket",
           "gauge_minute", "gauge_hour", "posts_day", "awareness")
    out: dict[str, str] = {}
    for name in one:
        method = getattr(keys, name)
        out[name] = method("%s")
    out["price_day"] = keys.price_day("%s", "%s")
    for name in ("offsets", "meta", "complaint_totals", "open_by_kecamatan", "open_by_category",
                 "open_by_opd", "open_by_kecamatan_category", "due", "latest_open", "opds",
                 "active_incidents", "disaster_totals", "active_by_hazard",
                 "active_by_kecamatan", "ticker", "awareness_topics", "clocks", "alerts",
                 "alert_acks", "alert_level", "warroom_log", "prune_claim", "prune_cursor"):
        out[name] = getattr(keys, name)
    return out
