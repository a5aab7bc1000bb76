"""Alert rules: what to watch in the snapshot, when it alerts, and what it says.

A rule names a *measure* (``MEASURES``: a value read from the snapshot, city-wide or one
per incident, feed, OPD, kecamatan or commodity, each with its labels), compares it
with a threshold (one for all, or per label value), waits ``for`` seconds before firing,
and has a severity and a summary in Indonesian and English (``{value}`` and the labels
fill the templates). The built-in defaults cover contract 6; ``MARVEC_ALERT_RULES``
names a TOML file that replaces them (docs/alerts.md has the format). A bad file stops
the command at start with one line naming the rule and why.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marvec.errors import SettingsError

__all__ = ["MEASURES", "OPS", "SEVERITIES", "Rule", "default_rules", "load_rules"]

MEASURES: dict[str, tuple[str, ...]] = {
    "incident.severity": ("incident_id", "hazard", "kecamatan"),
    "incident.affected_people": ("incident_id", "hazard", "kecamatan"),
    "incident.displaced": ("incident_id", "hazard", "kecamatan"),
    "disasters.displaced": (),
    "disasters.affected_people": (),
    "feed.silent_s": ("feed",),
    "complaints.overdue": (),
    "complaints.open": (),
    "complaints.overdue_by_opd": ("opd",),
    "complaints.open_by_kecamatan": ("kecamatan",),
    "complaints.open_by_category": ("category",),
    "price.change_1d_pct": ("commodity",),
    "price.change_7d_pct": ("commodity",),
}
"""Measure -> the labels each of its values carries (see ``marvec.alerts.evaluate``)."""
OPS = (">", ">=", "<", "<=")
SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class Rule:
    name: str
    measure: str
    op: str
    threshold: float
    severity: str
    summary_id: str
    summary_en: str
    for_s: float = 0.0
    thresholds: dict[str, float] = field(default_factory=dict)
    """Per value of the measure's first label (e.g. per commodity), overriding ``threshold``."""
    match: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Only values whose labels are among these (e.g. ``hazard = ["flood"]``)."""

    def threshold_for(self, labels: dict[str, str]) -> float:
        first = MEASURES[self.measure][:1]
        return self.thresholds.get(labels.get(first[0], ""), self.threshold) if first else self.threshold

    def breached(self, value: float, labels: dict[str, str]) -> bool:
        t = self.threshold_for(labels)
        return {">": value > t, ">=": value >= t, "<": value < t, "<=": value <= t}[self.op]

    def matches(self, labels: dict[str, str]) -> bool:
        return all(labels.get(k) in allowed for k, allowed in self.match.items())


# Day-on-day moves well beyond each staple's normal daily volatility (DOMAIN: about 2% for
# rice, 8% cooking oil, 18% shallots, 22-25% chillies), and seven-day ones.
_DAY_THRESHOLDS = {"cabai_rawit": 30.0, "cabai_merah": 30.0, "bawang_merah": 25.0, "bawang_putih": 15.0,
                   "minyak_goreng": 10.0, "beras": 5.0, "gula_pasir": 5.0, "daging_sapi": 5.0,
                   "daging_ayam": 10.0, "telur_ayam": 10.0}
_WEEK_THRESHOLDS = {"cabai_rawit": 40.0, "cabai_merah": 40.0, "bawang_merah": 30.0, "beras": 5.0}


def default_rules(stale_after_s: float) -> list[Rule]:
    """Contract 6's defaults: a severe incident, a silent feed, overdue complaints, price jumps."""
    return [
        Rule("incident_severe", "incident.severity", ">=", 4, "critical",
             "Insiden {hazard} tingkat {value} di {kecamatan} ({incident_id})",
             "{hazard} incident at severity {value} in {kecamatan} ({incident_id})"),
        Rule("feed_silent", "feed.silent_s", ">", float(stale_after_s), "warning",
             "Feed {feed} diam selama {value} detik",
             "Feed {feed} silent for {value} s"),
        Rule("complaints_overdue", "complaints.overdue", ">", 50, "warning",
             "{value} aduan melewati batas waktu", "{value} complaints past their deadline",
             for_s=600),
        Rule("price_jump_day", "price.change_1d_pct", ">", 10.0, "warning",
             "Harga {commodity} naik {value}% dari kemarin",
             "{commodity} price up {value}% on yesterday", thresholds=dict(_DAY_THRESHOLDS)),
        Rule("price_jump_week", "price.change_7d_pct", ">", 20.0, "warning",
             "Harga {commodity} naik {value}% dalam 7 hari",
             "{commodity} price up {value}% in 7 days", thresholds=dict(_WEEK_THRESHOLDS)),
    ]


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, str):
        units = {"s": 1, "m": 60, "h": 3600}
        text = value.strip()
        if text[-1:] in units and text[:-1].replace(".", "", 1).isdigit():
            return float(text[:-1]) * units[text[-1]]
    raise ValueError(f"{where}: expected seconds or e.g. \"90s\", \"5m\", \"1h\", got {value!r}")


