"""Adapters that turn real sources' public formats into Marvec feed events (contract section 4)."""
