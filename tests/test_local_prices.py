"""The kecamatan sheet's local prices (issue #12): each market remembers the kecamatan it
was placed in, the snapshot gives each staple's median per kecamatan, and the sheet shows
it against the city's median, leaving out (never zeroing) a staple no market there reports."""

from __future__ import annotations

import time

import pytest
from feeds import LOSARI, UNHAS, price
from streamrig import fold_events, snap

from layers.district import local_prices
from marvec.i18n import translator
from tests.test_rapor import text_of

NOW = time.time()
def apply(client, events):
    return fold_events(client, "economy", events, NOW)


@pytest.mark.integration
def test_prices_by_kecamatan_are_the_median_of_the_markets_placed_there(redis_client) -> None:
    res = apply(redis_client, [
        price("Pasar Sentral", "beras", 14000, 3600, location=LOSARI),
        price("Pasar Butung", "beras", 15000, 3600, location=LOSARI),
        price("Pasar Butung", "beras", 15400, 60, location=LOSARI),  # newer: the latest counts
        price("Pasar Daya", "beras", 13000, 600, location=UNHAS),
        price("Pasar Tanpa Tempat", "beras", 12000, 600),  # no location: in no kecamatan
        price("Pasar Sentral", "gula_pasir", 18000, 600, location=LOSARI),
    ])
    assert res.accepted == 6
    s = snap(redis_client, NOW)
    beras = s.economy.prices["beras"]
    assert beras.markets == 4 and beras.latest_idr == 13500.0, "the city's median of all four"
    assert beras.by_kecamatan == {"Ujung Pandang": 14700.0, "Tamalanrea": 13000.0}
    assert beras.markets_by_kecamatan == {"Ujung Pandang": 2, "Tamalanrea": 1}
    assert s.economy.prices["gula_pasir"].by_kecamatan == {"Ujung Pandang": 18000.0}
    tr = translator("id")
    text = text_of(local_prices(s, "Ujung Pandang", tr, "id"))
    assert "Beras Rp 14.700/kg 2 pasar · +8,9% vs kota" in text, text
    assert "Gula pasir Rp 18.000/kg 1 pasar · ±0,0% vs kota" in text
    tama = text_of(local_prices(s, "Tamalanrea", tr, "id"))
    assert "Beras Rp 13.000/kg 1 pasar · -3,7% vs kota" in tama, tama
    assert "Gula" not in tama, "no market there reports sugar: left out, not 0"
    assert text_of(local_prices(s, "Wajo", tr, "id")) == "Belum ada harga dari pasar di kecamatan ini"
