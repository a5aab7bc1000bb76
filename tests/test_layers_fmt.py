"""Number, money, time and text formatting (layers/fmt.py)."""

from __future__ import annotations

import pytest

from layers.fmt import (
    DASH,
    fmt_age,
    fmt_clock,
    fmt_count,
    fmt_dec,
    fmt_idr,
    fmt_idr_compact,
    fmt_idr_short,
    fmt_int,
    fmt_pct,
    fmt_signed,
    label,
    parse_time,
    shorten,
)


@pytest.mark.parametrize(("value", "id_text", "en_text"), [
    (0, "0", "0"),
    (999, "999", "999"),
    (1234, "1.234", "1,234"),
    (1234567, "1.234.567", "1,234,567"),
    (-45000, "-45.000", "-45,000"),
    (12.6, "13", "13"),
])
def test_fmt_int_groups_thousands_with_dots_in_indonesian(value, id_text, en_text):
    assert fmt_int(value) == id_text
    assert fmt_int(value, "en") == en_text


def test_fmt_dec_uses_comma_decimals_in_indonesian():
    assert fmt_dec(1234.56, 1) == "1.234,6"
    assert fmt_dec(1234.56, 1, "en") == "1,234.6"


def test_unknown_numbers_show_a_dash_not_zero():
    for fn in (fmt_int, fmt_dec, fmt_idr, fmt_idr_short, fmt_idr_compact, fmt_pct, fmt_signed, fmt_age):
        assert fn(None) == DASH
    assert fmt_clock(None) == DASH


def test_fmt_idr_full():
    assert fmt_idr(1234567) == "Rp 1.234.567"
    assert fmt_idr(14200.0) == "Rp 14.200"


@pytest.mark.parametrize(("value", "text"), [
    (1_234_567, "Rp 1,23 jt"),
    (2_000_000, "Rp 2 jt"),
    (4_812_350_000, "Rp 4,81 M"),
    (1.5e12, "Rp 1,5 T"),
    (45_000, "Rp 45 rb"),
    (850, "Rp 850"),
    (999_960, "Rp 1 jt"),
    (-2_500_000, "-Rp 2,5 jt"),
])
def test_fmt_idr_short_indonesian_units(value, text):
    assert fmt_idr_short(value) == text


def test_fmt_idr_short_english_units():
    assert fmt_idr_short(1_234_567, "en") == "Rp 1.23M"
    assert fmt_idr_short(4_812_350_000, "en") == "Rp 4.81B"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_one_amount_reads_the_same_on_every_screen(lang):
    # The wall's tile and the mayor's sheet use fmt_idr_short, the map and legend
    # fmt_idr_compact: the number itself must be the same (Rp 5,66 M, never Rp 6 M).
    for value in (5_660_000_000, 5_000_000_000, 1_234_567, 999_960, 45_500, 135_600_000, 812):
        assert fmt_idr_short(value, lang) == f"Rp {fmt_idr_compact(value, lang)}"
    assert fmt_idr_short(5_660_000_000) == "Rp 5,66 M"


@pytest.mark.parametrize(("value", "text"), [
    (135_600_000, "136 jt"), (67_800_000, "67,8 jt"), (4.81e9, "4,81 M"), (4.8e9, "4,8 M"),
    (1_000_000, "1 jt"), (999, "999"),
])
def test_fmt_idr_compact_three_significant_digits(value, text):
    assert fmt_idr_compact(value) == text


def test_fmt_pct_and_signed():
    assert fmt_pct(12.46) == "+12,5%"
    assert fmt_pct(-3.2) == "-3,2%"
    assert fmt_pct(0) == "±0,0%"
    assert fmt_pct(58, 0, signed=False) == "58%"
    assert fmt_pct(24.3, 0, "en") == "+24%"
    assert fmt_signed(1234) == "+1.234"
    assert fmt_signed(-3) == "-3"
    assert fmt_signed(0) == "±0"


def test_times_are_shown_on_the_wita_clock():
    assert fmt_clock("2026-11-02T06:02:00Z") == "14:02"
    assert fmt_clock("2026-11-02T14:02:09+08:00", seconds=True) == "14:02:09"
    assert fmt_clock("2026-11-02T07:02:00+01:00") == "14:02"
    assert parse_time("not a time") is None


@pytest.mark.parametrize(("seconds", "id_text", "en_text"), [
    (30, "<1 mnt", "<1 min"), (600, "10 mnt", "10 min"), (8100, "2 jam 15 mnt", "2 h 15 min"),
    (7200, "2 jam", "2 h"), (3 * 86400, "3 hari", "3 d"),
])
def test_fmt_age(seconds, id_text, en_text):
    assert fmt_age(seconds) == id_text
    assert fmt_age(seconds, "en") == en_text


def test_shorten_collapses_whitespace_and_cuts_at_a_word():
    text = "Got   tersumbat di depan rumah,\n air tergenang setinggi lutut sejak subuh"
    short = shorten(text, 40)
    assert len(short) <= 40
    assert short.endswith("…")
    assert "\n" not in short and "  " not in short
    assert shorten("pendek", 40) == "pendek"
    assert shorten(None) == ""


def test_shorten_never_escapes_or_strips_markup():
    payload = '<img src=x onerror="window.__xss=1">'
    assert shorten(payload, 200) == payload


def test_label_translates_or_falls_back_to_the_code():
    table = {"hazard.flood": "Banjir"}

    def tr(key: str) -> str:
        return table.get(key, key)

    assert label(tr, "hazard", "flood") == "Banjir"
    assert label(tr, "hazard", "volcano_ash") == "volcano ash"
    assert label(tr, "hazard", None) == DASH


def test_one_of_a_thing_is_singular_in_english_and_indonesian_has_no_plural():
    from marvec.i18n import translator

    en, id_ = translator("en"), translator("id")
    assert fmt_count(1, "incidents", en, "en") == "1 incident"
    assert fmt_count(2, "incidents", en, "en") == "2 incidents"
    assert fmt_count(1, "complaints", id_) == "1 aduan" and fmt_count(3, "complaints", id_) == "3 aduan"
    assert fmt_count(None, "incidents", en, "en") == "–"
