"""``marvec import FILE --feed ...`` on a real broker (and, once, on to the snapshot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from feeds import complaint, price
from helpers import read_topic, wait_for
from streamrig import boundaries, running_consumer, snap

from marvec.cli import _parser, main
from streams.sources.importer import import_lines, read_lines, run_import

pytestmark = pytest.mark.integration


def _args(*argv: str) -> Any:
    return _parser().parse_args(["import", *argv])


def test_jsonl_lines_are_checked_produced_keyed_and_refused_by_line_number(
        make_settings: Any, tmp_path: Path) -> None:
    settings = make_settings(partitions=2)
    good = [complaint("C-1", "received", 600), complaint("C-1", "assigned", 300, opd="DPU"),
            complaint("C-2", "received", 60)]
    lines = [orjson.dumps(good[0]), b"", orjson.dumps(good[1]), b"{broken",
             orjson.dumps({**good[2], "event_id": ""}), orjson.dumps(good[2]),
             orjson.dumps(complaint("C-3", "received", -7200))]  # two hours ahead
    path = tmp_path / "backfill.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    out: list[str] = []
    assert run_import(_args(str(path), "--feed", "complaints"), settings, out.append) == 1
    assert out[0].endswith("produced 3 events to " + settings.topics["complaints"] + "; refused 3 lines")
    refused = out[1:]
    assert [r.split(":")[0] for r in refused] == ["line 4", "line 5", "line 7"]
    assert "invalid_json" in refused[0] and "schema" in refused[1] and "event_id" in refused[1]
    assert "future_time" in refused[2]
    records = read_topic(settings, settings.topics["complaints"], 3, timeout=15)
    assert sorted(orjson.loads(r.value)["event_id"] for r in records) == sorted(e["event_id"] for e in good)
    assert sorted(r.key for r in records) == [b"C-1", b"C-1", b"C-2"]


def test_csv_reads_numbers_locations_and_empty_cells(make_settings: Any, tmp_path: Path) -> None:
    settings = make_settings(partitions=1)
    a, b = price("Pasar Terong", "beras", 0, 60), price("Pasar Daya", "cabai_rawit", 0, 60)
    path = tmp_path / "harga.csv"
    path.write_text(
        "event_id,occurred_at,source,kind,market,commodity,unit,price_idr,lat,lon,kecamatan\n"
        f'{a["event_id"]},{a["occurred_at"]},pasar,price,Pasar Terong,beras,kg,"13,500",-5.1335,119.4237,\n'
        f'{b["event_id"]},{b["occurred_at"]},pasar,price,Pasar Daya,cabai_rawit,kg,45000,,,Biringkanaya\n'
        f'x-3,{b["occurred_at"]},pasar,price,Pasar Daya,cabai_rawit,kg,lima ribu,,,\n'
        ",,,,,,,,,,\n", encoding="utf-8")
    out: list[str] = []
    assert run_import(_args(str(path), "--feed", "economy"), settings, out.append) == 1
    assert "produced 2 events" in out[0] and "refused 1 lines" in out[0]
    assert out[1].startswith("line 4: schema:") and "price_idr" in out[1]
    values = sorted((orjson.loads(r.value) for r in read_topic(settings, settings.topics["economy"], 2)),
                    key=lambda v: v["market"])
    assert values[0]["market"] == "Pasar Daya" and values[0]["price_idr"] == 45000
    assert values[0]["kecamatan"] == "Biringkanaya" and "location" not in values[0]
    assert values[1]["price_idr"] == 13500
    assert values[1]["location"] == {"lat": -5.1335, "lon": 119.4237}
    assert "kecamatan" not in values[1]


def test_dry_run_checks_and_produces_nothing(make_settings: Any, tmp_path: Path) -> None:
    settings = make_settings(partitions=1)
    path = tmp_path / "x.jsonl"
    path.write_bytes(orjson.dumps(complaint("C-1", "received", 60)) + b"\n")
    out: list[str] = []
    assert run_import(_args(str(path), "--feed", "complaints", "--dry-run"), settings, out.append) == 0
    assert "would produce 1 events" in out[0]
    assert read_topic(settings, settings.topics["complaints"], 1, timeout=3) == []


def test_large_files_go_in_confirmed_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(complaint(f"C-{i}", "received", 60)) for i in range(4500)))
    sent: list[bytes] = []
    flushes: list[int] = []
    result = import_lines(read_lines(path, "complaints"), "complaints", boundaries(),
                          lambda feed, value, key: sent.append(value), lambda: flushes.append(len(sent)))
    assert result.produced == 4500 and result.refused_count == 0
    assert flushes == [2000, 4000, 4500]  # delivery confirmed chunk by chunk


def test_the_command_refuses_a_missing_file_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "/nonexistent/file.jsonl", "--feed", "complaints"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such file" in err[0]


def test_imported_events_reach_the_snapshot(make_settings: Any, redis_client: redis.Redis,
                                            tmp_path: Path) -> None:
    settings = make_settings(partitions=1)
    path = tmp_path / "rt-rw.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(complaint(f"RT-{i}", "received", 3600, category="roads"))
                                for i in range(7)))
    assert run_import(_args(str(path), "--feed", "complaints"), settings, lambda _: None) == 0
    with running_consumer(settings, redis_client):
        wait_for(lambda: snap(redis_client).complaints.by_category.get("roads") == 7, timeout=60,
                 message="imported complaints did not reach the snapshot")
