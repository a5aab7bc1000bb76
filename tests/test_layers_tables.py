"""Ticker, report card, prices, hotspots, district detail, incident cards, legend, labels."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly
import pytest

from layers.district import district_detail, hotspot_list, hotspots
from layers.geo import flood_complaints
from layers.incidents import filter_incidents, incident_card, sort_incidents, timeline, totals
from layers.legend import map_legend
from layers.palette import shade_classes
from layers.panels import focus_panel
from layers.report import opd_ranking, price_table, report_card
from layers.ticker import ticker
from marvec.contract import (
    COMMODITIES,
    COMPLAINT_CATEGORIES,
    COMPLAINT_STATUSES,
    HAZARDS,
    INCIDENT_STATUSES,
)
from marvec.i18n import LANGS, TEXTS, translate, translator
from tests.snapshot_fixtures import XSS_IMG, XSS_SCRIPT, rich_snapshot, with_crisis, with_xss
from tests.test_layers_status import text_of

NOW = 1_795_000_000.0
TR = translator("id")
EN = translator("en")


@pytest.fixture(scope="module")
def snap():
    return with_crisis(rich_snapshot(NOW), NOW)


def serialised(component) -> str:
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder)


# -- ticker and untrusted text -----------------------------------------------------------
def test_ticker_lists_the_newest_events_with_translated_labels(snap):
    items = ticker(snap, TR, limit=3)
    assert len(items) == 3
    assert "Bencana" in text_of(items[0])  # disasters first (layers.ticker.select)
    complaint = next(text_of(i) for i in items if "Aduan" in text_of(i))
    assert "Drainase" in complaint and "diterima" in complaint
    assert "Got tersumbat" in complaint


def test_ticker_shortens_citizen_text(snap):
    long = snap.model_copy(update={"ticker": [snap.ticker[0].model_copy(update={"text": "kata " * 100})]})
    [item] = ticker(long, TR, text_limit=40)
    assert len(item.children[-1].children) <= 42


def test_script_payloads_stay_plain_text_everywhere(snap):
    xss = with_xss(snap)
    trees = [ticker(xss, TR), price_table(xss, TR, "id"), focus_panel(xss, "economy", TR, "id", NOW)]
    trees += [incident_card(i, TR, "id", NOW, flood_complaints(xss, 1500).get(i.incident_id, []), 1500)
              for i in xss.disasters.incidents]
    text = "".join(text_of(t) for t in trees)
    assert XSS_IMG in text and XSS_SCRIPT in text  # shown, as text
    for tree in trees:
        blob = serialised(tree)
        assert "dangerously" not in blob.lower() and "Markdown" not in blob


def test_empty_ticker_says_so():
    assert text_of(ticker(None, TR)) == "Belum ada kejadian"


# -- mayor tables --------------------------------------------------------------------------
def test_opd_report_card_is_worst_first(snap):
    ranked = [r.opd for r in opd_ranking(snap)]
    assert ranked[0] == "DPU"  # most overdue
    overdue = [snap.complaints.by_opd[o].overdue for o in ranked]
    assert overdue == sorted(overdue, reverse=True)
    table = report_card(snap, TR, "id")
    assert "61,5 jam" in text_of(table) and "58%" in text_of(table)


def test_opd_ties_on_overdue_break_on_sla_share():
    from marvec.snapshot import OpdStats
    snap = rich_snapshot(NOW)
    snap = snap.model_copy(update={"complaints": snap.complaints.model_copy(update={"by_opd": {
        "A": OpdStats(open=5, overdue=1, within_sla_share=0.9),
        "B": OpdStats(open=5, overdue=1, within_sla_share=0.5),
        "C": OpdStats(open=50, overdue=1, within_sla_share=None),
    }})})
    assert [r.opd for r in opd_ranking(snap)] == ["B", "A", "C"]


def test_unassigned_complaints_are_a_row_of_their_own_first_when_worst():
    from marvec.snapshot import OpdStats
    snap = rich_snapshot(NOW)
    worst = max(v.overdue for v in snap.complaints.by_opd.values())
    c = snap.complaints.model_copy(update={"unassigned": OpdStats(open=247, overdue=worst + 3)})
    snap = snap.model_copy(update={"complaints": c})
    ranked = opd_ranking(snap)
    assert ranked[0].opd == "" and ranked[0].stats.open == 247
    rows = report_card(snap, TR, "id").children[1].children
    assert text_of(rows[0]).startswith("Belum didisposisi247")
    assert text_of(report_card(snap, translator("en"), "en").children[1].children[0]).startswith("Not yet assigned")
    c = snap.complaints.model_copy(update={"unassigned": OpdStats(open=2, overdue=0)})
    ranked = opd_ranking(snap.model_copy(update={"complaints": c}))
    assert ranked[0].opd != "" and "" in [r.opd for r in ranked]  # a row, not first when not worst


def test_price_table_flags_rises_over_ten_percent(snap):
    table = price_table(snap, TR, "id")
    rows = table.children[1].children
    assert rows[0].to_plotly_json()["props"]["data-commodity"] == "cabai_rawit"
    assert "naik >10%" in text_of(rows[0]) and "Rp 68.000" in text_of(rows[0])
    assert "naik >10%" not in text_of(rows[-1])


def test_hotspots_rank_incidents_then_open_complaints(snap):
    spots = hotspots(snap)
    assert len(spots) == 15
    assert spots[0].incidents >= spots[-1].incidents
    with_incidents = [h for h in spots if h.incidents]
    assert with_incidents == spots[: len(with_incidents)]
    buttons = hotspot_list(snap, TR, "id", lambda n: {"type": "hot", "name": n}).children
    assert buttons[0].id == {"type": "hot", "name": spots[0].name}


def test_district_detail_shows_categories_incidents_and_transactions(snap):
    detail = district_detail(snap, "Manggala", TR, "id", NOW, "close")
    text = text_of(detail)
    assert "Manggala" in text and "Drainase" in text and "Banjir" in text
    assert "transaksi" in text
    assert "Rp 610 jt" in text or "Rp 610" in text


# -- crisis --------------------------------------------------------------------------------
def test_incidents_sorted_by_severity_then_oldest_first(snap):
    ordered = sort_incidents(list(reversed(snap.disasters.incidents)))
    sev = [i.severity for i in ordered]
    assert sev == sorted(sev, reverse=True)
    threes = [i for i in ordered if i.severity == 3]
    assert threes[0].occurred_at <= threes[1].occurred_at


def test_filters_by_hazard_and_kecamatan(snap):
    incs = snap.disasters.incidents
    assert {i.hazard for i in filter_incidents(incs, ["flood"])} == {"flood"}
    assert [i.kecamatan for i in filter_incidents(incs, None, ["Tallo"])] == ["Tallo"]
    assert filter_incidents(incs, [], []) == list(incs)
    assert filter_incidents(incs, ["fire"], ["Manggala"]) == []


def test_incident_card_has_impact_measure_and_timeline(snap):
    flood = snap.disasters.incidents[0]
    near = flood_complaints(snap, 1500).get(flood.incident_id, [])
    card = incident_card(flood, TR, "id", NOW, near, 1500)
    text = text_of(card)
    assert "Banjir" in text and "Biringkanaya" in text and "ditangani" in text
    assert "2.300 terdampak" in text and "760 mengungsi" in text and "tinggi air 180 cm" in text
    assert text_of(timeline(flood, TR).children[0]).endswith("dilaporkan(3)")


def test_near_flood_complaints_are_listed_with_the_flood(snap):
    manggala = next(i for i in snap.disasters.incidents if i.incident_id == "d-flood-1")
    near = flood_complaints(snap, 1500)[manggala.incident_id]
    text = text_of(incident_card(manggala, TR, "id", NOW, near, 1500))
    assert re.search(r"\d+ aduan banjir/drainase dalam 1,5 km", text)


def test_totals_row(snap):
    text = [text_of(t) for t in totals(snap.disasters, TR, "id")]
    assert text[0] == f"{snap.disasters.active}Insiden aktif"
    assert text_of(totals(None, TR, "id")).count("–") == 5


def test_legend_lists_classes_and_symbols():
    classes = shade_classes([0, 57], ("#1", "#2", "#3", "#4", "#5"))
    items = [text_of(i) for i in map_legend(classes, "complaints", TR, "id", near=True)]
    assert items[0] == "nihil" and items[1] == "1–15"
    assert items[-1] == TR("map.legend.near")
    money = [text_of(i) for i in map_legend(shade_classes([6e8], ("#1", "#2", "#3", "#4", "#5")), "economy", TR, "id")]
    assert money[1] == "0–150 jt"


# -- labels --------------------------------------------------------------------------------
def test_every_label_exists_in_both_languages():
    for key, pair in TEXTS.items():
        assert len(pair) == len(LANGS) and all(p.strip() for p in pair), key
        assert re.findall(r"{\w+}", pair[0]) == re.findall(r"{\w+}", pair[1]), key


@pytest.mark.parametrize(("group", "codes"), [
    ("cat", COMPLAINT_CATEGORIES), ("hazard", HAZARDS), ("istatus", INCIDENT_STATUSES),
    ("cstatus", COMPLAINT_STATUSES), ("commodity", COMMODITIES),
])
def test_every_contract_code_has_a_label(group, codes):
    for code in codes:
        assert f"{group}.{code}" in TEXTS


def test_every_key_used_in_the_code_is_in_the_table():
    root = Path(__file__).resolve().parents[1]
    used = set()
    for path in [*root.glob("layers/*.py"), *root.glob("dashboard/**/*.py")]:
        used |= set(re.findall(r"""tr\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text()))
    assert used, "the scan found no keys"
    assert sorted(k for k in used if k not in TEXTS and not k.endswith(".")) == []


def test_translate_falls_back_to_the_key_and_to_indonesian():
    assert translate("no.such.key", "en") == "no.such.key"
    assert translate("nav.wall", "fr") == translate("nav.wall", "id")
    assert EN("nav.crisis") == "Crisis team"
