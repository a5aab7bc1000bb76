"""The wall's replay, one hour of ``marvec.replay.Replay`` at a time (pure).

``replay_layers`` shades the map by the hour's complaints received per kecamatan on one
scale for the whole window (``Replay.received_max``), so a darker district is a quieter
hour wherever it is in the replay; ``replay_parts`` gives the banner, the tiles, the
progress strip across the hours and the legend. An unknown value is ``–`` and an unknown
district is drawn as unknown, never as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dash import html

from layers.citymap import LABEL_BASE, MapLayers, label_name
from layers.dom import tagged
from layers.fmt import (
    DASH,
    Translate,
    fmt_clock,
    fmt_count,
    fmt_day,
    fmt_idr_short,
    fmt_int,
    parse_time,
)
from layers.legend import _swatch
from layers.mapframe import MapFrame
from layers.mappoints import Points
from layers.palette import (
    NONE_FILL,
    RAMPS,
    UNKNOWN_FILL,
    ShadeClass,
    class_label,
    color_for,
    shade_classes,
)
from layers.tiles import sparkline
from marvec.replay import Replay, ReplayHour


def step_index(step: int | None, replay: Replay | None) -> int:
    """The hour shown at step ``step`` of the loop (0: the oldest hour, then on, looping)."""
    if replay is None or not replay.items:
        return 0
    return (step or 0) % len(replay.items)


def classes_for(replay: Replay) -> list[ShadeClass]:
    """The shading classes of the whole window (one scale for every hour)."""
    return shade_classes([float(replay.received_max)], RAMPS["complaints"])


def replay_layers(replay: Replay | None, index: int, frame: MapFrame, scale: float = 1.0) -> MapLayers:
    """The map for hour ``index``: fills and labels only (no live points: they are now's)."""
    hour = replay.items[index] if replay is not None and replay.items else None
    by = hour.received_by_kecamatan if hour is not None else None
    classes = classes_for(replay) if replay is not None else []
    fills, labels = [], []
    for name in frame.names:
        value = None if by is None else by.get(name, 0)
        fills.append(UNKNOWN_FILL if value is None else color_for(value, classes))
        labels.append(f"{label_name(frame, name)}<br><b>{fmt_int(value)}</b>")
    return MapLayers(fills=fills, labels=labels, classes=classes, complaints=Points(), near=Points(),
                     incidents=Points(), view=frame.bounds, scale=scale, label_base=LABEL_BASE)


def hour_span(hour: ReplayHour, tr: Translate, lang: str, now: float | None = None) -> str:
    """``14:00–15:00`` (``16:00–sekarang`` for the running hour), the day first when it is
    not the day of ``now``."""
    start = parse_time(hour.start)
    end = tr("replay.now") if hour.current else fmt_clock(hour.end)
    text = f"{fmt_clock(start)}–{end}"
    if now is not None and start is not None and fmt_day(start, lang) != fmt_day(now, lang):
        text = f"{fmt_day(start, lang)} {text}"
    return text


def banner_text(replay: Replay, index: int, tr: Translate, lang: str, now: float) -> str:
    """``PUTAR ULANG · 14:00–15:00 WITA · jam 3 dari 8``."""
    return tr("replay.banner").format(span=hour_span(replay.items[index], tr, lang, now), n=index + 1,
                                      total=len(replay.items))


@dataclass(frozen=True)
class TileSpec:
    key: str
    """``ReplayHour`` field shown."""
    gauge: bool = False
    """A sample at the hour's end (not a count over it)."""
    money: bool = False


TILES: tuple[TileSpec, ...] = (
    TileSpec("received"), TileSpec("resolved"), TileSpec("incidents_new"), TileSpec("tx_amount_idr", money=True),
    TileSpec("open", gauge=True), TileSpec("overdue", gauge=True), TileSpec("active", gauge=True),
)
FEED_OF_TILE = {"received": "complaints", "resolved": "complaints", "incidents_new": "disasters",
                "tx_amount_idr": "economy"}


def _value(hour: ReplayHour, key: str) -> int | None:
    value: int | None = getattr(hour, key)
    return value


def replay_tile(spec: TileSpec, replay: Replay, index: int, tr: Translate, lang: str) -> html.Div:
    """One tile: what, the hour's number (``–`` unknown), why or what it counts, the window's bars."""
    hour = replay.items[index]
    value = _value(hour, spec.key)
    shown = DASH if value is None else fmt_idr_short(value, lang) if spec.money else fmt_int(value, lang)
    if value is None:
        sub = tr("replay.unsampled" if spec.gauge else "replay.unknown")
    elif not spec.gauge and FEED_OF_TILE[spec.key] in hour.since:
        sub = tr("kpi.counted_since").format(time=fmt_clock(hour.since[FEED_OF_TILE[spec.key]]))
    else:
        sub = tr("replay.at_end" if spec.gauge else "replay.in_hour")
    children: list[Any] = [html.Div(tr("replay.tile." + spec.key), className="tile-label"),
                           html.Div(shown, className="tile-value"),
                           html.Div(sub, className="tile-sub muted" + (" unknown-why" if value is None else ""))]
    if spec.key == "tx_amount_idr" and hour.tx_count is not None:
        children.append(html.Div(fmt_count(hour.tx_count, "transactions", tr, lang), className="tile-detail"))
    series: Sequence[float | None] = [_value(h, spec.key) for h in replay.items]
    # The newest hour is still filling: its count so far drawn as an outline, not a drop.
    spark = sparkline(series, bars=len(series), filling=not spec.gauge and replay.items[-1].current)
    bars = spark.children if isinstance(spark.children, list) else []
    if 0 <= index < len(bars):  # the hour being shown, lit
        bar = bars[index]
        setattr(bar, "className", ((getattr(bar, "className", None) or "") + " now").strip())  # noqa: B010
    children.append(spark)
    classes = "tile replay-tile" + (" money" if spec.money else "") + (" unknown" if value is None else "")
    return tagged(html.Div(children, className=classes), kpi="replay." + spec.key)


def _total(values: Sequence[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def total_tile(replay: Replay, tr: Translate, lang: str) -> html.Div:
    """The whole window at a glance (the hand-over's one line): complaints received over
    the known hours, resolved and new incidents; since when if the data began inside it."""
    items = replay.items
    received = _total([h.received for h in items])
    sub = tr("replay.total.sub").format(resolved=fmt_int(_total([h.resolved for h in items]), lang),
                                        incidents=fmt_int(_total([h.incidents_new for h in items]), lang))
    began = next((h for h in items if h.received is not None), None)
    children: list[Any] = [html.Div(tr("replay.tile.total").format(n=len(items)), className="tile-label"),
                           html.Div(fmt_int(received, lang), className="tile-value"),
                           html.Div(tr("replay.total.received"), className="tile-sub muted"),
                           html.Div(sub, className="tile-detail wrap")]
    if began is not None and (began is not items[0] or "complaints" in began.since):
        since = began.since.get("complaints") or began.start
        children.append(html.Div(tr("kpi.counted_since").format(time=fmt_clock(since)),
                                 className="tile-detail counted-since"))
    return tagged(html.Div(children, className="tile replay-tile replay-total"), kpi="replay.total")


def progress(replay: Replay, index: int, tr: Translate, lang: str, step_seconds: int) -> list[html.Div]:
    """One segment per hour (start time, complaints received): done, the current one filling
    over ``step_seconds``, the rest to come."""
    out = []
    for i, hour in enumerate(replay.items):
        state = "done" if i < index else "now" if i == index else "next"
        fill = html.Div(className="replay-fill",
                        style={"animationDuration": f"{step_seconds}s"} if i == index else None)
        out.append(html.Div([fill, html.Span(fmt_clock(hour.start), className="replay-seg-time"),
                             html.Span(fmt_int(hour.received, lang), className="replay-seg-value")],
                            className=f"replay-seg {state}" + (" unknown" if hour.received is None else ""),
                            title=hour_span(hour, tr, lang)))
    return out


def legend(replay: Replay, index: int, tr: Translate, lang: str) -> list[html.Span]:
    """What the shading counts, its classes (one scale for the whole replay), unknown."""
    items = [html.Span(tr("replay.legend").format(n=len(replay.items)), className="legend-item legend-unit"),
             _swatch(NONE_FILL, tr("map.legend.zero"))]
    items += [_swatch(c.color, class_label(c, lambda v: fmt_int(v, lang))) for c in classes_for(replay)]
    items.append(_swatch(UNKNOWN_FILL, tr("replay.legend.unknown")))
    return items


def top_list(by: dict[str, int] | None, tr: Translate, lang: str, limit: int = 5) -> str:
    """``Tamalate 12 · Rappocini 9 · …`` (``–``: unknown; ``nihil``: none)."""
    if by is None:
        return DASH
    top = sorted(((v, k) for k, v in by.items() if v > 0), key=lambda t: (-t[0], t[1] == "?", t[1]))[:limit]
    if not top:
        return tr("map.legend.zero")
    return " · ".join(f"{tr('incident.no_kecamatan') if k == '?' else k} {fmt_int(v, lang)}" for v, k in top)


def hour_panel(replay: Replay, index: int, tr: Translate, lang: str) -> list[html.Div]:
    """The hour's busiest kecamatan for complaints and where incidents began."""
    hour = replay.items[index]
    return [html.Div([html.Div(tr("replay.top.received"), className="replay-panel-label"),
                      html.Div(top_list(hour.received_by_kecamatan, tr, lang), className="replay-panel-text")]),
            html.Div([html.Div(tr("replay.top.incidents"), className="replay-panel-label"),
                      html.Div(top_list(hour.incidents_by_kecamatan, tr, lang), className="replay-panel-text")])]


def replay_parts(replay: Replay | None, index: int, tr: Translate, lang: str, now: float,
                 step_seconds: int) -> dict[str, Any]:
    """Every changing part of the replay page for hour ``index`` (``replay`` ``None``: not read
    yet: the banner still says replay, every number is ``–``)."""
    if replay is None or not replay.items:
        return {"banner": tr("replay.banner.none"), "title": tr("replay.map"), "legend": [],
                "tiles": [html.Div([html.Div(tr("replay.tile." + s.key), className="tile-label"),
                                    html.Div(DASH, className="tile-value")], className="tile replay-tile unknown")
                          for s in TILES],
                "progress": [], "panel": []}
    hour = replay.items[index]
    return {
        "banner": banner_text(replay, index, tr, lang, now),
        "title": tr("replay.map.hour").format(span=hour_span(hour, tr, lang, now)),
        "legend": legend(replay, index, tr, lang),
        "tiles": [*(replay_tile(s, replay, index, tr, lang) for s in TILES), total_tile(replay, tr, lang)],
        "progress": progress(replay, index, tr, lang, step_seconds),
        "panel": hour_panel(replay, index, tr, lang),
    }
