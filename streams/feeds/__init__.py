"""The feeds Marvec reads, one module each, and the registry derived from them.

Adding a feed: write ``streams/feeds/<feed>.py`` with its ``FEED`` and add it to
``FEEDS`` below (docs/feeds.md has the checklist).
"""

from __future__ import annotations

from marvec.contract import FEEDS as FEEDS_OF_CONTRACT
from streams.feeds import complaints, disasters, economy, publicinfo
from streams.feeds.base import Feed

FEEDS: dict[str, Feed] = {f.name: f for f in (complaints.FEED, economy.FEED, disasters.FEED,
                                                 publicinfo.FEED)}

__all__ = ["FEEDS", "Feed"]

if tuple(FEEDS) != FEEDS_OF_CONTRACT:  # one list of feeds: the contract's, in its order
    raise ImportError(f"streams.feeds registers {tuple(FEEDS)}, marvec.contract.FEEDS lists "
                      f"{FEEDS_OF_CONTRACT}: add the feed to both")
