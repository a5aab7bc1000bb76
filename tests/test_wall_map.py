"""The wall map: the old town's labels called out into free space, labels over markers,
shading per 10,000 residents, the tile background (layers/mapframe, citymap, legend)."""

from __future__ import annotations

import base64
import itertools
import zlib
from pathlib import Path

import pytest

from geodata.population import load_population, parse_population
from layers.citymap import (
    LABEL_BASE,
    MAX_TILES,
    TILE_FILL_OPACITY,
    city_map_figure,
    label_sizes,
    map_layers,
    per_10k,
    tile_corner,
    tile_xy,
    trace_index,
)
from layers.legend import map_legend
from layers.mapframe import (
    OLD_TOWN,
    WALL_MAP_PX,
    build_frame,
    label_lines,
    px_per_unit,
    text_box,
)
from layers.palette import NONE_FILL, RAMPS, SEA, UNKNOWN_FILL, ShadeClass, contrast
from marvec.errors import SettingsError
from marvec.i18n import translator
from marvec.settings import Settings, load_settings
from tests.snapshot_fixtures import FakeBoundaries, rich_snapshot, with_crisis

TR = translator("id")
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "geodata"
SOURCES = [None, SHARED / "makassar_kecamatan.geojson", SHARED / "makassar_kecamatan_from_kelurahan.geojson"]


def _frame(path):
    if path is not None and not path.exists():
        pytest.skip(f"{path} not found (clone shared/ beside the repo)")
    return build_frame(FakeBoundaries(path).geojson())


@pytest.fixture(scope="module", params=SOURCES, ids=["bundled", "real", "real_merged"])
def frame(request):
    return _frame(request.param)


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_boxes(frame, map_px=WALL_MAP_PX):
    """Every label's box at wall size, the way the map draws it (one-line name when called out)."""
    k = px_per_unit(frame.bounds, frame.y_ratio, map_px)
    sizes = dict(zip(frame.names, label_sizes(frame, 1.0), strict=True))
    boxes = {}
    for n in frame.names:
        lines = [len(n), 9] if n in frame.callouts else label_lines(n, frame.label_weight[n])
        boxes[n] = text_box(frame.labels[n], lines, sizes[n], k, frame.y_ratio)
    return boxes


def test_the_five_old_town_labels_are_called_out_and_overlap_nothing(frame):
    assert set(frame.callouts) == set(OLD_TOWN)
    boxes = _label_boxes(frame)
    for name in OLD_TOWN:
        assert frame.labels[name] == frame.callouts[name].center
        hits = [other for other, box in boxes.items() if other != name and _overlap(boxes[name], box)]
        assert hits == [], f"{name}'s label overlaps {hits}"
        # at the full wall size, not shrunk with the district
        assert label_sizes(frame, 1.0)[frame.names.index(name)] == LABEL_BASE
    if frame.inset is not None:
        assert not any(_overlap(boxes[n], frame.inset.box) for n in OLD_TOWN)


def test_called_out_labels_lie_off_land_west_of_their_district_and_lines_reach_them(frame):
    for name in OLD_TOWN:
        c = frame.callouts[name]
        assert c.center[0] < c.anchor[0]  # the sea is to the west
        ex, ey = c.end
        assert c.box[0] <= ex <= c.box[2] and c.box[1] <= ey <= c.box[3]
        assert not (c.box[0] <= c.anchor[0] <= c.box[2] and c.box[1] <= c.anchor[1] <= c.box[3])


def test_bigger_districts_keep_their_label_inside_and_the_city_has_no_colliding_labels(frame):
    boxes = _label_boxes(frame)
    assert "Biringkanaya" not in frame.callouts and "Tamalanrea" not in frame.callouts
    names = [n for n in frame.names if not (frame.inset and n in frame.inset.names)]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if _overlap(boxes[a], boxes[b])]
    assert pairs == []


def test_leader_lines_are_drawn_and_labels_sit_above_the_markers(frame):
    snap = with_crisis(rich_snapshot(1_795_000_000.0, FakeBoundaries()), 1_795_000_000.0, FakeBoundaries())
    layers = map_layers(snap, frame, "complaints", TR)
    fig = city_map_figure(frame, layers)
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) == len(OLD_TOWN)
    labels = trace_index(frame, "labels")
    assert fig.data[labels].name == "labels" and fig.data[labels].mode == "text"
    for name in ("complaints", "near", "incidents"):  # drawn before (under) the labels
        assert fig.data[trace_index(frame, name)].name == name and trace_index(frame, name) < labels
    assert labels == len(fig.data) - 1
    assert all(t.zorder is None for t in fig.data)  # zorder would hide a tile background
    # a called-out name is on one line
    i = frame.names.index("Ujung Pandang")
    assert layers.labels[i].startswith("Ujung Pandang<br>")


