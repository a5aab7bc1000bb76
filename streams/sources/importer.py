"""``marvec import FILE --feed FEED``: produce a JSON-lines or CSV file of feed events.

For an RT/RW survey export, a backfill from an OPD's own system, a spreadsheet kept
during an outage. Every line is checked with the consumers' own rules
(``streams.decode.validate``) before anything is produced; valid lines are produced
keyed by their entity through the shared producer, in chunks whose delivery is
confirmed; refused lines are listed with their line number, reason and detail. Nothing
refused is produced, so the dead-letter topic stays for what arrives broken.

CSV: one column per field (``event_id``, ``occurred_at``, ``source``, ...); the
location as ``lat`` and ``lon`` (or ``location.lat`` / ``location.lon``); an empty cell
is an absent field; a cell of a numeric field (``price_idr``, ``severity``, ...) is
read as a number, from the feed's typed event. ``.csv`` files are CSV, anything else
JSON lines, unless ``--format`` says.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import orjson

from marvec.contract import FEEDS as CONTRACT_FEEDS
from marvec.errors import SettingsError
from marvec.settings import Settings
from streams.decode import Locator, validate
from streams.feeds import FEEDS
from streams.sources.producer import DeliveryFailed, FeedProducer, entity_key

__all__ = ["ImportResult", "add_import_arguments", "import_lines", "read_lines", "run_import"]

CHUNK = 2000
"""Lines validated and produced (and confirmed) together."""
MAX_LISTED = 1000
"""Refused lines named one by one in the output; beyond, only counted."""


@dataclass
class ImportResult:
    produced: int = 0
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    refused_count: int = 0


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a JSON-lines (.jsonl, .json) or CSV (.csv) file")
    parser.add_argument("--feed", required=True, choices=CONTRACT_FEEDS, help="the feed its events belong to")
    parser.add_argument("--format", choices=("jsonl", "csv"), help="default: from the file's extension")
    parser.add_argument("--dry-run", action="store_true", help="check every line, produce nothing")


@cache
def _numeric_fields(feed: str) -> dict[str, type]:
    """Field name -> int or float for the numeric fields of ``feed``'s typed events."""
    info = mi.type_info(FEEDS[feed].decoder.type)
    structs = info.types if isinstance(info, mi.UnionType) else (info,)
    out: dict[str, type] = {}
    for st in structs:
        if not isinstance(st, mi.StructType):
            continue
        for f in st.fields:
            kinds = f.type.types if isinstance(f.type, mi.UnionType) else (f.type,)
            for k in kinds:
                if isinstance(k, mi.IntType):
                    out[f.encode_name] = int
                elif isinstance(k, mi.FloatType):
                    out.setdefault(f.encode_name, float)
    return out


def _cell(value: str, kind: type | None) -> Any:
    if kind is None:
        return value
    try:
        number = float(value.replace(",", "")) if kind is float else int(value.replace(",", ""))
    except ValueError:
        return value  # left as text: the feed's check names the field
    return number


_LOCATION = {"lat": "lat", "lon": "lon", "location.lat": "lat", "location.lon": "lon"}


def _csv_event(row: dict[str, str | None], numeric: dict[str, type]) -> dict[str, Any]:
    event: dict[str, Any] = {}
    location: dict[str, Any] = {}
    for name, value in row.items():
        if name is None or value is None or value.strip() == "":
            continue
        name, value = name.strip(), value.strip()
        if name in _LOCATION:
            location[_LOCATION[name]] = _cell(value, float)
        else:
            event[name] = _cell(value, numeric.get(name))
    if location:
        event["location"] = location
    return event


def read_lines(path: Path, feed: str, fmt: str | None = None) -> Iterator[tuple[int, bytes]]:
    """``(line number, JSON bytes)`` for every non-blank line (CSV: every data row,
    numbered as the file's lines; the header is line 1)."""
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    with path.open("rb") as raw:
        if fmt == "jsonl":
            for number, line in enumerate(raw, 1):
                line = line.strip()
                if line:
                    yield number, line
            return
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        if not reader.fieldnames:
            return
        numeric = _numeric_fields(feed)
        for row in reader:
            if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                yield reader.line_num, orjson.dumps(_csv_event(row, numeric))


def import_lines(lines: Iterator[tuple[int, bytes]], feed: str, locator: Locator,
                 send: Callable[[str, bytes, str | None], object] | None,
                 flush: Callable[[], None], now: Callable[[], float] = time.time,
                 result: ImportResult | None = None) -> ImportResult:
    """Validate ``lines`` chunk by chunk; send the valid ones (unless ``send`` is None)
    and confirm each chunk's delivery before the next (``result.produced`` counts only
    confirmed events, so it is true even when a later chunk fails)."""
    result = result if result is not None else ImportResult()
    chunk: list[tuple[int, bytes]] = []

    def run() -> None:
        verdicts = validate(feed, [v for _, v in chunk], now(), locator)
        sent = 0
        for (number, value), v in zip(chunk, verdicts, strict=True):
            if v.reason is None:
                if send is not None:
                    send(feed, value, _key(feed, value))
                sent += 1
            else:
                result.refused_count += 1
                if len(result.refused) < MAX_LISTED:
                    result.refused.append((number, v.reason, v.detail or ""))
        if send is not None:
            flush()
        result.produced += sent
        chunk.clear()

    for item in lines:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            run()
    if chunk:
        run()
    return result


def _key(feed: str, value: bytes) -> str | None:
    return entity_key(feed, orjson.loads(value))


def run_import(args: argparse.Namespace, settings: Settings, out: Callable[[str], None] = print) -> int:
    """Exit status: 0 when every line was produced, 1 when some were refused."""
    from geodata import load_boundaries

    if not args.file.is_file():
        raise SettingsError(str(args.file), "no such file")
    boundaries = load_boundaries(settings.boundaries, settings.boundaries_field)
    producer = None
    if not args.dry_run:
        settings.require_services()
        producer = FeedProducer(settings, linger_ms=20)
    result = ImportResult()
    try:
        lines = read_lines(args.file, args.feed, args.format)
        import_lines(lines, args.feed, boundaries, producer.send if producer else None,
                     producer.flush if producer else (lambda: None), result=result)
    except (UnicodeDecodeError, csv.Error, msgspec.DecodeError) as exc:
        raise SettingsError(str(args.file), f"cannot read it after {result.produced} events "
                                            f"were produced: {exc}") from None
    except DeliveryFailed as exc:
        raise SettingsError("MARVEC_KAFKA_BOOTSTRAP", f"{exc}; {result.produced} events were produced "
                            "before it; import the file again (duplicates are ignored)") from None
    finally:
        if producer is not None:
            producer.close()
    verb = "would produce" if args.dry_run else "produced"
    out(f"{args.file}: {verb} {result.produced} events to {settings.topics[args.feed]}; "
        f"refused {result.refused_count} lines")
    for number, reason, detail in result.refused:
        out(f"line {number}: {reason}: {detail}")
    if result.refused_count > len(result.refused):
        out(f"... and {result.refused_count - len(result.refused)} more refused lines")
    sys.stdout.flush()
    return 1 if result.refused_count else 0
