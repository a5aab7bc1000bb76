"""The write path: consumers, decoding, the planner and its Redis commit."""

from streams import native as _native

_native.install(__path__)  # the compiled planner, only while it matches its source
