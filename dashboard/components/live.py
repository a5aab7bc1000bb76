"""Send only what changed, and render once for every screen.

A wall refreshes every second but its numbers change every few seconds at most; without
this every tick would resend every tile, list and map patch, and React would rebuild
them. The page keeps the hashes of its outputs in a ``dcc.Store``; a tick compares and
answers ``no_update`` for the unchanged ones.

What a page shows depends only on (the snapshot read, the clock second, language, scale
and the page's own choices), never on the screen asking. ``ViewMemo`` renders and hashes
once per such key in a worker process; every other screen's tick in that interval only
compares its digests with the cached ones (``cached_page_outputs``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.utils
from dash import dcc, no_update

from dashboard.components.citymap import patch_from
from dashboard.components.read import Read
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


@dataclass(frozen=True)
class Rendered:
    """One page render: the output values (map patch first) and their digests, same order."""

    values: tuple[Any, ...]
    hashes: tuple[str, ...]


def render_outputs(frame: MapFrame, view: dict[str, Any], keys: Sequence[str]) -> Rendered:
    """``view`` as the page callback's values and digests (what ``page_outputs`` compares)."""
    values, hashables = _map_and_values(frame, view, keys)
    return Rendered(tuple(values), tuple(digests(hashables)))


def compare(rendered: Rendered, shown: Sequence[str] | None) -> tuple[list[Any], list[str]]:
    """``rendered``'s values with ``no_update`` where ``shown`` has the same digest; and the digests."""
    same = list(shown or [])
    out = [no_update if i < len(same) and same[i] == h else v
           for i, (v, h) in enumerate(zip(rendered.values, rendered.hashes, strict=True))]
    return out, list(rendered.hashes)


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Rendered | None = None


class ViewMemo:
    """A bounded, thread-safe memo of page renders: one render per key, however many ask.

    Concurrent callers of the same key wait for the one render in flight. The key's
    snapshot object is kept with its entry and compared by identity, so a new read is
    never answered from an old one's render; a render for a new read drops those of
    older reads (only the latest is kept, bounded by ``maxsize`` entries: languages,
    scales, choices, seconds). ``renders`` counts renders done.
    """

    def __init__(self, maxsize: int = 32) -> None:
        self.maxsize = maxsize
        self.renders = 0
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Any, _Pending]] = OrderedDict()

    def get(self, key: Hashable, snapshot: Any, compute: Callable[[], Rendered]) -> Rendered:
        full = (key, id(snapshot))
        with self._lock:
            entry = self._entries.get(full)
            if entry is not None and entry[0] is snapshot:
                self._entries.move_to_end(full)
                pending, mine = entry[1], False
            else:
                pending, mine = _Pending(), True
                for old in [k for k, (snap, _) in self._entries.items() if snap is not snapshot]:
                    del self._entries[old]  # renders of older reads: never asked for again
                self._entries[full] = (snapshot, pending)
                while len(self._entries) > self.maxsize:
                    self._entries.popitem(last=False)
        if not mine:
            pending.done.wait()
            if pending.value is not None:
                return pending.value
            return compute()  # the render in flight failed: try it here (and let it raise)
        try:
            pending.value = compute()
            with self._lock:
                self.renders += 1
            return pending.value
        except BaseException:
            with self._lock:
                if self._entries.get(full, (None, None))[1] is pending:
                    del self._entries[full]
            raise
        finally:
            pending.done.set()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def cached_page_outputs(
    memo: ViewMemo, key: Hashable, read: Read, frame: MapFrame, keys: Sequence[str],
    render: Callable[[], dict[str, Any]], shown: Sequence[str] | None,
) -> tuple[list[Any], list[str]]:
    """``page_outputs`` of ``render()``, rendered once per (``key``, read) in this process.

    ``key`` names everything ``render`` depends on besides the read (page, language,
    scale, choices); the read contributes its snapshot (by identity), ``ok`` and ``now``.
    """
    rendered = memo.get((key, read.ok, read.now), read.snapshot,
                        lambda: render_outputs(frame, render(), keys))
    return compare(rendered, shown)
