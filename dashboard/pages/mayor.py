"""/mayor: today at a glance on a tablet (touch-first, portrait or landscape, no page scroll).

The whole picture fits the screen: what needs attention ("Perlu perhatian", ranked,
``layers.attention``), today's numbers with deltas vs yesterday, the map, and short
summaries of the hotspots, the OPD report card and staple prices. Detail is one tap
away in a sheet: a kecamatan (map or hotspot row), an attention item, a tile, a summary.
Its close button or a tap beside it closes it; nothing needs hover.

The sheet shows the page's selection (``ids.MAYOR_SELECTED``): a kecamatan's name, or
``kpi:<key>``, ``incident:<id>``, ``commodity:<code>``, ``feed:<feed>`` (``feed:all``),
``complaints:unassigned``, ``list:attention|hotspots|report|prices``.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboard.alerts_api import ACK_ROLES
from dashboard.components import ids
from dashboard.components.citymap import create_map
from dashboard.components.context import ScreenContext, clamp_scale
from dashboard.components.live import cached_page_outputs, create_page_digests
from dashboard.components.ops import create_part, may, ops_outputs, ops_view, register_ops
from dashboard.components.read import Read
from dashboard.components.shell import (
    create_banner,
    create_live,
    create_topbar,
    create_watchdog,
    heartbeat,
    live_inputs,
    register_clock,
)
from layers.attention import attention_items, attention_list, overdue_points, unassigned_points
from layers.citymap import city_map_figure, map_layers
from layers.district import (
    complaint_rows,
    day_bars,
    detail_sheet,
    district_detail,
    fact,
    hotspot_list,
)
from layers.dom import tagged
from layers.fmt import (
    DASH,
    Translate,
    fmt_age,
    fmt_clock,
    fmt_day,
    fmt_idr_short,
    fmt_int,
    label,
    parse_time,
)
from layers.freshness import Freshness, banner, status_pills
from layers.kpi import KPIS, kpi_views
from layers.legend import map_legend
from layers.ops import alert_list
from layers.panels import bar_list, incident_line, ranked
from layers.period import (
    CHOICES,
    FLOW_KEYS,
    TREND_DAYS,
    days_of,
    kecamatan_trend,
    map_values,
    period_views,
    valid_choice,
)
from layers.report import kecamatan_price_table, market_table, price_facts, price_table, report_card
from layers.tiles import kpi_tile
from marvec.i18n import normalize, translator
from marvec.period import Period
from marvec.snapshot import Incident, Snapshot

PAGE = ids.MAYOR
MAP_LABEL_PX = 12.0
"""Kecamatan label size on the tablet's map (half the wall's map: smaller labels)."""
ATTENTION = "mayor-attention"
ATTENTION_COUNT = "mayor-attention-count"
SUMMARY_ROWS = 3
"""Rows in each summary card (hotspots, report card, prices); the rest is in the sheet."""

ATTENTION_ROWS = 7
"""Rows of "Perlu perhatian" drawn on the page (landscape shows five, portrait seven; a
thousand incidents must not become a thousand hidden rows); "Semua" opens the rest."""
OPS_PARTS = ("level",)
PERIOD = "mayor-period"
"""The period toggle's choice (``layers.period.CHOICES``), kept in the tab's session
storage: it outlives the language toggle's re-render and a reload."""


def period_button(choice: str) -> str:
    return f"mayor-period-{choice}"


