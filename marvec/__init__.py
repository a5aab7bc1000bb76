"""Marvec core: the contract (feeds, events, Redis layout, snapshot), settings and commands.

Nothing in this package imports Kafka or Dash at import time; ``streams`` and
``dashboard`` both build on it.
"""

__version__ = "0.1.0"
