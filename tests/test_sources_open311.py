"""Open311 GeoReport v2, pure: a request that opens, gets an agency and closes; quirks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from streams.sources import open311

FIX = Path(__file__).parent / "fixtures" / "sources"


def _events(name: str, skipped: Counter[str] | None = None) -> list[dict]:
    return open311.events(open311.parse_requests((FIX / name).read_bytes()), skipped=skipped)


def test_open_assigned_closed_lifecycle():
    skipped: Counter[str] = Counter()
    first = _events("open311_open.json", skipped)
    assert [(e["complaint_id"], e["status"], e["category"]) for e in first] == [("638344", "received", "waste")]
    assert skipped == {"no_lat_long": 1}  # address only: skipped, counted
    second = _events("open311_assigned.json")
    assert [e["status"] for e in second] == ["received", "assigned"]
    assert second[0]["event_id"] == first[0]["event_id"]  # the same received event again
    assert second[1]["opd"] == "DLH"
    third = _events("open311_closed.json")
    assert [e["status"] for e in third] == ["received", "assigned", "resolved"]
    assert third[1]["event_id"] == second[1]["event_id"]
    assert third[2]["occurred_at"] == "2026-12-02T14:30:00+08:00"


def test_text_is_truncated_and_unknown_codes_are_other():
    req = {"service_request_id": "1", "status": "open", "service_code": "zzz", "lat": "-5.1",
           "long": "119.4", "description": "x" * 5000, "requested_datetime": "2026-12-02T08:00:00+08:00"}
    (ev,) = open311.events([req])
    assert len(ev["text"]) == 2000 and ev["category"] == "other"


def test_invalid_json_of_the_spec_example_is_one_line():
    with pytest.raises(open311.Open311FormatError) as exc:
        open311.parse_requests((FIX / "open311_invalid.json").read_bytes())
    assert "\n" not in str(exc.value) and "not JSON" in str(exc.value)


def test_category_table_from_a_csv_file(tmp_path):
    f = tmp_path / "codes.csv"
    f.write_text("service_code,category\n003,drainage\n")
    table = open311.load_categories(f)
    evs = open311.events(open311.parse_requests((FIX / "open311_open.json").read_bytes()), table)
    assert evs[0]["category"] == "drainage"