def test_islands_are_drawn_once(frame):
    fig = city_map_figure(frame, map_layers(None, frame, "complaints", TR))
    named = [t.name for t in fig.data if t.name == "Kepulauan Sangkarrang"]
    assert named == ["Kepulauan Sangkarrang"]
    if frame.inset is not None:
        b = frame.inset.box
        xs, ys = frame.outline("Kepulauan Sangkarrang")
        assert all(b[0] - 1e-9 <= x <= b[2] + 1e-9 for x in xs if x is not None)
        assert all(b[1] - 1e-9 <= y <= b[3] + 1e-9 for y in ys if y is not None)


def test_economy_classes_are_distinguishable_on_the_dark_wall():
    steps = [NONE_FILL, *RAMPS["economy"]]
    ratios = [contrast(a, b) for a, b in itertools.pairwise(steps)]
    assert min(ratios) >= 1.5, ratios
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)


# -- shading per 10,000 residents ------------------------------------------------------
def test_per_10k_numbers_and_unknown_population_is_none_not_zero():
    rates = per_10k({"Mariso": 12, "Tamalate": 50, "Wajo": 3}, {"Mariso": 57_594, "Tamalate": 181_533},
                    ["Mariso", "Tamalate", "Wajo", "Tallo"])
    assert rates == {"Mariso": 2.1, "Tamalate": 2.8, "Wajo": None, "Tallo": None}
    assert per_10k({}, {"Mariso": 57_594}, ["Mariso"]) == {"Mariso": 0.0}


def test_population_table_reads_source_year_and_skips_blanks(tmp_path):
    table = parse_population("# source: BPS Kota Makassar, Dalam Angka\n# year: 2023\nkecamatan,population\n"
                             "Mariso,57.594\nWajo,\n\nTallo,139167\n")
    assert table.counts == {"Mariso": 57_594, "Tallo": 139_167}
    assert table.source.startswith("BPS") and table.year == 2023
    with pytest.raises(ValueError, match="positive"):
        parse_population("kecamatan,population\nMariso,0\n")
    bundled = load_population()
    assert "BPS" in bundled.source and bundled.year is not None
    names = FakeBoundaries().names
    assert set(bundled.counts) <= set(names)  # spelled as the boundaries spell them


def test_map_shaded_per_10k_labels_rates_and_draws_unknown_population_as_unknown():
    frame = _frame(None)
    snap = rich_snapshot(1_795_000_000.0, FakeBoundaries())
    population = {"Mariso": 57_594, "Tamalate": 181_533}
    layers = map_layers(snap, frame, "complaints", TR, population=population)
    i, j, k = (frame.names.index(n) for n in ("Mariso", "Tamalate", "Tallo"))
    mariso = snap.complaints.by_kecamatan.get("Mariso", 0)
    expected = f"{round(10_000 * mariso / 57_594, 1):.1f}".replace(".", ",")
    assert layers.labels[i].endswith(f"<b>{expected}</b>")
    assert layers.labels[k].endswith("<b>–</b>")  # population unknown: not 0
    assert layers.fills[k] == UNKNOWN_FILL and layers.fills[j] != UNKNOWN_FILL
    counted = map_layers(snap, frame, "complaints", TR)
    assert counted.labels[i].endswith(f"<b>{mariso}</b>")


def _texts(items):
    out = []
    for item in items:
        kids = item.children if isinstance(item.children, list) else [item.children]
        out.append("".join(k for k in kids if isinstance(k, str)))
    return out


def test_legend_says_per_10000_residents_when_on_in_both_languages():
    classes = [ShadeClass(0, 1.5, "#111111"), ShadeClass(1.5, 3, "#222222")]
    on = _texts(map_legend(classes, "complaints", TR, "id", per10k=True))
    assert on[0] == "per 10.000 penduduk"
    assert "0–1,5" in on and "1,5–3" in on and "penduduk tak diketahui" in on
    en = _texts(map_legend(classes, "complaints", translator("en"), "en", per10k=True))
    assert en[0] == "per 10,000 residents"
    off = _texts(map_legend([ShadeClass(0, 5, "#111111")], "complaints", TR, "id"))
    assert "per 10.000 penduduk" not in off and "1–5" in off


def test_map_shading_setting_is_validated_in_one_line():
    assert Settings().map_shading == "count"
    assert Settings(map_shading="per10k").map_shading == "per10k"
    with pytest.raises(SettingsError) as err:
        load_settings(map_shading="per_capita")
    assert "MARVEC_MAP_SHADING" in str(err.value) and "\n" not in str(err.value)


# -- tile background (MARVEC_TILES_URL) ------------------------------------------------
TILES = "https://tiles.example.go.id/{z}/{x}/{y}.png"


def test_tile_maths_round_trips_a_point_of_makassar():
    x, y = tile_xy(119.4136, -5.1331, 13)
    assert (x, y) == (6813, 4212)
    west, north = tile_corner(x, y, 13)
    east, south = tile_corner(x + 1, y + 1, 13)
    assert west <= 119.4136 < east and south < -5.1331 <= north


def test_unset_tiles_url_draws_offline_with_no_images():
    frame = _frame(None)
    fig = city_map_figure(frame, map_layers(None, frame, "complaints", TR))
    assert fig.layout.images == ()
    assert all(t.opacity is None for t in fig.data[: len(frame.names)])


