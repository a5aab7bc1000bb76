"""A small helper for Dash component trees built in ``layers``."""

from __future__ import annotations

from typing import TypeVar

from dash.development.base_component import Component

C = TypeVar("C", bound=Component)


def tagged(component: C, **data: str) -> C:
    """Add ``data-*`` attributes (``tagged(div, kpi="complaints.open")`` -> ``data-kpi``).

    Tests and CSS find parts of a screen by them; Dash accepts any ``data-*`` prop but
    its typed signatures do not, hence a helper rather than ``**{"data-kpi": ...}``.
    """
    for name, value in data.items():
        setattr(component, "data-" + name.replace("_", "-"), value)
    return component
