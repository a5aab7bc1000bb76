"""Roles hold for Dash callbacks too (issue #13), on the real screens (``create_app``).

Before: a wall token could post the page router's callback with ``pathname=/mayor`` and
receive the mayor's whole render (complaint texts included), or post the mayor page's
own data callback. Now each callback needs the roles of the page it renders.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import flask
import pytest
import redis
from snapshot_fixtures import rich_snapshot
from test_auth import PASSWORDS, log_in, users_file  # noqa: F401 -- fixture

from dashboard.app import create_app
from dashboard.auth import ANY_ROLE, BY_PATHNAME, make_display_token
from dashboard.components import ids
from dashboard.source import SnapshotSource
from geodata import load_boundaries
from marvec.settings import Settings
from marvec.snapshot import Snapshot

SECRET = "callback-test-secret-0123456789"
CALLBACK = "/_dash-update-component"


@pytest.fixture(scope="module")
def boundaries() -> Any:
    return load_boundaries(None)


@pytest.fixture
def server(boundaries: Any, redis_client: redis.Redis, users_file: Any) -> flask.Flask:  # noqa: F811
    def reader(client: redis.Redis, names: Sequence[str]) -> Snapshot:
        return rich_snapshot(boundaries=boundaries)

    source = SnapshotSource(lambda: redis_client, boundaries.names, refresh_s=60, reader=reader)
    settings = Settings(auth="required", secret_key=SECRET, users_file=users_file)
    return create_app(settings, boundaries, source).server


def router_body(pathname: str) -> dict[str, Any]:
    return {"output": f"{ids.PAGE}.children", "outputs": {"id": ids.PAGE, "property": "children"},
            "inputs": [{"id": ids.URL, "property": "pathname", "value": pathname},
                       {"id": ids.LANG, "property": "data", "value": "en"},
                       {"id": ids.URL, "property": "search", "value": ""}],  # the wall's replay: ?replay=N
            "changedPropIds": [f"{ids.URL}.pathname"], "state": []}


def wall_client(server: flask.Flask) -> flask.testing.FlaskClient:
    client = server.test_client()
    token = make_display_token(Settings(auth="required", secret_key=SECRET), "lobby")
    assert client.get(f"/login/token?t={token}").headers["Location"] == "/wall"
    return client


def test_a_wall_token_posting_the_router_for_mayor_gets_403_and_no_mayor_content(server: flask.Flask) -> None:
    wall = wall_client(server)
    own = wall.post(CALLBACK, json=router_body("/wall"))
    assert own.status_code == 200 and "page wall" in own.get_data(as_text=True), "its own screen renders"
    for path in ("/mayor", "/mayor/detail", "/crisis", "/", "/admin"):
        response = wall.post(CALLBACK, json=router_body(path))
        assert response.status_code == 403, path
        body = response.get_data(as_text=True)
        assert response.get_json()["error"] == "forbidden"
        assert "page mayor" not in body and len(body) < 500, "nothing of the page is rendered"


def test_a_mayor_session_gets_the_mayors_render(server: flask.Flask) -> None:
    mayor = server.test_client()
    assert log_in(mayor, "walikota").status_code == 302
    response = mayor.post(CALLBACK, json=router_body("/mayor"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "page mayor" in body and len(body) > 20_000, "the mayor's whole screen"
    assert mayor.post(CALLBACK, json=router_body("/admin")).status_code == 403, "mayor is not admin"


def test_a_wall_token_cannot_call_the_mayor_or_crisis_pages_own_callbacks(server: flask.Flask) -> None:
    pages = server.extensions["marvec_auth"].callback_pages
    assert set(pages.values()) == {"wall", "mayor", "crisis", "rapor", ANY_ROLE, BY_PATHNAME}
    wall = wall_client(server)
    for output, page in pages.items():
        spec = {"output": output, "inputs": [], "state": [], "changedPropIds": []}
        status = wall.post(CALLBACK, json=spec).status_code
        if page in ("mayor", "crisis", "rapor"):
            assert status == 403, output
        elif page != BY_PATHNAME:  # the router: by its pathname, above
            assert status != 403, output
    unknown = wall.post(CALLBACK, data=json.dumps({"output": "made.up"}), content_type="application/json")
    assert unknown.status_code == 403, "a callback placed on no page is admin-only"


def test_a_crisis_session_gets_crisis_and_wall_but_not_mayor(server: flask.Flask) -> None:
    crisis = server.test_client()
    assert log_in(crisis, "pusdalops").status_code == 302
    assert crisis.post(CALLBACK, json=router_body("/crisis")).status_code == 200
    assert crisis.post(CALLBACK, json=router_body("/wall")).status_code == 200
    assert crisis.post(CALLBACK, json=router_body("/mayor")).status_code == 403


def test_the_snapshot_api_gives_a_wall_token_no_complaint_text(server: flask.Flask) -> None:
    token = make_display_token(Settings(auth="required", secret_key=SECRET), "lobby")
    wall = server.test_client().get("/api/v1/snapshot", headers={"Authorization": f"Bearer {token}"})
    assert wall.status_code == 200
    latest = wall.get_json()["complaints"]["latest"]
    assert latest and all(c["text"] is None for c in latest), "the wall shows no complaint text"
    assert all(c["complaint_id"] for c in latest), "the rest of the wall's data is there"
    assert any(t["text"] for t in wall.get_json()["ticker"]), "the ticker quotes the wall shows stay"
    mayor = server.test_client()
    assert log_in(mayor, "walikota").status_code == 302
    texts = [c["text"] for c in mayor.get("/api/v1/snapshot").get_json()["complaints"]["latest"]]
    assert any(texts), "the mayor's snapshot carries the text her screen shows"


def test_every_server_callback_of_the_real_app_is_placed_on_a_page(server: flask.Flask) -> None:
    from dashboard.server import _find_dash_app

    app = _find_dash_app(server)
    with server.test_request_context("/"):
        app._setup_server()  # callbacks registered anywhere (dash.callback too) are in the map now
    assert set(app.callback_map) == set(server.extensions["marvec_auth"].callback_pages)


def test_a_crafted_router_body_cannot_smuggle_another_pathname(server: flask.Flask) -> None:
    wall = wall_client(server)
    lang = {"id": ids.LANG, "property": "data", "value": "en"}
    crafted = [
        # Dash passes inputs by position: the first is what the router renders
        [{"id": ids.URL, "property": "search", "value": "/mayor"}, {"id": ids.URL, "property": "pathname", "value": "/wall"}],
        [{"id": ids.URL, "property": "pathname", "value": "/wall"}, {"id": "x", "property": "pathname", "value": "/mayor"}],
        [{"id": ids.URL, "property": "pathname", "value": "/api/v1/snapshot"}, lang],
        [{"id": ids.URL, "property": "pathname", "value": "/_dash-layout"}, lang],
        [{"id": ids.URL, "property": "pathname", "value": None}, lang],
    ]
    for inputs in crafted:
        body = {**router_body("/wall"), "inputs": inputs}
        response = wall.post(CALLBACK, json=body)
        assert response.status_code == 403, inputs
        assert "page mayor" not in response.get_data(as_text=True)


def test_a_wall_token_gets_the_replay_whose_callbacks_are_the_walls(server: flask.Flask) -> None:
    wall = wall_client(server)
    for path, search in (("/wall/replay", ""), ("/wall", "?replay=8"), ("/wall/replay", "?jam=12")):
        body = router_body(path)
        body["inputs"][2]["value"] = search
        response = wall.post(CALLBACK, json=body)
        assert response.status_code == 200, (path, search)
        assert "page wall replay" in response.get_data(as_text=True)
    pages = server.extensions["marvec_auth"].callback_pages
    step = [p for output, p in pages.items() if "replay-banner.children" in output]
    assert step == ["wall"], "the replay's step callback needs the wall's role, no other"
    smuggled = router_body("/mayor")
    smuggled["inputs"][2]["value"] = "?replay=8"
    assert wall.post(CALLBACK, json=smuggled).status_code == 403
