"""The write path's planner compiled to C with mypyc, used only while it matches its source.

The planner (``streams.plan``) and the value encodings (``streams.values``) run for
every event; compiled, the plan phase costs about a quarter less CPU (docs/performance.md).
``scripts/build_native.py`` compiles them into ``marvec_native/`` beside the
installed packages (``make setup`` runs it; it needs mypy and a C compiler) and writes a
manifest of the sources' digests. At import, ``streams`` puts that folder first on its
package path only if every digest still matches the source beside it: a source edited
since the build is run as written, never as an older compiled copy. Without a build
(no compiler, a fresh checkout) everything runs interpreted, with the same results
(``tests/test_native.py``).

    python scripts/build_native.py          # compile (again), say where
    python scripts/build_native.py status   # compiled and in use, stale, or not built
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

MODULES = ("values", "plan")
"""Modules of ``streams`` that are compiled (pure Python, fully typed, no msgspec Structs:
mypyc replaces a Struct's annotated field types, so the feed modules stay interpreted)."""

HERE = Path(__file__).resolve().parent


def native_dir() -> Path:
    """Where the compiled modules live: beside the installed packages of this interpreter."""
    return Path(sysconfig.get_path("platlib")) / "marvec_native"


def manifest() -> dict[str, str]:
    """What a build must have been made from: each source's digest and this interpreter."""
    out = {"python": sys.implementation.cache_tag}
    for name in MODULES:
        out[name] = hashlib.sha256((HERE / f"{name}.py").read_bytes()).hexdigest()
    return out


def status(where: Path | None = None) -> str:
    """``compiled`` (the build matches the sources), ``stale`` or ``absent``."""
    where = where or native_dir()
    try:
        built = json.loads((where / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "absent"
    return "compiled" if built == manifest() else "stale"


def install(path: list[str], where: Path | None = None) -> bool:
    """Put the compiled modules first on the ``streams`` package path if they match."""
    where = where or native_dir()
    if status(where) != "compiled":
        return False
    path.insert(0, str(where / "streams"))
    if str(where / "lib") not in sys.path:
        sys.path.append(str(where / "lib"))
    return True


def build(where: Path | None = None) -> Path:
    """Compile ``MODULES`` with mypyc into ``where`` (replacing what was there)."""
    from mypyc.build import mypycify  # the build's own dependency, not the runtime's
    from setuptools import setup  # type: ignore[import-untyped,unused-ignore]

    where = where or native_dir()
    want = manifest()
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="marvec-native-") as tmp:
        out, temp = Path(tmp) / "lib", Path(tmp) / "temp"
        os.chdir(tmp)  # mypyc writes its C here; setuptools would read a pyproject.toml here
        try:
            # One group: the modules call each other natively, through one support library
            # (a top-level module, hence ``lib`` on sys.path).
            modules = mypycify([str(HERE / f"{name}.py") for name in MODULES], opt_level="3")
            setup(name="marvec-native", ext_modules=modules,
                  script_args=["-q", "build_ext", "--build-lib", str(out), "--build-temp", str(temp)])
        finally:
            os.chdir(cwd)
        shims = sorted((out / "streams").glob("*.so"))
        libs = [p for p in out.iterdir() if p.is_file()]
        if len(shims) != len(MODULES) or len(libs) != 1:
            raise RuntimeError(f"unexpected build output: {sorted(p.name for p in out.rglob('*'))}")
        if where.exists():
            shutil.rmtree(where)
        (where / "streams").mkdir(parents=True)
        (where / "lib").mkdir()
        for p in shims:
            shutil.copy2(p, where / "streams" / p.name)
        shutil.copy2(libs[0], where / "lib" / libs[0].name)
        (where / "manifest.json").write_text(json.dumps(want, indent=1) + "\n", encoding="utf-8")
    return where
