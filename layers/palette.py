"""Colours: map shading classes, severity and priority colours, KPI levels (pure)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

NONE_FILL = "#1f2937"
"""Land with nothing to report (zero)."""
UNKNOWN_FILL = "#111827"
SEA = "#0a1626"
BORDER = "#94a3b8"
SELECTED = "#f8fafc"

RAMPS: dict[str, tuple[str, ...]] = {
    "complaints": ("#4a3d16", "#7a611a", "#b0861c", "#e0a91c", "#ffd23f"),
    # Each step (and the first against NONE_FILL) at least 1.5:1 in luminance on the dark
    # wall: the first class used to be 1.2:1 from "nothing", the top two hard to tell apart.
    "economy": ("#1c4c51", "#1f7176", "#249c9b", "#45c7b8", "#9af0dc"),
    # Purple, not red: the incident markers (yellow -> red by severity) must stand out on it.
    "disasters": ("#2f2547", "#45316d", "#5e3e93", "#7a4ab8", "#9a5bdc"),
}
RAMPS["crisis"] = RAMPS["disasters"]
RAMPS["muted"] = ("#2b2531", "#3a2a37", "#4a2f3d", "#5b3443", "#6c3a49")
"""Quiet shading under incident markers (crisis screen): the markers must stand out."""

SEVERITY = {1: "#facc15", 2: "#fb923c", 3: "#f97316", 4: "#ef4444", 5: "#b91c1c"}
PRIORITY = {"urgent": "#f87171", "high": "#fb923c", "normal": "#93c5fd", "low": "#cbd5e1"}
NEAR_FLOOD = "#22d3ee"

LEVELS = ("ok", "warn", "alert")


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 = same luminance, 21 = black/white)."""

    def lum(color: str) -> float:
        c = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class ShadeClass:
    """One legend entry: values in ``(low, high]`` are drawn in ``color``."""

    low: float
    high: float
    color: str


def nice_step(span: float, classes: int = 5) -> float:
    """A round class width (1, 1.5, 2, 2.5, 3, 4 or 5 times a power of ten) covering ``span``."""
    raw = max(span, 1) / classes
    power = 10 ** math.floor(math.log10(raw))
    for mult in (1, 1.5, 2, 2.5, 3, 4, 5, 10):
        if mult * power >= raw:
            return mult * power
    return 10 * power  # pragma: no cover - the loop always returns


def shade_classes(values: Sequence[float], ramp: Sequence[str]) -> list[ShadeClass]:
    """Equal-width classes from 0 to the largest value, one per ramp colour.

    Zero is not a class: it is drawn in ``NONE_FILL``. Fewer classes are made when
    the largest value is small (values 1-3 give three classes, not five).
    """
    top = max((v for v in values if v > 0), default=0)
    if top <= 0:
        return []
    step = nice_step(top, len(ramp))
    if step < 1:
        step = 1.0
    count = min(len(ramp), math.ceil(top / step))
    colors = spread(ramp, count)
    return [ShadeClass(low=i * step, high=(i + 1) * step, color=c) for i, c in enumerate(colors)]


def spread(ramp: Sequence[str], count: int) -> list[str]:
    """``count`` colours spread over the whole ramp (one class: the middle colour).

    Few classes still contrast with each other, and a lone "1" is not drawn in the
    ramp's most alarming colour.
    """
    if count <= 1:
        return [ramp[len(ramp) // 2]] if count == 1 else []
    return [ramp[round(i * (len(ramp) - 1) / (count - 1))] for i in range(count)]


def color_for(value: float | None, classes: Sequence[ShadeClass]) -> str:
    """The fill for one value: its class colour, ``NONE_FILL`` for zero, darker when unknown."""
    if value is None:
        return UNKNOWN_FILL
    if value <= 0 or not classes:
        return NONE_FILL
    for cls in classes:
        if value <= cls.high:
            return cls.color
    return classes[-1].color


def fills(
    names: Sequence[str], values: Mapping[str, float], ramp: Sequence[str]
) -> tuple[list[str], list[ShadeClass]]:
    """Fill colour per name (in ``names`` order) and the legend classes used."""
    classes = shade_classes([values.get(n, 0) for n in names], ramp)
    return [color_for(values.get(n, 0), classes) for n in names], classes


def level(value: float | None, warn: float | None, alert: float | None) -> str:
    """``ok``/``warn``/``alert`` for a value against two thresholds (either may be unset)."""
    if value is None:
        return "ok"
    if alert is not None and value >= alert:
        return "alert"
    if warn is not None and value >= warn:
        return "warn"
    return "ok"


def class_label(cls: ShadeClass, fmt: Callable[[float], str], counts: bool = True) -> str:
    """``"1–5"``, ``"6–10"`` for a legend entry (counts start one above the last class)."""
    low = cls.low + 1 if counts else cls.low
    if low >= cls.high:
        return fmt(cls.high)
    return f"{fmt(low)}–{fmt(cls.high)}"
