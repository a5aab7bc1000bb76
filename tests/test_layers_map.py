"""The city map: frame, shading, traces, and the patch that updates it (layers/mapframe, citymap)."""

from __future__ import annotations

import pytest

from layers.citymap import (
    city_map_figure,
    focus_values,
    incidents_view,
    map_changes,
    map_layers,
    trace_index,
)
from layers.mapframe import build_frame
from layers.palette import (
    NEAR_FLOOD,
    NONE_FILL,
    RAMPS,
    SEVERITY,
    UNKNOWN_FILL,
    fills,
    shade_classes,
    spread,
)
from marvec.i18n import translator
from tests.snapshot_fixtures import FakeBoundaries, rich_snapshot, with_crisis

TR = translator("id")


@pytest.fixture(scope="module")
def boundaries():
    return FakeBoundaries()


@pytest.fixture(scope="module")
def frame(boundaries):
    return build_frame(boundaries.geojson())


@pytest.fixture(scope="module")
def snap(boundaries):
    return with_crisis(rich_snapshot(1_795_000_000.0, boundaries), 1_795_000_000.0, boundaries)


def square(name, x, y, size=0.01):
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Feature", "id": name, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_frame_keeps_every_kecamatan_in_file_order(frame, boundaries):
    assert list(frame.names) == list(boundaries.names)
    assert len(frame.names) == 15


def test_far_islands_go_to_an_inset_and_points_there_move_with_them(frame):
    assert frame.inset is not None
    assert frame.inset.names == {"Kepulauan Sangkarrang"}
    barrang_lompo = (119.33, -5.05)  # an island of Kepulauan Sangkarrang
    x, y = frame.project(*barrang_lompo)
    box = frame.inset.box
    assert box[0] <= x <= box[2] and box[1] <= y <= box[3]
    losari = (119.4078, -5.1436)
    assert frame.project(*losari) == losari


def test_inset_is_drawn_inside_the_map_bounds(frame):
    b, box = frame.bounds, frame.inset.box
    assert b[0] <= box[0] and box[2] <= b[2] and b[1] <= box[1] and box[3] <= b[3]


