"""The city map: kecamatan shaded by the focused measure, incidents and complaints on top.

Built in two steps so a live screen can send small updates: ``map_layers`` turns a
snapshot into the values that change (fill colours, labels, points), ``city_map_figure``
draws the whole figure once (geometry included), and ``map_changes`` lists the
``(path, value)`` pairs to patch into a figure already on screen. Trace order is fixed:
one polygon trace per kecamatan (``frame.names`` order), then labels, complaints,
near-flood complaints, incidents.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from layers.fmt import Translate, fmt_dec, fmt_idr_compact, fmt_int, plot_text
from layers.mapframe import LABEL_PX, Box, MapFrame
from layers.mappoints import (
    Points,
    complaint_points,
    incident_points,
    incident_text_size,
    near_points,
)
from layers.palette import (
    BORDER,
    NEAR_FLOOD,
    RAMPS,
    SEA,
    SELECTED,
    UNKNOWN_FILL,
    ShadeClass,
    fills,
)
from marvec.snapshot import Incident, Snapshot

FOCI = ("complaints", "economy", "disasters")
"""Wall rotation order. ``crisis`` is disasters with an alarm."""

LAYER_NAMES = ("complaints", "near", "incidents", "labels")
"""Trace order after the polygons, which is also drawing order: labels on top."""

LABEL_BASE = LABEL_PX
"""Kecamatan label size (px at scale 1) for the largest district (17: read from 5 m on the
wall); a small map passes less."""
SMALL_DISTRICT = 0.5
LEADER = "#e2e8f0"
"""``label_weight`` below which a district counts as small (two-line name)."""


@dataclass(frozen=True)
class MapLayers:
    """Everything on the map that changes between refreshes."""

    fills: list[str]
    labels: list[str]
    classes: list[ShadeClass]
    complaints: Points
    near: Points
    incidents: Points
    view: Box
    scale: float = 1.0
    selected: str | None = None
    """A kecamatan drawn with a bright, thick border (the one whose detail is open)."""
    label_base: float = LABEL_BASE

    def border(self, name: str) -> dict[str, Any]:
        if name == self.selected:
            return {"color": SELECTED, "width": round(4 * self.scale, 1)}
        return {"color": BORDER, "width": round(1.2 * self.scale, 1)}


def focus_values(snapshot: Snapshot | None, focus: str) -> dict[str, float]:
    """The measure a focus shades by: open complaints, transaction amount or active incidents."""
    if snapshot is None:
        return {}
    if focus == "complaints":
        return dict(snapshot.complaints.by_kecamatan)
    if focus == "economy":
        return dict(snapshot.economy.by_kecamatan)
    return dict(snapshot.disasters.by_kecamatan)


def per_10k(values: Mapping[str, float], population: Mapping[str, int], names: Sequence[str]) -> dict[str, float | None]:
    """Each kecamatan's value per 10,000 residents (1 decimal); ``None`` where its population
    is not known (shown as unknown, never as 0)."""
    out: dict[str, float | None] = {}
    for name in names:
        pop = population.get(name)
        out[name] = round(10_000 * values.get(name, 0) / pop, 1) if pop else None
    return out


def trace_index(frame: MapFrame, layer: str) -> int:
    """Index of a named layer's trace (after the polygon traces)."""
    return len(frame.names) + LAYER_NAMES.index(layer)


def _label(frame: MapFrame, name: str, value: float | None, focus: str, lang: str, rate: bool = False) -> str:
    if focus == "economy":
        text = fmt_idr_compact(value, lang)
    else:
        text = fmt_dec(value, 1, lang) if rate else fmt_int(value, lang)
    return f"{label_name(frame, name)}<br><b>{text}</b>"


def label_sizes(frame: MapFrame, scale: float, base: float = LABEL_BASE) -> list[float]:
    """Label font size per kecamatan: smaller districts get smaller labels (less overlap);
    a called-out label (in free space) is drawn at the full size."""
    return [round(base * scale * (1.0 if n in frame.callouts else 0.72 + 0.38 * frame.label_weight.get(n, 1.0)), 1)
            for n in frame.names]


def label_name(frame: MapFrame, name: str) -> str:
    """The name as drawn: a small district's two-word name on two lines (narrower, so the
    crowded old town's labels do not run into each other); one line when called out."""
    escaped = plot_text(name)
    if name in frame.callouts:
        return escaped
    if frame.label_weight.get(name, 1.0) < SMALL_DISTRICT and " " in name:
        return escaped.replace(" ", "<br>", 1)
    return escaped


