"""A fresh clone installs without the test tools and without a single build warning.

What ``make run`` does (``pip install -e .``) into a new virtualenv, from the files a
clone has (tracked and not ignored), with the machine's pip cache; then the wheel a
deployment builds (``pip wheel .``) and what it ships.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# pip's own note about an index folder this machine's pip.conf names but lacks: not the build.
PIP_CONFIG_NOISE = re.compile(r"WARNING: Location '\S+' is ignored: it is neither a file nor a directory")


def _clone(dest: Path) -> Path:
    """The files a fresh clone of this tree would have (tracked, plus new unignored ones)."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    tar = dest.with_suffix(".tar")
    with tarfile.open(tar, "w") as out:
        for name in filter(None, files):
            if (ROOT / name).exists():
                out.add(ROOT / name, arcname=name, recursive=False)
    with tarfile.open(tar) as src:
        src.extractall(dest, filter="data")
    return dest


def _warnings(log: str) -> list[str]:
    lines = [PIP_CONFIG_NOISE.sub("", line) for line in log.splitlines()]
    return [line.strip() for line in lines if re.search(r"warn|deprecat", line, re.I)]


def _run(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=150)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    return log


def test_a_fresh_clone_installs_what_runs_without_warnings_and_says_its_version(tmp_path):
    src = _clone(tmp_path / "marvec")
    # Byte-compiling on, as on a user's machine (this suite may run with it off, and the
    # build then notes that it skips it).
    env = {k: v for k, v in os.environ.items()
           if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("MARVEC_")}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    pip = [str(venv / "bin/python"), "-m", "pip", "--disable-pip-version-check"]

    log = _run([*pip, "install", "-v", "-e", str(src)], env)
    assert not _warnings(log), _warnings(log)
    version = _run([str(venv / "bin/marvec"), "--version"], env)
    assert re.fullmatch(r"marvec \d+\.\d+\.\d+\S*\n", version), version
    freeze = _run([*pip, "freeze"], env).lower()
    assert "marvec" in freeze and "dash==" in freeze
    for tool in ("pytest", "hypothesis", "selenium", "mypy", "ruff"):
        assert f"\n{tool}==" not in "\n" + freeze, f"{tool} installed by `make run`"

    log = _run([*pip, "wheel", "-v", "--no-deps", "-w", str(tmp_path / "dist"), str(src)], env)
    assert not _warnings(log), _warnings(log)
    (wheel,) = (tmp_path / "dist").glob("marvec-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for data in ("dashboard/assets/marvec.css", "dashboard/assets/marvec.js",
                 "geodata/data/makassar_kecamatan.geojson", "streams/commit.lua", "marvec/read.lua"):
        assert data in shipped, f"{data} not in the wheel"
    assert not any("__pycache__" in name or name.startswith("tests/") for name in shipped)