def test_compact_city_gets_no_inset():
    gj = {"features": [square(f"k{i}", 119.4 + 0.01 * (i % 3), -5.1 - 0.01 * (i // 3)) for i in range(6)]}
    assert build_frame(gj).inset is None


def test_frame_refuses_boundaries_without_polygons():
    with pytest.raises(ValueError, match="no Polygon"):
        build_frame({"features": [{"id": "x", "geometry": {"type": "Point", "coordinates": [1, 2]}}]})


def test_outline_separates_multipolygon_parts_with_gaps(frame):
    xs, ys = frame.outline("Ujung Pandang")
    assert None in xs and len(xs) == len(ys)


def test_shade_classes_cover_the_largest_value_with_round_steps():
    classes = shade_classes([0, 3, 57, 12], RAMPS["complaints"])
    assert classes[0].low == 0
    assert classes[-1].high >= 57
    assert all(c.high - c.low == classes[0].high for c in classes)
    assert shade_classes([0, 0], RAMPS["complaints"]) == []


def test_one_class_is_drawn_in_the_middle_colour_not_the_most_alarming():
    assert spread(RAMPS["disasters"], 1) == [RAMPS["disasters"][2]]
    assert spread(RAMPS["disasters"], 5) == list(RAMPS["disasters"])
    assert spread(RAMPS["disasters"], 2) == [RAMPS["disasters"][0], RAMPS["disasters"][-1]]


def test_fills_zero_is_neutral_and_the_largest_is_the_top_class():
    colors, classes = fills(["a", "b", "c"], {"a": 0, "b": 50, "c": 10}, RAMPS["complaints"])
    assert colors[0] == NONE_FILL
    assert colors[1] == classes[-1].color
    assert colors[2] != colors[1]


def test_focus_values_pick_the_measure(snap):
    assert focus_values(snap, "complaints") == snap.complaints.by_kecamatan
    assert focus_values(snap, "economy") == snap.economy.by_kecamatan
    assert focus_values(snap, "disasters") == snap.disasters.by_kecamatan
    assert focus_values(None, "complaints") == {}


def test_figure_has_one_filled_polygon_per_kecamatan_then_the_layers(frame, snap):
    fig = city_map_figure(frame, map_layers(snap, frame, "complaints", TR))
    n = len(frame.names)
    assert len(fig.data) == n + 4
    assert all(t.type == "scatter" and t.fill == "toself" for t in fig.data[:n])
    assert [t.name for t in fig.data[:n]] == list(frame.names)
    assert [t.name for t in fig.data[n:]] == ["complaints", "near", "incidents", "labels"]
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.uirevision == "city"


def test_the_busiest_kecamatan_gets_the_top_colour(frame, snap):
    layers = map_layers(snap, frame, "complaints", TR)
    busiest = max(snap.complaints.by_kecamatan, key=snap.complaints.by_kecamatan.get)
    assert layers.fills[frame.names.index(busiest)] == layers.classes[-1].color


def test_labels_show_name_and_formatted_value(frame, snap):
    layers = map_layers(snap, frame, "economy", TR)
    i = frame.names.index("Manggala")
    assert layers.labels[i].startswith("Manggala<br>")
    assert "jt" in layers.labels[i]


def test_incidents_are_sized_and_coloured_by_severity(frame, snap):
    pts = map_layers(snap, frame, "disasters", TR).incidents
    sev = [int(t) for t in pts.text]
    assert sev == sorted(sev), "most severe drawn last, on top"
    assert pts.color[-1] == SEVERITY[4]
    assert pts.size[-1] > pts.size[0]
    assert len(pts.x) == len(snap.disasters.incidents)


def test_scale_grows_markers_for_big_walls(frame, snap):
    small = map_layers(snap, frame, "disasters", TR, scale=1.0).incidents.size
    big = map_layers(snap, frame, "disasters", TR, scale=2.0).incidents.size
    assert big == [2 * s for s in small]


def test_complaint_points_come_from_latest_and_carry_their_ids(frame, snap):
    pts = map_layers(snap, frame, "complaints", TR).complaints
    assert pts.ids == [c.complaint_id for c in snap.complaints.latest if c.lat is not None]


def test_near_flood_layer_only_when_asked(frame, snap):
    assert map_layers(snap, frame, "disasters", TR).near.x == []
    near = map_layers(snap, frame, "disasters", TR, flood_radius_m=1500).near
    assert near.x and set(near.color) == {NEAR_FLOOD}


def test_no_snapshot_draws_unknown_not_zero(frame):
    layers = map_layers(None, frame, "complaints", TR)
    assert set(layers.fills) == {UNKNOWN_FILL}
    assert all(label.endswith("<b>–</b>") for label in layers.labels)


def test_kecamatan_names_are_escaped_in_labels():
    gj = {"features": [square("<b>x</b>", 119.4, -5.1), square("y", 119.42, -5.1)]}
    frame = build_frame(gj)
    layers = map_layers(None, frame, "complaints", TR)
    assert layers.labels[0].startswith("&lt;b&gt;x&lt;/b&gt;<br>")


def test_selected_kecamatan_gets_a_bright_thick_border(frame, snap):
    layers = map_layers(snap, frame, "complaints", TR, selected="Tallo")
    assert layers.border("Tallo")["width"] > layers.border("Wajo")["width"]


def test_patch_never_resends_geometry(frame, snap):
    changes = dict(map_changes(frame, map_layers(snap, frame, "complaints", TR)))
    n = len(frame.names)
    for i in range(n):
        assert ("data", i, "x") not in changes and ("data", i, "y") not in changes
        assert ("data", i, "fillcolor") in changes
    assert ("data", trace_index(frame, "incidents"), "x") in changes
    assert ("data", trace_index(frame, "labels"), "text") in changes


def test_patch_matches_the_figure_it_updates(frame, snap):
    layers = map_layers(snap, frame, "economy", TR, scale=1.5)
    fig = city_map_figure(frame, layers).to_plotly_json()
    for path, value in map_changes(frame, layers):
        target = fig
        for key in path:
            target = target[key]
        assert target == value or list(target) == list(value), path


def test_incidents_view_frames_the_incidents_with_margin(frame, snap):
    view = incidents_view(frame, snap.disasters.incidents)
    for i in snap.disasters.incidents:
        x, y = frame.project(i.lon, i.lat)
        assert view[0] < x < view[2] and view[1] < y < view[3]
    assert incidents_view(frame, []) == frame.bounds


def test_a_boundaries_files_names_reach_hover_and_labels_escaped_once():
    """A name with a link and a 60 px span (from MARVEC_BOUNDARIES) was injected into the
    district's hover text; a name with quotes showed ``&quot;`` (escaped twice)."""
    evil = '<a href="https://evil.example">Klik</a><span style="font-size:60px">X</span>'
    quoted = 'Ujung "Lama" O\'Neil & Co'
    gj = {"features": [square(evil, 119.4, -5.1), square(quoted, 119.42, -5.1),
                       square("y", 119.44, -5.1)]}
    frame = build_frame(gj)
    layers = map_layers(None, frame, "complaints", TR)
    fig = city_map_figure(frame, layers, interactive="pan")
    hover = {t.customdata[0]: t.text for t in fig.data[:3]}
    for text in (hover[evil], layers.labels[0]):
        assert "<a" not in text and "<span" not in text and "&lt;a href=" in text
    assert hover[quoted] == 'Ujung "Lama" O\'Neil &amp; Co'
    assert layers.labels[1].startswith('Ujung "Lama" O\'Neil &amp; Co')
    assert "&quot;" not in layers.labels[1] and "&#x27;" not in layers.labels[1]
