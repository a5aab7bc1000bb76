"""Load Marvec's Lua scripts with the shared key prelude (``keys.lua``) in front."""

from __future__ import annotations

from importlib import resources


def load_script(package: str, name: str) -> str:
    """The text of ``package/name`` with ``marvec/keys.lua`` prepended."""
    prelude = resources.files("marvec").joinpath("keys.lua").read_text(encoding="utf-8")
    body = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return prelude + "\n" + body
