"""Compile the write path's planner with mypyc (streams/native.py says what and why).

    python scripts/build_native.py           # compile (again); exit 1, one line, if it cannot
    python scripts/build_native.py status    # compiled (in use), stale or absent
    python scripts/build_native.py --installed   # the installed Marvec's (an image build)
"""

from __future__ import annotations

import sys
from pathlib import Path

if "--installed" not in sys.argv:  # this checkout's sources, not an installed copy's
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streams import native


def main(argv: list[str]) -> int:
    argv = [a for a in argv if a != "--installed"]
    if argv == ["status"]:
        print(f"{native.status()}: {native.native_dir()}")
        return 0
    if argv:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    try:
        where = native.build()
    except (Exception, SystemExit) as exc:  # no compiler, no mypy: the interpreted planner it is
        print(f"build_native: not compiled ({type(exc).__name__}: {str(exc)[:200]}); "
              "the write path runs interpreted", file=sys.stderr)
        return 1
    print(f"build_native: compiled streams.{', streams.'.join(native.MODULES)} into {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
