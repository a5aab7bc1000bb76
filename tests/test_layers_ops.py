"""The level badge, the wall's alert strip, the acknowledge list and the log (pure)."""

from __future__ import annotations

from layers.ops import STRIP_N, alert_list, alert_strip, crisis_level, level_badge, log_list
from marvec.i18n import translator
from marvec.snapshot import AlertItem, Ops
from marvec.timeutil import iso
from tests.snapshot_fixtures import rich_snapshot
from tests.test_layers_status import text_of

NOW = 1_795_400_000.0
TR, EN = translator("id"), translator("en")


def alert(fp: str, severity: str = "critical", ago: float = 30.0, **kw) -> AlertItem:
    return AlertItem(fingerprint=fp, rule="incident_severe", status=kw.pop("status", "firing"),
                     severity=severity, summary=f"Banjir {fp} di Tallo", summary_en=f"Flood {fp} in Tallo",
                     starts_at=iso(NOW - ago), **kw)


def with_ops(**kw):
    return rich_snapshot(NOW).model_copy(update={"ops": Ops(**kw)})


def test_the_level_badge_names_the_level_its_reason_and_since_when():
    snap = with_ops(level="siaga", level_reason="Air Sungai Tallo naik", level_set_by="bpbd",
                    level_set_at=iso(NOW - 600))
    badge = level_badge(snap, TR, "id", large=True)
    assert text_of(badge).startswith("SIAGAAir Sungai Tallo naiksejak ")
    assert "level-siaga" in badge.className and "large" in badge.className
    assert text_of(level_badge(snap, EN, "en")).startswith("STANDBY")
    assert text_of(level_badge(with_ops(), TR, "id")) == "NORMAL"
    assert crisis_level(snap) and crisis_level(with_ops(level="awas"))
    assert not crisis_level(with_ops(level="waspada")) and not crisis_level(None)


def test_the_strip_puts_critical_first_marks_new_ones_and_caps_the_rest():
    alerts = [alert("w1", "warning", 20), alert("c-old", "critical", 3600), alert("c-new", "critical", 10)]
    alerts += [alert(f"w{i}", "warning", 100 + i) for i in range(2, 6)]
    strip = alert_strip(with_ops(alerts=alerts), TR, "id", NOW)
    items = strip.children
    fps = [getattr(i, "data-fingerprint", None) for i in items[:STRIP_N]]
    assert fps == ["c-new", "c-old"]
    assert "new" in items[0].className and "new" not in items[1].className  # an hour old
    assert getattr(strip, "data-critical-new") == "c-new"  # the chime's cue: new and critical
    assert text_of(items[-1]) == "+5 lainnya"
    assert "KRITIS" in text_of(items[0]) and "Banjir c-new di Tallo" in text_of(items[0])
    assert text_of(alert_strip(with_ops(), TR, "id", NOW)) == ""


def test_an_acknowledged_alert_says_by_whom_and_no_longer_pulses():
    a = alert("c1", ago=5, acknowledged_by="kepala.bpbd", acknowledged_at=iso(NOW - 2))
    strip = alert_strip(with_ops(alerts=[a]), TR, "id", NOW)
    assert "new" not in strip.children[0].className
    assert "diterima kepala.bpbd" in text_of(strip)
    assert getattr(strip, "data-critical-new") == ""


def test_the_list_offers_acknowledge_only_to_roles_that_may():
    snap = with_ops(alerts=[alert("c1"), alert("r1", status="resolved", ends_at=iso(NOW - 60))])
    can = alert_list(snap, TR, "id", NOW, can_ack=True)
    buttons = [c for row in can.children.children for c in row.children if getattr(c, "id", None)]
    assert [b.id for b in buttons] == [{"type": "alert-ack", "fp": "c1"}]
    cannot = alert_list(snap, TR, "id", NOW, can_ack=False)
    assert "belum diterima" in text_of(cannot) and "SELESAI" in text_of(cannot)
    assert text_of(alert_list(with_ops(), EN, "en", NOW, can_ack=True)) == "No alerts firing"


def test_the_log_reads_newest_first_with_time_and_who():
    log = [{"at": iso(NOW - 10), "kind": "level", "by": "bpbd", "level": "siaga", "text": "Tallo naik"},
           {"at": iso(NOW - 20), "kind": "ack", "by": "bpbd", "text": "Banjir di Tallo"},
           {"at": iso(NOW - 30), "kind": "alert_firing", "by": "marvec", "text": "Banjir di Tallo",
            "text_en": "Flood in Tallo"},
           {"at": iso(NOW - 40), "kind": "note", "by": "operator1", "text": "Pompa Pannampu dicek"}]
    rows = log_list(with_ops(log=log), TR, "id").children
    assert [text_of(r.children[2]) for r in rows] == [
        "Status kota menjadi SIAGA: Tallo naik", "Diterima: Banjir di Tallo",
        "Peringatan: Banjir di Tallo", "Pompa Pannampu dicek"]
    assert [text_of(r.children[1]) for r in rows] == ["bpbd", "bpbd", "marvec", "operator1"]
    assert text_of(log_list(with_ops(log=log), EN, "en").children[2].children[2]) == "Alert: Flood in Tallo"


def test_level_changes_and_critical_alerts_are_marked_on_the_hourly_sparklines():
    from layers.kpi import KPI_BY_KEY, sparkline_marks
    from layers.tiles import sparkline

    snap = rich_snapshot(NOW)
    starts = snap.trends.hour_starts
    assert len(starts) == 24
    from datetime import datetime
    h5 = datetime.fromisoformat(starts[5]).timestamp()
    h20 = datetime.fromisoformat(starts[20]).timestamp()
    log = [{"at": iso(h5 + 600), "kind": "level", "by": "bpbd", "level": "siaga"},
           {"at": iso(h20 + 60), "kind": "alert_firing", "by": "marvec", "severity": "critical", "text": "x"},
           {"at": iso(h20 + 90), "kind": "alert_firing", "by": "marvec", "severity": "warning", "text": "y"},
           {"at": iso(h20 + 120), "kind": "note", "by": "op", "text": "z"}]
    marked = snap.model_copy(update={"ops": Ops(log=log)})
    trend = KPI_BY_KEY["complaints.open"].trend
    assert sparkline_marks(marked, trend) == [5, 20]
    assert sparkline_marks(snap, trend) == []  # nothing in the log: no marks
    bars = sparkline([1.0] * 24, marks=[5, 20]).children
    assert [i for i, b in enumerate(bars) if "mark" in (getattr(b, "className", None) or "")] == [5, 20]
