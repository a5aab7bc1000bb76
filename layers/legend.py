"""The map's legend and title as a Dash component tree (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from layers.fmt import Translate, fmt_idr_compact, fmt_int
from layers.palette import NEAR_FLOOD, NONE_FILL, PRIORITY, SEVERITY, ShadeClass, class_label


def _swatch(color: str, text: str, shape: str = "box") -> html.Span:
    return html.Span([html.Span(className=f"swatch {shape}", style={"background": color}), text],
                     className="legend-item")


def map_legend(
    classes: Sequence[ShadeClass], focus: str, tr: Translate, lang: str,
    points: bool = True, near: bool = False,
) -> list[html.Span]:
    """Shading classes (zero first), then the point symbols shown on the map."""
    money = focus == "economy"

    def fmt(v: float) -> str:
        return fmt_idr_compact(v, lang) if money else fmt_int(v, lang)

    items = [_swatch(NONE_FILL, tr("map.legend.zero"))]
    items += [_swatch(c.color, class_label(c, fmt, counts=not money)) for c in classes]
    if points:
        items.append(_swatch(SEVERITY[4], tr("map.legend.incident"), "dot"))
        items.append(_swatch(PRIORITY["normal"], tr("map.legend.complaint"), "dot small"))
    if near:
        items.append(_swatch(NEAR_FLOOD, tr("map.legend.near"), "ring"))
    return items
