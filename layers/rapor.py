"""The OPD report card (``/rapor``): a documented score and rank per OPD, its table, its
detail sheet, and survey awareness by kecamatan on the map (pure).

The score (0-100, higher is better) of one OPD::

    service     = mean of the known parts of
                    sla      = 100 * within_sla_share
                    backlog  = 100 * (1 - overdue / open)        (unknown when open == 0)
    information = mean of the known parts of
                    posts    = 100 * min(1, posts_7d / POSTS_TARGET)
                    reach    = 100 * min(1, reach_7d / REACH_TARGET)
    score       = (60 * service + 40 * information) / (the weights of the known sub-scores)

A part is unknown when its input is: ``within_sla_share`` is ``None``, the OPD has no
open complaint (nothing to judge a backlog by), or it is absent from ``posts_7d`` /
``reach_7d`` (no post seen in the 7 days, or no reach reported: not known to be zero).
Unknown parts leave their weight out and the rest are re-normalised; a sub-score with no
known part is unknown itself ("–"), and an OPD with no known part at all has no score
and no rank. Scores are rounded to one decimal; the rank is 1 for the best score (equal
scores share a rank, then 1, 2, 2, 4); unranked OPDs come last, by name.

An OPD lags when its score is below ``LAG_SCORE`` or it is in the bottom quartile of
the ranked OPDs (the ``n // 4`` lowest ranks: none among fewer than four).
The complaints no OPD has been assigned yet (``complaints.unassigned``) are a separate
line, "Belum didisposisi", never scored or ranked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from dash import dcc, html

from layers.citymap import MapLayers, label_name
from layers.dom import tagged
from layers.fmt import DASH, Translate, fmt_dec, fmt_int, fmt_pct, label
from layers.mapframe import MapFrame
from layers.mappoints import Points
from layers.palette import RAMPS, ShadeClass
from layers.report import resolution_time
from marvec.history import History, Span
from marvec.snapshot import Awareness, OpdStats, PublicInfo, Snapshot

SERVICE_WEIGHT = 60.0
INFO_WEIGHT = 40.0
POSTS_TARGET = 7
"""Posts in 7 days that earn the full posts part: one a day."""
REACH_TARGET = 10_000
"""Reach in 7 days that earns the full reach part."""
LAG_SCORE = 50.0

UNASSIGNED_KEY = "~unassigned"
"""``data-select`` value of the "belum didisposisi" line (no OPD code starts with ``~``)."""

UNSURVEYED_FILL = "#3b4252"
"""A kecamatan the topic's survey never reached: grey, labelled "–" (not 0%)."""
AWARE_CLASSES = tuple(
    ShadeClass(low=20.0 * i, high=20.0 * (i + 1), color=c) for i, c in enumerate(RAMPS["economy"])
)
"""Aware share classes: 0-20, 20-40, ... 80-100 percent."""
AWARE_ZERO_FILL = RAMPS["economy"][0]


@dataclass(frozen=True)
class Score:
    """One OPD's parts, sub-scores and score (``None``: unknown)."""

    opd: str
    sla: float | None
    backlog: float | None
    posts: float | None
    reach: float | None
    service: float | None
    information: float | None
    score: float | None
    rank: int | None = None
    lagging: bool = False


def _mean(parts: Sequence[float | None]) -> float | None:
    known = [p for p in parts if p is not None]
    return sum(known) / len(known) if known else None


