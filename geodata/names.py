"""Lenient matching of kecamatan names as people and feeds write them.

Public lists spell Makassar's districts in several ways ("Panakukkang",
"Makasar", "Ujungpandang", "Biring Kanaya", "Kec. Tamalate",
"Kep. Sangkarrang"). Every name is reduced to a *key*: accents, case,
punctuation, whitespace, a leading "Kecamatan"/"Kec." or "Kepulauan"/"Kep." and
doubled letters are dropped. Two names match when their keys are equal.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable

logger = logging.getLogger(__name__)

# Leading words that do not tell districts apart; removed repeatedly ("Kec. Kep. X").
_LEADING_WORDS = frozenset({"kecamatan", "kec", "kepulauan", "kep", "kepl"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_DOUBLED = re.compile(r"(.)\1+")


def name_key(name: str) -> str:
    """The comparison key of a district name; ``""`` when nothing distinctive is left."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _NOT_ALNUM.sub(" ", ascii_only.lower()).split()
    while words and words[0] in _LEADING_WORDS:
        words.pop(0)
    # Doubled consonants are where spellings disagree most (Panakkukang / Panakukkang).
    return _DOUBLED.sub(r"\1", "".join(words))


class NameMatcher:
    """Maps free-form district names to a fixed set of canonical names."""

    def __init__(self, canonical: Iterable[str]) -> None:
        self._by_key: dict[str, str] = {}
        for name in canonical:
            key = name_key(name)
            if not key:
                continue
            kept = self._by_key.setdefault(key, name)
            if kept != name:
                logger.warning("district names %r and %r look alike; %r wins", kept, name, kept)

    def match(self, name: str) -> str | None:
        """The canonical name ``name`` refers to, or ``None`` when it matches none."""
        if not isinstance(name, str):
            return None
        key = name_key(name)
        return self._by_key.get(key) if key else None
