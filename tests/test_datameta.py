"""Versioned data: Redis says which schema and boundaries its aggregates are, and a command
meeting others refuses in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import shapely

from geodata import Boundaries, load_boundaries
from marvec import datameta
from marvec.embedded import free_port
from marvec.errors import BoundaryError
from marvec.keys import SCHEMA_VERSION, Keys

CLOSED = f"127.0.0.1:{free_port()}"
SQUARE = shapely.box(119.40, -5.20, 119.45, -5.15)


def _square_file(tmp_path: Path, name: str = "Mariso") -> Path:
    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"kecamatan": name},
        "geometry": shapely.geometry.mapping(SQUARE)}]}
    path = tmp_path / "one.geojson"
    path.write_text(json.dumps(doc))
    return path


def _marvec(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MARVEC_")}
    return subprocess.run([sys.executable, "-m", "marvec", *args], env={**base, **env},
                          capture_output=True, text=True, timeout=60)


def test_the_meta_key_is_exact():
    assert Keys().data_meta == "mv:datameta"
    assert Keys("x:").data_meta == "x:datameta"


def test_the_fingerprint_is_stable_and_changes_with_names_order_or_shape():
    a, b = load_boundaries(), load_boundaries()
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 64
    polygons = dict(zip(a.names, a._geoms, strict=True))
    first = a.names[0]
    renamed = Boundaries({**{k: v for k, v in polygons.items() if k != first}, "Mariso Baru": polygons[first]}, "t")
    reordered = Boundaries(dict(reversed(list(polygons.items()))), "t")
    moved = Boundaries({**polygons, first: shapely.affinity.translate(polygons[first], 0.001)}, "t")
    prints = {a.fingerprint, renamed.fingerprint, reordered.fingerprint, moved.fingerprint}
    assert len(prints) == 4
    assert Boundaries(polygons, "another source").fingerprint == a.fingerprint  # content, not path


@pytest.mark.parametrize("bad", ["Tallo|Wajo", "Tallo:2", "Tallo\nWajo", "Tallo\x07", "Tallo\u200b", "  "])
def test_a_boundary_name_with_a_separator_or_control_character_is_refused_in_one_line(bad):
    with pytest.raises(BoundaryError) as err:
        Boundaries({"Mariso": SQUARE, bad: shapely.box(119.5, -5.2, 119.55, -5.15)}, "MARVEC_BOUNDARIES: f.geojson")
    msg = str(err.value)
    assert msg.startswith(f"MARVEC_BOUNDARIES: f.geojson: kecamatan name {bad!r} ") and "\n" not in msg
    assert "rename it in the boundary file" in msg


@pytest.mark.integration
def test_a_consumer_claims_an_empty_redis_and_checks_it_afterwards(redis_client, tmp_path):
    ours, other = load_boundaries(), load_boundaries(_square_file(tmp_path))
    datameta.check(redis_client, ours)  # read only: nothing stored yet is fine ...
    assert redis_client.dbsize() == 0  # ... and nothing is written
    datameta.claim_or_check(redis_client, ours, allow_switch=False)
    meta = datameta.read(redis_client)
    assert meta is not None and (meta.schema, meta.boundaries) == (SCHEMA_VERSION, ours.fingerprint)
    datameta.claim_or_check(redis_client, ours, allow_switch=False)  # again: the same, fine
    datameta.check(redis_client, ours)
    with pytest.raises(datameta.DataMismatch) as err:
        datameta.claim_or_check(redis_client, other, allow_switch=False)
    assert str(err.value) == (
        f"Redis aggregates were built with other boundaries (fingerprint {ours.fingerprint[:4]}.. "
        f"vs {other.fingerprint[:4]}..): set MARVEC_BOUNDARIES_SWITCH=1 and run marvec rebuild")
    with pytest.raises(datameta.DataMismatch):
        datameta.check(redis_client, other)
    assert datameta.read(redis_client) == meta  # refusing changed nothing


@pytest.mark.integration
def test_another_schema_is_refused_by_consumers_and_dashboard_and_rebuilt_over(redis_client, tmp_path):
    ours = load_boundaries()
    redis_client.hset("mv:datameta", mapping={"schema": "0", "boundaries": ours.fingerprint})
    expected = f"Redis holds schema 0, this Marvec writes {SCHEMA_VERSION}: run marvec rebuild (docs/deploy.md#upgrade)"
    for call in (lambda: datameta.check(redis_client, ours),
                 lambda: datameta.claim_or_check(redis_client, ours, allow_switch=True)):
        with pytest.raises(datameta.DataMismatch) as err:
            call()
        assert str(err.value) == expected
    datameta.check_rebuild(redis_client, ours, allow_switch=False)  # what a rebuild is for
    datameta.write(redis_client, ours)
    datameta.check(redis_client, ours)
    assert datameta.read(redis_client).schema == SCHEMA_VERSION


@pytest.mark.integration
def test_rebuild_needs_the_switch_for_other_boundaries(redis_client, tmp_path):
    ours, other = load_boundaries(), load_boundaries(_square_file(tmp_path))
    datameta.write(redis_client, ours)
    with pytest.raises(datameta.DataMismatch, match="MARVEC_BOUNDARIES_SWITCH=1"):
        datameta.check_rebuild(redis_client, other, allow_switch=False)
    datameta.check_rebuild(redis_client, other, allow_switch=True)
    datameta.write(redis_client, other)
    assert datameta.read(redis_client).boundaries == other.fingerprint


@pytest.mark.integration
def test_the_commands_refuse_a_mismatch_in_one_line(redis_server, redis_client, tmp_path):
    redis_client.hset("mv:datameta", "schema", "0")
    schema = f"Redis holds schema 0, this Marvec writes {SCHEMA_VERSION}: run marvec rebuild (docs/deploy.md#upgrade)"
    env = {"MARVEC_REDIS_URL": redis_server, "MARVEC_KAFKA_BOOTSTRAP": CLOSED, "MARVEC_AUTH": "open"}
    for command in ("consume", "dashboard"):
        done = _marvec(command, **env)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == f"marvec {command}: error: {schema}"
    redis_client.hset("mv:datameta", mapping={"schema": SCHEMA_VERSION, "boundaries": load_boundaries().fingerprint})
    other = str(_square_file(tmp_path))
    for command in ("consume", "dashboard", "rebuild"):
        done = _marvec(command, **env, MARVEC_BOUNDARIES=other)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, done.stderr
        assert lines[0].startswith(f"marvec {command}: error: Redis aggregates were built with other boundaries")
    assert redis_client.hget("mv:datameta", "schema") == SCHEMA_VERSION.encode()  # nothing written
