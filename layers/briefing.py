"""The mayor's briefings as one self-contained HTML document each (pure): A4 pages for
paper and PDF, light on dark text, no script, no network (the city map is inline SVG
drawn from the loaded boundaries), every text escaped.

Daily (``marvec.briefing``): the city now (status, open and overdue complaints, the
unassigned, incidents, the affected and displaced), the whole of yesterday (received,
resolved, on time, transactions, posts), open complaints by kecamatan on the map, what
needs attention (alerts firing, the lagging OPDs, the kecamatan with most open), the
active incidents and the staples' prices. Monthly: the report card of the month before,
OPD by OPD, with the score and rank of today. What is not known is "–", never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from layers.fmt import DASH, Translate, fmt_age, fmt_dec, fmt_idr_short, fmt_int, fmt_pct, fmt_price
from layers.mapframe import MapFrame
from layers.palette import ShadeClass, shade_classes
from layers.rapor import LAG_SCORE, days_ago, opd_scores
from layers.report import resolution_time
from marvec.briefing import Briefing, Known
from marvec.contract import WITA
from marvec.history import Span
from marvec.snapshot import Snapshot
from marvec.timeutil import parse_iso

PAPER_RAMP = ("#fdf0c4", "#fbd775", "#f5b333", "#e08a10", "#a65a05")
"""Open complaints by kecamatan on paper: pale to dark amber (prints in grey too)."""
PAPER_NONE = "#f1f5f9"
MAP_W, MAP_H = 520.0, 500.0
LIST_N = 5
INCIDENTS_N = 6

CSS = """
@page { size: A4; margin: 11mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; font: 10pt/1.3 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #0f172a;
       background: #fff; }
.page { width: 186mm; }
header { display: flex; justify-content: space-between; align-items: flex-end; border-bottom: 3px solid #0f172a;
         padding-bottom: 1.5mm; margin-bottom: 1.5mm; }
header .brand { font-size: 9pt; letter-spacing: .18em; font-weight: 700; color: #2563eb; }
header h1 { margin: .5mm 0 0; font-size: 19pt; line-height: 1.1; }
header .when { text-align: right; font-size: 9.5pt; color: #334155; }
.level { display: inline-block; padding: .6mm 2.5mm; border-radius: 1.5mm; font-weight: 800; font-size: 10.5pt;
         text-transform: uppercase; letter-spacing: .05em; border: 1.5px solid #0f172a; }
.level-normal { background: #e2e8f0; } .level-waspada { background: #fde68a; }
.level-siaga { background: #fb923c; } .level-awas { background: #dc2626; color: #fff; border-color: #7f1d1d; }
h2 { font-size: 10.5pt; margin: 2.8mm 0 1.2mm; text-transform: uppercase; letter-spacing: .06em; color: #334155; }
h2 .sub { text-transform: none; letter-spacing: 0; font-weight: 400; color: #64748b; }
.tiles { display: grid; grid-template-columns: repeat(6, 1fr); gap: 2mm; }
.tile { border: 1px solid #cbd5e1; border-radius: 1.5mm; padding: 1mm 2mm; min-height: 13.5mm; }
.tile .name { font-size: 8pt; color: #475569; line-height: 1.2; }
.tile .value { font-size: 16pt; font-weight: 800; font-variant-numeric: tabular-nums; line-height: 1.2; }
.tile .note { font-size: 7.5pt; color: #64748b; }
.tile.alert .value { color: #b91c1c; } .tile.unknown .value { color: #94a3b8; }
.cols { display: grid; grid-template-columns: 78mm 1fr; gap: 6mm; }
svg.map { width: 78mm; height: auto; display: block; }
.legend { font-size: 7.5pt; color: #475569; display: flex; flex-wrap: wrap; gap: 1mm 3mm; margin-top: 1mm; }
.legend i { display: inline-block; width: 3mm; height: 3mm; border: .5px solid #94a3b8; margin-right: 1mm;
            vertical-align: -.4mm; }
ul.items { list-style: none; margin: 0; padding: 0; }
ul.items li { padding: .5mm 0; border-bottom: 1px solid #e2e8f0; display: flex; justify-content: space-between;
              gap: 2mm; }
ul.items li b { font-variant-numeric: tabular-nums; white-space: nowrap; }
ul.items li.crit { color: #b91c1c; font-weight: 700; }
.muted { color: #64748b; }
table { width: 100%; border-collapse: collapse; font-size: 8.5pt; }
th { text-align: left; font-size: 7.5pt; color: #475569; border-bottom: 1.5px solid #0f172a; padding: .8mm 1mm;
     vertical-align: bottom; }
td { padding: .45mm 1mm; border-bottom: 1px solid #e2e8f0; font-variant-numeric: tabular-nums; }
th.num, td.num { text-align: right; white-space: nowrap; }
.halves th { white-space: nowrap; }
tr.lag td { background: #fee2e2; }
tr.lag td:first-child { box-shadow: inset 1.2mm 0 0 #dc2626; }
.badge { display: inline-block; font-size: 6.5pt; font-weight: 700; color: #fff; background: #dc2626;
         border-radius: .8mm; padding: 0 1mm; margin-left: 1mm; vertical-align: 1px; text-transform: uppercase; }
.up { color: #b91c1c; font-weight: 700; } .down { color: #15803d; }
@media screen { body { padding: 11mm 12mm; } }
.halves { display: grid; grid-template-columns: 1fr 1fr; gap: 5mm; align-items: start; }
footer { margin-top: 2.5mm; padding-top: 1.5mm; border-top: 1px solid #cbd5e1; font-size: 7.5pt; color: #64748b; }
"""

WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def long_date(d: date, lang: str, weekday: bool = True) -> str:
    """``Kamis, 3 Desember 2026`` / ``Thursday, 3 December 2026``."""
    months, days = (MONTHS, WEEKDAYS) if lang == "id" else (MONTHS_EN, WEEKDAYS_EN)
    text = f"{d.day} {months[d.month - 1]} {d.year}"
    return f"{days[d.weekday()]}, {text}" if weekday else text


def month_name(d: date, lang: str) -> str:
    return f"{(MONTHS if lang == 'id' else MONTHS_EN)[d.month - 1]} {d.year}"


def clock(ts: float) -> str:
    return datetime.fromtimestamp(ts, WITA).strftime("%H:%M")


def e(text: object) -> str:
    return escape(str(text), quote=True)


# -- pieces ---------------------------------------------------------------------------
def tile(name: str, value: str, note: str = "", css: str = "") -> str:
    cls = "tile" + (" unknown" if value == DASH else f" {css}" if css else "")
    return (f'<div class="{cls}"><div class="name">{e(name)}</div><div class="value">{e(value)}</div>'
            f'<div class="note">{e(note)}</div></div>')


def _known_note(k: Known, tr: Translate) -> str:
    if k.value is None:
        return tr("brief.not_whole")
    return tr("kpi.counted_since").format(time=clock(k.since)) if k.since is not None else ""


def _pct(value: float | None, lang: str) -> str:
    return fmt_pct(value, 0, lang, signed=False)


def map_svg(frame: MapFrame, values: dict[str, int], lang: str) -> tuple[str, list[ShadeClass]]:
    """The kecamatan shaded by ``values`` (inline SVG, the islands in their inset), with
    each one's name and number; a kecamatan with none is pale, never unlabelled."""
    names = list(frame.names)
    classes = shade_classes([values.get(n, 0) for n in names], PAPER_RAMP)
    x0, y0, x1, y1 = frame.bounds
    ratio = frame.y_ratio
    scale = min(MAP_W / (x1 - x0), MAP_H / ((y1 - y0) * ratio))
    height = (y1 - y0) * ratio * scale

    def pt(x: float, y: float) -> str:
        return f"{(x - x0) * scale:.1f},{(y1 - y) * ratio * scale:.1f}"

    shapes, labels = [], []
    for n in names:
        v = values.get(n, 0)
        fill = PAPER_NONE if v <= 0 or not classes else next((c.color for c in classes if v <= c.high), classes[-1].color)
        d = " ".join("M" + " L".join(pt(x, y) for x, y in ring) + " Z" for ring in frame.rings[n])
        shapes.append(f'<path d="{d}" fill="{fill}" stroke="#475569" stroke-width=".8"><title>{e(n)}</title></path>')
        callout = frame.callouts.get(n)
        if callout is not None:
            (ax, ay), (ex, ey) = (tuple(float(c) for c in pt(*p).split(",")) for p in (callout.anchor, callout.end))
            shapes.append(f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" stroke="#334155" '
                          f'stroke-width=".8"/><circle cx="{ax:.1f}" cy="{ay:.1f}" r="1.8" fill="#334155"/>')
        if n in frame.labels:
            lx, ly = (float(c) for c in pt(*frame.labels[n]).split(","))
            labels.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" font-size="10.5" '
                          f'font-weight="700" fill="#0f172a" stroke="#fff" stroke-width="2.6" paint-order="stroke">'
                          f'{e(n)}<tspan x="{lx:.1f}" dy="12" font-weight="800">{e(fmt_int(v, lang))}</tspan></text>')
    if frame.inset is not None:
        bx0, by0, bx1, by1 = frame.inset.box
        a, b = (float(c) for c in pt(bx0, by1).split(",")), (float(c) for c in pt(bx1, by0).split(","))
        (ax, ay), (bx, by) = tuple(a), tuple(b)
        shapes.append(f'<rect x="{ax:.1f}" y="{ay:.1f}" width="{bx - ax:.1f}" height="{by - ay:.1f}" fill="none" '
                      f'stroke="#94a3b8" stroke-dasharray="3 2"/>')
    svg = (f'<svg class="map" viewBox="0 0 {MAP_W:.0f} {height:.0f}" xmlns="http://www.w3.org/2000/svg" '
           f'role="img">{"".join(shapes)}{"".join(labels)}</svg>')
    return svg, classes


def legend(classes: Sequence[ShadeClass], tr: Translate, lang: str) -> str:
    items = [f'<span><i style="background:{PAPER_NONE}"></i>0</span>']
    for c in classes:
        low, high = int(c.low) + 1, int(c.high)
        span = fmt_int(high, lang) if low >= high else f"{fmt_int(low, lang)}–{fmt_int(high, lang)}"
        items.append(f'<span><i style="background:{c.color}"></i>{e(span)}</span>')
    return f'<div class="legend">{"".join(items)}</div>'


def _list(items: list[tuple[str, str, str]], empty: str) -> str:
    if not items:
        return f'<p class="muted">{e(empty)}</p>'
    return "<ul class=\"items\">" + "".join(
        f'<li class="{css}"><span>{e(a)}</span><b>{e(b)}</b></li>' for a, b, css in items) + "</ul>"


def attention(snap: Snapshot, tr: Translate, lang: str) -> str:
    firing = [(a.summary if lang == "id" else (a.summary_en or a.summary), tr(f"severity.{a.severity}"),
               "crit" if a.severity == "critical" else "") for a in snap.ops.firing[:LIST_N]]
    lagging = [s for s in opd_scores(snap) if s.lagging][-LIST_N:][::-1]
    opds = [(s.opd, fmt_dec(s.score, 0, lang) if s.score is not None else DASH, "") for s in lagging]
    kec = sorted(((k, v) for k, v in snap.complaints.by_kecamatan.items() if v > 0),
                 key=lambda kv: (-kv[1], kv[0]))[:LIST_N]
    return "".join([
        f"<h2>{e(tr('brief.alerts'))}</h2>", _list(firing, tr("brief.no_alerts")),
        f"<h2>{e(tr('brief.lagging'))} <span class='sub'>({e(tr('brief.lag_rule').format(n=int(LAG_SCORE)))})</span></h2>",
        _list(opds, tr("brief.no_lagging")),
        f"<h2>{e(tr('brief.top_kec'))}</h2>",
        _list([(k, fmt_int(v, lang), "") for k, v in kec], tr("brief.no_open")),
    ])


def incidents(snap: Snapshot, tr: Translate, lang: str, now: float) -> str:
    rows = []
    for i in snap.disasters.incidents[:INCIDENTS_N]:
        since = parse_iso(i.occurred_at)
        rows.append(f"<tr><td>{e(tr(f'hazard.{i.hazard}'))}</td><td>{e(i.kecamatan or DASH)}</td>"
                    f"<td class='num'>{i.severity}</td><td class='num'>{e(fmt_int(i.affected_people, lang))}</td>"
                    f"<td class='num'>{e(fmt_int(i.displaced, lang))}</td>"
                    f"<td class='num'>{e(fmt_age(None if since is None else now - since, lang))}</td></tr>")
    more = len(snap.disasters.incidents) - INCIDENTS_N
    if not rows:
        return f'<p class="muted">{e(tr("brief.no_incidents"))}</p>'
    head = "".join(f"<th class='{c}'>{e(tr(k))}</th>" for k, c in (
        ("brief.hazard", ""), ("brief.kecamatan", ""), ("brief.severity", "num"), ("brief.affected", "num"),
        ("brief.displaced", "num"), ("brief.age", "num")))
    tail = f"<p class='muted'>{e(tr('brief.more').format(n=more))}</p>" if more > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{tail}"


def _change(value: float | None, lang: str) -> str:
    if value is None:
        return f"<td class='num muted'>{DASH}</td>"
    css = "up" if value > 10 else "down" if value < 0 else ""
    return f"<td class='num {css}'>{e(fmt_pct(value, 1, lang))}</td>"


def prices(snap: Snapshot, tr: Translate, lang: str) -> str:
    """The staples in two tables side by side (half each), to keep the page to one sheet."""
    items = sorted(snap.economy.prices.items())
    if not items:
        return f'<p class="muted">{e(tr("brief.no_prices"))}</p>'
    head = "".join(f"<th class='{c}'>{e(tr(k))}</th>" for k, c in (
        ("brief.commodity", ""), ("brief.median", "num"), ("brief.markets", "num"),
        ("brief.vs_yesterday", "num"), ("brief.vs_week", "num")))
    half = (len(items) + 1) // 2
    tables = []
    for part in (items[:half], items[half:]):
        rows = "".join(f"<tr><td>{e(tr(f'commodity.{c}'))}</td><td class='num'>{e(fmt_price(p.latest_idr, p.unit, lang))}</td>"
                       f"<td class='num'>{e(fmt_int(p.markets, lang))}</td>{_change(p.change_1d_pct, lang)}"
                       f"{_change(p.change_7d_pct, lang)}</tr>" for c, p in part)
        tables.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return f'<div class="halves" data-part="prices">{"".join(tables)}</div>'


def _doc(title: str, body: str, lang: str) -> str:
    return (f'<!doctype html><html lang="{e(lang)}"><head><meta charset="utf-8"><title>{e(title)}</title>'
            f'<meta name="viewport" content="width=device-width"><style>{CSS}</style></head>'
            f'<body><div class="page">{body}</div></body></html>')


def _header(title: str, when: str, level: str, tr: Translate, made: float, issued: date, lang: str) -> str:
    return (f'<header><div><div class="brand">MARVEC · {e(tr("brief.city"))}</div><h1>{e(title)}</h1>'
            f'<div>{e(when)}</div></div><div class="when"><span class="level level-{e(level)}">'
            f'{e(tr("level.title"))}: {e(tr(f"level.{level}"))}</span><br>'
            f'{e(tr("brief.made").format(time=clock(made), date=long_date(datetime.fromtimestamp(made, WITA).date(), lang, False)))}'
            f'</div></header>')


def _footer(tr: Translate, snap: Snapshot) -> str:
    return f"<footer>{e(tr('brief.footer').format(at=snap.generated_at[:16].replace('T', ' ')))}</footer>"


# -- the documents ------------------------------------------------------------------------
def daily_html(b: Briefing, frame: MapFrame, tr: Translate, lang: str) -> str:
    s, d = b.snapshot, b.day
    assert d is not None
    c, dz = s.complaints, s.disasters
    now_tiles = "".join([
        tile(tr("kpi.complaints.open"), fmt_int(c.open, lang)),
        tile(tr("kpi.complaints.overdue"), fmt_int(c.overdue, lang), css="alert" if c.overdue else ""),
        tile(tr("opd.unassigned"), fmt_int(c.unassigned.open if c.unassigned else 0, lang)),
        tile(tr("kpi.disasters.active"), fmt_int(dz.active, lang), css="alert" if dz.active else ""),
        tile(tr("brief.affected"), fmt_int(dz.affected_people, lang), tr("brief.active_only")),
        tile(tr("brief.displaced"), fmt_int(dz.displaced, lang), tr("brief.active_only")),
    ])
    day_tiles = "".join([
        tile(tr("brief.received"), fmt_int(d.received.value, lang), _known_note(d.received, tr)),
        tile(tr("brief.resolved"), fmt_int(d.resolved.value, lang), _known_note(d.resolved, tr)),
        tile(tr("brief.on_time"), _pct(d.on_time_pct.value, lang),
             tr("brief.on_time_note") if d.on_time_pct.value is not None else _known_note(d.resolved, tr)),
        tile(tr("brief.tx_count"), fmt_int(d.tx_count.value, lang), _known_note(d.tx_count, tr)),
        tile(tr("brief.tx_amount"), fmt_idr_short(d.tx_amount.value, lang), _known_note(d.tx_amount, tr)),
        tile(tr("brief.posts"), fmt_int(d.posts.value, lang), _known_note(d.posts, tr)),
    ])
    svg, classes = map_svg(frame, dict(c.by_kecamatan), lang)
    body = "".join([
        _header(tr("brief.daily"), long_date(b.issued, lang), s.ops.level, tr, b.generated_at, b.issued, lang),
        f"<h2>{e(tr('brief.now'))} <span class='sub'>{e(clock(b.generated_at))} WITA</span></h2>",
        f'<div class="tiles" data-part="now">{now_tiles}</div>',
        f"<h2>{e(tr('brief.yesterday'))} <span class='sub'>{e(long_date(d.day, lang))}</span></h2>",
        f'<div class="tiles" data-part="day">{day_tiles}</div>',
        '<div class="cols"><div>',
        f"<h2>{e(tr('brief.map'))}</h2>{svg}{legend(classes, tr, lang)}",
        f'</div><div data-part="attention">{attention(s, tr, lang)}</div></div>',
        f"<h2>{e(tr('brief.incidents'))}</h2>{incidents(s, tr, lang, b.generated_at)}",
        f"<h2>{e(tr('brief.prices'))}</h2>{prices(s, tr, lang)}",
        _footer(tr, s),
    ])
    return _doc(f"{tr('brief.daily')} · {b.issued.isoformat()}", body, lang)


def _month_span(b: Briefing) -> Span | None:
    if b.history is None or b.month is None:
        return None
    label = f"{b.month[0].year}-{b.month[0].month:02d}"
    return next((m for m in b.history.months if m.label == label), None)


def monthly_html(b: Briefing, tr: Translate, lang: str) -> str:
    s = b.snapshot
    assert b.month is not None
    span = _month_span(b)
    scores = {x.opd: x for x in opd_scores(s)}
    names = sorted(set(scores) | (set(span.by_opd) - {"-"} if span else set()),
                   key=lambda n: (scores[n].rank is None if n in scores else True,
                                  scores[n].rank or 0 if n in scores else 0, n))
    cols = (("rapor.rank", "num"), ("opd.opd", ""), ("rapor.score", "num"), ("rapor.resolved", "num"),
            ("opd.sla", "num"), ("rapor.h.mean_res", "num"), ("rapor.h.mean_resp", "num"),
            ("rapor.posts_n", "num"), ("rapor.reach", "num"), ("rapor.website", "num"))
    head = "".join(f"<th class='{c}'>{e(tr(k))}</th>" for k, c in cols)
    rows = []
    for n in names:
        sc = scores.get(n)
        f = span.get(n) if span else None
        days = b.history.days_since_website(n) if b.history else None
        lag = sc is not None and sc.lagging
        cells = [
            DASH if sc is None or sc.rank is None else str(sc.rank),
            e(n) + ("<span class='badge'>" + e(tr("rapor.lagging")) + "</span>" if lag else ""),
            DASH if sc is None or sc.score is None else fmt_dec(sc.score, 0, lang),
            fmt_int(f.resolved if f else None, lang), _pct(f.on_time_pct if f else None, lang),
            resolution_time(f.mean_resolution_h if f else None, tr, lang),
            resolution_time(f.mean_first_response_h if f else None, tr, lang),
            fmt_int(f.posts if f else None, lang), fmt_int(f.reach if f else None, lang),
            days_ago(days, tr, lang),
        ]
        tds = "".join(f"<td class='{c}'>{v if i == 1 else e(v)}</td>" for i, (v, (_, c)) in enumerate(zip(cells, cols, strict=True)))
        rows.append(f"<tr class='{'lag' if lag else ''}' data-opd='{e(n)}'>{tds}</tr>")
    since = span.complaints_from if span else None
    note = tr("rapor.h.since").format(d=since.strftime("%d/%m")) if since and span and since > span.start else ""
    body = "".join([
        _header(tr("brief.monthly"), month_name(b.month[0], lang), s.ops.level, tr, b.generated_at, b.issued, lang),
        f"<h2>{e(tr('brief.month_table'))} <span class='sub'>{e(long_date(b.month[0], lang, False))} – "
        f"{e(long_date(b.month[1], lang, False))} {e(note)}</span></h2>",
        f"<table data-part='rapor'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows else f"<p class='muted'>{e(tr('opd.none'))}</p>",
        f"<p class='muted'>{e(tr('brief.score_note'))}</p>",
        _footer(tr, s),
    ])
    return _doc(f"{tr('brief.monthly')} · {month_name(b.month[0], lang)}", body, lang)


def summary(b: Briefing, tr: Translate, lang: str) -> str:
    """One line for the list and the notification."""
    if b.kind == "monthly" and b.month is not None:
        return f"{tr('brief.monthly')} · {month_name(b.month[0], lang)}"
    c, d = b.snapshot.complaints, b.snapshot.disasters
    return (f"{tr('brief.daily')} · {long_date(b.issued, lang)}: {fmt_int(c.open, lang)} "
            f"{tr('brief.open_short')}, {fmt_int(c.overdue, lang)} {tr('brief.overdue_short')}, "
            f"{fmt_int(d.active, lang)} {tr('brief.incidents_short')}")