def incidents_view(frame: MapFrame, incidents: Sequence[Incident], min_span: float = 0.06) -> Box:
    """Axis ranges around the incidents (padded, at least ``min_span`` degrees); whole city if none."""
    pts = [frame.project(i.lon, i.lat) for i in incidents if i.lat is not None and i.lon is not None]
    if not pts:
        return frame.bounds
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half_w = max((max(xs) - min(xs)) * 0.85, min_span / 2)
    half_h = max((max(ys) - min(ys)) * 0.85, min_span / 2)
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def map_layers(
    snapshot: Snapshot | None,
    frame: MapFrame,
    focus: str,
    tr: Translate,
    lang: str = "id",
    scale: float = 1.0,
    incidents: Sequence[Incident] | None = None,
    flood_radius_m: float | None = None,
    zoom_to_incidents: bool = False,
    selected: str | None = None,
    ramp: str | None = None,
    label_base: float = LABEL_BASE,
    population: Mapping[str, int] | None = None,
    values: Mapping[str, float] | None = None,
) -> MapLayers:
    """The changing part of the map for one snapshot (``None``: nothing known yet).

    ``incidents`` defaults to all active ones; pass a filtered list to show fewer.
    ``flood_radius_m`` turns on the ring around flood-related complaints near floods.
    ``ramp`` overrides the focus's colours (``muted`` under a screen full of incidents).
    ``label_base`` sizes the kecamatan labels (a tablet's small map wants smaller ones).
    ``population`` (residents by kecamatan) shades per 10,000 residents instead of counts;
    a kecamatan without a known population is drawn as unknown. ``values`` replaces the
    focus's measure (the mayor's period: complaints received per kecamatan in it).
    """
    counts = dict(values) if values is not None else focus_values(snapshot, focus)
    rates = per_10k(counts, population, frame.names) if population is not None else None
    values = {n: v for n, v in rates.items() if v is not None} if rates is not None else counts
    colors, classes = fills(frame.names, values, RAMPS.get(ramp or focus, RAMPS["complaints"]))
    if snapshot is None:
        colors = [UNKNOWN_FILL] * len(frame.names)
    elif rates is not None:
        colors = [UNKNOWN_FILL if rates[n] is None else c for n, c in zip(frame.names, colors, strict=True)]

    def shown_value(name: str) -> float | None:
        if snapshot is None:
            return None
        return rates[name] if rates is not None else values.get(name, 0)

    labels = [_label(frame, n, shown_value(n), focus, lang, rate=rates is not None) for n in frame.names]
    shown = list(snapshot.disasters.incidents if snapshot and incidents is None else incidents or [])
    view = incidents_view(frame, shown) if zoom_to_incidents else frame.bounds
    return MapLayers(
        fills=colors,
        labels=labels,
        classes=classes,
        complaints=complaint_points(snapshot, frame, tr, scale) if snapshot else Points(),
        near=near_points(snapshot, frame, flood_radius_m, scale, shown) if snapshot and flood_radius_m else Points(),
        incidents=incident_points(shown, frame, tr, scale),
        view=view,
        scale=scale,
        selected=selected,
        label_base=label_base,
    )


def _polygon(frame: MapFrame, name: str, layers: MapLayers, fill: str, hover: bool) -> go.Scatter:
    xs, ys = frame.outline(name)
    return go.Scatter(
        x=xs, y=ys, mode="lines", fill="toself", fillcolor=fill, name=name,
        line=layers.border(name), hoveron="fills" if hover else "points",
        hoverinfo="text" if hover else "skip", text=plot_text(name), customdata=[name] * len(xs),
    )


def _points_trace(pts: Points, name: str, mode: str, hover: bool, **marker: Any) -> go.Scatter:
    return go.Scatter(
        x=pts.x, y=pts.y, mode=mode, name=name, text=pts.text or None, customdata=pts.ids,
        hovertext=pts.hover or None, hoverinfo="text" if hover else "skip",
        marker={"color": pts.color, "size": pts.size, **marker},
    )


TILE_FILL_OPACITY = 0.72
"""Kecamatan shading over a tile background: the streets show through."""
MAX_TILES = 64


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ (slippy map) tile holding a WGS84 point at zoom ``z``."""
    n = 2 ** z
    lat_r = math.radians(max(min(lat, 85.05), -85.05))
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_corner(x: int, y: int, z: int) -> tuple[float, float]:
    """Longitude and latitude of a tile's north-west corner."""
    n = 2 ** z
    return x / n * 360.0 - 180.0, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