ALERT_CHIP = "mayor-alert-chip"
"""The top bar's count of firing alerts; a tap on it or the level opens the alerts sheet."""
OUTPUTS: tuple[tuple[str, str, str], ...] = (
    *((PAGE.kpi(i), "children", f"kpi{i}") for i in range(len(KPIS))),
    (ATTENTION, "children", "attention"),
    (ATTENTION_COUNT, "children", "attention_count"),
    (ids.MAYOR_HOTSPOTS, "children", "hotspots"),
    (ids.MAYOR_REPORT, "children", "report"),
    (ids.MAYOR_PRICES, "children", "prices"),
    (PAGE.legend, "children", "legend"),
    (PAGE.pills, "children", "pills"),
    (PAGE.banner, "children", "banner"),
    (PAGE.banner, "className", "banner_class"),
    (ids.MAYOR_DETAIL, "children", "detail"),
    (ids.MAYOR_DETAIL, "className", "detail_class"),
    (ids.MAYOR_SCRIM, "className", "scrim_class"),
    (ALERT_CHIP, "children", "alert_chip"),
    (ALERT_CHIP, "className", "alert_chip_class"),
    *ops_outputs(PAGE, OPS_PARTS),
)
KEYS = tuple(key for _, _, key in OUTPUTS)
LISTS = ("attention", "hotspots", "report", "prices", "alerts")


def valid_selection(selected: Any, snapshot: Snapshot | None, names: tuple[str, ...]) -> str | None:
    """``selected`` if the sheet can show it (a known kecamatan or a known detail), else None."""
    if not isinstance(selected, str) or not selected:
        return None
    if selected in names:
        return selected
    kind, _, key = selected.partition(":")
    if kind == "list":
        return selected if key in LISTS else None
    if kind == "kpi":
        return selected if any(s.key == key for s in KPIS) else None
    if kind == "feed":
        return selected if key in ("all", "complaints", "economy", "disasters") else None
    if kind == "complaints":
        return selected if key == "unassigned" else None
    if snapshot is None:
        return None
    if kind == "incident":
        return selected if any(i.incident_id == key for i in snapshot.disasters.incidents) else None
    if kind == "commodity":
        return selected if key in snapshot.economy.prices else None
    return None


def render(screen: ScreenContext, read: Read, lang: str, scale: float, selected: str | None,
           can_ack: bool = False, choice: str = "today", period: Period | None = None,
           week: Period | None = None) -> dict[str, Any]:
    """Every changing part of the mayor's screen for one read (``can_ack``: the caller may
    acknowledge alerts, so the alerts sheet offers the button). ``choice``: the period
    toggle's (``today``, ``7d``, ``30d``) with its ``period`` sums; ``week``: the last 7
    days, for a kecamatan's trend in the sheet."""
    tr = translator(lang)
    snap = read.snapshot
    chosen = valid_selection(selected, snap, screen.names)
    kec = chosen if chosen in screen.names else None
    days = days_of(choice)
    shade = map_values(period) if days else None
    layers = map_layers(snap, screen.frame, "complaints", tr, lang, scale, selected=kec, label_base=MAP_LABEL_PX,
                        values=shade)
    banner_children, banner_class = banner(read.fresh, tr)
    items = attention_items(snap, read.fresh)
    detail = sheet(snap, chosen, tr, lang, read.now, read.fresh, can_ack, week, period, days) if chosen else None
    firing = len(snap.ops.firing) if snap is not None else 0
    views = kpi_views(snap, read.fresh)
    if days:
        views = period_views(views, period, days)
    tiles = {f"kpi{i}": kpi_tile(v, tr, lang) for i, v in enumerate(views)}
    return {
        **tiles,
        "attention": attention_list(items, tr, lang, limit=ATTENTION_ROWS, more_row=False),
        "attention_count": fmt_int(len(items), lang) if snap is not None else DASH,
        "hotspots": hotspot_list(snap, tr, lang, limit=SUMMARY_ROWS),
        "report": report_card(snap, tr, lang, limit=SUMMARY_ROWS),
        "prices": price_table(snap, tr, lang, limit=SUMMARY_ROWS, select=True),
        "legend": map_legend(layers.classes, "complaints", tr, lang,
                             unit=tr("map.legend.received_period").format(n=days) if shade is not None else None),
        "pills": status_pills(read.fresh, tr, compact=True),
        "banner": banner_children,
        "banner_class": banner_class,
        "detail": detail,
        "detail_class": "detail-sheet" if chosen else "detail-sheet hidden",
        "scrim_class": "detail-scrim" if chosen else "detail-scrim hidden",
        "alert_chip": tr("alert.chip").format(n=fmt_int(firing, lang)) if firing else tr("alert.chip_none"),
        "alert_chip_class": "alert-chip firing" if firing else "alert-chip",
        **ops_view(snap, OPS_PARTS, lang, read.now, can_ack),
        "layers": layers,
    }


