"""What Redis's aggregates are: the layout's schema version and the boundaries they count by.

One small hash (``Keys.data_meta``) says which key layout (``keys.SCHEMA_VERSION``) wrote
the aggregates and with which kecamatan boundaries (``Boundaries.fingerprint``) they were
counted. Every command that touches the aggregates checks it at start:

- ``marvec consume`` claims it on a Redis that has none and refuses to write on top of
  another schema or other boundaries (``claim_or_check``);
- ``marvec dashboard`` only reads it, and refuses to show another schema or another
  map's counts (``check``);
- ``marvec rebuild`` is the way from one to the other: it accepts another schema, and
  other boundaries when ``MARVEC_BOUNDARIES_SWITCH=1`` says so (``check_rebuild``), then
  writes the new meta right after wiping (``write``).

A Redis from before the meta existed holds schema 1 (the first layout, which never wrote
it): it is adopted, with the boundaries loaded by the first command that claims it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis

from marvec.errors import MarvecError
from marvec.keys import SCHEMA_VERSION, Keys

SWITCH_SETTING = "MARVEC_BOUNDARIES_SWITCH"
UPGRADE_DOC = "docs/deploy.md#upgrade"


class DataMismatch(MarvecError):
    """Redis holds aggregates of another schema or boundaries than this Marvec's (one line)."""


@dataclass(frozen=True)
class DataMeta:
    """The meta as stored; a field is ``None`` when absent."""

    schema: str | None
    boundaries: str | None
    written_at: float | None = None


def fingerprint_of(boundaries: Any) -> str | None:
    """``boundaries.fingerprint``, or ``None`` for a locator that has none (a test stub)."""
    value = getattr(boundaries, "fingerprint", None)
    return str(value) if value is not None else None


def read(client: redis.Redis, keys: Keys | None = None) -> DataMeta | None:
    """The stored meta, or ``None`` when Redis holds none."""
    raw = client.hgetall((keys or Keys()).data_meta)
    if not raw:
        return None
    got = {_text(k): _text(v) for k, v in raw.items()}
    at = got.get("written_at")
    return DataMeta(got.get("schema"), got.get("boundaries"), float(at) if at else None)


def schema_problem(meta: DataMeta) -> str | None:
    """The one-line refusal when ``meta`` is of another schema, else ``None``."""
    if meta.schema is None or meta.schema == SCHEMA_VERSION:
        return None
    return (f"Redis holds schema {meta.schema}, this Marvec writes {SCHEMA_VERSION}: "
            f"run marvec rebuild ({UPGRADE_DOC})")


def boundaries_problem(meta: DataMeta, fingerprint: str | None) -> str | None:
    """The one-line refusal when ``meta`` was counted with other boundaries, else ``None``."""
    if meta.boundaries is None or fingerprint is None or meta.boundaries == fingerprint:
        return None
    return (f"Redis aggregates were built with other boundaries (fingerprint {meta.boundaries[:4]}.. "
            f"vs {fingerprint[:4]}..): set {SWITCH_SETTING}=1 and run marvec rebuild")


def check(client: redis.Redis, boundaries: Any, keys: Keys | None = None) -> None:
    """Read only (the dashboard): ``DataMismatch`` when Redis holds another schema or other
    boundaries' counts; nothing stored yet is fine (the consumers write it)."""
    meta = read(client, keys)
    if meta is None:
        return
    problem = schema_problem(meta) or boundaries_problem(meta, fingerprint_of(boundaries))
    if problem:
        raise DataMismatch(problem)


def claim_or_check(client: redis.Redis, boundaries: Any, *, allow_switch: bool,
                   keys: Keys | None = None) -> None:
    """A writer's start (``marvec consume``): store this Marvec's schema and boundaries where
    Redis has none, else refuse another schema, and other boundaries unless ``allow_switch``.

    Each field is set only if absent (HSETNX), then read back: of two writers starting at
    once with different boundaries, the second refuses."""
    k = keys or Keys()
    fingerprint = fingerprint_of(boundaries)
    client.hsetnx(k.data_meta, "schema", SCHEMA_VERSION)
    if fingerprint is not None:
        client.hsetnx(k.data_meta, "boundaries", fingerprint)
    client.hsetnx(k.data_meta, "written_at", repr(time.time()))
    meta = read(client, k) or DataMeta(None, None)
    problem = schema_problem(meta) or (None if allow_switch else boundaries_problem(meta, fingerprint))
    if problem:
        raise DataMismatch(problem)


def check_rebuild(client: redis.Redis, boundaries: Any, *, allow_switch: bool,
                  keys: Keys | None = None) -> None:
    """Before ``marvec rebuild`` wipes: another schema is what a rebuild is for; other
    boundaries need ``allow_switch`` (the district counts on the screens change)."""
    meta = read(client, keys)
    problem = None if meta is None or allow_switch else boundaries_problem(meta, fingerprint_of(boundaries))
    if problem:
        raise DataMismatch(problem)


def write(client: redis.Redis, boundaries: Any, keys: Keys | None = None) -> None:
    """Store this Marvec's schema and ``boundaries``' fingerprint (``marvec rebuild``)."""
    k = keys or Keys()
    fingerprint = fingerprint_of(boundaries)
    mapping: dict[Any, Any] = {"schema": SCHEMA_VERSION, "written_at": repr(time.time())}
    if fingerprint:
        mapping["boundaries"] = fingerprint
    pipe = client.pipeline(transaction=True)
    pipe.delete(k.data_meta)
    pipe.hset(k.data_meta, mapping=mapping)
    pipe.execute()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
