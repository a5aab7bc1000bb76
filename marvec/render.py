"""HTML to PDF and PNG with headless Chromium (the briefings).

The document is written to a private temporary directory and opened from there as a
file: no server, no network, no login. Chromium runs in a profile of its own that is
deleted afterwards, with background networking, component updates and sync off, under
a time limit. ``find_chromium`` looks for it where Debian and Google put it (or where
``MARVEC_CHROMIUM`` says).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from marvec.errors import SettingsError

PNG_CSS_WIDTH, PNG_CSS_HEIGHT = 794, 1123
"""An A4 page in CSS pixels (96 per inch)."""
PNG_WIDTH = 1240
PNG_SCALE = PNG_WIDTH / PNG_CSS_WIDTH
"""Device pixels per CSS pixel of the PNG: an A4 page at 150 dpi, 1240 x 1754 px."""
TIMEOUT_S = 90.0
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
         "--no-first-run", "--mute-audio")


class RenderError(RuntimeError):
    """Chromium did not produce the file (it failed, timed out or is missing)."""


def find_chromium(configured: Path | None = None) -> Path:
    """The Chromium to run; ``SettingsError`` (one line) when there is none."""
    if configured is not None:
        if not configured.is_file():
            raise SettingsError("MARVEC_CHROMIUM", f"{configured} is not a file")
        return configured
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise SettingsError("MARVEC_CHROMIUM", "no Chromium found on PATH (install chromium, or set the path "
                        "of a Chromium or Chrome binary)")


def _run(chromium: Path, args: list[str], out: Path, timeout: float) -> bytes:
    try:
        done = subprocess.run([str(chromium), *FLAGS, *args], capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"chromium took over {timeout:.0f} s") from None
    except OSError as exc:
        raise RenderError(f"chromium did not start: {exc}") from None
    if not out.is_file() or out.stat().st_size == 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise RenderError(f"chromium made no {out.suffix[1:]} ({tail[0][:200]})")
    return out.read_bytes()


def render(html: str, chromium: Path, timeout: float = TIMEOUT_S) -> dict[str, bytes]:
    """``{"html", "pdf", "png"}`` of one document: the PDF in A4 pages, the PNG of its
    first page at 150 dpi."""
    with tempfile.TemporaryDirectory(prefix="marvec-render-") as tmp:
        d = Path(tmp)
        page = d / "briefing.html"
        page.write_text(html, encoding="utf-8")
        url = page.as_uri()
        profile = f"--user-data-dir={d / 'profile'}"
        pdf = _run(chromium, [profile, "--no-pdf-header-footer", f"--print-to-pdf={d / 'out.pdf'}", url],
                   d / "out.pdf", timeout)
        png = _run(chromium, [profile, f"--window-size={PNG_CSS_WIDTH},{PNG_CSS_HEIGHT}",
                              f"--force-device-scale-factor={PNG_SCALE:.6f}", f"--screenshot={d / 'out.png'}", url],
                   d / "out.png", timeout)
    return {"html": html.encode(), "pdf": pdf, "png": png}