# -- the detail sheet --------------------------------------------------------------------
def _part(name: str, title: str, body: Any) -> html.Div:
    return tagged(html.Div([html.H3(title), body], className="detail-section"), section=name)


def _incident_rows(incidents: list[Incident], tr: Translate, lang: str, now: float) -> html.Div:
    rows = [tagged(html.Button(incident_line(i, tr, lang, now), className="sheet-row", type="button"),
                   select=f"incident:{i.incident_id}", incident=i.incident_id) for i in incidents]
    return html.Div(rows or [html.Div(tr("district.none"), className="muted")], className="incident-lines")


def _opd_overdue(snap: Snapshot, tr: Translate, lang: str) -> html.Div:
    rows = ranked({o: s.overdue for o, s in snap.complaints.by_opd.items()})
    return bar_list(rows, [fmt_int(v, lang) for _, v in rows], "amber", limit=12) if rows else html.Div(
        tr("district.none"), className="muted")


def _kpi_sheet(snap: Snapshot | None, key: str, tr: Translate, lang: str, now: float) -> list[Any]:
    if snap is None:
        return [html.Div(tr("fresh.nodata"), className="muted")]
    c, d = snap.complaints, snap.disasters
    if key == "complaints.overdue":
        late = overdue_points(snap, now)
        kec = ranked({k: sum(1 for p, _ in late if p.kecamatan == k) for k in snap.kecamatan})
        return [
            html.Div([fact(fmt_int(c.overdue, lang), tr("sheet.overdue_total"), "overdue")], className="facts"),
            _part("by_opd", tr("sheet.overdue_by_opd"), _opd_overdue(snap, tr, lang)),
            _part("overdue_list", f"{tr('sheet.overdue_latest')} · {fmt_int(len(late), lang)}",
                  complaint_rows([p for p, _ in late], tr, lang, now) if late else
                  html.Div(tr("sheet.overdue_not_in_latest"), className="muted")),
            _part("by_kecamatan", tr("sheet.overdue_by_kecamatan"),
                  bar_list(kec, [fmt_int(v, lang) for _, v in kec], "amber", limit=15)) if kec else None,
        ]
    if key == "complaints.open":
        cats = [(label(tr, "cat", k), v) for k, v in ranked(c.by_category)]
        return [
            html.Div([fact(fmt_int(c.open, lang), tr("district.open"), "open")], className="facts"),
            _part("by_opd", tr("mayor.report_card"), report_card(snap, tr, lang)),
            _part("by_category", tr("panel.by_category"),
                  bar_list(cats, [fmt_int(v, lang) for _, v in cats], "amber", limit=11)),
        ]
    if key in ("complaints.received_today", "complaints.resolved_today"):
        value = c.received_today if key == "complaints.received_today" else c.resolved_today
        return [
            html.Div([fact(fmt_int(value, lang), tr("kpi." + key), "value")], className="facts"),
            _part("by_opd", tr("mayor.report_card"), report_card(snap, tr, lang)),
            _part("latest", f"{tr('sheet.latest')} · {fmt_int(len(c.latest), lang)}",
                  complaint_rows(c.latest, tr, lang, now)),
        ]
    if key.startswith("disasters."):
        return [
            html.Div([fact(fmt_int(d.active, lang), tr("unit.incidents"), "active"),
                      fact(fmt_int(d.affected_people, lang), tr("unit.affected"), "affected"),
                      fact(fmt_int(d.displaced, lang), tr("unit.displaced"), "displaced")], className="facts"),
            _part("incidents", f"{tr('district.incidents')} · {fmt_int(len(d.incidents), lang)}",
                  _incident_rows(d.incidents, tr, lang, now)),
        ]
    if key == "economy.tx_amount_today":
        kec = ranked(snap.economy.by_kecamatan)
        merchants = [(label(tr, "merchant", k), v) for k, v in ranked(snap.economy.by_merchant_category)]
        t = snap.economy.transactions_today
        return [
            html.Div([fact(fmt_idr_short(t.amount_idr, lang), "", "amount"),
                      fact(fmt_int(t.count, lang), tr("unit.transactions"), "count")], className="facts"),
            _part("by_kecamatan", tr("sheet.tx_by_kecamatan"),
                  bar_list(kec, [fmt_idr_short(v, lang) for _, v in kec], "teal", limit=15)),
            _part("by_merchant", tr("sheet.by_merchant"),
                  bar_list(merchants, [fmt_int(v, lang) for _, v in merchants], "teal")) if merchants else None,
        ]
    return _prices_sheet(snap, tr, lang)


