"""The compiled planner (streams/native.py): used only while it matches its source, and
planning exactly what the source plans."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest
from feeds import complaint, mixed_stream
from streamrig import boundaries

import streams.plan
from streams import native
from streams.decode import Record, decode_batch
from streams.feeds import FEEDS
from streams.prepare import build_items
from streams.sink import RedisFold

FEED_OF = {f"t.{f}": f for f in FEEDS}


def test_a_build_is_used_only_while_it_matches_every_source(tmp_path):
    assert native.status(tmp_path) == "absent"
    path: list[str] = ["/src/streams"]
    assert native.install(path, tmp_path) is False and path == ["/src/streams"]
    current = native.manifest()
    assert set(current) == {"python", *native.MODULES}
    (tmp_path / "manifest.json").write_text(json.dumps(current | {"plan": "0" * 64}))
    assert native.status(tmp_path) == "stale"  # plan.py edited since the build
    assert native.install(path, tmp_path) is False and path == ["/src/streams"]
    (tmp_path / "manifest.json").write_text(json.dumps(current | {"python": "cpython-39"}))
    assert native.status(tmp_path) == "stale"  # built by another interpreter
    (tmp_path / "manifest.json").write_text(json.dumps(current))
    assert native.status(tmp_path) == "compiled"
    assert native.install(path, tmp_path) is True
    assert path == [str(tmp_path / "streams"), "/src/streams"]


def test_where_it_can_be_built_the_write_path_runs_compiled():
    """``make setup`` builds it; on a machine with a compiler and mypy the suite runs the
    compiled planner, so that what is measured is what is tested."""
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler here: the planner runs interpreted")
    if importlib.util.find_spec("mypyc") is None:
        pytest.skip("no mypyc here: the planner runs interpreted")
    assert native.status() == "compiled", f"make setup did not build {native.native_dir()}"
    assert streams.plan.__file__ is not None and streams.plan.__file__.endswith(".so")


def interpreted_plan() -> ModuleType:
    """streams/plan.py run from its source, whatever ``streams.plan`` is."""
    src = Path(native.__file__).with_name("plan.py")
    spec = importlib.util.spec_from_file_location("marvec_plan_as_written", src)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def plans_of(module: Any, items: list[dict[str, Any]], raws: list[bytes], reads: Any,
             cfg: Any, fold: RedisFold) -> dict[str, Any]:
    as_module = module.Reads(**{f.name: getattr(reads, f.name) for f in dataclasses.fields(reads)})
    cfg_module = module.FoldConfig(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)})
    plan = module.plan_batch(items, raws, as_module, cfg_module, fold.keys, FEEDS)
    return {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)}


def test_the_compiled_planner_plans_what_its_source_plans(redis_client):
    """Two batches of every feed (lifecycles, resends, late events, a fault-free mix) and
    a batch that refuses and dead-letters: the same plan, field by field, from either."""
    now = time.time()
    stream = mixed_stream(600, seed=11)
    stream.append(("complaints", {**complaint("C-bad", "received", 60), "priority": "soon"}))
    records = [Record(f"t.{feed}", i % 3, i, orjson.dumps(ev)) for i, (feed, ev) in enumerate(stream)]
    fold = RedisFold(redis_client, dedupe_hours=168, retention_hours=168)
    fold.claim_epoch("test")
    cfg = fold._config(now)
    source = interpreted_plan()
    compared = 0
    for batch in (records[:300], records[300:]):
        items, raws = build_items(decode_batch(batch, FEED_OF, now, boundaries()))
        reads = fold.read(streams.plan.needs(items, FEEDS, fold.keys))
        ours = plans_of(streams.plan, items, raws, reads, cfg, fold)
        theirs = plans_of(source, items, raws, reads, cfg, fold)
        assert ours == theirs
        assert ours["accepted"] > 100 and ours["commands"]
        compared += ours["accepted"] + ours["rejected"] + ours["duplicates"]
        fold.apply(decode_batch(batch, FEED_OF, now, boundaries()), now, "test")  # the next reads see it
    assert compared == len(records)
