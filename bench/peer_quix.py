"""The peer of the ingest benchmark: the same feeds through quix-streams and its Redis sink.

    python bench/peer_quix.py BOOTSTRAP REDIS_URL GROUP BOUNDARIES TOPIC [TOPIC ...]

What a team would write with quix-streams instead of Marvec, doing a NARROWER version of
the same work (see docs/performance.md):

- decode JSON (quix's ``json`` deserializer, orjson underneath);
- check the required fields of each feed (common fields, then the feed's own: a
  complaint's id, status and location; a price's market, commodity and price; an
  incident's id, status and location) -- presence and type only, no enum or length rules;
- point-in-polygon kecamatan: bbox candidates, then shapely ``contains_xy`` on the same
  boundary file the consumers load; a complaint outside every kecamatan is dropped;
- complaints only: latest-wins state per ``complaint_id`` in Redis (by ``occurred_at`` as
  epoch ms; ties to the later event) and open counts by kecamatan and by category;
  prices and incidents are only decoded, checked, located and counted;
- at-least-once: quix's default guarantee; the sink (quix's ``RedisSink`` with its
  ``write`` replaced) writes one partition batch in ONE ``MULTI``/``EXEC`` transaction at
  each checkpoint, before quix commits the offsets.

Not done (Marvec does them): event-id dedupe, every contract rule and reject detail,
dead letters, the other feeds' aggregates, capped lists, trends, exact counting across
redelivery, metrics. ``peer:stats seen`` counts every message written (the benchmark
waits for it); ``peer:stats first_write_ms`` is the wall time of the first write.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import orjson
import shapely
from quixstreams import Application
from quixstreams.sinks import SinkBatch
from quixstreams.sinks.community.redis import RedisSink
from shapely.geometry import shape

OPEN = ("received", "assigned", "in_progress")

# KEYS: none. ARGV: seen, then per complaint (id, ms, status, kecamatan, category).
APPLY = """
local open = {received=true, assigned=true, in_progress=true}
redis.call('HINCRBY', 'peer:stats', 'seen', ARGV[1])
redis.call('HSETNX', 'peer:stats', 'first_write_ms', ARGV[2])
for i = 3, #ARGV, 5 do
  local key = 'peer:c:' .. ARGV[i]
  local ms, status, kec, cat = tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local old = redis.call('HMGET', key, 'ms', 'status', 'kec', 'cat')
  if not old[1] or tonumber(old[1]) <= ms then
    if cat == '' then cat = old[4] or '' end
    if old[2] and open[old[2]] then
      redis.call('HINCRBY', 'peer:open:kec', old[3], -1)
      redis.call('HINCRBY', 'peer:open:cat', old[4], -1)
    end
    if open[status] then
      redis.call('HINCRBY', 'peer:open:kec', kec, 1)
      redis.call('HINCRBY', 'peer:open:cat', cat, 1)
    end
    redis.call('HSET', key, 'ms', ms, 'status', status, 'kec', kec, 'cat', cat)
  end
end
return 1
"""


class Locator:
    """Kecamatan of a point: bbox candidates, then shapely ``contains_xy`` (prepared)."""

    def __init__(self, path: str, field: str = "kecamatan") -> None:
        features = orjson.loads(open(path, "rb").read())["features"]  # noqa: SIM115
        self.names = [f["properties"][field] for f in features]
        self.geoms = [shape(f["geometry"]) for f in features]
        for g in self.geoms:
            shapely.prepare(g)
        self.boxes = [g.bounds for g in self.geoms]

    def __call__(self, lon: float, lat: float) -> str | None:
        for name, geom, (x0, y0, x1, y1) in zip(self.names, self.geoms, self.boxes, strict=True):
            if x0 <= lon <= x1 and y0 <= lat <= y1 and shapely.contains_xy(geom, lon, lat):
                return name
        return None


REQUIRED = {"complaints": ("complaint_id", "status"), "economy": ("kind", "market", "commodity", "price_idr"),
            "disasters": ("incident_id", "status"), "publicinfo": ("kind",)}


class ComplaintStateSink(RedisSink):
    """quix's Redis sink, writing latest-wins complaint state and open counts in one transaction."""

    def write(self, batch: SinkBatch) -> None:
        args: list[Any] = [0, int(time.time() * 1000)]
        for item in batch:
            args[0] += 1
            v = item.value
            if v is not None:
                args.extend(v)
        assert self._client is not None
        with self._client.pipeline(transaction=True) as pipe:
            pipe.eval(APPLY, 0, *args)
            pipe.execute(raise_on_error=True)


def main(argv: list[str]) -> None:
    bootstrap, redis_url, group, boundaries, *topics = argv
    locate = Locator(boundaries)
    feed_of = {t: t.rsplit(".", 1)[-1] for t in topics}

    def process(value: Any, key: Any, timestamp: int, headers: Any) -> tuple | None:
        """One message -> (id, ms, status, kecamatan, category) for a valid complaint, else None."""
        from quixstreams.context import message_context

        feed = feed_of[message_context().topic]
        if not isinstance(value, dict) or not isinstance(value.get("event_id"), str) \
                or not isinstance(value.get("occurred_at"), str) or not isinstance(value.get("source"), str):
            return None
        if any(name not in value for name in REQUIRED[feed]):
            return None
        loc = value.get("location")
        kec = value.get("kecamatan")
        if isinstance(loc, dict):
            lat, lon = loc.get("lat"), loc.get("lon")
            if not isinstance(lat, float | int) or not isinstance(lon, float | int):
                return None
            kec = locate(lon, lat) or kec
        if feed != "complaints":
            return None
        if not isinstance(kec, str) or not isinstance(value["complaint_id"], str) or value["status"] not in (
                *OPEN, "resolved", "rejected"):
            return None
        try:
            ms = int(datetime.fromisoformat(value["occurred_at"]).timestamp() * 1000)
        except ValueError:
            return None
        return (value["complaint_id"], ms, value["status"], kec, value.get("category") or "")

    url = urlparse(redis_url)
    state_dir = tempfile.mkdtemp(prefix="marvec-peer-")  # quix wants one; nothing stateful is used
    app = Application(broker_address=bootstrap, consumer_group=group, auto_offset_reset="earliest",
                      processing_guarantee="at-least-once", auto_create_topics=False, use_changelog_topics=False,
                      loglevel=os.environ.get("PEER_LOGLEVEL", "WARNING"), state_dir=state_dir,
                      # the same session timeout as the benchmark's marvec consumers
                      consumer_extra_config={"session.timeout.ms": 6000})
    sink = ComplaintStateSink(host=url.hostname or "127.0.0.1", port=url.port or 6379,
                              db=int((url.path or "/0").lstrip("/") or 0))
    for t in topics:
        sdf = app.dataframe(app.topic(t, value_deserializer="json", key_deserializer="str"))
        sdf = sdf.apply(process, metadata=True)
        sdf.sink(sink)
    try:
        app.run()
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