def score_opd(opd: str, stats: OpdStats | None, posts_7d: int | None, reach_7d: int | None) -> Score:
    """The parts, sub-scores and score of one OPD (see the module docstring), unranked."""
    sla = backlog = None
    if stats is not None:
        if stats.within_sla_share is not None:
            sla = 100.0 * max(0.0, min(1.0, stats.within_sla_share))
        if stats.open > 0:
            backlog = 100.0 * max(0.0, 1.0 - stats.overdue / stats.open)
    posts = 100.0 * min(1.0, posts_7d / POSTS_TARGET) if posts_7d is not None else None
    reach = 100.0 * min(1.0, reach_7d / REACH_TARGET) if reach_7d is not None else None
    service, information = _mean([sla, backlog]), _mean([posts, reach])
    weighted = [(w, s) for w, s in ((SERVICE_WEIGHT, service), (INFO_WEIGHT, information)) if s is not None]
    total = sum(w * s for w, s in weighted) / sum(w for w, _ in weighted) if weighted else None
    return Score(opd, sla, backlog, posts, reach, service, information,
                 None if total is None else round(total, 1))


def rank_scores(scores: Sequence[Score]) -> list[Score]:
    """Best first with ranks (ties share one) and the lagging flag; unscored last, unranked."""
    ranked = sorted((s for s in scores if s.score is not None), key=lambda s: (-(s.score or 0.0), s.opd))
    bottom = len(ranked) // 4
    out: list[Score] = []
    for i, s in enumerate(ranked):
        rank = i + 1 if i == 0 or s.score != ranked[i - 1].score else out[-1].rank
        assert rank is not None and s.score is not None
        lagging = s.score < LAG_SCORE or (bottom > 0 and rank > len(ranked) - bottom)
        out.append(Score(**{**s.__dict__, "rank": rank, "lagging": lagging}))
    out += sorted((s for s in scores if s.score is None), key=lambda s: s.opd)
    return out


def opd_scores(snapshot: Snapshot | None) -> list[Score]:
    """Every OPD the snapshot knows (complaints or public information), scored and ranked."""
    if snapshot is None:
        return []
    c, p = snapshot.complaints, snapshot.publicinfo
    names = set(c.by_opd) | set(p.posts_7d) | set(p.reach_7d) | set(p.posts_7d_by_channel)
    return rank_scores([score_opd(n, c.by_opd.get(n), p.posts_7d.get(n), p.reach_7d.get(n)) for n in names])


# -- the table ------------------------------------------------------------------------
COLUMNS = (
    ("rapor.rank", "num rank"), ("opd.opd", "name"), ("rapor.score", "num score"), ("opd.open", "num"),
    ("opd.overdue", "num"), ("opd.sla", "num"), ("rapor.response", "num"), ("rapor.trend", "trend"),
    ("rapor.posts", "num"), ("rapor.reach", "num"), ("rapor.website", "num"),
)


def _trend(history: History | None, opd: str, tr: Translate, lang: str) -> html.Td:
    """The on-time share of the last four weeks as four small bars (oldest first); a week
    with nothing resolved or before the data began is a dotted bar ("–" in its title)."""
    if history is None:
        return html.Td(DASH, className="trend muted")
    bars, titles = [], []
    for span in history.weeks:
        pct = span.get(opd).on_time_pct
        titles.append(f"{span.label}: {fmt_pct(pct, 0, lang, signed=False)}")
        bars.append(html.Span(className="rapor-tbar" + (" unknown" if pct is None else ""),
                              style={"height": f"{max(8.0, pct or 0.0):.0f}%"} if pct is not None else None))
    return tagged(html.Td(html.Span(bars, className="rapor-trend", title=" · ".join(titles)), className="trend"),
                  trend=",".join(DASH if (p := sp.get(opd).on_time_pct) is None else f"{p:g}" for sp in history.weeks))


def _days_since(history: History | None, opd: str, tr: Translate, lang: str) -> html.Td:
    days = history.days_since_website(opd) if history is not None else None
    return html.Td(days_ago(days, tr, lang),
                   className="num" + (" muted" if days is None else " tone-warn" if days > 7 else ""))


def _score_text(value: float | None, lang: str) -> str:
    return DASH if value is None else fmt_dec(value, 0, lang)


def _num(value: float | None, lang: str, css: str = "num") -> html.Td:
    return html.Td(fmt_int(value, lang), className=css + (" muted" if value is None else ""))


