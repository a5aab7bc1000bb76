"""Contract 7 end to end (issue #16): posts and surveys produced to the broker, applied by
a real consumer into a real Redis, change the snapshot's ``publicinfo`` section exactly
(a resent post, a late older reading, a grown reach, a corrected survey), a bad survey
goes to the dead-letter topic with its reason, and the report card's history has the
week's posts by channel."""

from __future__ import annotations

import time

import pytest
from feeds import LOSARI, UNHAS
from helpers import produce_json, read_topic
from streamrig import running_consumer, snap, wait_consumed

from marvec.history import read_history, wita_date
from marvec.keys import Keys
from marvec.timeutil import iso

pytestmark = pytest.mark.integration
NOW = time.time()


def post(eid: str, pid: str, opd: str, ago_h: float, **more):
    return {"event_id": eid, "occurred_at": iso(NOW - ago_h * 3600), "source": "humas", "kind": "post",
            "opd": opd, "channel": "instagram", "post_id": pid, **more}


def survey(eid: str, sid: str, where: dict, n: int, aw: int, wk: int, ni: int, ago_h: float = 1):
    return {"event_id": eid, "occurred_at": iso(NOW - ago_h * 3600), "source": "rtrw", "kind": "survey",
            "survey_id": sid, "topic": "makaverse", "location": where, "respondents": n, "aware": aw,
            "want_to_know": wk, "not_interested": ni}


def test_posts_and_surveys_through_the_broker_change_the_section_exactly(make_settings, redis_client) -> None:
    settings = make_settings(partitions=2)
    first = post("p1", "IG-1", "DLH", 30, reach=100)
    events = [
        first, first,  # a producer resending: one post
        post("p2", "IG-1", "DLH", 2, reach=900),  # the same post, its reach grown
        post("p3", "IG-1", "DLH", 20, reach=300),  # an older reading arriving late: ignored
        post("p4", "WEB-1", "DLH", 5, channel="website"),  # no reach reported
        post("p5", "FB-1", "DPU", 3, channel="facebook", reach=40),
        survey("s1", "SV-1", LOSARI, 100, 8, 56, 36),
        survey("s2", "SV-2", UNHAS, 50, 10, 20, 20),
        survey("s3", "SV-2", UNHAS, 50, 20, 20, 10, ago_h=0.5),  # SV-2 corrected
        survey("s4", "SV-3", LOSARI, 10, 1, 1, 1),  # does not sum to respondents
    ]
    produce_json(settings, "publicinfo", events, key_field="post_id")
    with running_consumer(settings, redis_client) as worker:
        wait_consumed([worker], len(events))
        dead = read_topic(settings, settings.topic_deadletter, 1, timeout=30)
    assert [dict(r.headers)["marvec-error"] for r in dead] == [b"schema"]
    assert b"respondents" in dict(dead[0].headers)["marvec-detail"]
    s = snap(redis_client)
    f = s.feeds["publicinfo"]
    assert (f.accepted, f.duplicates, f.rejected) == (8, 1, 1)
    p = s.publicinfo
    assert p.posts_7d == {"DLH": 2, "DPU": 1}
    assert p.reach_7d == {"DLH": 900, "DPU": 40}, "latest reach per post; the website post has none"
    assert p.posts_7d_by_channel == {"DLH": {"instagram": 1, "website": 1}, "DPU": {"facebook": 1}}
    a = p.awareness["makaverse"]
    assert (a.respondents, a.aware_pct, a.want_to_know_pct, a.not_interested_pct) == (150, 18.7, 50.7, 30.7)
    assert a.by_kecamatan == {"Ujung Pandang": 8.0, "Tamalanrea": 40.0}
    h = read_history(redis_client, Keys(), NOW, None, NOW - 30 * 3600)
    week = [w.get("DLH") for w in h.weeks if w.posts_from is not None]
    assert sum(w.posts or 0 for w in week) == 2 and h.days_since_website("DLH") == (wita_date(NOW) - wita_date(NOW - 5 * 3600)).days
    assert sum(w.get("DPU").posts_by_channel.get("facebook", 0) for w in h.weeks) == 1