def _period_sheet(period: Period | None, key: str, days: int, tr: Translate, lang: str) -> list[Any]:
    """A flow tile in a period: its sum (with from when it counts), one bar per day, and
    for the complaints received the kecamatan over the period."""
    if period is None:
        return [html.Div(tr("fresh.nodata"), className="muted")]
    c, t = period.complaints, period.transactions
    tx = key == "economy.tx_amount_today"
    per_day = t.amount_per_day if tx else c.received_per_day if key == "complaints.received_today" \
        else c.resolved_per_day
    total = t.amount_idr if tx else c.received if key == "complaints.received_today" else c.resolved
    since = t.since if tx else c.since
    value = fmt_idr_short(total, lang) if tx else fmt_int(total, lang)
    note = tr("kpi.counted_since").format(time=fmt_day(since, lang)) if since else tr("period.whole").format(n=days)
    parts: list[Any] = [
        html.Div([fact(value, note, "total")] + ([fact(fmt_int(t.count, lang), tr("unit.transactions"), "count")]
                                                  if tx else []), className="facts"),
        _part("per_day", tr("sheet.per_day"), day_bars(list(zip(period.day_starts, per_day, strict=True)),
                                                        tr, lang, money=tx)),
    ]
    if key == "complaints.received_today" and c.received_by_kecamatan is not None:
        kec = ranked(c.received_by_kecamatan)
        parts.append(_part("by_kecamatan", tr("sheet.received_by_kecamatan"),
                           bar_list(kec, [fmt_int(v, lang) for _, v in kec], "amber", limit=15)))
    return parts


def _prices_sheet(snap: Snapshot | None, tr: Translate, lang: str) -> list[Any]:
    """Every staple (tap one for its markets), then the markets of those that rose most."""
    prices = snap.economy.prices if snap else {}
    up = sorted(prices, key=lambda k: -(prices[k].change_7d_pct or 0))[:3]
    return [
        _part("prices", tr("mayor.prices"), price_table(snap, tr, lang, select=True)),
        *(_part(f"markets:{k}", f"{label(tr, 'commodity', k)} · {tr('sheet.by_market')}",
                market_table(snap, k, tr, lang)) for k in up),
    ]


def _incident_sheet(i: Incident, tr: Translate, lang: str, now: float) -> list[Any]:
    facts = [tagged(html.Div([html.Span(tr("sheet.severity") + " ", className="muted"),
                              html.Span(str(i.severity), className=f"sev sev-{i.severity}")], className="fact"),
                    fact="severity")]
    for name, value in (("affected", i.affected_people), ("displaced", i.displaced), ("injured", i.injured),
                        ("deaths", i.deaths)):
        if value is not None:
            facts.append(fact(fmt_int(value, lang), tr("unit." + name), name))
    steps = [html.Li([html.Span(fmt_clock(e.at), className="tl-time"), " " + label(tr, "istatus", e.status),
                      html.Span(f" · {tr('sheet.severity')} {e.severity}", className="muted") if e.severity else None],
                     className="tl-step") for e in i.timeline or []]
    return [
        html.Div(facts, className="facts"),
        _part("summary", tr("sheet.incident"), incident_line(i, tr, lang, now)),
        _part("timeline", tr("sheet.timeline"), html.Ol(steps, className="timeline") if steps else
              html.Div(tr("district.none"), className="muted")),
    ]


