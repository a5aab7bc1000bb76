"""The production deployment: docker-compose.yml, Dockerfile, .dockerignore, deploy/.

No Docker engine is needed: the compose file is interpolated here the way compose
does it, then checked against the code it runs (``Settings``, the ``marvec`` parser,
``ensure_topics``, ``dashboard.wsgi``), and the parts that can run without Docker do
run: the broker's start script under ``sh``, Redis with the shipped config and the
compose command line. ``docker compose config`` runs too where a compose CLI exists.
"""

from __future__ import annotations

import contextlib
import fnmatch
import importlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from dashboard.auth import parse_users, verify_password
from marvec import topics as topics_module
from marvec.cli import _parser
from marvec.errors import SettingsError
from marvec.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
SECRETS = {  # stand-ins for the .env an operator writes
    "REDIS_PASSWORD": "redis-pw-0123456789abcdef",
    "KAFKA_PASSWORD": "kafka-pw-0123456789abcdef",
    "MARVEC_SECRET_KEY": "secret-key-0123456789abcdef-0123456789",
}
SOURCE_SERVICES = {f"source-{n}" for n in ("bmkg", "cap", "open311", "prices")}
MARVEC_SERVICES = {"topics", "consumer", "dashboard", "simulator"} | SOURCE_SERVICES
FEED_TOPICS = {"marvec.complaints", "marvec.economy", "marvec.disasters", "marvec.publicinfo",
               "marvec.deadletter"}


# --- compose interpolation, as compose does it -------------------------------------------

class MissingVariable(Exception):
    pass


