"""Commands stop at start with one clear line for every wrong setting, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from marvec.embedded import free_port


def _marvec(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MARVEC_")}
    return subprocess.run([sys.executable, "-m", "marvec", *args], env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=timeout, input=stdin)


CLOSED = f"127.0.0.1:{free_port()}"

CASES = [
    (("consume",), {"MARVEC_REDIS_URL": "http://localhost"}, "MARVEC_REDIS_URL: expected redis://"),
    (("consume",), {"MARVEC_KAFKA_BOOTSTRAP": "localhost"}, "MARVEC_KAFKA_BOOTSTRAP: expected host:port"),
    (("consume",), {}, "MARVEC_KAFKA_BOOTSTRAP: not set"),
    (("consume",), {"MARVEC_KAFKA_BOOTSTRAP": CLOSED, "MARVEC_REDIS_URL": f"redis://{CLOSED}/0"},
     "MARVEC_REDIS_URL: no Redis answers"),
    (("consume",), {"MARVEC_BOUNDARIES": "/no/such.gpkg", "MARVEC_KAFKA_BOOTSTRAP": CLOSED,
                    "MARVEC_REDIS_URL": "redis://localhost:6379/0"}, "MARVEC_BOUNDARIES: /no/such.gpkg: no such file"),
    (("consume",), {"MARVEC_BATCH_MAX_RECORDS": "many"}, "MARVEC_BATCH_MAX_RECORDS:"),
    (("consume",), {"MARVEC_AUTH": "maybe"}, "MARVEC_AUTH:"),
    (("simulate",), {"MARVEC_KAFKA_BOOTSTRAP": CLOSED}, "MARVEC_KAFKA_BOOTSTRAP: no Kafka broker answers"),
    (("rebuild",), {"MARVEC_KAFKA_BOOTSTRAP": CLOSED}, "MARVEC_REDIS_URL: not set"),
    (("dashboard", "--port", "0"), {"MARVEC_REDIS_URL": "redis://localhost:6379/0"}, "MARVEC_SECRET_KEY"),
    (("token", "--name", "wall-1"), {}, "MARVEC_SECRET_KEY: not set"),
    (("token", "--name", "wall-1"), {"MARVEC_SECRET_KEY": "s" * 32}, "MARVEC_REDIS_URL: not set"),
    (("token", "list"), {"MARVEC_REDIS_URL": f"redis://{CLOSED}/0"}, "MARVEC_REDIS_URL: redis://"),
    (("token",), {"MARVEC_SECRET_KEY": "s" * 32}, "--name: required to issue a token"),
    (("user", "add", "ani", "--role", "mayor", "--password-stdin"), {}, "MARVEC_USERS_FILE: not set"),
]


@pytest.mark.parametrize(("args", "env", "expected"), CASES, ids=[c[2].split(":")[0] + "-" + c[0][0] for c in CASES])
def test_a_wrong_setting_stops_the_command_with_one_line(args, env, expected):
    done = _marvec(*args, env=env, stdin="x" * 12 + "\n")
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"marvec {args[0]}: error: ")
    assert expected in lines[0]


def test_user_add_stores_a_hashed_password(tmp_path):
    users = tmp_path / "users.json"
    done = _marvec("user", "add", "ani", "--role", "mayor", "--password-stdin",
                   env={"MARVEC_USERS_FILE": str(users)}, stdin="correct horse battery\n")
    assert done.returncode == 0, done.stderr
    data = json.loads(users.read_text())
    assert data["ani"]["role"] == "mayor"
    assert "correct horse" not in users.read_text() and data["ani"]["password_hash"]
    assert oct(users.stat().st_mode & 0o777) == "0o600"


def test_token_prints_a_signed_display_token_and_records_it(redis_server, redis_client):
    env = {"MARVEC_SECRET_KEY": "s" * 32, "MARVEC_REDIS_URL": redis_server}
    done = _marvec("token", "--name", "wall-1", env=env)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    from dashboard.auth import read_display_token

    principal = read_display_token("s" * 32, token)
    assert principal is not None and principal.role == "wall"
    assert read_display_token("t" * 32, token) is None
    recorded = json.loads(redis_client.hget("mv:auth:tokens", principal.token_id))
    assert recorded["name"] == "wall-1" and recorded["role"] == "wall"
    assert recorded["expires"] == principal.expires_at


def test_token_list_and_revoke(redis_server, redis_client):
    env = {"MARVEC_SECRET_KEY": "s" * 32, "MARVEC_REDIS_URL": redis_server}
    assert _marvec("token", "--name", "lobby", env=env).returncode == 0
    assert _marvec("token", "--name", "crisis-room", "--role", "crisis", "--days", "30", env=env).returncode == 0
    lines = _marvec("token", "list", env=env).stdout.splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "CREATED", "EXPIRES", "REVOKED"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"lobby", "crisis-room"}
    assert rows["crisis-room"][1] == "crisis" and rows["lobby"][4] == "-"
    done = _marvec("token", "revoke", "lobby", env=env)
    assert done.returncode == 0 and "1 recorded token(s) ended" in done.stderr, done.stderr
    rows = {line.split()[0]: line.split() for line in _marvec("token", "list", env=env).stdout.splitlines()[1:]}
    assert rows["lobby"][4].startswith("20") and rows["crisis-room"][4] == "-"
    assert redis_client.hexists("mv:auth:revoked", "lobby")


# --- MARVEC_HOST / MARVEC_PORT: where up and dashboard listen; an option still wins ---------

def test_up_listens_where_marvec_port_says_and_an_option_wins():
    import socket

    with socket.socket() as a, socket.socket() as b:
        for sock in (a, b):
            sock.bind(("127.0.0.1", 0))
            sock.listen()
        from_env, from_option = a.getsockname()[1], b.getsockname()[1]
        by_env = _marvec("up", env={"MARVEC_PORT": str(from_env)})
        by_option = _marvec("up", "--port", str(from_option), env={"MARVEC_PORT": str(from_env)})
    assert by_env.returncode == 2 and f"port {from_env} is busy on 127.0.0.1" in by_env.stderr
    assert by_option.returncode == 2 and f"port {from_option} is busy" in by_option.stderr


def test_dashboard_takes_host_and_port_from_the_settings_unless_given(monkeypatch):
    import dashboard.wsgi
    import marvec.cli
    from marvec.cli import main

    monkeypatch.setattr(marvec.cli, "setup_logging", lambda *a, **kw: None)  # keep pytest's handlers
    served: list[tuple[str, int]] = []
    monkeypatch.setattr(dashboard.wsgi, "serve", lambda s, host, port, **kw: served.append((host, port)))
    assert main(["dashboard"]) == 0
    monkeypatch.setenv("MARVEC_HOST", "0.0.0.0")
    monkeypatch.setenv("MARVEC_PORT", "9123")
    assert main(["dashboard"]) == 0
    assert main(["dashboard", "--host", "127.0.0.1", "--port", "9000"]) == 0
    assert served == [("127.0.0.1", 8050), ("0.0.0.0", 9123), ("127.0.0.1", 9000)]


def test_a_wrong_marvec_port_is_one_line():
    done = _marvec("up", env={"MARVEC_PORT": "80800"})
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("marvec up: error: MARVEC_PORT: ")


def test_make_run_installs_no_test_tools_and_passes_host_and_port(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    venv = str(tmp_path / "venv")

    def make(*args: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MARVEC_")}
        done = subprocess.run(["make", "-n", "-C", root, f"VENV={venv}", *args],
                              capture_output=True, text=True, env=env, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run = make("run")
    assert "pip install -q -e ." in run and "[test]" not in run
    assert f"MARVEC_HOST=127.0.0.1 MARVEC_PORT=8050 {venv}/bin/marvec up" in run
    assert "MARVEC_PORT=8060 " in make("run", "MARVEC_PORT=8060")
    assert "'.[test]'" in make("test")
