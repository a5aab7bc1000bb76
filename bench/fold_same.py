"""Whether two checkouts of the write path fold the same messages into the same Redis.

    python bench/fold_same.py OTHER_TREE [--mix sim|entities] [N]

For a change that must not change any result (a faster fold): fixed messages (the mix,
2% of them sent again at new offsets, one batch redelivered whole and one in part; the
simulator's mix with 5% invalid messages) are decoded and folded in batches of 5,000 by
this checkout and by ``OTHER_TREE`` (e.g. ``git worktree add /tmp/base <commit>``), each in
a process of its own against a fresh embedded Redis, with the same ``now``. Compared:
every verdict, every batch's plan (commands, guards, counters; an HSET's field order
aside, which follows the order Redis returned a hash in, and the counters' order) and the whole keyspace after
(every key's type, contents and expiry time; a key expiring within the hour is left out,
it may or may not be there depending on when each run happened).
"""

from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

BATCH = 5000
HERE = Path(__file__).resolve().parent


def make(mix: str, n: int, out: Path) -> None:
    sys.path.insert(0, str(HERE))
    from common import simulated
    from entities import BOUNDARIES, entities

    msgs = entities(n) if mix == "entities" else simulated(n, invalid_ratio=0.05)
    rng = random.Random(7)
    allm = list(msgs)
    for m in rng.sample(msgs, n // 50):  # sent again: the same event at a new offset
        allm.insert(rng.randrange(len(allm)), m)
    offs: dict[tuple[str, int], int] = {}
    records = []
    for m in allm:
        p = zlib.crc32((m.key or "").encode()) % 6
        o = offs.get((m.feed, p), 0)
        offs[(m.feed, p)] = o + 1
        records.append((m.feed, p, o, m.value))
    batches = [records[i:i + BATCH] for i in range(0, len(records), BATCH)]
    batches.insert(3, batches[1])  # redelivered whole
    batches.insert(5, batches[4][:2000])  # redelivered in part
    data = {"now": time.time(), "boundaries": BOUNDARIES if mix == "entities" else None,
            "batches": batches}
    out.write_bytes(pickle.dumps(data))


def fold(src: Path, out: Path) -> None:
    """Run under the checkout on PYTHONPATH: fold ``src``, record plans and the keyspace."""
    import redis

    import streams.sink as sink
    from geodata import load_boundaries
    from marvec.embedded import start_embedded_redis
    from streams.decode import Record, decode_batch

    data = pickle.loads(src.read_bytes())
    now, boundaries = data["now"], load_boundaries(data["boundaries"])
    feed_of = {f: f for f in ("complaints", "economy", "disasters", "publicinfo")}
    plans: list[Any] = []
    commit = sink.RedisFold._commit

    def capture(self: Any, plan: Any, now_: float, epoch: str) -> Any:
        plans.append((plan.commands, plan.checked, plan.offsets, plan.entities, plan.cells,
                      plan.unseen, plan.feed_last, plan.feed_first, plan.gauges, plan.accepted,
                      plan.duplicates, plan.rejected, plan.skipped))
        return commit(self, plan, now_, epoch)

    sink.RedisFold._commit = capture  # type: ignore[method-assign]
    verdicts, results, dump = [], [], {}
    with start_embedded_redis(None, Path(tempfile.mkdtemp(prefix="marvec-same-"))) as server:
        c = redis.Redis.from_url(server.url)
        f = sink.RedisFold(c, dedupe_hours=48, retention_hours=168)
        f.claim_epoch("same")
        for recs in data["batches"]:
            vs = decode_batch([Record(*r) for r in recs], feed_of, now, boundaries)
            verdicts.append([(v.feed, v.event and dict(v.event), v.reason, v.detail) for v in vs])
            results.append(f.apply(vs, now, "same"))
        for key in sorted(c.scan_iter(count=1000)):
            kind = c.type(key).decode()
            if kind == "hash":
                val: Any = sorted(c.hgetall(key).items())
                if key.endswith(b":meta"):
                    val = [x for x in val if x[0] not in (b"days_kept_from", b"created_at")]
            elif kind == "zset":
                val = c.zrange(key, 0, -1, withscores=True)
            elif kind == "list":
                val = c.lrange(key, 0, -1)
            elif kind == "set":
                val = sorted(c.smembers(key))
            else:
                val = c.get(key)
            dump[key] = (kind, val, c.execute_command("PEXPIRETIME", key))
    out.write_bytes(pickle.dumps({"plans": plans, "dump": dump, "results": results,
                                  "verdicts": verdicts}))


def _canon(cmd: list[Any]) -> Any:
    if cmd and cmd[0] == "HSET":
        return ["HSET", cmd[1], sorted(zip(cmd[2::2], cmd[3::2], strict=True))]
    return cmd


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    soon = (time.time() + 3600) * 1000
    diffs = []
    for d in (a, b):
        # counters in any order: each HINCRBY stands alone, all run in the one script
        d["plans"] = [(list(map(_canon, p[0])), sorted(p[1]), *p[2:]) for p in d["plans"]]
        d["dump"] = {k: v for k, v in d["dump"].items() if not (0 < v[2] < soon) and v[0] != "none"}
    for name in ("verdicts", "results", "plans", "dump"):
        if a[name] != b[name]:
            diffs.append(name)
    return diffs


def main() -> None:
    if sys.argv[1] == "--fold":
        fold(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    other = Path(sys.argv[1]).resolve()
    mix = sys.argv[sys.argv.index("--mix") + 1] if "--mix" in sys.argv else "sim"
    rest = [a for a in sys.argv[2:] if a not in ("--mix", mix)]
    n = int(rest[0]) if rest else 40_000
    tmp = Path(tempfile.mkdtemp(prefix="marvec-same-"))
    make(mix, n, tmp / "in.pkl")
    outs = {}
    for label, tree in (("this", HERE.parent), ("other", other)):
        env = {**os.environ, "PYTHONPATH": str(tree)}
        subprocess.run([sys.executable, __file__, "--fold", str(tmp / "in.pkl"), str(tmp / f"{label}.pkl")],
                       env=env, check=True)
        outs[label] = pickle.loads((tmp / f"{label}.pkl").read_bytes())
    diffs = compare(outs["this"], outs["other"])
    a = outs["this"]
    print(f"mix {mix}, {sum(len(b) for b in pickle.loads((tmp / 'in.pkl').read_bytes())['batches']):,} "
          f"records in {len(a['plans'])} batches, {len(a['dump']):,} keys compared")
    print("summary: " + ("the same verdicts, plans and Redis contents" if not diffs
                         else "DIFFERENT: " + ", ".join(diffs)))
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