def _feed_sheet(snap: Snapshot | None, feed: str, fresh: Freshness, tr: Translate, lang: str) -> list[Any]:
    feeds = ("complaints", "economy", "disasters") if feed == "all" else (feed,)
    rows = []
    for f in feeds:
        stats = snap.feeds.get(f) if snap else None
        applied = parse_time(stats.last_applied_at) if stats else None
        rows.append(tagged(html.Tr([
            html.Td(tr("feed." + f), className="name"),
            html.Td(label(tr, "state", fresh.of(f).state), className="num"),
            html.Td(fmt_clock(applied) if applied is not None else DASH, className="num"),
            html.Td(fmt_age(stats.silent_for_s, lang) if stats and stats.silent_for_s is not None else DASH,
                    className="num"),
        ]), feed=f))
    head = html.Thead(html.Tr([html.Th(tr(k), className=c) for k, c in (
        ("sheet.feed", "name"), ("sheet.state", "num"), ("sheet.last_applied", "num"), ("sheet.silent", "num"))]))
    return [html.Div(tr("sheet.stale_note"), className="muted sheet-note"),
            html.Table([head, html.Tbody(rows)], className="table feed-table")]


def sheet(snap: Snapshot | None, chosen: str, tr: Translate, lang: str, now: float, fresh: Freshness,
          can_ack: bool = False, week: Period | None = None, period: Period | None = None,
          days: int | None = None) -> html.Div:
    """The detail sheet's content for a (valid) selection (``week``: the last 7 days, for a
    kecamatan's trend; ``days`` and ``period``: the toggle's period, whose flow tiles open
    the period's detail)."""
    close = tr("district.close")
    if ":" not in chosen:
        return district_detail(snap, chosen, tr, lang, now, trend=kecamatan_trend(week, chosen))
    kind, _, key = chosen.partition(":")
    if kind == "kpi" and days and key in FLOW_KEYS:
        title = f"{tr('kpi.' + key)} · {tr('period.' + str(days) + 'd')}"
        return detail_sheet(title, _period_sheet(period, key, days, tr, lang), close, sheet=chosen)
    if kind == "kpi":
        return detail_sheet(tr("kpi." + key), _kpi_sheet(snap, key, tr, lang, now), close, sheet=chosen)
    if kind == "incident" and snap is not None:
        i = next(i for i in snap.disasters.incidents if i.incident_id == key)
        title = f"{label(tr, 'hazard', i.hazard)} · {i.kecamatan or tr('incident.no_kecamatan')}"
        return detail_sheet(title, _incident_sheet(i, tr, lang, now), close, sheet=chosen)
    if kind == "commodity" and snap is not None:
        facts = [fact(v, k, str(n)) for n, (k, v) in enumerate(price_facts(snap, key, tr, lang))]
        return detail_sheet(label(tr, "commodity", key), [
            html.Div(facts, className="facts"),
            _part("markets", tr("sheet.by_market"), market_table(snap, key, tr, lang)),
            _part("by_kecamatan", tr("sheet.price_by_kecamatan"), kecamatan_price_table(snap, key, tr, lang)),
        ], close, sheet=chosen)
    if kind == "feed":
        return detail_sheet(tr("sheet.feeds"), _feed_sheet(snap, key, fresh, tr, lang), close, sheet=chosen)
    if kind == "complaints":
        points = unassigned_points(snap)
        return detail_sheet(tr("sheet.unassigned"), [complaint_rows(points, tr, lang, now)], close, sheet=chosen)
    if key == "alerts":
        return detail_sheet(tr("alert.title"), [create_part(PAGE, "alerts", alert_list(snap, tr, lang, now, can_ack))],
                            close, sheet=chosen)
    if key == "attention":
        return detail_sheet(tr("attn.title"), [attention_list(attention_items(snap, fresh), tr, lang, limit=50)], close,
                            sheet=chosen)
    if key == "hotspots":
        return detail_sheet(tr("mayor.hotspots"), [hotspot_list(snap, tr, lang, limit=99)], close, sheet=chosen)
    if key == "report":
        return detail_sheet(tr("mayor.report_card"), [report_card(snap, tr, lang)], close, sheet=chosen)
    return detail_sheet(tr("mayor.prices"), _prices_sheet(snap, tr, lang), close, sheet=chosen)


