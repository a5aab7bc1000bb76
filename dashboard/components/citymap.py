"""The map graph on a page, and the patch that keeps it current without redrawing it."""

from __future__ import annotations

from typing import Any

from dash import Patch, dcc

from layers.citymap import MapLayers, map_changes
from layers.mapframe import MapFrame


def create_map(graph_id: str, figure: Any, interactive: str = "none") -> dcc.Graph:
    """A responsive map graph with no mode bar; the figure carries geometry, sent once."""
    return dcc.Graph(
        id=graph_id, figure=figure, className="map-graph", style={"height": "100%", "width": "100%"},
        config={"displayModeBar": False, "responsive": True, "scrollZoom": interactive == "pan",
                "doubleClick": "reset" if interactive == "pan" else False, "showTips": False},
    )


def map_patch(frame: MapFrame, layers: MapLayers) -> Patch:
    """Fill colours, labels, points and view only: never the kecamatan geometry."""
    return patch_from(map_changes(frame, layers))


def patch_from(changes: list[tuple[tuple[str | int, ...], Any]]) -> Patch:
    """A ``dash.Patch`` setting each ``(path, value)``."""
    patch = Patch()
    for path, value in changes:
        target: Any = patch
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return patch
