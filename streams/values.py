"""How the write path stores numbers in Redis and reads them back (shared, pure)."""

from __future__ import annotations

from typing import Any


def fmt(x: Any) -> str:
    """A number as Redis stores it: integers without a fraction, floats round-trip."""
    if isinstance(x, bool):
        return "1" if x else "0"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if x.is_integer() and abs(x) < 1e17:
            return str(int(x))
        return repr(x)
    return str(x)


def num(x: Any) -> Any:
    """A stored value as a number (``None`` stays ``None``)."""
    if x is None or isinstance(x, int | float):
        return x
    try:
        return int(x)
    except ValueError:
        return float(x)