# -- layout ------------------------------------------------------------------------------
def _card(title: str, body: Any, css: str, more: str | None = None, more_text: str | None = None,
          count_id: str | None = None, count: Any = None, extra: Any = None) -> html.Section:
    head: list[Any] = [html.H2([title, html.Span([" · ", html.Span(count, id=count_id)], className="muted")
                                if count_id else None])]
    if extra is not None:
        head.append(extra)
    if more:
        head.append(tagged(html.Button(more_text, className="btn more", type="button"), select=more))
    return html.Section([html.Div(head, className="card-head-row"), body], className=f"card {css}")


def layout(screen: ScreenContext, lang: str) -> html.Div:
    tr = translator(lang)
    view = render(screen, screen.read(), lang, 1.0, None, may(ACK_ROLES))
    figure = city_map_figure(screen.frame, view["layers"], "tap", uirevision="mayor")
    all_text = tr("mayor.all")
    slots = [tagged(html.Div(view[f"kpi{i}"], id=PAGE.kpi(i), className="kpi-slot"), select=f"kpi:{s.key}")
             for i, s in enumerate(KPIS)]
    return tagged(html.Div([
        *create_live(PAGE, screen.settings.refresh_ms),
        create_page_digests(PAGE.digests, screen.frame, view, KEYS),
        dcc.Store(id=ids.MAYOR_SELECTED, storage_type="memory"),
        dcc.Store(id=PERIOD, storage_type="session", data="today"),
        create_topbar(PAGE, tr, tr("nav.mayor"), pills=view["pills"]),
        create_banner(PAGE, view["banner"], view["banner_class"]),
        html.Main([
            _card(tr("attn.title"), html.Div(view["attention"], id=ATTENTION, className="attn-wrap"), "attention",
                  "list:attention", all_text, ATTENTION_COUNT, view["attention_count"],
                  # The city's level and the firing alerts head the list; a tap opens the alerts.
                  extra=tagged(html.Div([
                      create_part(PAGE, "level", view["ops_level"]),
                      html.Span(view["alert_chip"], id=ALERT_CHIP, className=view["alert_chip_class"]),
                  ], className="mayor-ops"), select="list:alerts")),
            _card(tr("mayor.figures"), html.Div(slots, id=PAGE.kpis, className="kpi-grid"), "today",
                  extra=period_toggle(tr, "today")),
            _card(tr("mayor.map"), html.Div([
                html.Div(create_map(PAGE.map, figure, "tap"), className="map-box"),
                html.Div(view["legend"], id=PAGE.legend, className="legend"),
            ], className="map-wrap"), "map-card"),
            html.Div([
                _card(tr("mayor.hotspots_short"), html.Div(view["hotspots"], id=ids.MAYOR_HOTSPOTS, className="hot-wrap"),
                      "hotspots summary", "list:hotspots", all_text),
                _card(tr("mayor.report_short"), html.Div(view["report"], id=ids.MAYOR_REPORT), "report summary",
                      "list:report", all_text),
                _card(tr("mayor.prices_short"), html.Div(view["prices"], id=ids.MAYOR_PRICES), "prices summary",
                      "list:prices", all_text),
            ], className="summaries"),
        ], className="mayor-grid"),
        tagged(html.Div(id=ids.MAYOR_SCRIM, className=view["scrim_class"]), select=""),
        html.Div(view["detail"], id=ids.MAYOR_DETAIL, className=view["detail_class"]),
        create_watchdog(PAGE, tr),
    ], id=PAGE.root, className="page mayor"), select_store=ids.MAYOR_SELECTED)


