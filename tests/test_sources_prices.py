"""Price tables, pure: a wide PIHPS CSV, '-' cells, Panel Harga JSON."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from streams.sources import prices

FIX = Path(__file__).parent / "fixtures" / "sources"


def test_names_and_numbers():
    assert prices.commodity_of("Cabai Rawit Merah") == ("cabai_rawit", "kg")
    assert prices.commodity_of("Beras Kualitas Medium I") == ("beras", "kg")
    assert prices.commodity_of("Minyak Goreng Curah") == ("minyak_goreng", "liter")
    assert prices.commodity_of("Telur Ayam Ras Segar") == ("telur_ayam", "kg")
    assert prices.commodity_of("Ikan Bandeng") is None
    assert prices.parse_idr("16,650") == 16650
    assert prices.parse_idr("-") is None
    with pytest.raises(prices.PriceFormatError):
        prices.parse_idr("abc")


def test_wide_pihps_csv_one_event_per_cell_dash_is_none():
    evs = prices.parse_pihps_csv((FIX / "pihps_makassar.csv").read_text(), "PIHPS Kota Makassar")
    cells = {(e["commodity"], e["occurred_at"][:10]): e["price_idr"] for e in evs}
    assert cells[("cabai_rawit", "2026-12-01")] == 72500
    assert ("cabai_rawit", "2026-12-02") not in cells
    assert cells[("beras", "2026-12-02")] == 13900
    assert len(evs) == 9  # 5 mapped commodities x 2 dates - 1 dash; bandeng skipped
    assert evs[0]["occurred_at"] == "2026-12-01T12:00:00+08:00"
    assert len({e["event_id"] for e in evs}) == 9
    assert evs == prices.parse_pihps_csv((FIX / "pihps_makassar.csv").read_text(), "PIHPS Kota Makassar")


def test_panel_harga_json_today_and_yesterday():
    evs = prices.parse_json((FIX / "panelharga.json").read_bytes(), "Panel Harga Kota Makassar",
                            date(2026, 12, 2))
    got = sorted((e["commodity"], e["occurred_at"][:10], e["price_idr"]) for e in evs)
    assert got == [("bawang_putih", "2026-12-01", 38500), ("cabai_rawit", "2026-12-01", 73100),
                   ("cabai_rawit", "2026-12-02", 74200)]
