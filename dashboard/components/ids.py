"""Every component id, named once. Pages and tests import these; nobody spells an id twice.

Ids that exist on every page are built per page (``page_ids("wall").tick``) because
only one page is in the layout at a time but each page registers its own callbacks.
"""

from __future__ import annotations

from dataclasses import dataclass

# App shell (always present).
URL = "url"
LANG = "lang-store"
HTML_LANG = "html-lang"
PAGE = "page"

# Pattern-matching ids (dicts): a language button.
LANG_BUTTON = "lang-button"


def lang_button_id(page: str) -> dict[str, str]:
    return {"type": LANG_BUTTON, "page": page}


@dataclass(frozen=True)
class PageIds:
    """The ids every live page has, prefixed with the page name."""

    page: str

    def _id(self, name: str) -> str:
        return f"{self.page}-{name}"

    @property
    def root(self) -> str:
        return self._id("root")

    @property
    def tick(self) -> str:
        """The page's data ``dcc.Interval``: the slow fallback of the push stream (server round trip)."""
        return self._id("tick")

    @property
    def push(self) -> str:
        """Store the push stream writes into (``assets/marvec.js``): each write runs the data callback."""
        return self._id("push")

    @property
    def clock_tick(self) -> str:
        """Client-only 1 s interval for the clock and the connection watchdog."""
        return self._id("clock-tick")

    @property
    def clock(self) -> str:
        return self._id("clock")

    @property
    def heartbeat(self) -> str:
        return self._id("heartbeat")

    @property
    def digests(self) -> str:
        """Hashes of what the browser shows, so a tick sends only the outputs that changed."""
        return self._id("digests")

    @property
    def scale(self) -> str:
        """Screen height / 1080, measured in the browser; sizes map markers."""
        return self._id("scale")

    @property
    def watchdog(self) -> str:
        return self._id("watchdog")

    @property
    def pills(self) -> str:
        return self._id("pills")

    @property
    def banner(self) -> str:
        return self._id("banner")

    @property
    def map(self) -> str:
        return self._id("map")

    @property
    def legend(self) -> str:
        return self._id("legend")

    @property
    def kpis(self) -> str:
        return self._id("kpis")

    def kpi(self, index: int) -> str:
        """The slot of one KPI tile (each tile is its own output)."""
        return self._id(f"kpi-{index}")


WALL = PageIds("wall")
MAYOR = PageIds("mayor")
CRISIS = PageIds("crisis")
HOME = PageIds("home")

# Wall only.
WALL_FOCUS = "wall-focus"
WALL_MAP_TITLE = "wall-map-title"
WALL_PANEL = "wall-panel"
WALL_TICKER = "wall-ticker"
WALL_ALARM = "wall-alarm"
WALL_HOLD = "wall-crisis-hold"  # the crisis focus hold, kept in the browser (layers.focus.CrisisHold)

# Mayor only.
MAYOR_SELECTED = "mayor-selected"
MAYOR_REPORT = "mayor-report"
MAYOR_PRICES = "mayor-prices"
MAYOR_HOTSPOTS = "mayor-hotspots"
MAYOR_DETAIL = "mayor-detail"
MAYOR_SCRIM = "mayor-detail-scrim"

# Crisis only.
CRISIS_HAZARD = "crisis-hazard-filter"
CRISIS_KECAMATAN = "crisis-kecamatan-filter"
CRISIS_COUNT = "crisis-count"
CRISIS_LIST = "crisis-list"
