"""The wall's ticker (layers/ticker): one line per entity per minute, disasters first,
prices with value and change, transactions with the amount."""

from __future__ import annotations

from layers.ticker import DISASTER_SHARE, dedupe, select, ticker
from marvec.i18n import translator
from marvec.snapshot import Price, TickerItem
from marvec.timeutil import iso
from tests.snapshot_fixtures import FakeBoundaries, rich_snapshot
from tests.test_layers_status import text_of

NOW = 1_795_000_000.0
TR = translator("id")


def tick(feed: str, ago: float, kind: str, title: str, k: str | None = "Tallo", text: str | None = None) -> TickerItem:
    return TickerItem(feed=feed, at=iso(NOW - ago), kind=kind, title=title, text=text, kecamatan=k)


def complaint(ago: float, n: int = 0) -> TickerItem:
    return tick("complaints", ago, "received", "drainage", "Manggala", f"got tersumbat {n}")


def test_one_line_per_entity_per_minute_newest_kept():
    minute = NOW - NOW % 60  # the start of a minute: 10 s and 50 s into it share it
    items = [  # newest first, as the snapshot holds them
        TickerItem(feed="economy", at=iso(minute + 50), kind="price", title="cabai_rawit", text="Pasar Terong"),
        TickerItem(feed="economy", at=iso(minute + 40), kind="price", title="cabai_rawit", text="Pasar Daya"),
        TickerItem(feed="economy", at=iso(minute + 30), kind="price", title="beras", text="Pasar Daya"),
        TickerItem(feed="economy", at=iso(minute + 20), kind="transactions", title="kuliner", kecamatan="Tallo"),
        TickerItem(feed="economy", at=iso(minute + 10), kind="transactions", title="kuliner", kecamatan="Tallo"),
        TickerItem(feed="economy", at=iso(minute + 10), kind="transactions", title="kuliner", kecamatan="Wajo"),
        TickerItem(feed="economy", at=iso(minute - 10), kind="price", title="cabai_rawit", text="Pasar Terong"),
        TickerItem(feed="disasters", at=iso(minute + 5), kind="responding", title="flood", kecamatan="Tallo"),
        TickerItem(feed="disasters", at=iso(minute + 1), kind="verified", title="flood", kecamatan="Tallo"),
    ]
    kept = dedupe(items)
    assert [(i.title, i.text or i.kecamatan, i.at) for i in kept] == [
        ("cabai_rawit", "Pasar Terong", iso(minute + 50)),  # newest of the minute's two chilli lines
        ("beras", "Pasar Daya", iso(minute + 30)),
        ("kuliner", "Tallo", iso(minute + 20)),
        ("kuliner", "Wajo", iso(minute + 10)),  # another kecamatan: another entity
        ("cabai_rawit", "Pasar Terong", iso(minute - 10)),  # the minute before: its own line
        ("flood", "Tallo", iso(minute + 5)),  # newest status of the incident
    ]


def test_different_complaints_in_one_minute_are_all_kept():
    assert len(dedupe([complaint(1, 1), complaint(2, 2), complaint(3, 2)])) == 2


def test_a_burst_of_complaints_does_not_drown_the_disasters():
    items = [complaint(i, i) for i in range(40)]
    items += [tick("disasters", 100, "responding", "flood", "Manggala"), tick("disasters", 300, "reported", "fire")]
    lines = select(items, 5)
    assert len(lines) == 5
    assert [i.feed for i in lines[:2]] == ["disasters", "disasters"]  # first, though older
    assert sum(i.feed == "complaints" for i in lines) == 3


def test_disasters_take_at_most_their_share_while_others_have_news():
    items = [tick("disasters", 10 + i, "responding", "flood", f"K{i}") for i in range(8)]
    items += [complaint(5, 1), complaint(6, 2), complaint(8, 3), tick("economy", 7, "price", "beras", None, "Pasar Daya")]
    lines = select(items, 6)
    assert sum(i.feed == "disasters" for i in lines) == round(6 * DISASTER_SHARE) == 3
    assert {i.feed for i in lines[3:]} == {"complaints", "economy"}
    few = select(items[:9], 6)  # one other line: disasters fill the rest
    assert [i.feed for i in few] == ["disasters"] * 5 + ["complaints"]
    only = select(items[:8], 6)  # nothing else: disasters fill the ticker
    assert [i.feed for i in only] == ["disasters"] * 6


def test_economy_and_complaints_take_turns_after_the_disasters():
    items = [complaint(i, i) for i in range(10)]
    items += [tick("economy", 500 + i, "price", c, None, "Pasar Terong") for i, c in enumerate(("beras", "telur_ayam"))]
    lines = select(items, 5)
    assert sum(i.feed == "economy" for i in lines) == 2  # old prices still get lines
    assert sum(i.feed == "complaints" for i in lines) == 3
    assert [i.feed for i in lines] == ["economy", "complaints"] * 2 + ["complaints"]  # in turn, price first
    assert [i.title for i in lines if i.feed == "economy"] == ["beras", "telur_ayam"]  # each feed newest first


def _prices_snapshot(**price):
    snap = rich_snapshot(NOW, FakeBoundaries())
    prices = {"cabai_rawit": Price(latest_idr=72_500, markets=4, **price)}
    items = [tick("economy", 10, "price", "cabai_rawit", None, "Pasar Terong"),
             tick("economy", 20, "transactions", "kuliner", "Tamalate"),
             tick("economy", 30, "price", "bawang_putih", None, "Pasar Daya")]
    economy = snap.economy.model_copy(update={"prices": prices, "by_merchant_category": {"kuliner": 1_340_000_000}})
    return snap.model_copy(update={"economy": economy, "ticker": items})


def test_price_line_carries_value_and_change_and_unknown_price_is_a_dash():
    snap = _prices_snapshot(change_1d_pct=3.2, change_7d_pct=9.0)
    lines = [text_of(d) for d in ticker(snap, TR, limit=5)]
    chilli = next(t for t in lines if "Cabai rawit" in t)
    assert "Pasar Terong" in chilli and "Rp 72.500" in chilli and "▲ +3,2% vs kemarin" in chilli
    garlic = next(t for t in lines if "Bawang putih" in t)
    assert garlic.endswith("Pasar Daya–")  # no price known: "–", never Rp 0
    tx = next(t for t in lines if "transaksi" in t)
    assert "Kuliner" in tx and "Tamalate" in tx and "Rp 1,34 M hari ini" in tx
    week = text_of(ticker(_prices_snapshot(change_7d_pct=-4.0), TR, limit=1)[0])
    assert "▼ -4,0% vs 7 hari lalu" in week
    flat = text_of(ticker(_prices_snapshot(), TR, limit=1)[0])
    assert flat.endswith("Rp 72.500")  # no change known: none shown
    en = text_of(ticker(_prices_snapshot(change_1d_pct=3.2), translator("en"), limit=1, lang="en")[0])
    assert "Bird's-eye chilli" in en and "Rp 72,500" in en and "+3.2% vs yesterday" in en


def test_fixture_ticker_puts_the_flood_first_and_keeps_citizen_text_short():
    snap = rich_snapshot(NOW, FakeBoundaries())
    lines = ticker(snap, TR, limit=5, text_limit=30)
    texts = [text_of(d) for d in lines]
    assert len(lines) == 5
    assert "Bencana" in texts[0] and "Banjir" in texts[0] and "Manggala" in texts[0]
    quotes = [d.children[-1].children for d in lines if "tick-text" in d.children[-1].className]
    assert quotes and all(len(q) <= 32 for q in quotes)
    assert text_of(ticker(None, TR)) == "Belum ada kejadian"
