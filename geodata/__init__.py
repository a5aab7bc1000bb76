"""Kecamatan boundaries of Kota Makassar and point-in-polygon lookup.

Free of Kafka, Redis, Dash and environment reading: the caller passes the
boundary file and name field from its settings.
"""

from geodata.boundaries import Boundaries, load_boundaries

__all__ = ["Boundaries", "load_boundaries"]
