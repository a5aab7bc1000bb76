"""The public-information feed (contract 7) as a feed module of the write path: posts and
surveys change the snapshot's ``publicinfo`` section exactly (duplicates, late events, a
changed reach, a corrected survey), and its rejections name the field."""

from __future__ import annotations

import time

import orjson
import pytest
from feeds import AIRPORT, LOSARI, UNHAS
from streamrig import boundaries, snap

from marvec.timeutil import iso
from streams.decode import Record, decode_batch, decode_one
from streams.fields import Invalid
from streams.sink import RedisFold

pytestmark = pytest.mark.integration
FEED_OF = {f"t.{f}": f for f in ("complaints", "economy", "disasters", "publicinfo")}
NOW = time.time()
_offset = iter(range(10**6))


def post(eid: str, pid: str, opd: str, ago_h: float, **more):
    return {"event_id": eid, "occurred_at": iso(NOW - ago_h * 3600), "source": "humas",
            "kind": "post", "opd": opd, "channel": "instagram", "post_id": pid, **more}


def survey(eid: str, sid: str, where: dict, n: int, aw: int, wk: int, ni: int, **more):
    return {"event_id": eid, "occurred_at": iso(NOW - 3600), "source": "rtrw", "kind": "survey",
            "survey_id": sid, "topic": "makaverse", "location": where, "respondents": n,
            "aware": aw, "want_to_know": wk, "not_interested": ni, **more}


def apply(client, events):
    recs = [Record("t.publicinfo", 0, next(_offset), orjson.dumps(e)) for e in events]
    fold = RedisFold(client, dedupe_hours=168, retention_hours=168)
    fold.claim_epoch("test")
    return fold.apply(decode_batch(recs, FEED_OF, NOW, boundaries()), NOW, "test")


def test_posts_count_once_per_post_with_their_latest_reach(redis_client):
    res = apply(redis_client, [
        post("p1", "IG-1", "DLH", 30, reach=100),
        post("p2", "IG-2", "DLH", 5),  # no reach yet
        post("p3", "IG-3", "DPU", 2, reach=40, channel="facebook"),
        post("p1", "IG-1", "DLH", 30, reach=100),  # a producer resending: a duplicate
        post("p4", "IG-1", "DLH", 1, reach=900),  # the same post, reach grown
        post("p5", "IG-1", "DLH", 20, reach=300),  # an older reading arriving late: ignored
        post("p6", "IG-9", "DISKOMINFO", 24 * 8, reach=5),  # published 8 days ago: not in 7d
    ])
    assert (res.accepted, res.duplicates, res.rejected) == (6, 1, 0)
    p = snap(redis_client, NOW).publicinfo
    assert p.posts_7d == {"DLH": 2, "DPU": 1}
    assert p.reach_7d == {"DLH": 900, "DPU": 40}
    assert p.posts_7d_by_channel == {"DLH": {"instagram": 2}, "DPU": {"facebook": 1}}
    apply(redis_client, [post("p7", "IG-2", "DLH", 0.5, reach=60)])  # IG-2 gets a reach
    assert snap(redis_client, NOW).publicinfo.reach_7d["DLH"] == 960
    s = snap(redis_client, NOW)
    assert s.feeds["publicinfo"].accepted == 7 and s.feeds["publicinfo"].duplicates == 1


def test_a_post_without_any_reach_has_no_reach_not_zero(redis_client):
    apply(redis_client, [post("q1", "TT-1", "DINKES", 3, channel="tiktok")])
    p = snap(redis_client, NOW).publicinfo
    assert p.posts_7d == {"DINKES": 1} and "DINKES" not in p.reach_7d


def test_surveys_sum_by_topic_and_kecamatan_and_a_correction_replaces(redis_client):
    res = apply(redis_client, [
        survey("s1", "SV-1", LOSARI, 100, 8, 56, 36),
        survey("s2", "SV-2", UNHAS, 50, 10, 20, 20),
        survey("s3", "SV-3", AIRPORT, 10, 1, 1, 8),  # outside the city
        survey("s4", "SV-4", LOSARI, 10, 1, 1, 1),  # does not sum to respondents
    ])
    assert (res.accepted, res.rejected) == (2, 2)
    a = snap(redis_client, NOW).publicinfo.awareness["makaverse"]
    assert (a.respondents, a.aware_pct, a.want_to_know_pct, a.not_interested_pct) == (
        150, 12.0, 50.7, 37.3)
    assert a.by_kecamatan == {"Tamalanrea": 20.0, "Ujung Pandang": 8.0}
    apply(redis_client, [{**survey("s5", "SV-2", UNHAS, 50, 25, 15, 10),
                          "occurred_at": iso(NOW - 600)}])  # SV-2 corrected
    a = snap(redis_client, NOW).publicinfo.awareness["makaverse"]
    assert (a.respondents, a.aware_pct) == (150, 22.0)
    assert a.by_kecamatan["Tamalanrea"] == 50.0


def test_publicinfo_rejections_name_the_field():
    b = boundaries()

    def reason(ev):
        with pytest.raises(Invalid) as exc:
            decode_one("publicinfo", orjson.dumps(ev), NOW, b)
        return exc.value.reason, exc.value.detail

    assert reason(survey("x", "S", LOSARI, 10, 1, 1, 1)) == (
        "schema", "aware + want_to_know + not_interested is 3, not respondents (10)")
    assert reason({**post("x", "P", "DLH", 1), "channel": "myspace"})[1].startswith(
        "channel must be one of instagram")
    assert reason({**post("x", "P", "DLH", 1), "reach": -1})[1].startswith("reach must be")
    bad = survey("x", "S", LOSARI, 10, 5, 5, 0)
    del bad["location"]
    assert reason(bad) == ("schema", "a survey needs kecamatan or location")
    assert reason({**post("x", "P", "DLH", 1), "kind": "tweet"})[1].startswith(
        "kind must be one of post, survey")
    ok = decode_one("publicinfo", orjson.dumps(post("x", "P", "DLH", 1, extra={"a": 1})), NOW, b)
    assert ok["pid"] == "P"  # unknown fields are accepted and kept out of aggregates