def tile_images(url: str, bounds: Box, max_tiles: int = MAX_TILES) -> list[dict[str, Any]]:
    """Layout images (``layer: below``) covering ``bounds`` with the XYZ tiles of ``url``
    (``https://host/{z}/{x}/{y}.png``), at the deepest zoom that needs at most ``max_tiles``.

    The map's axes are longitude and latitude (y stretched by 1/cos(latitude)); over a
    city a Mercator tile is that same rectangle to well under a pixel, so each tile is
    stretched over its own lon/lat box.
    """
    minx, miny, maxx, maxy = bounds
    chosen = None
    for z in range(17, 0, -1):
        x0, y0 = tile_xy(minx, maxy, z)
        x1, y1 = tile_xy(maxx, miny, z)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= max_tiles:
            chosen = (z, x0, y0, x1, y1)
            break
    if chosen is None:  # pragma: no cover - zoom 1 is 4 tiles
        return []
    z, x0, y0, x1, y1 = chosen
    images = []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            west, north = tile_corner(x, y, z)
            east, south = tile_corner(x + 1, y + 1, z)
            images.append({
                "source": url.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y)),
                "xref": "x", "yref": "y", "x": west, "y": north, "sizex": east - west, "sizey": north - south,
                "xanchor": "left", "yanchor": "top", "sizing": "stretch", "layer": "below",
            })
    return images


def city_map_figure(
    frame: MapFrame, layers: MapLayers, interactive: str = "none", uirevision: str = "city",
    tiles_url: str | None = None,
) -> go.Figure:
    """The whole map figure. ``interactive``: ``none`` (wall), ``tap`` (tablet), ``pan`` (zoomable).

    ``tap`` makes only the districts answer a tap (points are drawn but not hit-tested).
    ``tiles_url`` (an XYZ template): a raster tile background under the kecamatan, which
    are then drawn see-through; unset, the map is drawn offline from the boundaries alone.
    """
    hover = interactive != "none"
    points_hover = interactive == "pan"  # on a tablet a tap must reach the district, not a dot
    s = layers.scale
    traces: list[go.Scatter] = [
        _polygon(frame, n, layers, f, hover) for n, f in zip(frame.names, layers.fills, strict=True)
    ]
    if tiles_url:
        for t in traces:
            t.update(opacity=TILE_FILL_OPACITY)
    lx = [frame.labels[n][0] for n in frame.names]
    ly = [frame.labels[n][1] for n in frame.names]
    # Trace order is drawing order (``LAYER_NAMES``): complaint dots, then incidents over
    # them, then the labels over every marker (a marker never hides a name or a number).
    # Not plotly ``zorder``: it splits the plot into overlay layers, and layout images
    # drawn "below" (the tile background) then vanish.
    traces.append(_points_trace(layers.complaints, "complaints", "markers", points_hover,
                                opacity=0.9, line={"color": "#0f172a", "width": 1}))
    traces.append(_points_trace(layers.near, "near", "markers", points_hover, symbol="circle-open",
                                line={"color": NEAR_FLOOD, "width": 3 * s}))
    # Sized markers default to 0.7 opacity in plotly: incidents are solid.
    traces.append(_points_trace(layers.incidents, "incidents", "markers+text", points_hover,
                                opacity=1, line={"color": "#ffffff", "width": 2 * s}))
    traces[-1].update(textfont={"color": "#ffffff", "size": incident_text_size(s)}, textposition="middle center")
    traces.append(go.Scatter(
        x=lx, y=ly, mode="text", text=layers.labels, name="labels", hoverinfo="skip",
        textfont={"color": "#f8fafc", "size": label_sizes(frame, s, layers.label_base)},
    ))
    fig = go.Figure(data=traces)
    fig.update_layout(_layout(frame, layers, interactive, uirevision))
    if tiles_url:
        fig.update_layout(images=tile_images(tiles_url, _cover(frame)) + _inset_sea(frame))
    return fig


def _solid_png(color: str) -> str:
    """A 1x1 PNG of ``#rrggbb`` as a data: URL (stretched over an area; CSP allows data:)."""
    rgb = bytes(int(color[i:i + 2], 16) for i in (1, 3, 5))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00" + rgb)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _inset_sea(frame: MapFrame) -> list[dict[str, Any]]:
    """Sea over the tiles where the islands' inset is drawn: its islands are not where the
    tiles under it are. An image after the tiles (a "below" shape would sit under them)."""
    if frame.inset is None:
        return []
    b = frame.inset.box
    return [{"source": _solid_png(SEA), "xref": "x", "yref": "y", "x": b[0], "y": b[3], "sizex": b[2] - b[0],
             "sizey": b[3] - b[1], "xanchor": "left", "yanchor": "top", "sizing": "stretch", "layer": "below"}]


