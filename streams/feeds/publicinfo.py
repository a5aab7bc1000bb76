"""``marvec.publicinfo``: what the city's OPDs publish and what residents know (contract 7).

Two kinds. A ``post`` (entity ``post_id``, hash ``Keys.post``) counts once on the WITA
day it was published (its earliest event) for its OPD and channel, with its latest
reach (``Keys.posts_day``, kept 400 days for the OPD report card). A ``survey``
(entity ``survey_id``, hash ``Keys.survey``) adds its latest figures to its topic's
sums, city-wide and by kecamatan (``Keys.awareness``); a corrected survey replaces
its earlier figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import msgspec

from marvec import contract as C
from marvec.keys import HISTORY_DAY_TTL
from marvec.timeutil import wita_day
from streams import fields as F
from streams.feeds.base import (
    Common,
    Count,
    Event,
    Feed,
    Id,
    Locator,
    Name64,
    Opd,
    Positive,
    place,
    place_checked,
    placed,
)
from streams.fields import Invalid
from streams.values import num

if TYPE_CHECKING:
    from streams.plan import FoldConfig, NeedsBuilder, Planner

POST_FIELDS = ("opd", "ch", "reach", "eng", "src")
SURVEY_FIELDS = ("topic", "k", "n", "aw", "wk", "ni", "src")
ENTITY_TTL = HISTORY_DAY_TTL
"""A post or survey keeps its state as long as the days it counts in (a later reach
or a corrected survey must find it)."""


class PostEvent(Common, kw_only=True, tag_field="kind", tag="post"):
    opd: Opd
    channel: Literal[C.CHANNELS]  # type: ignore[valid-type]
    post_id: Id
    reach: Count | None = None
    engagements: Count | None = None


class SurveyEvent(Common, kw_only=True, tag_field="kind", tag="survey"):
    survey_id: Id
    topic: Name64
    respondents: Positive
    aware: Count
    want_to_know: Count
    not_interested: Count


def _sums(ev: Event) -> bool:
    return bool(ev["aw"] + ev["wk"] + ev["ni"] == ev["n"])


def compact(e: PostEvent | SurveyEvent, ev: Event, locator: Locator) -> bool:
    if isinstance(e, PostEvent):
        ev["kind"], ev["opd"], ev["ch"], ev["pid"] = "post", e.opd, e.channel, e.post_id
        ev["reach"], ev["eng"] = e.reach, e.engagements
        place(ev, e, locator)
        return True
    ev["kind"], ev["sid"], ev["topic"] = "survey", e.survey_id, e.topic
    ev["n"], ev["aw"], ev["wk"], ev["ni"] = e.respondents, e.aware, e.want_to_know, e.not_interested
    place(ev, e, locator)
    return placed(ev) and _sums(ev)


def check(obj: dict[str, Any], ev: Event, locator: Locator) -> None:
    kind = F.choice(obj, "kind", C.PUBLICINFO_KINDS, required=True)
    ev["kind"] = kind
    if kind == "post":
        ev["opd"] = F.string(obj, "opd", required=True, max_len=32)
        ev["ch"] = F.choice(obj, "channel", C.CHANNELS, required=True)
        ev["pid"] = F.string(obj, "post_id", required=True)
        ev["reach"] = F.integer(obj, "reach", required=False, minimum=0)
        ev["eng"] = F.integer(obj, "engagements", required=False, minimum=0)
        place_checked(ev, obj, locator, loc_required=False)
        return
    ev["sid"] = F.string(obj, "survey_id", required=True)
    ev["topic"] = F.string(obj, "topic", required=True, max_len=64)
    ev["n"] = F.integer(obj, "respondents", required=True, minimum=1)
    ev["aw"] = F.integer(obj, "aware", required=True, minimum=0)
    ev["wk"] = F.integer(obj, "want_to_know", required=True, minimum=0)
    ev["ni"] = F.integer(obj, "not_interested", required=True, minimum=0)
    place_checked(ev, obj, locator, loc_required=False)
    if not placed(ev):
        raise Invalid("schema", "a survey needs kecamatan or location")
    if not _sums(ev):
        raise Invalid("schema", f"aware + want_to_know + not_interested is "
                                f"{ev['aw'] + ev['wk'] + ev['ni']}, not respondents ({ev['n']})")


def needs_city(ev: Event) -> bool:
    return bool(ev["kind"] == "survey")


def needs(e: Event, need: NeedsBuilder) -> None:
    k = need.keys
    need.hash(k.post(e["pid"]) if e["kind"] == "post" else k.survey(e["sid"]))


def alive(cfg: FoldConfig, s: dict[str, Any]) -> tuple[Any, ...] | None:
    """What a post or survey adds to the sums; posts and surveys never close (they expire
    with the days they count in)."""
    if not s:
        return None
    if "ch" in s:
        reach = num(s.get("reach"))
        return ("post", wita_day(float(num(s["first"]))), s["opd"], s["ch"], reach or 0,
                int(reach is not None))
    return ("survey", s["topic"], s.get("k"), num(s["n"]), num(s["aw"]), num(s["wk"]), num(s["ni"]))


def _add(p: Planner, c: tuple[Any, ...], sign: int) -> None:
    if c[0] == "post":
        _, day, opd, ch, reach, known = c
        key = p.k.posts_day(day)
        p.inc(key, f"n:{opd}", sign)
        p.inc(key, f"c:{opd}:{ch}", sign)
        p.inc(key, f"r:{opd}", sign * reach)
        p.inc(key, f"rk:{opd}", sign * known)  # posts whose reach is known
        return
    _, topic, kec, n, aw, wk, ni = c
    key = p.k.awareness(topic)
    for fld, v in (("n", n), ("aw", aw), ("wk", wk), ("ni", ni)):
        p.inc(key, fld, sign * v)
    if kec:
        p.inc(key, f"n:{kec}", sign * n)
        p.inc(key, f"aw:{kec}", sign * aw)


def fold(p: Planner, e: Event) -> str | None:
    post = e["kind"] == "post"
    key = p.k.post(e["pid"]) if post else p.k.survey(e["sid"])
    ent = p.entity(key, alive)
    s = ent.cur
    if "st" not in e:
        e["st"] = e["kind"]  # ``follow`` keeps a status; a post's or survey's is its kind
    old = ent.live
    p.follow(s, e, POST_FIELDS if post else SURVEY_FIELDS)
    new = ent.live = alive(p.cfg, s)
    if old != new:
        if old:
            _add(p, old, -1)
        if new:
            _add(p, new, 1)
    first = float(num(s["first"]))
    if post:
        p.expire_at_least(p.k.posts_day(new[1]), first + HISTORY_DAY_TTL)  # type: ignore[index]
    else:
        p.zsets[p.k.awareness_topics][s["topic"]] = e["t"]  # newest surveyed first
    p.expire_at_least(key, first + ENTITY_TTL)
    return None


FEED = Feed(name="publicinfo", entity_key="post_id / survey_id",
            decoder=msgspec.json.Decoder(PostEvent | SurveyEvent), compact=compact, check=check,
            needs_city=needs_city, needs=needs, fold=fold, alive=alive)
