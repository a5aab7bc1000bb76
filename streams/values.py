"""How the write path stores numbers in Redis and reads them back (shared, pure)."""

from __future__ import annotations

from typing import Any


def fmt(x: Any) -> str:
    """A number as Redis stores it: integers without a fraction, floats round-trip."""
    t = type(x)  # the exact types first: the fold's hot path (same results as below)
    if t is str:
        return x
    if t is float:
        if x.is_integer() and abs(x) < 1e17:
            return str(int(x))
        return repr(x)
    if t is int:
        return str(x)
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
    if type(x) is str and "." in x:  # int() never reads a ".": straight to float()
        return float(x)
    if x is None or isinstance(x, int | float):
        return x
    try:
        return int(x)
    except ValueError:
        return float(x)
