"""``marvec rebuild``: rebuild Redis's picture from the feeds' retained history.

Redis is a view and Kafka the record. Rebuild wipes Marvec's keys, replays every
partition of the three feeds from its earliest retained offset through the same
decode and fold the consumers use, with a progress bar, expires again what went
silent (``streams.expiry``), and finally names a new epoch. Running consumers pause
while Redis holds no picture and continue right after what the rebuild applied. Dead
letters are not produced again: the dead-letter topic has them from the first time.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from typing import TextIO

import redis
from kafka import KafkaConsumer, TopicPartition

from marvec import datameta
from marvec.errors import SettingsError
from marvec.keys import Keys, partition_id
from marvec.settings import Settings
from marvec.topics import check_redis
from streams.decode import Locator, Record, decode_batch
from streams.expiry import Pruner
from streams.sink import FoldResult, RedisFold

log = logging.getLogger("marvec.rebuild")
IDLE_DONE_S = 3.0


def wipe(client: redis.Redis, keys: Keys) -> int:
    """Delete every key under Marvec's prefix but those no replay can bring back (API keys,
    sessions, alerts, the alert level, the log: ``Keys.kept_prefixes``); returns how many."""
    n = 0
    batch: list[bytes] = []
    keep = tuple(p.encode() for p in keys.kept_prefixes)
    for key in client.scan_iter(match=f"{keys.prefix}*", count=1000):
        if key.startswith(keep):
            continue
        batch.append(key)
        if len(batch) >= 1000:
            n += client.unlink(*batch)
            batch = []
    if batch:
        n += client.unlink(*batch)
    return n


def progress_bar(done: int, total: int, rate: float, width: int = 30) -> str:
    """``[#####.....]  52%  260,000/500,000 records  35,000/s``."""
    share = min(1.0, done / total) if total else 1.0
    fill = int(share * width)
    return (f"[{'#' * fill}{'.' * (width - fill)}] {share:4.0%}  "
            f"{done:,}/{total:,} records  {rate:,.0f}/s")


class Rebuild:
    """Replays all partitions from the beginning into a wiped Redis."""

    def __init__(self, settings: Settings, locator: Locator, client: redis.Redis) -> None:
        self.settings, self.locator, self.client = settings, locator, client
        self.keys = Keys()
        self.fold = RedisFold(client, dedupe_hours=settings.dedupe_horizon_hours,
                              retention_hours=settings.entity_retention_hours, keys=self.keys)
        self.feed_of = {topic: feed for feed, topic in settings.topics.items()}
        self.kafka = KafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False,
                                   fetch_max_bytes=64 << 20, max_partition_fetch_bytes=8 << 20)

    def _partitions(self) -> list[TopicPartition]:
        parts = [TopicPartition(t, p) for t in self.feed_of
                 for p in sorted(self.kafka.partitions_for_topic(t) or ())]
        if not parts:
            raise SettingsError("MARVEC_TOPIC_COMPLAINTS", "the feed topics do not exist on the broker")
        return parts

    def _step(self, totals: FoldResult) -> tuple[int, FoldResult]:
        polled = self.kafka.poll(timeout_ms=500, max_records=self.settings.batch_max_records)
        records = [Record(r.topic, r.partition, r.offset, r.value)
                   for batch in polled.values() for r in batch]
        if not records:
            return 0, totals
        now = time.time()
        result = self.fold.apply(decode_batch(records, self.feed_of, now, self.locator), now)
        for tp in {partition_id(r.topic, r.partition) for r in records}:
            self.client.delete(self.keys.outbox(tp))
        return len(records), totals + result

    def _receiving_since(self) -> dict[str, str]:
        """Feed key -> when Marvec first received it (``first_applied_ts``), to carry over
        the wipe: a replay applies every event now, but the feeds were live before."""
        out = {}
        for feed in self.settings.topics:
            key = self.keys.feed(feed)
            at = self.client.hget(key, "first_applied_ts")
            if at is not None:
                out[key] = at.decode()
        return out

    def run(self, out: TextIO = sys.stderr) -> FoldResult:
        parts = self._partitions()
        self.kafka.assign(parts)
        self.kafka.seek_to_beginning(*parts)
        begin = self.kafka.beginning_offsets(parts)
        end = self.kafka.end_offsets(parts)
        total = sum(max(0, end[p] - begin[p]) for p in parts)
        epoch = uuid.uuid4().hex
        since = self._receiving_since()
        removed = wipe(self.client, self.keys)
        datameta.write(self.client, self.locator, self.keys)
        self.client.hset(self.keys.meta, mapping={"rebuilding": epoch, "days_kept_from": "0"})
        log.info("wiped %d keys; replaying %d partitions (~%d records)", removed, len(parts), total)
        done, totals, t0, idle_since = 0, FoldResult(), time.monotonic(), time.monotonic()
        while True:
            n, totals = self._step(totals)
            done += n
            if n:
                idle_since = time.monotonic()
            rate = done / max(1e-6, time.monotonic() - t0)
            out.write("\r" + progress_bar(done, max(total, done), rate))
            out.flush()
            caught_up = all(self.kafka.position(p) >= end[p] for p in parts)
            if (caught_up and n == 0) or time.monotonic() - idle_since > IDLE_DONE_S:
                break
        out.write("\n")
        # The replay brought back what the consumers' sweep had expired (a market silent
        # for longer than the retention, an idle OPD): expire it again before the picture
        # is named, so that the rebuilt picture is the one the consumers keep.
        Pruner(self.client, self.settings.silent_retention_days, self.keys).sweep()
        for key, at in since.items():  # Marvec received these feeds before the replay did
            self.client.hset(key, "first_applied_ts", at)
        self.client.hset(self.keys.meta, mapping={"epoch": epoch, "rebuilt_at": time.time()})
        self.client.hdel(self.keys.meta, "rebuilding")
        self.kafka.close()
        return totals


def rebuild(settings: Settings, out: TextIO = sys.stderr) -> FoldResult:
    """Check the settings, then rebuild; prints a progress bar and a summary line."""
    from geodata import load_boundaries

    settings.require_services()
    boundaries = load_boundaries(settings.boundaries, settings.boundaries_field)
    client = check_redis(settings.redis_url or "")
    datameta.check_rebuild(client, boundaries, allow_switch=settings.boundaries_switch)
    t0 = time.monotonic()
    totals = Rebuild(settings, boundaries, client).run(out)
    out.write(f"rebuilt in {time.monotonic() - t0:.1f} s: accepted {totals.accepted:,}, "
              f"rejected {totals.rejected:,}, duplicates {totals.duplicates:,}\n")
    return totals