def period_toggle(tr: Translate, choice: str) -> html.Div:
    """Hari ini / 7 hari / 30 hari: three touch-sized buttons, the chosen one pressed."""
    return html.Div([html.Button(tr("period." + c), id=period_button(c), type="button", n_clicks=0,
                                 className="btn period" + (" on" if c == choice else ""))
                     for c in CHOICES], className="period-toggle", role="group")


def tapped_kecamatan(click: dict[str, Any] | None, names: tuple[str, ...]) -> str | None:
    """The kecamatan under a tap on the map (polygon fills carry their name), if any."""
    for point in (click or {}).get("points", []):
        data = point.get("customdata")
        if isinstance(data, str) and data in names:
            return data
        curve = point.get("curveNumber")
        if isinstance(curve, int) and 0 <= curve < len(names):
            return names[curve]
    return None


def register(app: Dash, screen: ScreenContext) -> None:
    register_clock(app, PAGE)
    register_ops(app, screen, PAGE, ("alerts",))

    # Hotspot rows, the sheet's close button and the dimmed page around the sheet select
    # in the browser (``data-select`` -> ``marvec.js`` -> the store); the map here.
    @app.callback(Output(ids.MAYOR_SELECTED, "data"), Input(PAGE.map, "clickData"), prevent_initial_call=True)
    def select(click: dict[str, Any] | None) -> Any:
        return tapped_kecamatan(click, screen.names) or no_update

    @app.callback(Output(PERIOD, "data"), *[Input(period_button(c), "n_clicks") for c in CHOICES],
                  prevent_initial_call=True)
    def choose_period(*_clicks: Any) -> Any:
        for c in CHOICES:
            if ctx.triggered_id == period_button(c):
                return c
        return no_update

    @app.callback(*[Output(period_button(c), "className") for c in CHOICES], Input(PERIOD, "data"))
    def show_period(choice: Any) -> list[str]:
        chosen = valid_choice(choice)
        return ["btn period" + (" on" if c == chosen else "") for c in CHOICES]

    @app.callback(
        Output(PAGE.map, "figure"),
        *[Output(cid, prop) for cid, prop, _ in OUTPUTS],
        Output(PAGE.heartbeat, "data"),
        Output(PAGE.digests, "data"),
        *live_inputs(PAGE),
        Input(ids.MAYOR_SELECTED, "data"),
        Input(PERIOD, "data"),
        State(ids.LANG, "data"),
        State(PAGE.scale, "data"),
        State(PAGE.digests, "data"),
    )
    def refresh(n: int, push: Any, selected: str | None, choice: Any, lang: str | None, scale: float | None,
                shown: list[str] | None) -> list[Any]:
        read = screen.read(whole_seconds=True)
        chosen = valid_selection(selected, read.snapshot, screen.names)
        code, size = normalize(lang, screen.settings.lang), clamp_scale(scale)
        can_ack = may(ACK_ROLES)  # the alerts sheet's buttons depend on who asks: in the key
        period_choice = valid_choice(choice)
        days = days_of(period_choice)
        period = screen.period(days) if days else None
        week = period if days == TREND_DAYS else (screen.period(TREND_DAYS) if chosen in screen.names else None)
        key = ("mayor", code, size, chosen, can_ack, period_choice,
               period.generated_at if period else None, week.generated_at if week else None)
        values, hashes = cached_page_outputs(
            screen.views, key, read, screen.frame, KEYS,
            lambda: render(screen, read, code, size, chosen, can_ack, period_choice, period, week), shown)
        return [*values, heartbeat(n, push, read.now, screen.settings.refresh_ms), hashes]
