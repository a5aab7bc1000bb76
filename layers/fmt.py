"""Number, money, time and text formatting for the screens (pure, no I/O).

Indonesian conventions by default: ``.`` groups thousands and ``,`` marks decimals
(``1.234.567``, ``12,5%``); money is ``Rp 1.234.567`` in full or ``Rp 1,2 jt`` short.
English (``lang="en"``) swaps the separators and uses K/M/B/T suffixes. Times are
shown on the war room's clock (WITA), whatever the server's or browser's zone is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from marvec.contract import WITA

Translate = Callable[[str], str]
"""Looks up a label key (``"kpi.open"``, ``"hazard.flood"``) in the current language."""

DASH = "–"
"""Shown where a number is unknown (never a made-up zero)."""

_SHORT_UNITS = {
    "id": ((1e12, "T"), (1e9, "M"), (1e6, "jt"), (1e3, "rb")),
    "en": ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")),
}


def _swap(text: str, lang: str) -> str:
    """Turn Python's ``1,234.5`` into the language's separators."""
    if lang == "en":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def fmt_int(value: float | None, lang: str = "id") -> str:
    """``1234567`` -> ``1.234.567`` (id) or ``1,234,567`` (en); ``None`` -> ``–``."""
    if value is None:
        return DASH
    return _swap(f"{round(value):,d}", lang)


def fmt_dec(value: float | None, digits: int = 1, lang: str = "id") -> str:
    """A decimal number with grouping: ``1234.56`` -> ``1.234,6`` (id)."""
    if value is None:
        return DASH
    return _swap(f"{value:,.{digits}f}", lang)


def fmt_idr(value: float | None, lang: str = "id") -> str:
    """Full rupiah: ``1234567`` -> ``Rp 1.234.567``."""
    if value is None:
        return DASH
    return f"Rp {fmt_int(value, lang)}"


def fmt_price(value: float | None, unit: str | None, lang: str = "id") -> str:
    """A staple's price with what it is per: ``Rp 14.200/kg``, ``Rp 18.500/liter``."""
    if value is None:
        return DASH
    return f"{fmt_idr(value, lang)}/{unit}" if unit else fmt_idr(value, lang)


def fmt_idr_short(value: float | None, lang: str = "id") -> str:
    """Short rupiah for tiles and sheets: ``fmt_idr_compact`` with ``Rp`` in front.

    One rule per magnitude everywhere (three significant digits): ``5_660_000_000`` is
    ``Rp 5,66 M`` on the wall's tile, on the mayor's sheet and (without ``Rp``) on the
    map; ``1_234_567`` is ``Rp 1,23 jt``.
    """
    if value is None:
        return DASH
    sign = "-" if value < 0 else ""
    return f"{sign}Rp {fmt_idr_compact(abs(value), lang)}"


def fmt_idr_compact(value: float | None, lang: str = "id") -> str:
    """Rupiah for tight spots (map labels, legends): no ``Rp``, three significant digits.

    ``135_600_000`` -> ``136 jt``; ``67_800_000`` -> ``67,8 jt``; ``4.81e9`` -> ``4,81 M``.
    """
    if value is None:
        return DASH
    units = _SHORT_UNITS.get(lang, _SHORT_UNITS["id"])
    amount = abs(value)
    for size, suffix in units:
        if amount >= size * 0.9995:  # 999.960 is "1 jt", not "1.000 rb"
            scaled = amount / size
            digits = 0 if scaled >= 100 else 1 if scaled >= 10 else 2
            text = fmt_dec(scaled, digits, lang)
            if digits:
                text = text.rstrip("0").rstrip("." if lang == "en" else ",")
            return f"{'-' if value < 0 else ''}{text} {suffix}".replace(" ", "" if lang == "en" else " ")
    return fmt_int(value, lang)


def unit_label(value: float | None, unit: str, tr: Translate) -> str:
    """The unit's word for ``value``: singular for exactly one (``unit.<unit>.one`` where
    the language has a singular; Indonesian has none)."""
    key = f"unit.{unit}"
    if value == 1 and tr(key + ".one") != key + ".one":
        key += ".one"
    return tr(key)