_VAR = re.compile(r"\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?err}``, ``${VAR?err}``, ``$$``."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.group(1) or m.group(4), m.group(2), m.group(3)
        unset = name not in env or (op is not None and op.startswith(":") and not env[name])
        if op in (":?", "?") and unset:
            raise MissingVariable(f"{name}: {arg}")
        if op in (":-", "-") and unset:
            return arg
        return env.get(name, "")

    return _VAR.sub(one, value)


def raw_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return interpolate(raw_compose(), dict(SECRETS))["services"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("MARVEC_"):
            monkeypatch.delenv(name)
    return monkeypatch


def settings_of(env: dict[str, Any]) -> Settings:
    """What a container with ``env`` reads (``SettingsError`` names a wrong one)."""
    return load_settings(**{k[7:].lower(): v for k, v in env.items() if k.startswith("MARVEC_")})


def parse_marvec(args: list[str]) -> Any:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            return _parser().parse_args(args)
        except SystemExit:
            pytest.fail(f"`marvec {' '.join(args)}` is refused: {err.getvalue().strip()}")


def env_file_keys(path: Path, commented: bool) -> dict[str, str]:
    pattern = r"^#?([A-Z_][A-Z0-9_]*)=(.*)$" if commented else r"^([A-Z_][A-Z0-9_]*)=(.*)$"
    return dict(re.findall(pattern, path.read_text(encoding="utf-8"), re.M))


# --- the stack -------------------------------------------------------------------------

def test_the_stack_is_kafka_redis_topics_consumers_dashboard_and_a_demo_simulator(services):
    assert set(services) == {"kafka", "redis", "proxy"} | MARVEC_SERVICES
    assert {n for n, s in services.items() if s.get("build") == "."} == MARVEC_SERVICES
    assert services["kafka"]["image"].startswith("apache/kafka:3.9.")
    assert services["redis"]["image"].startswith("redis:7")
    assert {n: s.get("profiles") for n, s in services.items() if s.get("profiles")} == {
        "simulator": ["demo"], **{n: [n] for n in SOURCE_SERVICES}}


def test_consumers_run_two_replicas_and_can_be_scaled(services):
    consumer = services["consumer"]
    assert consumer["deploy"]["replicas"] == 2
    assert parse_marvec(consumer["command"]).command == "consume"
    # --scale needs containers without fixed names or host ports.
    assert "container_name" not in consumer and "ports" not in consumer


def test_every_long_running_service_has_a_healthcheck_and_a_restart_policy(services):
    one_shots = {"topics"}
    for name, svc in services.items():
        if name in one_shots:
            assert svc["restart"] == "no" and "healthcheck" not in svc
            continue
        check = svc.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert svc["restart"] in ("unless-stopped", "always", "no"), name
    assert {n for n, s in services.items() if s["restart"] == "no"} == {"topics", "simulator"}


def test_start_up_order_waits_for_healthy_services_and_finished_topics(services):
    wanted = {
        "topics": {"kafka": "service_healthy"},
        "consumer": {"kafka": "service_healthy", "redis": "service_healthy",
                     "topics": "service_completed_successfully"},
        "dashboard": {"redis": "service_healthy"},
        "proxy": {"dashboard": "service_started"},
        "simulator": {"kafka": "service_healthy", "topics": "service_completed_successfully"},
        **{n: {"kafka": "service_healthy", "topics": "service_completed_successfully"}
           for n in SOURCE_SERVICES},
    }
    found = {n: {d: c["condition"] for d, c in s.get("depends_on", {}).items()}
             for n, s in services.items() if s.get("depends_on")}
    assert found == wanted
    for deps in found.values():
        for dep, condition in deps.items():
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{dep} is waited on but has no healthcheck"
            if condition == "service_completed_successfully":
                assert services[dep]["restart"] == "no" and not services[dep].get("profiles")


# --- Marvec services against the code they run ----------------------------------------------

def test_marvec_variables_are_real_settings(services):
    fields = {"MARVEC_" + name.upper() for name in Settings.model_fields}
    for name in MARVEC_SERVICES:
        env = services[name]["environment"]
        unknown = {k for k in env if k.startswith("MARVEC_")} - fields
        assert not unknown, f"{name}: not Settings fields: {unknown}"
        assert set(env) - fields <= {"PROMETHEUS_MULTIPROC_DIR"}, name
        assert services[name]["env_file"] == "deploy/marvec.env"


def test_marvec_environments_validate_and_carry_the_secrets(services, clean_env):
    for name in MARVEC_SERVICES:
        settings = settings_of(services[name]["environment"])
        assert settings.log_format == "json", name
    consumer = settings_of(services["consumer"]["environment"])
    kafka = consumer.kafka_client_options()
    assert kafka["bootstrap_servers"] == ["kafka:9092"]
    assert kafka["security_protocol"] == "SASL_PLAINTEXT"
    assert kafka["sasl_plain_password"] == SECRETS["KAFKA_PASSWORD"]
    assert consumer.redis_url == f"redis://:{SECRETS['REDIS_PASSWORD']}@redis:6379/0"
    assert consumer.metrics_port == 9100
    assert services["consumer"]["healthcheck"]["test"] == ["CMD", "marvec", "doctor", "--for", "consume", "--running"]
    dashboard = settings_of(services["dashboard"]["environment"])
    assert (dashboard.auth, dashboard.secret_key) == ("required", SECRETS["MARVEC_SECRET_KEY"])
    assert dashboard.kafka_bootstrap is None, "the dashboard needs no Kafka credentials"
    assert consumer.secret_key is None, "the consumers need no dashboard secret"


def test_compose_refuses_to_start_without_each_secret():
    for secret in SECRETS:
        env = {k: v for k, v in SECRETS.items() if k != secret}
        with pytest.raises(MissingVariable, match=secret):
            interpolate(raw_compose(), env)
        with pytest.raises(MissingVariable, match=secret):
            interpolate(raw_compose(), {**env, secret: ""})


def test_no_secret_is_written_in_the_compose_file():
    ref = re.compile(r"^\$\{[A-Z_]+:\?[^}]+\}$")
    raw = raw_compose()["services"]
    for name, svc in raw.items():
        for key, value in svc.get("environment", {}).items():
            if re.search(r"PASSWORD|SECRET|^REDISCLI_AUTH$", key):
                assert ref.match(str(value)), f"{name}.{key} must come from .env: {value!r}"
    assert "${REDIS_PASSWORD:?" in raw["consumer"]["environment"]["MARVEC_REDIS_URL"]
    assert ref.match(raw["redis"]["command"][raw["redis"]["command"].index("--requirepass") + 1])
    assert re.findall(r'password="([^"]*)"', raw["kafka"]["command"][2]) == ["$$BROKER_SASL_PASSWORD"] * 2
    assert re.findall(r'user_marvec="([^"]*)"', raw["kafka"]["command"][2]) == ["$$BROKER_SASL_PASSWORD"]


def test_commands_are_marvec_commands_it_accepts(services):
    for name in MARVEC_SERVICES - {"topics"}:
        assert "entrypoint" not in services[name], f"{name} keeps the image's `marvec` entrypoint"
    assert parse_marvec(services["simulator"]["command"]).command == "simulate"
    dash = parse_marvec(services["dashboard"]["command"])
    assert (dash.command, dash.host, dash.port, dash.workers) == ("dashboard", None, None, 4)
    listen = settings_of(services["dashboard"]["environment"])  # MARVEC_HOST / MARVEC_PORT
    assert (listen.host, listen.port) == ("0.0.0.0", 8050)
    assert "ports" not in services["dashboard"] and services["dashboard"]["expose"] == [str(listen.port)]
    # Clients reach it through the buffering proxy only (slow clients hold no worker thread).
    proxy = services["proxy"]
    assert proxy["ports"] == ["127.0.0.1:8050:8080"] and proxy["image"].startswith("nginx:")
    conf = (ROOT / "deploy/nginx/marvec.conf").read_text()
    assert f"server dashboard:{listen.port};" in conf and "listen 8080;" in conf
    assert "client_header_timeout 10s;" in conf and "proxy_request_buffering on;" in conf
    check = services["dashboard"]["healthcheck"]["test"]
    assert check[:2] == ["CMD", "marvec"] and parse_marvec(check[2:]).scope == "dashboard"
    assert parse_marvec(check[2:]).running  # asks /healthz on MARVEC_PORT


def test_each_source_service_runs_its_adapter_with_a_checkpoint_volume(services, clean_env):
    for name in SOURCE_SERVICES:
        args = parse_marvec(services[name]["command"])
        assert (args.command, f"source-{args.name}") == ("source", name)
        settings = settings_of(services[name]["environment"])
        assert str(settings.source_state_dir) == "/var/lib/marvec/sources"
        assert "sources:/var/lib/marvec/sources" in services[name]["volumes"]
        assert settings.metrics_port == 9100


def test_the_dashboard_keeps_users_on_a_volume_the_image_prepares(services, clean_env):
    dashboard = services["dashboard"]
    users_file = settings_of(dashboard["environment"]).users_file
    assert users_file is not None
    assert f"users:{users_file.parent}" in dashboard["volumes"]
    assert "users" in raw_compose()["volumes"]
    assert str(users_file.parent) == "/var/lib/marvec/users"
    assert re.search(rf"install -d -o marvec -g marvec -m 0700 {users_file.parent}\b", dockerfile())
    tmpfs = dashboard["tmpfs"]
    assert dashboard["environment"]["PROMETHEUS_MULTIPROC_DIR"] in tmpfs


def test_boundaries_are_mounted_where_the_example_points(services):
    mount = "./deploy/boundaries:/data/boundaries:ro"
    assert mount in services["consumer"]["volumes"] and mount in services["dashboard"]["volumes"]
    example = env_file_keys(ROOT / "deploy/marvec.env.example", commented=True)
    assert example["MARVEC_BOUNDARIES"].startswith("/data/boundaries/")


def test_bind_mounted_host_paths_exist(services):
    for name, svc in services.items():
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source} is missing"


def test_gunicorn_app_path_in_the_docs_resolves(clean_env, monkeypatch):
    paths = set(re.findall(r"\b([a-z_][\w.]*):(app)\b", (ROOT / "docs/deploy.md").read_text()))
    assert paths == {("dashboard.wsgi", "app")}
    module = importlib.import_module("dashboard.wsgi")
    earlier = vars(module).pop("app", None)  # built by another test: build it again
    built: list[Settings] = []
    monkeypatch.setattr(module, "build_wsgi_app", lambda s: built.append(s) or "the app")
    monkeypatch.setattr(module, "install_log_redaction", lambda: None)
    monkeypatch.setattr("marvec.logs.setup_logging", lambda *a, **kw: None)
    try:
        assert module.app == "the app" and len(built) == 1  # what gunicorn's getattr gets
    finally:
        vars(module).pop("app", None)
        if earlier is not None:
            module.app = earlier


# --- topic set-up ------------------------------------------------------------------------

class FakeAdmin:
    def __init__(self) -> None:
        self.created: dict[str, int] = {}

    def list_topics(self) -> list[str]:
        return ["__consumer_offsets"]

    def create_topics(self, spec: dict[str, dict[str, int]], wait_for_metadata: bool) -> None:
        self.created.update({name: s["num_partitions"] for name, s in spec.items()})

    def close(self) -> None:
        pass


def run_topics_service(service: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    python, flag, code = service["entrypoint"]
    assert (python, flag) == ("python", "-c")
    for key, value in service["environment"].items():
        monkeypatch.setenv(key, str(value))
    exec(compile(code, "topics-service", "exec"), {"__name__": "__main__"})


def test_topic_setup_creates_six_partitions_per_feed_and_the_dead_letter_topic(services, clean_env, capsys):
    admin = FakeAdmin()
    clean_env.setattr(topics_module, "_admin", lambda settings: admin)
    run_topics_service(services["topics"], clean_env)
    assert admin.created == dict.fromkeys(FEED_TOPICS, 6)
    assert "topics ready" in capsys.readouterr().out


def test_topic_setup_fails_with_one_line_naming_the_setting(services, clean_env):
    def no_broker(settings: Settings) -> None:
        raise SettingsError("MARVEC_KAFKA_BOOTSTRAP", "no Kafka broker answers at kafka:9092")

    clean_env.setattr(topics_module, "_admin", no_broker)
    with pytest.raises(SystemExit) as exit_:
        run_topics_service(services["topics"], clean_env)
    assert str(exit_.value.code).startswith("marvec topics: error: MARVEC_KAFKA_BOOTSTRAP")


# --- Kafka ---------------------------------------------------------------------------------

def kafka_env(services: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in services["kafka"]["environment"].items()}


def test_kafka_is_one_kraft_broker_with_its_log_on_a_volume(services):
    env = kafka_env(services)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not any(k.startswith("KAFKA_ZOOKEEPER") for k in env)
    assert f"kafka-data:{env['KAFKA_LOG_DIRS']}" in services["kafka"]["volumes"]
    assert (env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"], env["KAFKA_NUM_PARTITIONS"]) == ("false", "6")
    # The image fills these in when unset (log dirs under /tmp!): every one is set here.
    image_defaults = {"CLUSTER_ID", "KAFKA_NODE_ID", "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                      "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS", "KAFKA_PROCESS_ROLES",
                      "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_LOG_DIRS",
                      "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "KAFKA_CONTROLLER_QUORUM_VOTERS",
                      "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                      "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "KAFKA_INTER_BROKER_LISTENER_NAME",
                      "KAFKA_CONTROLLER_LISTENER_NAMES"}
    assert image_defaults <= set(env)
    # The image silently drops a KAFKA_* property whose value holds '=' (KAFKA_OPTS is not one).
    assert [k for k, v in env.items() if k.startswith("KAFKA_") and "=" in v] == ["KAFKA_OPTS"]


def test_marvec_clients_match_the_broker_listener(services, clean_env):
    env = kafka_env(services)
    protocols = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    advertised = {a.split("://")[1]: a.split("://")[0] for a in env["KAFKA_ADVERTISED_LISTENERS"].split(",")}
    users = re.findall(r'user_(\w+)="', services["kafka"]["command"][2])
    for name in ("topics", "consumer", "simulator"):
        s = settings_of(services[name]["environment"])
        assert s.kafka_bootstrap in advertised, name
        assert protocols[advertised[s.kafka_bootstrap]] == s.kafka_security_protocol, name
        assert s.kafka_sasl_mechanism in env["KAFKA_SASL_ENABLED_MECHANISMS"].split(","), name
        assert users == [s.kafka_sasl_username], name


def test_kafka_start_script_writes_the_jaas_file_its_options_and_healthcheck_use(services, tmp_path):
    kafka = services["kafka"]
    assert kafka["command"][:2] == ["sh", "-ec"] and "/tmp" in kafka["tmpfs"]
    script = kafka["command"][2].replace("/tmp/", f"{tmp_path}/")
    script = script.replace("exec /etc/kafka/docker/run", "exit 0")
    password = SECRETS["KAFKA_PASSWORD"]
    done = subprocess.run(["sh", "-ec", script], env={"BROKER_SASL_PASSWORD": password},
                          capture_output=True, text=True, timeout=10)
    assert done.returncode == 0, done.stderr
    jaas = (tmp_path / "broker_jaas.conf").read_text()
    assert f'password="{password}"' in jaas and f'user_marvec="{password}";' in jaas
    assert (tmp_path / "broker_jaas.conf").stat().st_mode & 0o077 == 0
    assert "login.config=/tmp/broker_jaas.conf" in kafka["environment"]["KAFKA_OPTS"]
    client = (tmp_path / "client.properties").read_text()
    assert "security.protocol=SASL_PLAINTEXT" in client and f'password="{password}";' in client
    assert kafka["healthcheck"]["test"][-1] == "/tmp/client.properties"
    assert "kafka-broker-api-versions.sh" in kafka["healthcheck"]["test"][1]


def test_kafka_start_script_refuses_a_password_it_cannot_quote(services, tmp_path):
    script = services["kafka"]["command"][2].replace("/tmp/", f"{tmp_path}/")
    done = subprocess.run(["sh", "-ec", script], env={"BROKER_SASL_PASSWORD": 'pw"; evil'},
                          capture_output=True, text=True, timeout=10)
    assert done.returncode == 64 and "KAFKA_PASSWORD" in done.stderr
    assert not list(tmp_path.iterdir())


# --- Redis ---------------------------------------------------------------------------------

def redis_conf_of(service: dict[str, Any]) -> Path:
    mounts = dict(reversed(v.split(":")[:2]) for v in service["volumes"])
    return ROOT / mounts[service["command"][1]]


def test_redis_persists_and_requires_the_password(services):
    svc = services["redis"]
    conf = redis_conf_of(svc).read_text()
    assert re.search(r"^appendonly yes$", conf, re.M) and not re.search(r"^dir ", conf, re.M)
    # The redis image works in /data: that is where the files go, on the volume.
    assert "redis-data:/data" in svc["volumes"] and "redis-data" in raw_compose()["volumes"]
    assert svc["command"][2:] == ["--requirepass", SECRETS["REDIS_PASSWORD"]]
    assert svc["environment"]["REDISCLI_AUTH"] == SECRETS["REDIS_PASSWORD"]
    assert "redis-cli ping" in svc["healthcheck"]["test"][1]


@pytest.mark.integration
def test_redis_as_composed_refuses_strangers_persists_and_passes_its_healthcheck(services, tmp_path):
    from marvec.embedded import find_redis_server, free_port
    from marvec.topics import check_redis

    svc, port = services["redis"], free_port()
    cmd = [str(find_redis_server()), str(redis_conf_of(svc)), *svc["command"][2:],
           "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = services["consumer"]["environment"]["MARVEC_REDIS_URL"].replace("redis:6379", f"127.0.0.1:{port}")
        client = _wait_for_redis(url)
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port).ping()
        assert check_redis(url).ping()
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        client.set("marvec:compose-test", "1")
        assert any(p.name.startswith("appendonly") for p in tmp_path.iterdir())
        _check_redis_healthcheck(svc, port)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for_redis(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url, decode_responses=True)
    for _ in range(100):
        with contextlib.suppress(redis.ConnectionError):
            client.ping()
            return client
        time.sleep(0.05)
    pytest.fail("redis-server with the compose command line did not start")


def _check_redis_healthcheck(svc: dict[str, Any], port: int) -> None:
    if not shutil.which("redis-cli"):
        return
    check = svc["healthcheck"]["test"][1].replace("redis-cli", f"redis-cli -p {port}")
    for password, healthy in ((svc["environment"]["REDISCLI_AUTH"], True), ("wrong", False)):
        env = {"PATH": os.environ["PATH"], "REDISCLI_AUTH": password}
        done = subprocess.run(["sh", "-c", check], env=env, capture_output=True, timeout=10)
        assert (done.returncode == 0) == healthy, f"healthcheck with password {password!r}"


# --- the image -----------------------------------------------------------------------------

def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")


def dockerignored(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` out of the build context (last match wins)."""
    excluded = False
    parts = path.split("/")
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate, pattern = line.startswith("!"), line.lstrip("!")
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatchcase(c, pattern) or fnmatch.fnmatchcase(c, pattern.removeprefix("**/"))
               for c in candidates):
            excluded = not negate
    return excluded


def test_the_image_copies_every_package_and_runs_marvec_as_a_user():
    text = dockerfile()
    sources = [s for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.M) for s in line.split()[:-1]]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.split(".")[0] for p in discovered_packages()}
    assert set(sources) == packages | {"pyproject.toml", pyproject["project"]["readme"]}
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: missing"
        inside = [source] + ([f"{source}/__init__.py"] if (ROOT / source).is_dir() else [])
        assert not any(map(dockerignored, inside)), f"COPY {source}: excluded by .dockerignore"
    assert dockerignored(".env") and dockerignored("deploy/marvec.env") and dockerignored(".git")
    assert dockerignored("marvec/__pycache__/cli.cpython-311.pyc")
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M)
    assert re.findall(r"^FROM (\S+)", text, re.M) == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    assert re.findall(r"^USER (\S+)", text, re.M) == ["marvec:marvec"]
    assert json.loads(re.search(r"^ENTRYPOINT (.+)$", text, re.M).group(1)) == ["marvec"]
    assert pyproject["project"]["scripts"]["marvec"] == "marvec.cli:main"
    installs = re.findall(r"pip (?:install|wheel) [^&\n]*", text)
    assert installs and not any("[" in line for line in installs), "no dev extras in the image"


def discovered_packages() -> list[str]:
    """The packages setuptools finds with pyproject's ``[tool.setuptools.packages.find]``."""
    from setuptools import find_namespace_packages

    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert find.get("namespaces", True), "data folders (dashboard/assets) are namespace packages"
    return find_namespace_packages(str(ROOT), include=find["include"], exclude=find.get("exclude", ()))


def test_pip_install_ships_every_data_file_the_packages_load():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = sorted(discovered_packages(), key=len, reverse=True)
    data = config.get("package-data", {})
    listed = subprocess.run(["git", "ls-files", *{p.split(".")[0] for p in packages}], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    missing = []
    for path in (p for p in listed if not p.endswith(".py")):
        owner = next(p for p in packages if path.startswith(p.replace(".", "/") + "/"))
        inside = path[len(owner) + 1:]
        if not any(fnmatch.fnmatchcase(inside, pat) for pat in data.get(owner, []) + data.get("*", [])):
            missing.append(path)
    assert not missing, f"not in the wheel: {missing}"


# --- deploy/: examples and docs --------------------------------------------------------------

def test_env_example_lists_every_compose_variable_and_leaves_secrets_blank():
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE.read_text()))
    example = ROOT / "deploy/env.example"
    assert set(env_file_keys(example, commented=True)) == used
    assert env_file_keys(example, commented=False) == dict.fromkeys(SECRETS, "")


def test_marvec_env_example_sets_real_settings_compose_does_not_override(services, clean_env):
    example = ROOT / "deploy/marvec.env.example"
    active, every = env_file_keys(example, False), env_file_keys(example, True)
    wired = {k for name in MARVEC_SERVICES for k in services[name]["environment"]}
    assert active and not set(active) & wired
    assert settings_of(active).lang == "id"
    fields = {"MARVEC_" + n.upper() for n in Settings.model_fields}
    assert set(every) <= fields
    assert not set(every) & wired, "compose would silently override these"


def test_users_example_is_a_valid_users_file_nobody_can_log_in_with():
    path = ROOT / "deploy/users.example.json"
    users = parse_users(path.read_text(), path)
    assert {u.role for u in users.values()} == {"admin", "crisis", "mayor"}
    assert not any(verify_password(u.password_hash, "") for u in users.values())


def test_docs_name_only_real_settings():
    fields = {"MARVEC_" + n.upper() for n in Settings.model_fields}
    for doc in ("docs/deploy.md", "deploy/tls/README.md", "deploy/boundaries/README.md"):
        named = set(re.findall(r"\bMARVEC_[A-Z0-9_]+", (ROOT / doc).read_text()))
        assert named, doc
        # `MARVEC_KAFKA_SASL_*` names a family: some field must start with it.
        wrong = {n for n in named if not (n in fields or (n.endswith("_") and
                                          any(f.startswith(n) for f in fields)))}
        assert not wrong, f"{doc} names settings that do not exist: {wrong}"


def shell_blocks(markdown: str) -> str:
    """The lines of the ```sh code blocks."""
    lines, lang = [], None
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            lang = None if lang is not None else line.strip().strip("`")
        elif lang == "sh":
            lines.append(line)
    return "\n".join(lines)


def test_marvec_commands_in_the_deploy_docs_are_accepted():
    code = shell_blocks((ROOT / "docs/deploy.md").read_text())
    code += "\n" + "\n".join(re.findall(r"^#\s+(docker compose .*)$", COMPOSE.read_text(), re.M))
    found = re.findall(r"docker compose (?:run --rm (?:--no-deps )?(\w+)|exec (?:-T )?(\w+) marvec) ([^#\n]+)", code)
    commands = {(run or exec_, args.strip()) for run, exec_, args in found}
    assert {c[1].split()[0] for c in commands} >= {"user", "token", "rebuild"}
    for service, args in commands:
        assert service in MARVEC_SERVICES, service
        parse_marvec(shlex.split(args))


def _compose_cli() -> list[str] | None:
    for cli in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cli[0]) and subprocess.run([*cli, "version"], capture_output=True).returncode == 0:
            return cli
    return None


@pytest.mark.skipif(_compose_cli() is None, reason="no docker compose CLI on this machine")
def test_docker_compose_config_accepts_the_file(tmp_path):
    shutil.copy(COMPOSE, tmp_path / COMPOSE.name)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    shutil.copy(tmp_path / "deploy/marvec.env.example", tmp_path / "deploy/marvec.env")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **SECRETS}
    done = subprocess.run([*_compose_cli(), "--project-directory", str(tmp_path), "config", "-q"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