def _cover(frame: MapFrame) -> Box:
    """The area tiles must cover: the whole drawn city and some sea around it."""
    b = frame.bounds
    dx, dy = (b[2] - b[0]) * 0.25, (b[3] - b[1]) * 0.25
    return (b[0] - dx, b[1] - dy, b[2] + dx, b[3] + dy)


def _layout(frame: MapFrame, layers: MapLayers, interactive: str, uirevision: str) -> dict[str, Any]:
    fixed = interactive != "pan"
    v = layers.view
    axis = {"visible": False, "fixedrange": fixed, "showgrid": False, "zeroline": False}
    shapes = _shapes(frame, layers)
    return {
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": SEA, "showlegend": False, "hovermode": "closest" if interactive != "none" else False,
        "dragmode": "pan" if interactive == "pan" else False, "uirevision": uirevision,
        "xaxis": {**axis, "range": [v[0], v[2]]},
        "yaxis": {**axis, "range": [v[1], v[3]], "scaleanchor": "x", "scaleratio": frame.y_ratio},
        "shapes": shapes, "font": {"color": "#e5e7eb"},
        "hoverlabel": {"font": {"size": 16}},
    }


def _shapes(frame: MapFrame, layers: MapLayers) -> list[dict[str, Any]]:
    shapes: list[dict[str, Any]] = []
    if frame.inset is not None:
        b = frame.inset.box
        shapes.append({"type": "rect", "x0": b[0], "y0": b[1], "x1": b[2], "y1": b[3],
                       "line": {"color": BORDER, "width": 1, "dash": "dot"}})
    return shapes + leader_shapes(frame, layers.scale)


def leader_shapes(frame: MapFrame, scale: float = 1.0) -> list[dict[str, Any]]:
    """A line from each called-out district to its label, with a dot on the district.

    Drawn with the figure and never patched (``scale`` is the first paint's).
    """
    out: list[dict[str, Any]] = []
    r = 0.0009  # anchor dot radius, map units (~100 m)
    for c in frame.callouts.values():
        (ax, ay), (ex, ey) = c.anchor, c.end
        out.append({"type": "line", "x0": ax, "y0": ay, "x1": ex, "y1": ey, "layer": "above",
                    "line": {"color": LEADER, "width": round(2 * scale, 1)}})
        out.append({"type": "circle", "x0": ax - r, "y0": ay - r / frame.y_ratio, "x1": ax + r,
                    "y1": ay + r / frame.y_ratio, "layer": "above", "fillcolor": LEADER, "line": {"width": 0}})
    return out


def map_changes(frame: MapFrame, layers: MapLayers) -> list[tuple[tuple[str | int, ...], Any]]:
    """``(path, value)`` pairs that bring a drawn map up to date (for ``dash.Patch``).

    Geometry is never resent: only fills, label text and point layers, and the view.
    """
    out: list[tuple[tuple[str | int, ...], Any]] = []
    for i, (name, fill) in enumerate(zip(frame.names, layers.fills, strict=True)):
        out += [(("data", i, "fillcolor"), fill), (("data", i, "line"), layers.border(name))]
    n = trace_index(frame, "labels")
    out.append((("data", n, "text"), layers.labels))
    out.append((("data", n, "textfont", "size"), label_sizes(frame, layers.scale, layers.label_base)))
    for name in ("complaints", "near", "incidents"):
        pts: Points = getattr(layers, name)
        i = trace_index(frame, name)
        out += [(("data", i, "x"), pts.x), (("data", i, "y"), pts.y), (("data", i, "customdata"), pts.ids),
                (("data", i, "marker", "color"), pts.color), (("data", i, "marker", "size"), pts.size)]
        if name != "near":
            out.append((("data", i, "hovertext"), pts.hover))
    i = trace_index(frame, "incidents")
    out.append((("data", i, "text"), layers.incidents.text))
    out.append((("data", i, "textfont", "size"), incident_text_size(layers.scale)))
    out.append((("layout", "xaxis", "range"), [layers.view[0], layers.view[2]]))
    out.append((("layout", "yaxis", "range"), [layers.view[1], layers.view[3]]))
    return out
