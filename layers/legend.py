"""The map's legend and title as a Dash component tree (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from layers.fmt import Translate, fmt_dec, fmt_idr_compact, fmt_int
from layers.palette import (
    NEAR_FLOOD,
    NONE_FILL,
    PRIORITY,
    SEVERITY,
    UNKNOWN_FILL,
    ShadeClass,
    class_label,
)


def _swatch(color: str, text: str, shape: str = "box") -> html.Span:
    return html.Span([html.Span(className=f"swatch {shape}", style={"background": color}), text],
                     className="legend-item")


def map_legend(
    classes: Sequence[ShadeClass], focus: str, tr: Translate, lang: str,
    points: bool = True, near: bool = False, per10k: bool = False, unit: str | None = None,
) -> list[html.Span]:
    """Shading classes (zero first), then the point symbols shown on the map.

    ``per10k``: the shading is per 10,000 residents; the legend starts by saying so and
    lists an "unknown" swatch (a kecamatan whose population is not known). ``unit`` names
    what the shading counts when it is not the focus's usual measure.
    """
    money = focus == "economy"

    def fmt(v: float) -> str:
        if money:
            return fmt_idr_compact(v, lang)
        return fmt_int(v, lang) if float(v).is_integer() else fmt_dec(v, 1, lang)

    items = [html.Span(tr("map.legend.per10k"), className="legend-item legend-unit")] if per10k else []
    if unit:
        items.append(html.Span(unit, className="legend-item legend-unit"))
    items.append(_swatch(NONE_FILL, tr("map.legend.zero")))
    items += [_swatch(c.color, class_label(c, fmt, counts=not money and not per10k)) for c in classes]
    if per10k:
        items.append(_swatch(UNKNOWN_FILL, tr("map.legend.unknown")))
    if points:
        items.append(_swatch(SEVERITY[4], tr("map.legend.incident"), "dot"))
        items.append(_swatch(PRIORITY["normal"], tr("map.legend.complaint"), "dot small"))
    if near:
        items.append(_swatch(NEAR_FLOOD, tr("map.legend.near"), "ring"))
    return items
