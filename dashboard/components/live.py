"""Send only what changed: each tick's outputs are hashed against what the browser shows.

A wall refreshes every second but its numbers change every few seconds at most; without
this every tick would resend every tile, list and map patch, and React would rebuild
them. The page keeps the hashes of its outputs in a ``dcc.Store``; a tick compares and
answers ``no_update`` for the unchanged ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import plotly.utils
from dash import dcc, no_update

from dashboard.components.citymap import patch_from
from layers.citymap import map_changes
from layers.mapframe import MapFrame


def digest(value: Any) -> str:
    """A short, stable hash of a JSON-able value (Dash components and figures included)."""
    blob = json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()


def digests(hashables: Sequence[Any]) -> list[str]:
    return [digest(v) for v in hashables]


def changed_only(
    values: Sequence[Any], hashables: Sequence[Any], shown: Sequence[str] | None
) -> tuple[list[Any], list[str]]:
    """``values`` with ``no_update`` where the hash of ``hashables[i]`` equals ``shown[i]``.

    ``hashables`` stands for ``values`` where a value cannot be hashed itself (a map
    ``Patch`` is represented by its list of changes).
    """
    now = digests(hashables)
    same = list(shown or [])
    out = [no_update if i < len(same) and same[i] == h else v for i, (v, h) in enumerate(zip(values, now, strict=True))]
    return out, now


def create_digest_store(store_id: str, hashables: Sequence[Any]) -> dcc.Store:
    """Seeded with the first paint's hashes, so the first tick sends nothing already shown."""
    return dcc.Store(id=store_id, data=digests(hashables), storage_type="memory")


def _map_and_values(frame: MapFrame, view: dict[str, Any], keys: Sequence[str]) -> tuple[list[Any], list[Any]]:
    changes = map_changes(frame, view["layers"])
    return [patch_from(changes), *[view[k] for k in keys]], [changes, *[view[k] for k in keys]]


def page_outputs(
    frame: MapFrame, view: dict[str, Any], keys: Sequence[str], shown: Sequence[str] | None
) -> tuple[list[Any], list[str]]:
    """The map patch then ``view[k]`` for each key, unchanged ones as ``no_update``; and the new hashes."""
    values, hashables = _map_and_values(frame, view, keys)
    return changed_only(values, hashables, shown)


def create_page_digests(store_id: str, frame: MapFrame, view: dict[str, Any], keys: Sequence[str]) -> dcc.Store:
    """The digest store for a page's first paint (same order as ``page_outputs``)."""
    return create_digest_store(store_id, _map_and_values(frame, view, keys)[1])