def _row(s: Score, stats: OpdStats | None, pi: PublicInfo, history: History | None, tr: Translate,
         lang: str) -> html.Tr:
    sla = stats.within_sla_share if stats else None
    score_cls = "num score" + (" muted" if s.score is None else " tone-alert" if s.lagging else "")
    cells = [
        html.Td(DASH if s.rank is None else str(s.rank), className="num rank"),
        html.Td([s.opd, html.Span(tr("rapor.lagging"), className="rapor-lag-badge") if s.lagging else None],
                className="name"),
        html.Td(_score_text(s.score, lang), className=score_cls),
        _num(stats.open if stats else None, lang),
        _num(stats.overdue if stats else None, lang),
        html.Td(fmt_pct(None if sla is None else 100 * sla, 0, lang, signed=False), className="num"),
        html.Td(resolution_time(stats.median_first_response_h if stats else None, tr, lang), className="num"),
        _trend(history, s.opd, tr, lang),
        _num(pi.posts_7d.get(s.opd), lang),
        _num(pi.reach_7d.get(s.opd), lang),
        _days_since(history, s.opd, tr, lang),
    ]
    css = "rapor-row" + (" rapor-lagging" if s.lagging else "") + (" rapor-unranked" if s.rank is None else "")
    return tagged(html.Tr(cells, className=css, tabIndex="0"), opd=s.opd, select=s.opd)


def _unassigned_row(stats: OpdStats, history: History | None, tr: Translate, lang: str) -> html.Tr:
    sla = stats.within_sla_share
    cells = [
        html.Td(DASH, className="num rank"),
        html.Td(tr("opd.unassigned"), className="name unassigned"),
        html.Td(DASH, className="num score muted"),
        _num(stats.open, lang), _num(stats.overdue, lang),
        html.Td(fmt_pct(None if sla is None else 100 * sla, 0, lang, signed=False), className="num"),
        html.Td(resolution_time(stats.median_first_response_h, tr, lang), className="num"),
        _trend(history, "-", tr, lang),
        html.Td(DASH, className="num muted"), html.Td(DASH, className="num muted"),
        html.Td(DASH, className="num muted"),
    ]
    return tagged(html.Tr(cells, className="rapor-row rapor-unassigned", tabIndex="0"),
                  opd="-", select=UNASSIGNED_KEY)


def rapor_table(snapshot: Snapshot | None, tr: Translate, lang: str,
                history: History | None = None) -> html.Table | html.Div:
    """Every OPD best first (rank, score, sub-scores, its numbers); lagging ones flagged;
    the unassigned complaints as a last, unranked line."""
    scores = opd_scores(snapshot)
    unassigned = snapshot.complaints.unassigned if snapshot else None
    if not scores and unassigned is None:
        return html.Div(tr("opd.none"), className="muted")
    assert snapshot is not None
    pi = snapshot.publicinfo
    head = html.Thead(html.Tr([html.Th(tr(k), className=c) for k, c in COLUMNS]))
    rows = [_row(s, snapshot.complaints.by_opd.get(s.opd), pi, history, tr, lang) for s in scores]
    if unassigned is not None:
        rows.append(_unassigned_row(unassigned, history, tr, lang))
    return html.Table([head, html.Tbody(rows)], className="table rapor-table")


def lag_summary(snapshot: Snapshot | None, tr: Translate, lang: str) -> str:
    """``2 dari 7 OPD tertinggal`` (ranked OPDs only)."""
    ranked = [s for s in opd_scores(snapshot) if s.rank is not None]
    return tr("rapor.lag_count").format(n=fmt_int(sum(s.lagging for s in ranked), lang),
                                        total=fmt_int(len(ranked), lang))


# -- the detail sheet -----------------------------------------------------------------
def _fact(name: str, value: str) -> html.Div:
    return html.Div([html.Span(name, className="rapor-fact-name"), html.Span(value, className="rapor-fact-value")],
                    className="rapor-fact")