def _number(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"{where}: expected a number, got {value!r}")


def _template(text: Any, labels: tuple[str, ...], where: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: expected a text")
    allowed = {"value", *labels}
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None and name not in allowed:
            raise ValueError(f"{where}: unknown placeholder {{{name}}}; use {', '.join(sorted(allowed))}")
    return text


def parse_rule(raw: Any, index: int) -> Rule:
    """One ``[[rule]]`` table -> ``Rule``; ``ValueError`` naming the field otherwise."""
    if not isinstance(raw, dict):
        raise ValueError(f"rule {index}: expected a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"rule {index}: name must be letters, digits, '_' or '-', got {name!r}")
    where = f"rule {name!r}"
    known = {"name", "measure", "op", "threshold", "thresholds", "for", "severity", "summary",
             "summary_en", "match"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r}")
    measure = raw.get("measure")
    if measure not in MEASURES:
        raise ValueError(f"{where}: measure {measure!r} is not one of {', '.join(MEASURES)}")
    op = raw.get("op", ">")
    if op not in OPS:
        raise ValueError(f"{where}: op {op!r} is not one of {' '.join(OPS)}")
    severity = raw.get("severity", "warning")
    if severity not in SEVERITIES:
        raise ValueError(f"{where}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    labels = MEASURES[measure]
    thresholds = raw.get("thresholds", {})
    if not isinstance(thresholds, dict) or (thresholds and not labels):
        raise ValueError(f"{where}: thresholds must be a table by {labels[0] if labels else '(none)'}")
    match = raw.get("match", {})
    if not isinstance(match, dict):
        raise ValueError(f"{where}: match must be a table of label = [values]")
    for k, v in match.items():
        if k not in labels or not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ValueError(f"{where}: match.{k} must be a list of texts and one of the labels "
                             f"{', '.join(labels) or '(none)'}")
    if "threshold" not in raw:
        raise ValueError(f"{where}: threshold is missing")
    return Rule(
        name=name, measure=measure, op=op, severity=severity,
        threshold=_number(raw["threshold"], f"{where}: threshold"),
        thresholds={str(k): _number(v, f"{where}: thresholds.{k}") for k, v in thresholds.items()},
        for_s=_seconds(raw.get("for", 0), f"{where}: for"),
        summary_id=_template(raw.get("summary"), labels, f"{where}: summary"),
        summary_en=_template(raw.get("summary_en", raw.get("summary")), labels, f"{where}: summary_en"),
        match={k: tuple(v) for k, v in match.items()},
    )


def load_rules(path: Path | None, stale_after_s: float) -> list[Rule]:
    """The rules of ``path`` (TOML, ``[[rule]]`` tables), or the defaults when None.
    ``SettingsError`` (one line naming MARVEC_ALERT_RULES, the rule and why) otherwise."""
    if path is None:
        return default_rules(stale_after_s)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError("MARVEC_ALERT_RULES", f"{path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError("MARVEC_ALERT_RULES", f"{path}: not TOML: {exc}") from None
    raw = data.get("rule")
    if not isinstance(raw, list) or not raw:
        raise SettingsError("MARVEC_ALERT_RULES", f"{path}: no [[rule]] tables")
    rules: list[Rule] = []
    try:
        for i, r in enumerate(raw, 1):
            rules.append(parse_rule(r, i))
    except ValueError as exc:
        raise SettingsError("MARVEC_ALERT_RULES", f"{path}: {exc}") from None
    names = [r.name for r in rules]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise SettingsError("MARVEC_ALERT_RULES", f"{path}: rule {dup!r} appears twice")
    return rules