def fmt_count(value: float | None, unit: str, tr: Translate, lang: str = "id") -> str:
    """``12 aduan`` / ``1 complaint``: the number with its unit (``unit_label``)."""
    if value is None:
        return DASH
    return f"{fmt_int(value, lang)} {unit_label(value, unit, tr)}"


def fmt_pct(value: float | None, digits: int = 1, lang: str = "id", signed: bool = True) -> str:
    """``12.46`` -> ``+12,5%``; ``None`` -> ``–``."""
    if value is None:
        return DASH
    text = fmt_dec(abs(value), digits, lang)
    if value < 0:
        return f"-{text}%"
    return f"{_plus(value) if signed else ''}{text}%"


def _plus(value: float) -> str:
    return "+" if value > 0 else "±" if value == 0 else "-"


def fmt_signed(value: float | None, lang: str = "id") -> str:
    """A signed whole-number change: ``12`` -> ``+12``, ``-3`` -> ``-3``, ``0`` -> ``±0``."""
    if value is None:
        return DASH
    return f"{_plus(value)}{fmt_int(abs(value), lang)}"


def parse_time(value: str | None) -> float | None:
    """An RFC 3339 string -> Unix seconds; ``None`` or garbage -> ``None``."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def fmt_clock(value: str | float | None, seconds: bool = False) -> str:
    """A time on the WITA clock: ``"2026-11-02T06:02:00Z"`` -> ``14:02``."""
    ts = parse_time(value) if isinstance(value, str) else value
    if ts is None:
        return DASH
    return datetime.fromtimestamp(ts, WITA).strftime("%H:%M:%S" if seconds else "%H:%M")


MONTHS = {"id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
          "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")}
WEEKDAYS = {"id": ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"),
            "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def fmt_day(value: str | float | None, lang: str = "id", weekday: bool = False) -> str:
    """A WITA calendar day: ``2 Des`` (``Kam 2`` with ``weekday``); ``–`` when unknown."""
    ts = parse_time(value) if isinstance(value, str) else value
    if ts is None:
        return DASH
    d = datetime.fromtimestamp(ts, WITA)
    code = "en" if lang == "en" else "id"
    if weekday:
        return f"{WEEKDAYS[code][d.weekday()]} {d.day}"
    return f"{d.day} {MONTHS[code][d.month - 1]}"


def fmt_age(seconds: float | None, lang: str = "id") -> str:
    """A duration, coarse: ``45`` -> ``<1 mnt``; ``8100`` -> ``2 jam 15 mnt``; days above 48 h."""
    if seconds is None:
        return DASH
    minute, hour, day = ("mnt", "jam", "hari") if lang == "id" else ("min", "h", "d")
    secs = max(0, int(seconds))
    if secs < 60:
        return f"<1 {minute}"
    if secs < 3600:
        return f"{secs // 60} {minute}"
    if secs < 48 * 3600:
        hours, mins = divmod(secs // 60, 60)
        return f"{hours} {hour} {mins} {minute}" if mins else f"{hours} {hour}"
    return f"{secs // 86400} {day}"


def shorten(text: str | None, limit: int = 90) -> str:
    """Collapse whitespace and cut at ``limit`` characters with an ellipsis.

    Only shortens; it never escapes or interprets markup. Screens put the result in
    a Dash component as text, which React escapes.
    """
    if not text:
        return ""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rstrip()
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut + "…"


def label(tr: Translate, group: str, code: str | None) -> str:
    """The translated name of an enumeration value (``label(tr, "hazard", "flood")``).

    Falls back to the code itself, underscores as spaces, when the table has no entry
    (an OPD code, a market, a value from a newer contract).
    """
    if not code:
        return DASH
    key = f"{group}.{code}"
    text = tr(key)
    return code.replace("_", " ") if text == key else text


def plot_text(value: str) -> str:
    """``value`` made safe for plotly's text and hover strings, shown as written.

    Plotly reads a small HTML subset there (``<a href>``, ``<span style>``, ``<b>``, ``<br>``):
    a kecamatan name from a boundaries file or any other outside text could inject a
    link or 60 px text. ``&``, ``<`` and ``>`` are escaped; quotes are not, because plotly
    does not decode ``&quot;`` (a name with a quote would show the entity: escaped twice).
    """
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
