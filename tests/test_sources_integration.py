"""Adapters end to end: a local HTTP server -> marvec source -> Tansu -> consumer -> Redis."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import wait_for
from streamrig import running_consumer, snap

from marvec.cli import _parser
from streams.sources.cli import run_source
from streams.sources.producer import FeedProducer

pytestmark = pytest.mark.integration
FIX = Path(__file__).parent / "fixtures" / "sources"


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _run(settings, argv: list[str]) -> int:
    args = _parser().parse_args(["source", *argv, "--once"])
    return run_source(args, settings, producer=FeedProducer(settings))


def test_bmkg_and_open311_end_in_the_snapshot(make_settings, redis_client, tmp_path):
    settings = make_settings(partitions=1, source_state_dir=tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    for name in ("autogempa.json", "gempaterkini.json"):
        (site / name).write_bytes((FIX / name).read_bytes())
    with serving(site) as base, running_consumer(settings, redis_client):
        bmkg = ["bmkg", "--url", f"{base}/autogempa.json", "--url", f"{base}/gempaterkini.json",
                "--close-after-hours", "48"]
        assert _run(settings, bmkg) == 1  # one quake in two feeds; the Garut one is far away
        assert _run(settings, bmkg) == 0  # a restart from the checkpoint: nothing new
        for stage in ("open", "assigned", "closed"):
            (site / "requests.json").write_bytes((FIX / f"open311_{stage}.json").read_bytes())
            _run(settings, ["open311", "--url", base])
            if stage == "assigned":
                wait_for(lambda: snap(redis_client).complaints.by_opd.get("DLH"), timeout=30)
        s = wait_for(lambda: (x := snap(redis_client)).feeds["complaints"].accepted == 3
                     and x.feeds["disasters"].accepted == 1 and x, timeout=30)
    assert s.disasters.active == 1
    (inc,) = s.disasters.incidents
    assert (inc.hazard, inc.severity, inc.status) == ("earthquake", 2, "reported")
    assert s.complaints.open == 0
    assert s.feeds["disasters"].accepted == 1
    assert s.feeds["complaints"].duplicates == 0


def test_prices_csv_and_cap_rss_end_in_the_snapshot(make_settings, redis_client, tmp_path):
    settings = make_settings(partitions=1, source_state_dir=tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    for name in ("pihps_makassar.csv", "cap_makassar.xml", "cap_luwu.xml"):
        (site / name).write_bytes((FIX / name).read_bytes())
    with serving(site) as base, running_consumer(settings, redis_client):
        rss = (FIX / "cap_rss.xml").read_text().replace("http://HOST", base)
        (site / "rss.xml").write_text(rss)
        assert _run(settings, ["prices", "--url", f"{base}/pihps_makassar.csv"]) == 9
        # the Makassar alert opens and (expired) closes; the Luwu one is outside the city
        assert _run(settings, ["cap", "--url", f"{base}/rss.xml"]) == 2
        s = wait_for(lambda: (x := snap(redis_client)).feeds["economy"].accepted == 9
                     and x.feeds["disasters"].accepted == 2 and x, timeout=30)
    assert s.economy.prices["cabai_rawit"].latest_idr == 72500  # 02/12 was "-"
    assert s.economy.prices["beras"].latest_idr == 13900
    assert s.economy.prices["minyak_goreng"].markets == 1
    assert s.disasters.active == 0
    assert s.feeds["economy"].rejected == 0 and s.feeds["disasters"].rejected == 0
