"""PIHPS wide tables and Panel Harga JSON -> economy ``price`` events. Pure functions.

PIHPS: one row per commodity, one column per ``dd/mm/yyyy`` date, values like ``"16,650"``
(a thousands comma) and ``"-"`` for none. Panel Harga: a JSON list of ``{"name", "satuan",
"today", "yesterday", ...}``. Each observation is stamped at 12:00 WITA of its date.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

WITA = timezone(timedelta(hours=8))
_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")

# Indonesian name prefixes (lower case) -> contract commodity, unit. First match wins.
COMMODITIES: list[tuple[str, str, str]] = [
    ("cabai rawit", "cabai_rawit", "kg"),
    ("cabai merah", "cabai_merah", "kg"),
    ("bawang merah", "bawang_merah", "kg"),
    ("bawang putih", "bawang_putih", "kg"),
    ("beras", "beras", "kg"),
    ("gula pasir", "gula_pasir", "kg"),
    ("minyak goreng", "minyak_goreng", "liter"),
    ("daging ayam", "daging_ayam", "kg"),
    ("daging sapi", "daging_sapi", "kg"),
    ("telur ayam", "telur_ayam", "kg"),
]


class PriceFormatError(ValueError):
    """A price table that is not the documented format."""


def commodity_of(name: str) -> tuple[str, str] | None:
    """``"Cabai Rawit Merah"`` -> (``cabai_rawit``, ``kg``); None for a name not in the table."""
    low = " ".join(name.lower().split())
    for prefix, commodity, unit in COMMODITIES:
        if low.startswith(prefix):
            return commodity, unit
    return None


def parse_idr(value: Any) -> int | None:
    """``"16,650"`` -> 16650; ``"-"``, ``""`` or 0 -> None (no observation, never a zero)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if value > 0 else None
    text = str(value).strip().replace("Rp", "").replace(".", ",").replace(",", "").strip()
    if text in ("", "-"):
        return None
    if not text.isdigit():
        raise PriceFormatError(f"price {value!r} is not a number like '16,650' or '-'")
    return int(text) or None


def _event(market: str, commodity: str, unit: str, day: date, price: int) -> dict[str, Any]:
    at = datetime(day.year, day.month, day.day, 12, tzinfo=WITA)
    digest = hashlib.sha1(market.encode()).hexdigest()[:8]
    return {"event_id": f"price-{digest}-{commodity}-{day:%Y%m%d}", "occurred_at": at.isoformat(),
            "source": "pasar", "kind": "price", "commodity": commodity, "unit": unit,
            "price_idr": price, "market": market}


def wide_rows(rows: list[dict[str, Any]], market: str, name_field: str | None = None) -> list[dict[str, Any]]:
    """Wide rows (name + one column per ``dd/mm/yyyy``) -> price events; unknown names skipped."""
    out = []
    for row in rows:
        key = name_field or next((k for k in row if not _DATE.match(str(k).strip())
                                  and k.lower() not in ("no", "no.")), None)
        mapped = commodity_of(str(row.get(key, ""))) if key else None
        if mapped is None:
            continue
        for col, value in row.items():
            m = _DATE.match(str(col).strip())
            price = parse_idr(value) if m else None
            if m and price is not None:
                day = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
                out.append(_event(market, *mapped, day, price))
    return out


def parse_pihps_csv(text: str, market: str) -> list[dict[str, Any]]:
    """A PIHPS CSV export (comma or semicolon separated) -> price events."""
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    return wide_rows(list(csv.DictReader(io.StringIO(text), dialect=dialect)), market)


def parse_json(body: bytes | str, market: str, today: date) -> list[dict[str, Any]]:
    """PIHPS JSON (list of wide rows) or Panel Harga JSON (``name``/``today``/``yesterday``)."""
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise PriceFormatError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    rows = doc.get("data", doc) if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise PriceFormatError("expected a list of rows (or {\"data\": [...]})")
    if rows and isinstance(rows[0], dict) and "today" in rows[0]:
        out = []
        for row in rows:
            mapped = commodity_of(str(row.get("name", "")))
            for day, field in ((today, "today"), (today - timedelta(days=1), "yesterday")):
                price = parse_idr(row.get(field))
                if mapped and price is not None:
                    out.append(_event(market, *mapped, day, price))
        return out
    return wide_rows(rows, market)