def _close(tr: Translate) -> html.Button:
    return tagged(html.Button(tr("district.close"), className="btn close rapor-close", type="button"), select="")


def _section(name: str, title: str, body: list[html.Div] | html.Div) -> html.Div:
    items = body if isinstance(body, list) else [body]
    return tagged(html.Div([html.H3(title), *items], className="rapor-section"), section=name)


def _part(value: float | None, lang: str) -> str:
    return DASH if value is None else fmt_dec(value, 0, lang)


def rapor_detail(snapshot: Snapshot | None, key: str, tr: Translate, lang: str,
                 history: History | None = None) -> html.Div | None:
    """One OPD's sheet: score and its parts, complaint numbers, posts by channel, reach.
    ``key`` is an OPD code or ``UNASSIGNED_KEY``; ``None`` for one the snapshot lacks."""
    if snapshot is None:
        return None
    c, pi = snapshot.complaints, snapshot.publicinfo
    if key == UNASSIGNED_KEY:
        if c.unassigned is None:
            return None
        return tagged(html.Div([
            html.Div([html.H2(tr("opd.unassigned")), _close(tr)], className="rapor-head"),
            html.Div(tr("rapor.unassigned_note"), className="muted rapor-note"),
            _service(c.unassigned, tr, lang),
            *_history_sections(history, "-", tr, lang),
        ], className="rapor-detail"), opd="-")
    score = next((s for s in opd_scores(snapshot) if s.opd == key), None)
    if score is None:
        return None
    stats = c.by_opd.get(key)
    rank = tr("rapor.rank_of").format(rank=score.rank, n=sum(s.rank is not None for s in opd_scores(snapshot))) \
        if score.rank is not None else tr("rapor.unranked")
    channels = sorted((pi.posts_7d_by_channel.get(key) or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    channel_rows = [_fact(label(tr, "rapor.channel", ch), fmt_int(n, lang)) for ch, n in channels]
    return tagged(html.Div([
        html.Div([html.H2(key), _close(tr)], className="rapor-head"),
        html.Div([
            html.Span(_score_text(score.score, lang), className="rapor-big" + (" tone-alert" if score.lagging else "")),
            html.Span(f" · {rank}", className="muted"),
            html.Span(tr("rapor.lagging"), className="rapor-lag-badge") if score.lagging else None,
        ], className="rapor-scoreline"),
        _section("score", tr("rapor.parts"), [
            _fact(tr("rapor.service") + " (60%)", _part(score.service, lang)),
            _fact("· " + tr("rapor.part_sla"), _part(score.sla, lang)),
            _fact("· " + tr("rapor.part_backlog"), _part(score.backlog, lang)),
            _fact(tr("rapor.info") + " (40%)", _part(score.information, lang)),
            _fact("· " + tr("rapor.part_posts").format(n=POSTS_TARGET), _part(score.posts, lang)),
            _fact("· " + tr("rapor.part_reach").format(n=fmt_int(REACH_TARGET, lang)), _part(score.reach, lang)),
        ]),
        _service(stats, tr, lang),
        _section("info", tr("rapor.info_7d"), [
            _fact(tr("rapor.posts"), fmt_int(pi.posts_7d.get(key), lang)),
            _fact(tr("rapor.reach"), fmt_int(pi.reach_7d.get(key), lang)),
        ]),
        _section("channels", tr("rapor.by_channel"),
                 channel_rows or html.Div(DASH, className="muted")),
        _section("website", tr("rapor.website_long"), [
            _fact(tr("rapor.website_since"), _days_text(history, key, tr, lang))]),
        *_history_sections(history, key, tr, lang),
    ], className="rapor-detail"), opd=key)


def _days_text(history: History | None, opd: str, tr: Translate, lang: str) -> str:
    return days_ago(history.days_since_website(opd) if history is not None else None, tr, lang)


def days_ago(days: int | None, tr: Translate, lang: str) -> str:
    """``3 hr lalu``; ``hari ini`` for today; "–" when not known."""
    if days is None:
        return DASH
    return tr("trend.today").lower() if days == 0 else tr("rapor.days").format(n=fmt_int(days, lang))


HISTORY_COLUMNS = ("rapor.h.span", "rapor.resolved", "opd.sla", "rapor.h.mean_res", "rapor.h.mean_resp",
                   "rapor.posts_n", "rapor.reach")


def span_label(span: Span, tr: Translate, kind: str) -> str:
    """``30/11–06/12`` for a week, ``Des 2026`` for a month (WITA dates)."""
    if kind == "months":
        return f"{tr(f'month.{span.start.month}')} {span.start.year}"
    return f"{span.start.strftime('%d/%m')}–{(span.start + timedelta(days=6)).strftime('%d/%m')}"


def _history_table(spans: Sequence[Span], opd: str, tr: Translate, lang: str, kind: str) -> html.Table:
    head = html.Thead(html.Tr([html.Th(tr(k), className="name" if i == 0 else "num")
                               for i, k in enumerate(HISTORY_COLUMNS)]))
    rows = []
    for span in reversed(spans):  # newest first
        f = span.get(opd)
        since = min((d for d in (span.complaints_from, span.posts_from) if d is not None), default=None)
        text = span_label(span, tr, kind)
        if since is not None and since > span.start:
            text += " · " + tr("rapor.h.since").format(d=since.strftime("%d/%m"))
        cells = [
            html.Td(text, className="name"),
            html.Td(fmt_int(f.resolved, lang), className="num"),
            html.Td(fmt_pct(f.on_time_pct, 0, lang, signed=False), className="num"),
            html.Td(resolution_time(f.mean_resolution_h, tr, lang), className="num"),
            html.Td(resolution_time(f.mean_first_response_h, tr, lang), className="num"),
            html.Td(fmt_int(f.posts, lang), className="num"),
            html.Td(fmt_int(f.reach, lang), className="num"),
        ]
        rows.append(tagged(html.Tr(cells, className="rapor-hrow"), span=span.label))
    return html.Table([head, html.Tbody(rows)], className="table rapor-history")


def _history_sections(history: History | None, opd: str, tr: Translate, lang: str) -> list[html.Div]:
    if history is None:
        return []
    return [_section("weeks", tr("rapor.h.weeks"),
                     html.Div(_history_table(history.weeks, opd, tr, lang, "weeks"), className="rapor-hwrap")),
            _section("months", tr("rapor.h.months").format(n=len(history.months)),
                     html.Div(_history_table(history.months, opd, tr, lang, "months"), className="rapor-hwrap"))]


def _service(stats: OpdStats | None, tr: Translate, lang: str) -> html.Div:
    s = stats
    sla = s.within_sla_share if s else None
    return _section("service", tr("rapor.complaints"), [
        _fact(tr("opd.open"), fmt_int(s.open if s else None, lang)),
        _fact(tr("opd.overdue"), fmt_int(s.overdue if s else None, lang)),
        _fact(tr("rapor.resolved"), fmt_int(s.resolved if s else None, lang)),
        _fact(tr("rapor.first_response"), resolution_time(s.median_first_response_h if s else None, tr, lang)),
        _fact(tr("opd.median"), resolution_time(s.median_resolution_h if s else None, tr, lang)),
        _fact(tr("opd.sla"), fmt_pct(None if sla is None else 100 * sla, 0, lang, signed=False)),
    ])


# -- awareness ------------------------------------------------------------------------
def topics(snapshot: Snapshot | None) -> list[str]:
    """Survey topics, most respondents first (then by code)."""
    aw = snapshot.publicinfo.awareness if snapshot else {}
    return sorted(aw, key=lambda t: (-aw[t].respondents, t))


def chosen_topic(snapshot: Snapshot | None, wanted: str | None) -> str | None:
    """``wanted`` when the snapshot has it, else the topic with most respondents."""
    found = topics(snapshot)
    return wanted if wanted in found else (found[0] if found else None)


def topic_options(snapshot: Snapshot | None, tr: Translate, lang: str) -> list[dict[str, str]]:
    """Dropdown options: the topic code as the survey names it, with its respondents."""
    aw = snapshot.publicinfo.awareness if snapshot else {}
    return [{"label": f"{t} · {fmt_int(aw[t].respondents, lang)} {tr('rapor.respondents')}", "value": t}
            for t in topics(snapshot)]


def aware_fill(value: float | None) -> str:
    if value is None:
        return UNSURVEYED_FILL
    for cls in AWARE_CLASSES:
        if value <= cls.high:
            return cls.color if value > 0 else AWARE_ZERO_FILL
    return AWARE_CLASSES[-1].color


def awareness_layers(frame: MapFrame, aw: Awareness | None, lang: str, scale: float = 1.0,
                     label_base: float = 12.0) -> MapLayers:
    """The city map's changing part shaded by the topic's aware share per kecamatan
    (``layers.citymap.city_map_figure`` draws it); unsurveyed kecamatan grey, "–"."""
    by_kec = aw.by_kecamatan if aw else {}
    values = [by_kec.get(n) for n in frame.names]
    labels = [f"{label_name(frame, n)}<br><b>{fmt_pct(v, 0, lang, signed=False)}</b>" for n, v in
              zip(frame.names, values, strict=True)]
    return MapLayers(fills=[aware_fill(v) for v in values], labels=labels, classes=list(AWARE_CLASSES),
                     complaints=Points(), near=Points(), incidents=Points(), view=frame.bounds, scale=scale,
                     label_base=label_base)


def awareness_split(aw: Awareness | None, tr: Translate, lang: str) -> html.Div:
    """The city-wide aware / want to know / not interested split as a bar and numbers."""
    if aw is None:
        return html.Div(tr("rapor.no_survey"), className="muted rapor-split")
    parts = (("aware", aw.aware_pct), ("want", aw.want_to_know_pct), ("not", aw.not_interested_pct))
    bar = html.Div([html.Div(className=f"rapor-seg rapor-seg-{k}", style={"width": f"{max(0.0, v):.1f}%"})
                    for k, v in parts], className="rapor-bar")
    nums = [tagged(html.Span([html.Span(className=f"rapor-dot rapor-seg-{k}"), tr(f"rapor.{k}") + " ",
                              html.B(fmt_pct(v, 1, lang, signed=False))], className="rapor-split-item"), part=k)
            for k, v in parts]
    nums.append(html.Span(f"{fmt_int(aw.respondents, lang)} {tr('rapor.respondents')}", className="muted"))
    return html.Div([bar, html.Div(nums, className="rapor-split-nums")], className="rapor-split")


def awareness_legend(tr: Translate, lang: str) -> list[html.Span]:
    def swatch(color: str, text: str) -> html.Span:
        return html.Span([html.Span(className="swatch box", style={"background": color}), text],
                         className="legend-item")

    items = [swatch(c.color, f"{fmt_int(c.low, lang)}–{fmt_int(c.high, lang)}%") for c in AWARE_CLASSES]
    return [*items, swatch(UNSURVEYED_FILL, f"{DASH} {tr('rapor.unsurveyed')}")]


def topic_dropdown(dropdown_id: str, snapshot: Snapshot | None, value: str | None, tr: Translate,
                   lang: str) -> dcc.Dropdown:
    return dcc.Dropdown(id=dropdown_id, options=topic_options(snapshot, tr, lang), value=value, clearable=False,
                        searchable=False, placeholder=tr("rapor.no_survey"), className="rapor-topic")
