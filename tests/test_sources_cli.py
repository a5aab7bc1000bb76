"""``marvec source``: wrong options and settings end in one line, no traceback."""

from __future__ import annotations

import pytest

from marvec.cli import main
from marvec.errors import SettingsError
from marvec.settings import load_settings


@pytest.mark.parametrize("argv, says", [
    (["source", "cap"], "needs exactly one --url"),
    (["source", "open311", "--url", "a", "--url", "b"], "needs exactly one --url"),
    (["source", "bmkg", "--interval", "0"], "--interval"),
    (["source", "open311", "--url", "http://x", "--categories", "/nonexistent.csv"], "No such file"),
])
def test_wrong_options_are_one_line(argv, says, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and says in err and err.startswith("marvec source: error:")


def test_unknown_source_in_marvec_sources_is_one_line():
    with pytest.raises(SettingsError, match=r"MARVEC_SOURCES.*unknown source 'gempa'"):
        load_settings(sources="bmkg,gempa")
    assert load_settings(sources=" bmkg , open311").sources == "bmkg,open311"