def test_tiles_url_puts_raster_tiles_under_see_through_kecamatan():
    frame = _frame(None)
    fig = city_map_figure(frame, map_layers(None, frame, "complaints", TR), tiles_url=TILES)
    images = fig.layout.images
    assert 4 <= len(images) <= MAX_TILES + 1  # tiles and the inset's sea
    assert {im.layer for im in images} == {"below"} and {im.xref for im in images} == {"x"}
    zooms = {im.source.split("/")[3] for im in images[:-1]}
    assert len(zooms) == 1 and int(zooms.pop()) >= 12  # street level, one zoom
    west = min(im.x for im in images[:-1])
    east = max(im.x + im.sizex for im in images[:-1])
    north = max(im.y for im in images[:-1])
    south = min(im.y - im.sizey for im in images[:-1])
    b = frame.bounds
    assert west <= b[0] and east >= b[2] and south <= b[1] and north >= b[3]  # the whole city covered
    assert all(t.opacity == TILE_FILL_OPACITY for t in fig.data[: len(frame.names)])
    # the moved islands are not drawn over the wrong tiles: sea, drawn after (over) the tiles
    sea = images[-1]
    assert sea.source.startswith("data:image/png;base64,") and (sea.x, sea.y) == (frame.inset.box[0], frame.inset.box[3])
    png = base64.b64decode(sea.source.split(",", 1)[1])
    assert png.startswith(b"\x89PNG") and zlib.decompress(png[png.index(b"IDAT") + 4:-16])[1:] == bytes.fromhex(SEA[1:])
    assert all(im.source.startswith("https://tiles.example.go.id/") for im in images[:-1])


def test_tiles_url_setting_is_validated_in_one_line():
    assert Settings(tiles_url=TILES).tiles_url == TILES
    assert Settings(tiles_url="/tiles/{z}/{x}/{y}.png").tiles_url == "/tiles/{z}/{x}/{y}.png"
    assert Settings(tiles_url="").tiles_url is None
    for bad in ("https://tiles.example.go.id/tile.png", "ftp://x/{z}/{x}/{y}.png", "tiles/{z}/{x}/{y}"):
        with pytest.raises(SettingsError) as err:
            load_settings(tiles_url=bad)
        assert "MARVEC_TILES_URL" in str(err.value) and "\n" not in str(err.value)


def test_leader_lines_cross_no_other_label_and_labels_avoid_small_islands(frame):
    for name, c in frame.callouts.items():
        (ax, ay), (ex, ey) = c.anchor, c.end
        for other, o in frame.callouts.items():
            if other == name:
                continue
            for i in range(1, 50):
                x, y = ax + (ex - ax) * i / 50, ay + (ey - ay) * i / 50
                assert not (o.box[0] < x < o.box[2] and o.box[1] < y < o.box[3]), f"{name}'s line crosses {other}"
        for rings in frame.rings.values():
            for ring in rings:
                assert not any(c.box[0] <= x <= c.box[2] and c.box[1] <= y <= c.box[3] for x, y in ring), name


# -- the wall page wiring ------------------------------------------------------------------
def _screen(**settings):
    from dashboard.components.context import ScreenContext
    from tests.snapshot_fixtures import FakeSource

    b = FakeBoundaries()
    return ScreenContext(Settings(auth="open", **settings), build_frame(b.geojson()), tuple(b.names),
                         FakeSource(rich_snapshot(NOW_WALL, b)), clock=lambda: NOW_WALL + 1)


NOW_WALL = 1_795_000_000.0


def test_wall_page_uses_the_shading_and_tile_settings():
    from dashboard.pages import wall

    plain = _screen()
    view = wall.render(plain, plain.read(), "id", 1.0)
    assert "per 10.000 penduduk" not in _texts(view["legend"])
    assert wall.layout(plain, "id") is not None
    per10k = _screen(map_shading="per10k")
    view = wall.render(per10k, per10k.read(), "id", 1.0)
    assert _texts(view["legend"])[0] == "per 10.000 penduduk"
    known = load_population().counts
    for i, name in enumerate(per10k.frame.names):  # a rate where the table has the population, else "–"
        assert view["layers"].labels[i].endswith("<b>–</b>") == (name not in known)
    tiled = _screen(tiles_url=TILES)
    graph = next(c for c in _walk(wall.layout(tiled, "id")) if getattr(c, "id", None) == wall.PAGE.map)
    assert graph.figure.layout.images and graph.figure.layout.images[0].source.startswith("https://tiles.example")
    plain_graph = next(c for c in _walk(wall.layout(plain, "id")) if getattr(c, "id", None) == wall.PAGE.map)
    assert plain_graph.figure.layout.images == ()


def _walk(node):
    yield node
    kids = getattr(node, "children", None)
    for kid in kids if isinstance(kids, list | tuple) else [kids] if kids is not None else []:
        if not isinstance(kid, str | int | float):
            yield from _walk(kid)
