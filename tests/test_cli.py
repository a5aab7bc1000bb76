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


def test_token_prints_a_signed_display_token():
    done = _marvec("token", "--name", "wall-1", env={"MARVEC_SECRET_KEY": "s" * 32})
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    from dashboard.auth import read_display_token

    principal = read_display_token("s" * 32, token)
    assert principal is not None and principal.role == "wall"
    assert read_display_token("t" * 32, token) is None
