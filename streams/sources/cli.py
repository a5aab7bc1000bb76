"""``marvec source bmkg|cap|open311|prices``: arguments and wiring of the adapters."""

from __future__ import annotations

import argparse
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from marvec.errors import SettingsError
from marvec.settings import Settings
from streams.sources import bmkg, cap, open311, prices
from streams.sources.poll import PollOnce, Produced, SourceError, poll_loop, serve_metrics

BMKG_URLS = ["https://data.bmkg.go.id/DataMKG/TEWS/autogempa.json",
             "https://data.bmkg.go.id/DataMKG/TEWS/gempaterkini.json",
             "https://data.bmkg.go.id/DataMKG/TEWS/gempadirasakan.json"]
NAMES = ("bmkg", "cap", "open311", "prices")


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", choices=NAMES)
    p.add_argument("--url", action="append", help="source URL (repeatable for bmkg); a path reads a file")
    p.add_argument("--file", type=Path, help="prices: a CSV or JSON table file")
    p.add_argument("--interval", type=float, default=60.0, help="seconds between polls (default 60)")
    p.add_argument("--radius-km", type=float, default=300.0, help="bmkg: radius around the city")
    p.add_argument("--close-after-hours", type=float, default=6.0, help="bmkg: close a quake after H h")
    p.add_argument("--categories", type=Path, help="open311: JSON or CSV service_code -> category")
    p.add_argument("--market", help="prices: market name (default: 'PIHPS Kota Makassar')")
    p.add_argument("--once", action="store_true", help="poll once and exit")


def _bmkg(args: argparse.Namespace, settings: Settings) -> PollOnce:
    urls = args.url or BMKG_URLS

    def poll(fetch: Callable[[str], bytes | None], now: datetime) -> list[Produced]:
        quakes = [q for u in urls if (b := fetch(u)) for q in bmkg.parse_feed(b)]
        evs = bmkg.events(quakes, now, radius_km=args.radius_km, close_after_hours=args.close_after_hours)
        return [("disasters", e["incident_id"], e) for e in evs]
    return poll


def _cap(args: argparse.Namespace, settings: Settings) -> PollOnce:
    from geodata import load_boundaries

    city = cap.city_shape(load_boundaries(settings.boundaries, settings.boundaries_field))
    url = _one_url(args, settings)

    def poll(fetch: Callable[[str], bytes | None], now: datetime) -> list[Produced]:
        body = fetch(url) or b""
        found = cap.links(body)
        bodies = [body] if found is None else [b for link in found if (b := fetch(link))]
        return [("disasters", e["incident_id"], e) for b in bodies for e in cap.events(b, city, now)]
    return poll


def _open311(args: argparse.Namespace, settings: Settings) -> PollOnce:
    table = open311.load_categories(args.categories) if args.categories else None
    base = _one_url(args, settings).rstrip("/")
    state: dict[str, str] = {}

    def poll(fetch: Callable[[str], bytes | None], now: datetime) -> list[Produced]:
        since = state.get("since")
        url = f"{base}/requests.json" + (f"?updated_after={quote(since)}" if since else "")
        reqs = open311.parse_requests(fetch(url) or b"[]")
        skipped: Counter[str] = Counter()
        evs = open311.events(reqs, table, skipped)
        if skipped:
            import logging

            logging.getLogger("marvec.sources").warning("open311: skipped %s", dict(skipped))
        times = [str(r.get("updated_datetime")) for r in reqs if r.get("updated_datetime")]
        if times:
            state["since"] = max(times, key=datetime.fromisoformat)
        return [("complaints", e["complaint_id"], e) for e in evs]
    return poll


def _prices(args: argparse.Namespace, settings: Settings) -> PollOnce:
    where = str(args.file) if args.file else _one_url(args, settings)
    market = args.market or "PIHPS Kota Makassar"

    def poll(fetch: Callable[[str], bytes | None], now: datetime) -> list[Produced]:
        body = fetch(where) or b""
        text = body.decode("utf-8-sig", errors="replace")
        evs = (prices.parse_json(body, market, now.astimezone(prices.WITA).date())
               if text.lstrip()[:1] in "[{" else prices.parse_pihps_csv(text, market))
        return [("economy", e["market"], e) for e in evs]
    return poll


def _one_url(args: argparse.Namespace, settings: Settings) -> str:
    urls = [u for u in (args.url or [getattr(settings, f"{args.name}_url", None)]) if u]
    if len(urls) != 1:
        raise SettingsError("--url", f"marvec source {args.name} needs exactly one --url "
                            f"(or MARVEC_{args.name.upper()}_URL)")
    return str(urls[0])


BUILDERS: dict[str, Callable[[argparse.Namespace, Settings], PollOnce]] = {
    "bmkg": _bmkg, "cap": _cap, "open311": _open311, "prices": _prices}


def run_source(args: argparse.Namespace, settings: Settings,
               stop: threading.Event | None = None, producer: Any = None) -> int:
    """Build the named source and poll it until Ctrl-C (or once with ``--once``)."""
    if args.interval <= 0:
        raise SettingsError("--interval", f"expected seconds > 0, got {args.interval}")
    try:
        poll_once = BUILDERS[args.name](args, settings)
    except (OSError, ValueError) as exc:
        raise SettingsError(f"marvec source {args.name}", str(exc).splitlines()[0]) from None
    if producer is None:
        from streams.sources.producer import FeedProducer

        producer = FeedProducer(settings)
    serve_metrics(settings.metrics_port)
    try:
        return poll_loop(args.name, poll_once, producer.send, producer.flush,
                         settings.source_state_dir, args.interval, stop or threading.Event(),
                         once=args.once)
    except SourceError as exc:
        raise SettingsError(f"marvec source {args.name}", str(exc)) from None
    finally:
        if hasattr(producer, "close"):
            producer.close()
