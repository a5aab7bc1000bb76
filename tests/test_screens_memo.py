"""Render once, serve many: one render per (snapshot read, second, language, scale, choices) per process."""

from __future__ import annotations

import json
import threading
from typing import Any

import plotly.utils
import pytest
from dash import no_update

from dashboard.app import create_app
from dashboard.components.context import ScreenContext
from dashboard.components.live import Rendered, ViewMemo, cached_page_outputs, page_outputs
from dashboard.pages import crisis, mayor, wall
from layers.mapframe import build_frame
from marvec.settings import Settings
from tests.snapshot_fixtures import FakeBoundaries, FakeSource, rich_snapshot, with_crisis

NOW = 1_795_000_000.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def boundaries() -> FakeBoundaries:
    return FakeBoundaries()


def as_json(values: list[Any]) -> list[Any]:
    """Values as the browser receives them (``no_update`` kept as a marker)."""
    return ["<no_update>" if v is no_update else json.loads(json.dumps(v, cls=plotly.utils.PlotlyJSONEncoder))
            for v in values]


@pytest.mark.parametrize("shown_first", [False, True])
def test_cached_outputs_equal_the_uncached_ones_on_every_page(boundaries: FakeBoundaries, shown_first: bool) -> None:
    snap = with_crisis(rich_snapshot(NOW, boundaries), NOW, boundaries)
    screen = ScreenContext(Settings(auth="open"), build_frame(boundaries.geojson()), tuple(boundaries.names),
                           FakeSource(snap), clock=lambda: NOW + 1.7)
    read = screen.read(whole_seconds=True)
    assert read.now == NOW + 1
    cases = [
        (wall, ("wall", "id", 1.0), lambda: wall.render(screen, read, "id", 1.0)),
        (wall, ("wall", "en", 2.0), lambda: wall.render(screen, read, "en", 2.0)),
        (mayor, ("mayor", "id", 1.0, "Tallo"), lambda: mayor.render(screen, read, "id", 1.0, "Tallo")),
        (crisis, ("crisis", "id", 1.0, ("flood",), None), lambda: crisis.render(screen, read, "id", 1.0, ["flood"])),
    ]
    for module, key, render in cases:
        before = page_outputs(screen.frame, render(), module.KEYS, None)
        shown = before[1] if shown_first else None
        expected_values, expected_hashes = page_outputs(screen.frame, render(), module.KEYS, shown)
        for _ in range(2):  # a miss, then a hit
            values, hashes = cached_page_outputs(screen.views, key, read, screen.frame, module.KEYS, render, shown)
            assert hashes == expected_hashes, key
            assert as_json(values) == as_json(expected_values), key
        if shown_first:
            assert all(v is no_update for v in values), "the screen already shows all of it"
    assert screen.views.renders == len(cases)


def dash_body(app: Any, tick_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """The ``/_dash-update-component`` body of the callback driven by ``tick_id`` (as the renderer builds it)."""
    for key, cb in app.callback_map.items():
        if any(i["id"] == tick_id for i in cb["inputs"]):
            parts = key[2:-2].split("...")
            outputs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]

            def with_value(d: dict[str, Any]) -> dict[str, Any]:
                return {**d, "value": values.get(f"{d['id']}.{d['property']}")}

            return {"output": key, "outputs": outputs, "inputs": [with_value(i) for i in cb["inputs"]],
                    "changedPropIds": [f"{tick_id}.n_intervals"], "state": [with_value(s) for s in cb["state"]]}
    raise KeyError(tick_id)


def test_screens_asking_in_one_second_share_one_render(boundaries: FakeBoundaries,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = wall.render

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(wall, "render", counting)
    source, clock = FakeSource(rich_snapshot(NOW, boundaries)), Clock(NOW + 0.1)
    app = create_app(Settings(auth="open"), boundaries, source, clock=clock)
    client = app.server.test_client()

    def tick(n: int, lang: str = "id", shown: list[str] | None = None) -> dict[str, Any]:
        body = dash_body(app, "wall-tick", {"wall-tick.n_intervals": n, "lang-store.data": lang,
                                            "wall-scale.data": 1.0, "wall-digests.data": shown})
        res = client.post("/_dash-update-component", json=body)
        assert res.status_code in (200, 204), res.get_data(as_text=True)[:300]
        return res.get_json()["response"] if res.status_code == 200 else {}

    first = tick(1)
    assert calls == ["id"]
    digests = first["wall-digests"]["data"]
    for n in range(2, 12):  # ten more screens in the same second
        clock.now = NOW + 0.1 + n * 0.05
        again = tick(n, shown=digests if n % 2 else None)
        assert again["wall-digests"]["data"] == digests
    assert calls == ["id"], "eleven screens, one render"
    assert "wall-kpi-0" in tick(20)  # a screen showing nothing gets every tile from the cached render
    shown_all = tick(21, shown=digests)
    assert set(shown_all) == {"wall-heartbeat", "wall-digests"}, "a screen showing it all is sent nothing else"
    tick(22, lang="en")
    assert calls == ["id", "en"], "another language is another render"
    clock.now = NOW + 1.2
    tick(23)
    assert calls == ["id", "en", "id"], "the next second renders again (the focus bar moves)"
    snap = source.get().snapshot
    assert snap is not None
    source.set(snap.model_copy(update={"complaints": snap.complaints.model_copy(update={"open": 451})}))
    changed = tick(24, shown=digests)
    assert calls == ["id", "en", "id", "id"], "a new snapshot renders again"
    assert "wall-kpi-0" in changed and "451" in json.dumps(changed["wall-kpi-0"])


def test_concurrent_askers_wait_for_the_one_render_in_flight() -> None:
    memo, started, release = ViewMemo(), threading.Event(), threading.Event()
    computed: list[int] = []

    def compute() -> Rendered:
        computed.append(1)
        started.set()
        release.wait(5)
        return Rendered(("v",), ("h",))

    snap = object()
    results: list[Rendered] = []
    threads = [threading.Thread(target=lambda: results.append(memo.get("k", snap, compute))) for _ in range(20)]
    threads[0].start()
    started.wait(5)
    for t in threads[1:]:
        t.start()
    release.set()
    for t in threads:
        t.join(5)
    assert len(computed) == 1 and memo.renders == 1
    assert len(results) == 20 and all(r is results[0] for r in results)


def test_memo_is_bounded_keyed_on_snapshot_identity_and_forgets_failures() -> None:
    memo = ViewMemo(maxsize=3)
    a, b = object(), object()
    for i in range(5):
        memo.get(i, a, lambda i=i: Rendered((i,), (str(i),)))
    assert memo.renders == 5 and len(memo._entries) == 3
    assert memo.get(4, a, lambda: Rendered(("other",), ("x",))).values == (4,)
    assert memo.get(4, b, lambda: Rendered(("new",), ("y",))).values == ("new",), "a new snapshot object is a miss"
    assert len(memo._entries) == 1, "renders of the older read are dropped"
    assert memo.get(3, a, lambda: Rendered(("again",), ("w",))).values == ("again",)

    def boom() -> Rendered:
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        memo.get("bad", a, boom)
    assert memo.get("bad", a, lambda: Rendered(("ok",), ("z",))).values == ("ok",), "a failure is not cached"
    assert memo.renders == 8
