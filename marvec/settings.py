"""One typed settings object, read from ``MARVEC_*`` environment variables.

Built in each command's ``main()`` (never at import time) and passed down; tests
build it directly with keyword arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlparse

from pydantic import Field, ValidationError, create_model, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from marvec.contract import DEFAULT_TOPICS, FEEDS
from marvec.errors import SettingsError

_CONFIG = SettingsConfigDict(env_prefix="MARVEC_", frozen=True, extra="ignore")

# ``MARVEC_TOPIC_<FEED>`` for every feed of the contract, derived from its one list:
# a new feed gets its topic setting without a line here.
if TYPE_CHECKING:  # the type checker sees the declared fields; topics via ``topics``
    _FeedTopics = BaseSettings
else:
    _FeedTopics = create_model(
        "_FeedTopics", __base__=BaseSettings,
        **{f"topic_{feed}": (str, DEFAULT_TOPICS[feed]) for feed in FEEDS},
    )


class Settings(_FeedTopics):
    """Every setting Marvec reads. Each field is ``MARVEC_<NAME>`` in the environment
    (``MARVEC_TOPIC_<FEED>`` for each feed of ``marvec.contract.FEEDS``)."""

    model_config = _CONFIG

    # Services. ``None`` means "not configured": ``marvec up`` then starts embedded ones.
    kafka_bootstrap: str | None = None
    redis_url: str | None = None

    # Kafka security (SASL/SSL). PLAINTEXT by default.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = Field(default=None, repr=False)
    kafka_ssl_cafile: Path | None = None

    # Topics (each feed's: see above) and the consumer group.
    topic_deadletter: str = DEFAULT_TOPICS["deadletter"]
    consumer_group: str = "marvec-aggregator"
    batch_max_records: int = Field(default=5000, ge=1, le=100_000)
    poll_timeout_ms: int = Field(default=500, ge=10, le=60_000)
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1000, le=300_000)
    kafka_fetch_max_wait_ms: int = Field(default=50, ge=0, le=10_000)
    """How long the broker may hold a fetch for more data: the floor of event->screen latency."""

    # Boundaries: a GeoJSON / GeoPackage / Shapefile replacing the bundled approximation.
    boundaries: Path | None = None
    boundaries_field: str = "kecamatan"
    boundaries_switch: bool = False
    """Let ``marvec rebuild`` rebuild with other boundaries than Redis's aggregates were counted by."""

    # Retention (event time): how long an event_id is remembered for de-duplication,
    # and how long a finished complaint or incident keeps its state.
    dedupe_horizon_hours: int = Field(default=168, ge=1, le=24 * 90)
    entity_retention_hours: int = Field(default=168, ge=1, le=24 * 365)
    silent_retention_days: int = Field(default=30, ge=1, le=3650)
    """``MARVEC_SILENT_RETENTION_DAYS``: a market whose latest price is older than this (event
    time) leaves the prices (and their median); an OPD with no open complaint and no
    resolution within it leaves the OPD list (``streams.expiry``)."""

    # Dashboard: where ``marvec dashboard`` and ``marvec up`` listen (``--host``/``--port`` win).
    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8050, ge=1, le=65535)
    auth: Literal["required", "open"] = "required"
    secret_key: str | None = Field(default=None, repr=False)
    users_file: Path | None = None
    lang: Literal["id", "en"] = "id"
    refresh_ms: int = Field(default=1000, ge=200, le=60_000)
    wall_rotate_seconds: int = Field(default=30, ge=5, le=3600)
    wall_sound: bool = False
    """``MARVEC_WALL_SOUND``: the wall chimes once for each new critical alert (the kiosk's
    browser must allow audio without a tap: Chromium ``--autoplay-policy=no-user-gesture-required``)."""
    crisis_hold_seconds: int = Field(default=300, gt=0, le=86_400)
    """Once the wall is in crisis focus it stays there this long after the last crisis incident."""
    replay_hours: int = 8
    """``MARVEC_REPLAY_HOURS``: how many hours ``/wall/replay`` plays back when its URL
    does not say (``?jam=``); 8, a shift."""
    replay_step_seconds: int = Field(default=6, ge=2, le=120)
    """``MARVEC_REPLAY_STEP_SECONDS``: how long the replay shows each hour."""
    stale_after_seconds: int = Field(default=300, ge=10, le=86_400)
    tiles_url: str | None = None
    flood_radius_m: int = Field(default=1500, ge=50, le=20_000)
    map_shading: Literal["count", "per10k"] = "count"
    """Map shading: the count per kecamatan, or per 10,000 residents (geodata/data/population.csv)."""

    @field_validator("tiles_url")
    @classmethod
    def _check_tiles_url(cls, value: str | None) -> str | None:
        """``MARVEC_TILES_URL``: an XYZ template (absolute http(s) or a path on this app)."""
        if value is None or not value.strip():
            return None
        url = value.strip()
        parsed = urlparse(url.replace("{", "").replace("}", ""))
        place = (parsed.scheme in ("http", "https") and parsed.netloc) or (not parsed.scheme and url.startswith("/"))
        if not place or any(part not in url for part in ("{z}", "{x}", "{y}")):
            raise ValueError(f"expected an XYZ tile template like https://host/{{z}}/{{x}}/{{y}}.png, got {url!r}")
        return url
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    """Reverse proxies in front of the dashboard whose X-Forwarded-* headers are trusted."""

    # Consumer metrics: Prometheus text on this port (unset: no metrics server).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    # Real-source adapters (``marvec source``): checkpoints, and which ones ``marvec up`` runs.
    source_state_dir: Path = Path(".marvec/sources")
    sources: str = ""
    """Comma-separated adapters ``marvec up`` runs besides the simulator, e.g. ``bmkg,open311``."""
    cap_url: str | None = None
    open311_url: str | None = None
    prices_url: str | None = None
    """The ``--url`` that ``marvec up`` gives ``cap``, ``open311`` and ``prices`` (bmkg: BMKG's own)."""

    @field_validator("sources")
    @classmethod
    def _check_sources(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        bad = [n for n in names if n not in ("bmkg", "cap", "open311", "prices")]
        if bad:
            raise ValueError(f"unknown source {bad[0]!r}; expected some of bmkg,cap,open311,prices")
        return ",".join(names)

    # Alerts (contract 6): the rules file (unset: the built-in defaults) and the receivers.
    alert_rules: Path | None = None
    alert_webhook_urls: str = ""
    """Comma-separated URLs that get every alert firing and resolving (Alertmanager format)."""
    alert_eval_seconds: float = Field(default=1.0, ge=0.2, le=60)
    """How often the leading process evaluates the rules."""
    public_url: str = ""
    """The dashboard's address as people reach it (links in notifications), e.g. https://marvec.example."""

    # Briefings (``marvec brief``, ``/briefings``): when the daily one is made, kept how long.
    briefing_time: str = "06:30"
    """WITA time of the daily briefing (and, on the 1st, the monthly report card); ``off``: none."""
    briefing_keep_days: int = Field(default=90, ge=1, le=400)
    chromium: Path | None = None
    """The Chromium or Chrome binary that renders briefings (unset: found on PATH)."""

    @field_validator("replay_hours")
    @classmethod
    def _check_replay_hours(cls, value: int) -> int:
        from marvec.replay import CHOICES

        if value not in CHOICES:
            raise ValueError(f"must be one of {', '.join(map(str, CHOICES))} (hours), got {value}")
        return value

    @field_validator("briefing_time")
    @classmethod
    def _check_briefing_time(cls, value: str) -> str:
        from marvec.briefing import parse_clock

        text = value.strip()
        if text.lower() == "off":
            return "off"
        parse_clock(text)
        return text

    @field_validator("alert_webhook_urls")
    @classmethod
    def _check_webhooks(cls, value: str) -> str:
        urls = [u.strip() for u in value.split(",") if u.strip()]
        for url in urls:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ValueError(f"expected http(s)://host/path, got {url!r}")
        return ",".join(urls)

    @property
    def webhook_urls(self) -> list[str]:
        return [u for u in self.alert_webhook_urls.split(",") if u]

    # Logs: ``json`` lines for production, ``text`` for a terminal.
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_tz: str = "UTC"
    """Time zone of log timestamps (``Asia/Makassar``: WITA, the screens' clock)."""
    access_log: Literal["quiet", "all"] = "quiet"
    """``quiet``: no access lines for screen traffic (callbacks, push, assets) that succeeded."""

    @field_validator("kafka_bootstrap")
    @classmethod
    def _check_bootstrap(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        for part in value.split(","):
            host, sep, port = part.strip().rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"expected host:port[,host:port...], got {part.strip()!r}")
        return value.strip()

    @field_validator("log_tz")
    @classmethod
    def _check_log_tz(cls, value: str) -> str:
        from marvec.logs import zone

        zone(value.strip())
        return value.strip()

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parsed = urlparse(value.strip())
        if parsed.scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"expected redis://host:port/db or rediss://..., got scheme {parsed.scheme!r}")
        return value.strip()

    @property
    def topics(self) -> dict[str, str]:
        """Feed name -> topic, for every input feed."""
        return {feed: str(getattr(self, f"topic_{feed}")) for feed in FEEDS}

    def require_services(self) -> None:
        """Commands that need both Kafka and Redis configured call this first."""
        if not self.kafka_bootstrap:
            raise SettingsError("MARVEC_KAFKA_BOOTSTRAP", "not set; expected host:port[,host:port]")
        if not self.redis_url:
            raise SettingsError("MARVEC_REDIS_URL", "not set; expected redis://host:port/db")

    def kafka_client_options(self) -> dict[str, object]:
        """Connection options shared by every kafka-python client Marvec makes."""
        if not self.kafka_bootstrap:
            raise SettingsError("MARVEC_KAFKA_BOOTSTRAP", "not set; expected host:port of a Kafka broker")
        opts: dict[str, object] = {
            "bootstrap_servers": self.kafka_bootstrap.split(","),
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_security_protocol.startswith("SASL"):
            opts.update(
                sasl_mechanism=self.kafka_sasl_mechanism,
                sasl_plain_username=self.kafka_sasl_username,
                sasl_plain_password=self.kafka_sasl_password,
            )
        if self.kafka_ssl_cafile is not None:
            opts["ssl_cafile"] = str(self.kafka_ssl_cafile)
        return opts


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; a wrong one raises ``SettingsError`` (one line)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "MARVEC_" + str(err["loc"][0]).upper() if err["loc"] else "MARVEC settings"
        msg = str(err["msg"]).removeprefix("Value error, ")
        got = err.get("input")
        detail = f"{msg} (got {got!r})" if got is not None and "got" not in msg else msg
        raise SettingsError(name, detail) from None
