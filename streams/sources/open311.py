"""Open311 GeoReport v2 ``requests.json`` -> complaints events. Pure functions.

``open`` -> ``received``; an ``open`` with ``agency_responsible`` also -> ``assigned``
(``opd`` = the agency); ``closed`` -> ``resolved``. ``service_code`` -> category through
``DEFAULT_CATEGORIES``, replaceable by a JSON object or a two-column CSV file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

CATEGORIES = {"roads", "drainage", "waste", "street_lighting", "water", "electricity",
              "public_order", "health", "education", "administration", "other"}
DEFAULT_CATEGORIES: dict[str, str] = {
    "001": "roads", "pothole": "roads", "jalan": "roads",
    "002": "drainage", "drain": "drainage", "drainase": "drainage", "banjir": "drainage",
    "003": "waste", "garbage": "waste", "sampah": "waste",
    "004": "street_lighting", "streetlight": "street_lighting", "pju": "street_lighting",
    "005": "water", "water": "water", "pdam": "water", "air": "water",
    "006": "electricity", "listrik": "electricity",
    "007": "public_order", "noise": "public_order", "ketertiban": "public_order",
    "008": "health", "kesehatan": "health",
    "009": "education", "pendidikan": "education",
    "010": "administration", "adminduk": "administration",
}
TEXT_MAX = 2000


class Open311FormatError(ValueError):
    """A GeoReport reply that is not the documented format."""


def load_categories(path: Path) -> dict[str, str]:
    """A JSON object or a CSV ``service_code,category`` file replacing the default table."""
    text = path.read_text(encoding="utf-8")
    table = (json.loads(text) if path.suffix.lower() == ".json"
             else {r[0].strip(): r[1].strip() for r in csv.reader(io.StringIO(text)) if len(r) >= 2})
    bad = sorted(v for v in table.values() if v not in CATEGORIES)
    if bad and bad != ["category"]:
        raise Open311FormatError(f"{path}: unknown categories {bad}; expected {sorted(CATEGORIES)}")
    return {str(k).lower(): v for k, v in table.items() if v in CATEGORIES}


def parse_requests(body: bytes | str) -> list[dict[str, Any]]:
    """The reply (a JSON list of service requests) or ``Open311FormatError`` in one line."""
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise Open311FormatError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                                 " (GeoReport's own example writes numbers like 006 unquoted)") from None
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise Open311FormatError("expected a JSON list of service requests")
    return doc


def _eid(rid: str, status: str, at: str) -> str:
    return f"o311-{hashlib.sha1(f'{rid}|{status}|{at}'.encode()).hexdigest()[:16]}"


def events(requests: list[dict[str, Any]], categories: dict[str, str] | None = None,
           skipped: Counter[str] | None = None) -> list[dict[str, Any]]:
    """Complaint events for each request; a skip's reason is counted in ``skipped``."""
    table = DEFAULT_CATEGORIES if categories is None else categories
    skipped = skipped if skipped is not None else Counter()
    out: list[dict[str, Any]] = []
    for r in requests:
        rid = str(r.get("service_request_id") or "")
        if not rid:
            skipped["no_service_request_id"] += 1
            continue
        try:
            loc = {"lat": float(r["lat"]), "lon": float(r["long"])}
        except (KeyError, TypeError, ValueError):
            skipped["no_lat_long"] += 1
            continue
        requested = str(r.get("requested_datetime") or "")
        updated = str(r.get("updated_datetime") or requested)
        try:
            datetime.fromisoformat(requested)
            datetime.fromisoformat(updated)
        except ValueError:
            skipped["bad_datetime"] += 1
            continue
        code = str(r.get("service_code") or "").lower()
        base = {"source": "open311", "complaint_id": rid, "location": loc}
        out.append({**base, "event_id": _eid(rid, "received", requested), "status": "received",
                    "occurred_at": requested, "category": table.get(code, "other"),
                    "text": str(r.get("description") or "")[:TEXT_MAX]})
        agency = str(r.get("agency_responsible") or "").strip()[:32]
        status = str(r.get("status") or "").lower()
        if agency:
            out.append({**base, "event_id": _eid(rid, "assigned", agency), "status": "assigned",
                        "occurred_at": updated if status == "open" else requested, "opd": agency})
        if status == "closed":
            out.append({**base, "event_id": _eid(rid, "resolved", updated), "status": "resolved",
                        "occurred_at": updated})
    return out
