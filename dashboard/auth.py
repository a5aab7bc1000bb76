"""Access control: users, roles, display tokens, sessions and the login page.

``MARVEC_AUTH=required`` (the default): every page, ``/api/`` path and Dash callback
needs a login (a signed Flask session cookie) or a display token (``Authorization:
Bearer``); ``/healthz``, ``/metrics``, the login routes and static JS/CSS never do.
``MARVEC_AUTH=open``: nobody logs in and everyone may open everything.

Roles and the screens they open: ``wall`` -> /wall; ``crisis`` -> /crisis, /wall;
``mayor`` -> /mayor, /rapor, /crisis, /wall; ``admin`` -> everything. A Dash callback is
checked against the page it renders (``CallbackPages``: each page's callbacks need
that page's roles; the router needs the roles of the pathname it is asked to render).
Every role may read ``/api/v1/snapshot``.

Sessions are recorded in Redis and checked on every request (``dashboard.sessions``):
logout ends one everywhere, a password or role change in the users file ends the
user's sessions, ``marvec token revoke NAME`` ends a display's tokens. Login attempts
are throttled per (user, address) with progressive delays (``security.LoginThrottle``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import flask
import flask.typing
import redis
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from markupsafe import escape
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard import metrics
from dashboard.security import LoginThrottle
from dashboard.sessions import Sessions, record_display_token
from marvec.errors import SettingsError
from marvec.keys import Keys
from marvec.settings import Settings

log = logging.getLogger(__name__)

ROLES = ("wall", "mayor", "crisis", "admin")
PAGE_ROLES: dict[str, frozenset[str]] = {
    "wall": frozenset({"wall", "crisis", "mayor", "admin"}),
    "crisis": frozenset({"crisis", "mayor", "admin"}),
    "mayor": frozenset({"mayor", "admin"}),
    "rapor": frozenset({"mayor", "admin"}),
    "briefings": frozenset({"mayor", "admin"}),
}
"""First path segment of a screen -> roles that may open it; any other page is admin-only."""
HOME = {"wall": "/wall", "crisis": "/crisis", "mayor": "/mayor", "admin": "/"}

PUBLIC_PATHS = frozenset({"/healthz", "/metrics", "/login", "/login/token", "/logout",
                          "/favicon.ico", "/_favicon.ico", "/robots.txt"})
PUBLIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
"""Static JavaScript and CSS: the same for everyone, no data in them."""

TOKEN_SALT = "marvec.display-token.v1"
MIN_SECRET_LEN = 16
MAX_NAME_LEN = 64
HUMAN_SESSION_S = 12 * 3600


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user name (or a wall's name), a role, and how they proved it."""

    name: str
    role: str
    via: str
    """``password``, ``token`` (display token) or ``open`` (MARVEC_AUTH=open)."""
    expires_at: float | None = None
    token_id: str | None = None
    issued_ms: int = 0
    """A display token's issue time (Unix ms; 0 for a token older than the field)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str


# -- passwords ---------------------------------------------------------------------

def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug format ``scrypt:N:r:p$salt$hash``) for the users file."""
    if not password:
        raise ValueError("a password must not be empty")
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; False (never an exception) for a malformed hash."""
    try:
        return check_password_hash(password_hash, password)
    except (ValueError, TypeError):
        return False


_DUMMY_HASH: list[str] = []


def burn_password_check(password: str) -> None:
    """Spend the time of one real check, so an unknown user name answers as slowly as a known one."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_hex(8)))
    verify_password(_DUMMY_HASH[0], password)


# -- secret and display tokens -----------------------------------------------------

def require_secret(settings: Settings) -> str:
    """``settings.secret_key``, or the one-line ``SettingsError`` that names the fix."""
    secret = settings.secret_key
    if not secret:
        raise SettingsError(
            "MARVEC_SECRET_KEY",
            "not set; MARVEC_AUTH=required signs logins and display tokens with it: set it to a "
            "long random string (python -c 'import secrets; print(secrets.token_urlsafe(32))') "
            "or set MARVEC_AUTH=open on a closed network",
        )
    if len(secret) < MIN_SECRET_LEN:
        raise SettingsError(
            "MARVEC_SECRET_KEY",
            f"too short ({len(secret)} characters); use at least {MIN_SECRET_LEN} random "
            "characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    return secret


def make_display_token(
    settings: Settings, name: str, role: str = "wall", days: int = 365, *, now: float | None = None
) -> str:
    """A long-lived signed token that logs a display in as ``role`` for ``days`` days.

    Use it as ``/login/token?t=<token>`` (the kiosk's start URL) or as
    ``Authorization: Bearer <token>``. It is signed, not encrypted: its name, role and
    expiry are readable. Revoke all tokens by changing MARVEC_SECRET_KEY.
    """
    secret = require_secret(settings)
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if not name or len(name) > MAX_NAME_LEN:
        raise ValueError(f"name must be 1-{MAX_NAME_LEN} characters; got {name!r}")
    if days < 1:
        raise ValueError(f"days must be >= 1; got {days!r}")
    issued = time.time() if now is None else now
    payload = {"v": 1, "n": name, "r": role, "e": int(issued + days * 86400),
               "i": secrets.token_hex(6), "t": int(issued * 1000)}
    return URLSafeSerializer(secret, salt=TOKEN_SALT).dumps(payload)


def issue_display_token(client: Any, settings: Settings, name: str, role: str = "wall",
                        days: int = 365) -> str:
    """``make_display_token``, recorded in Redis so ``marvec token list`` shows it."""
    token = make_display_token(settings, name, role, days)
    who = read_display_token(require_secret(settings), token)
    assert who is not None and who.token_id and who.expires_at is not None
    record_display_token(client, Keys(), who.token_id, name, role, who.issued_ms / 1000, who.expires_at)
    return token


def read_display_token(secret: str, token: str, now: float | None = None) -> Principal | None:
    """The principal a display token stands for, or ``None`` if tampered, malformed or expired."""
    if not token or len(token) > 1024:
        return None
    try:
        payload = URLSafeSerializer(secret, salt=TOKEN_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("v") != 1:
        return None
    name, role, expires = payload.get("n"), payload.get("r"), payload.get("e")
    if not isinstance(name, str) or role not in ROLES or not isinstance(expires, int):
        return None
    if expires <= (time.time() if now is None else now):
        return None
    issued = payload.get("t")
    return Principal(name, role, "token", float(expires), str(payload.get("i") or ""),
                     issued if isinstance(issued, int) else 0)


def fingerprint(secret: str, user: User) -> str:
    """A short keyed digest of a user's password hash and role: stored in the session, a
    change of either in the users file ends the user's sessions."""
    message = f"{user.password_hash}\0{user.role}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:24]


# -- users file --------------------------------------------------------------------

def parse_users(text: str, path: Path) -> dict[str, User]:
    """Parse a users file (``.toml`` or JSON): ``{username: {password_hash, role}}``."""
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError("MARVEC_USERS_FILE", f"{path} is not valid {path.suffix or 'JSON'}: {exc}") from None
    if not isinstance(data, dict):
        raise SettingsError("MARVEC_USERS_FILE", f"{path}: expected an object of users, got {type(data).__name__}")
    users: dict[str, User] = {}
    for name, entry in data.items():
        where = f"{path}: user {name!r}"
        if not isinstance(entry, dict) or not isinstance(entry.get("password_hash"), str):
            raise SettingsError("MARVEC_USERS_FILE", f"{where}: expected {{\"password_hash\": ..., \"role\": ...}}")
        if entry.get("role") not in ROLES:
            raise SettingsError("MARVEC_USERS_FILE", f"{where}: role must be one of {', '.join(ROLES)}, got {entry.get('role')!r}")
        if not 0 < len(name) <= MAX_NAME_LEN:
            raise SettingsError("MARVEC_USERS_FILE", f"{where}: names are 1-{MAX_NAME_LEN} characters")
        users[name] = User(name, entry["role"], entry["password_hash"])
    return users


class UserStore:
    """The users file, re-read when it changes (``marvec user add`` needs no restart).

    A file that breaks while the server runs is logged and the previous users kept.
    """

    CHECK_EVERY_S = 2.0

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._users: dict[str, User] = {}
        self._mtime: float | None = None
        self._checked = 0.0
        if path is not None:
            self._load(strict=True)

    def get(self, name: str) -> User | None:
        if self.path is not None and time.monotonic() - self._checked >= self.CHECK_EVERY_S:
            with self._lock:
                self._load(strict=False)
        return self._users.get(name)

    def __len__(self) -> int:
        return len(self._users)

    def _load(self, strict: bool) -> None:
        assert self.path is not None
        self._checked = time.monotonic()
        try:
            mtime = self.path.stat().st_mtime
            if mtime == self._mtime:
                return
            users = parse_users(self.path.read_text(encoding="utf-8"), self.path)
        except OSError as exc:
            if strict:
                raise SettingsError("MARVEC_USERS_FILE", f"cannot read {self.path}: {exc.strerror or exc}") from None
            log.error("users file %s unreadable, keeping the previous users: %s", self.path, exc)
            return
        except SettingsError as exc:
            if strict:
                raise
            log.error("users file changed but is invalid, keeping the previous users: %s", exc)
            return
        self._users, self._mtime = users, mtime


def save_user(path: Path, name: str, password: str, role: str) -> None:
    """Add or replace a user in a JSON users file (created with mode 0600), atomically."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if not 0 < len(name) <= MAX_NAME_LEN:
        raise ValueError(f"user names are 1-{MAX_NAME_LEN} characters; got {name!r}")
    if path.suffix == ".toml":
        raise ValueError(f"{path}: only JSON users files can be edited; add the user by hand")
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[name] = {"password_hash": hash_password(password), "role": role}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


# -- access rules ------------------------------------------------------------------

KEY_PREFIXES = ("/api/v1/events/",)
"""Paths guarded by their own API keys (``dashboard.intake``), not by logins."""


def classify(path: str) -> str:
    """``public``, ``api`` (JSON answers), ``dash`` (Dash's own JSON routes) or ``page``;
    the intake API (``KEY_PREFIXES``) is ``public`` here because its view checks its keys."""
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or path.startswith(KEY_PREFIXES):
        return "public"
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/_"):
        return "dash"
    return "page"


def may_open(role: str, path: str) -> bool:
    """Whether ``role`` may open the page at ``path`` (API and callbacks: every role)."""
    if role == "admin":
        return True
    if classify(path) in ("api", "dash", "public"):
        return role in ROLES
    segment = path.strip("/").split("/", 1)[0]
    return role in PAGE_ROLES.get(segment, frozenset())


ANY_ROLE = "*"
"""``CallbackPages`` value: a callback that renders no page data (e.g. the language toggle)."""
BY_PATHNAME = "@pathname"
"""``CallbackPages`` value: the router, which renders the page its first input, the
``pathname``, names."""
CallbackPages = Mapping[str, str]
"""Dash callback id (``output`` of ``/_dash-update-component``) -> the page segment whose
roles it needs (``wall``, ``mayor``, ...), ``ANY_ROLE`` or ``BY_PATHNAME``."""
CALLBACK_PATH = "/_dash-update-component"


def callback_pages_of(pages: CallbackPages | None, body: Any) -> list[str] | None:
    """The page paths a callback request may render (``["/mayor"]``...): ``[]`` for one any
    role may call, ``None`` for a callback or body it cannot place (admin only).

    For the router, Dash hands the function its inputs by position, whatever ids and
    properties the request names, so the first input's value is the pathname it renders;
    any other input that calls itself ``pathname`` must pass too.
    """
    if pages is None:
        return []  # no map given (a bare Dash app): callbacks serve no page of their own
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return None
    page = pages.get(body["output"])
    if page == ANY_ROLE:
        return []
    if page == BY_PATHNAME:
        inputs = [i for i in body.get("inputs") or [] if isinstance(i, dict)]
        values = [inputs[0].get("value") if inputs else None]
        values += [i.get("value") for i in inputs if i.get("property") == "pathname"]
        return [v if isinstance(v, str) and v.startswith("/") else "/" for v in values]
    return None if page is None else [f"/{page}"]


def may_render(role: str, path: str) -> bool:
    """Whether ``role`` may see the screen a callback renders for ``path`` (the page rule
    of ``may_open``, without its allowances for API and Dash routes)."""
    return role == "admin" or role in PAGE_ROLES.get(path.strip("/").split("/", 1)[0], frozenset())


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a local absolute path (no open redirect), else ``fallback``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    if any(ch in target for ch in "\r\n\t\\") or classify(target.split("?", 1)[0]) != "page":
        return fallback
    return target


# -- Flask wiring: sessions, the guard, the login routes ---------------------------

class Auth:
    """The access control installed on one Flask server (``server.extensions["marvec_auth"]``)."""

    def __init__(self, settings: Settings, client: Callable[[], Any] | None = None,
                 callback_pages: CallbackPages | None = None) -> None:
        self.settings = settings
        self.open = settings.auth == "open"
        # Open mode signs nothing that matters (no logins), so any or no secret will do.
        self.secret = (settings.secret_key or secrets.token_urlsafe(32)) if self.open else require_secret(settings)
        self.users = UserStore(None if self.open else settings.users_file)
        redis_client = client or _no_redis
        self.sessions = Sessions(redis_client)
        self.throttle = LoginThrottle(redis_client)
        self.callback_pages = callback_pages
        self.form_signer = URLSafeTimedSerializer(self.secret, salt="marvec.login-form.v1")

    # -- who is asking -------------------------------------------------------------
    def principal(self) -> Principal | None:
        """The caller of the current request (cached per request), or ``None``."""
        if "marvec_principal" not in flask.g:
            flask.g.marvec_principal = self._resolve()
        return flask.g.marvec_principal

    def _resolve(self) -> Principal | None:
        if self.open:
            return Principal("open", "admin", "open")
        header = flask.request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            who = read_display_token(self.secret, header[7:].strip())
            if who is None or self.sessions.display_revoked(who.name, who.issued_ms):
                return None
            return who
        return self._from_session()

    def _from_session(self) -> Principal | None:
        data = flask.session
        name, role, via, expires, sid = data.get("u"), data.get("r"), data.get("via"), data.get("e"), data.get("sid")
        if not isinstance(name, str) or not isinstance(expires, int | float) or expires <= time.time():
            return None
        if not isinstance(sid, str) or not self.sessions.alive(sid):
            return None  # logged out (maybe in another browser holding a copy of this cookie)
        issued_raw = data.get("t")
        issued = issued_raw if isinstance(issued_raw, int) else 0
        if via == "password":
            user = self.users.get(name)
            if user is None or not hmac.compare_digest(str(data.get("fp", "")), fingerprint(self.secret, user)):
                # removed from the users file, or its password or role changed: the session ends
                self.sessions.end(sid)
                return None
            role = user.role
        elif via != "token" or role not in ROLES or self.sessions.display_revoked(name, issued):
            return None
        return Principal(name, role, via, float(expires), data.get("i"), issued)

    def log_in(self, principal: Principal, user: User | None = None) -> None:
        """Replace the session with a new recorded one for ``principal`` (a fresh cookie:
        no fixation). Raises ``redis.RedisError`` when the session cannot be recorded."""
        assert principal.expires_at is not None
        sid = self.sessions.start(principal.name, principal.via, principal.expires_at - time.time())
        flask.session.clear()
        flask.session.permanent = principal.via == "token"  # a kiosk's cookie survives reboots
        flask.session.update(u=principal.name, r=principal.role, via=principal.via, sid=sid,
                             e=principal.expires_at, i=principal.token_id, t=principal.issued_ms)
        if user is not None:
            flask.session["fp"] = fingerprint(self.secret, user)
        flask.g.marvec_principal = principal

    # -- the guard -----------------------------------------------------------------
    def guard(self) -> flask.typing.ResponseReturnValue | None:
        """``before_request``: let the request through (``None``) or answer it here."""
        path = flask.request.path
        kind = classify(path)
        if self.open or kind == "public":
            return None
        who = self.principal()
        if who is None:
            if kind == "page":
                return flask.redirect(f"/login?{urlencode({'next': _request_target()})}")
            body = {"error": "unauthorized", "detail": "log in at /login or send Authorization: Bearer <display token>"}
            return flask.jsonify(body), 401, {"WWW-Authenticate": 'Bearer realm="marvec"'}
        if may_open(who.role, path) and (path != CALLBACK_PATH or self._callback_allowed(who)):
            return None
        if path == "/":
            return flask.redirect(HOME[who.role])
        log.info("denied %s (role %s) access to %s", who.name, who.role, path)
        if kind != "page":
            return flask.jsonify({"error": "forbidden", "detail": f"role {who.role} may not use {path}"}), 403
        return _page("Akses ditolak / Access denied",
                     f"<p>Peran <b>{escape(who.role)}</b> tidak boleh membuka halaman ini. / "
                     f"Role <b>{escape(who.role)}</b> may not open this page.</p>"
                     f'<p><a href="{escape(HOME[who.role])}">{escape(HOME[who.role])}</a> · '
                     '<a href="/logout">Keluar / Log out</a></p>'), 403

    def _callback_allowed(self, who: Principal) -> bool:
        """Whether ``who`` may have this Dash callback render (the page it serves)."""
        if who.role == "admin" or flask.request.method != "POST":
            return True
        paths = callback_pages_of(self.callback_pages, flask.request.get_json(silent=True))
        if paths is not None and all(may_render(who.role, path) for path in paths):
            return True
        log.info("denied %s (role %s) the callback for %s", who.name, who.role,
                 ", ".join(paths) if paths else "an unknown page")
        return False

    # -- login routes --------------------------------------------------------------
    def login_form(self) -> flask.typing.ResponseReturnValue:
        if self.open:
            return flask.redirect("/")
        who = self.principal()
        target = flask.request.args.get("next")
        if who is not None:
            return flask.redirect(safe_next(target, HOME[who.role]))
        return self._form(target, None, 200)

    def login_submit(self) -> flask.typing.ResponseReturnValue:
        if self.open:
            return flask.redirect("/")
        form = flask.request.form
        name, password, target = form.get("username", "").strip(), form.get("password", ""), form.get("next")
        addr = str(flask.request.remote_addr)
        if not self._form_token_ok(form.get("csrf", "")):
            metrics.LOGINS.labels(result="bad_form").inc()
            return self._form(target, "Formulir kedaluwarsa, coba lagi. / The form expired, please try again.", 400)
        user = self.users.get(name) if name else None
        try:
            wait, known = self.throttle.attempt(user.name if user else None, addr)
        except redis.RedisError as exc:
            return self._unavailable(exc, target)
        if wait:
            metrics.LOGINS.labels(result="rate_limited").inc()
            log.warning("login attempt for %s from %s delayed %d s", name if user else "an unknown user", addr, wait)
            msg = f"Terlalu banyak percobaan; coba lagi dalam {wait} detik. / Too many attempts; try again in {wait} s."
            return self._form(target, msg, 429, {"Retry-After": str(wait)})
        if user is None:
            burn_password_check(password)
        if user is None or not verify_password(user.password_hash, password):
            metrics.LOGINS.labels(result="bad_credentials").inc()
            log.warning("login failed for %s from %s", name if user else "an unknown user", addr)
            return self._form(target, "Nama pengguna atau kata sandi salah. / Wrong username or password.", 401)
        try:
            self.throttle.succeeded(user.name, addr, known)
            self.log_in(Principal(user.name, user.role, "password", time.time() + HUMAN_SESSION_S), user)
        except redis.RedisError as exc:
            return self._unavailable(exc, target)
        metrics.LOGINS.labels(result="ok").inc()
        log.info("login: %s (role %s) from %s", user.name, user.role, addr)
        return flask.redirect(safe_next(target, HOME[user.role]))

    def _unavailable(self, exc: Exception, target: str | None) -> flask.typing.ResponseReturnValue:
        metrics.LOGINS.labels(result="unavailable").inc()
        log.error("login refused: Redis, where sessions and login limits live, does not answer (%s)",
                  type(exc).__name__)
        msg = ("Masuk tidak tersedia sementara; coba lagi sebentar lagi. / "
               "Login is unavailable for a moment; please try again shortly.")
        return self._form(target, msg, 503, {"Retry-After": "5"})

    def login_token(self) -> flask.typing.ResponseReturnValue:
        if self.open:
            return flask.redirect("/")
        addr = str(flask.request.remote_addr)
        try:
            # A valid token is checked first and never throttled: bad tokens from the same
            # address (the war room's NAT) cannot keep a kiosk out.
            who = read_display_token(self.secret, flask.request.args.get("t", ""))
            if who is not None and self.sessions.display_revoked(who.name, who.issued_ms):
                log.warning("revoked display token %s (id %s) refused from %s", who.name, who.token_id, addr)
                who = None
            wait = self.throttle.token_attempt(addr) if who is None else 0
            if who is not None:
                self.log_in(who)
        except redis.RedisError as exc:
            metrics.LOGINS.labels(result="unavailable").inc()
            log.error("display login refused: Redis does not answer (%s)", type(exc).__name__)
            return _page("Coba lagi / Try again", "<p>Masuk tidak tersedia sementara. / Login is unavailable "
                         "for a moment.</p>"), 503, {"Retry-After": "5"}
        if wait:
            metrics.LOGINS.labels(result="rate_limited").inc()
            return _page("Terlalu banyak percobaan / Too many attempts", ""), 429, {"Retry-After": str(wait)}
        if who is None:
            metrics.LOGINS.labels(result="bad_token").inc()
            log.warning("display token rejected from %s", addr)
            return _page("Token tidak sah / Invalid token",
                         "<p>Token tampilan ini rusak, kedaluwarsa atau dicabut. / This display token is invalid, "
                         "expired or revoked.</p>"), 401
        metrics.LOGINS.labels(result="ok").inc()
        log.info("display %s (role %s, token id %s) logged in from %s", who.name, who.role, who.token_id, flask.request.remote_addr)
        return flask.redirect(HOME[who.role])

    def logout(self) -> flask.typing.ResponseReturnValue:
        sid = flask.session.get("sid")
        if isinstance(sid, str):
            self.sessions.end(sid)  # every copy of this cookie, on every worker, within CACHE_S
        flask.session.clear()
        return flask.redirect("/" if self.open else "/login")

    # -- the form ------------------------------------------------------------------
    def _form(self, target: str | None, error: str | None, status: int,
              headers: dict[str, str] | None = None) -> flask.typing.ResponseReturnValue:
        nonce = flask.session.get("csrf")
        if not isinstance(nonce, str):
            nonce = flask.session["csrf"] = secrets.token_urlsafe(16)
        token = self.form_signer.dumps(nonce)
        body = LOGIN_FORM.format(
            error=f'<p class="err" role="alert">{escape(error)}</p>' if error else "",
            csrf=escape(token), next=escape(safe_next(target, "")),
        )
        return _page("Masuk / Login", body), status, headers or {}

    def _form_token_ok(self, token: str) -> bool:
        try:
            nonce = self.form_signer.loads(token, max_age=3600)
        except BadSignature:
            return False
        return isinstance(nonce, str) and secrets.compare_digest(nonce, str(flask.session.get("csrf", "")))


def install_auth(server: flask.Flask, settings: Settings, client: Callable[[], Any] | None = None,
                 callback_pages: CallbackPages | None = None) -> Auth:
    """Configure sessions, register the login routes and the access guard on ``server``.

    ``client`` returns the Redis client where sessions, revocations and login limits
    live (shared by every worker and host); without one, nobody can log in.
    ``callback_pages`` places each Dash callback on its page (see ``CallbackPages``).
    """
    auth = Auth(settings, client, callback_pages)
    server.secret_key = auth.secret
    server.session_interface = _SessionInterface()
    server.config.update(
        SESSION_COOKIE_NAME="marvec_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(getattr(settings, "cookie_secure", False)),
        PERMANENT_SESSION_LIFETIME=timedelta(days=400),
    )
    server.extensions["marvec_auth"] = auth
    server.add_url_rule("/login", "marvec_login_form", auth.login_form, methods=["GET"])
    server.add_url_rule("/login", "marvec_login_submit", auth.login_submit, methods=["POST"])
    server.add_url_rule("/login/token", "marvec_login_token", auth.login_token, methods=["GET"])
    server.add_url_rule("/logout", "marvec_logout", auth.logout, methods=["GET", "POST"])
    server.before_request(auth.guard)
    if not auth.open and not len(auth.users):
        log.warning("MARVEC_AUTH=required and no users in MARVEC_USERS_FILE: only display tokens can log in")
    return auth


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with ``Secure`` set whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            flask.has_request_context() and flask.request.is_secure
        )


def _no_redis() -> Any:
    raise redis.ConnectionError("no Redis client given to the dashboard's access control")


def current_principal() -> Principal | None:
    """Who is asking in the current request (for screens: name, role, a logout link)."""
    auth = flask.current_app.extensions.get("marvec_auth")
    return auth.principal() if auth is not None else None


def _request_target() -> str:
    query = flask.request.query_string.decode("latin-1")
    return flask.request.path + (f"?{query}" if query else "")


def _page(title: str, body: str) -> str:
    return PAGE.format(title=escape(title), body=body)


PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} · Marvec</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #0f1720; color: #e6edf3;
       display: flex; min-height: 100vh; align-items: center; justify-content: center; margin: 0; }}
main {{ background: #17212b; padding: 2rem 2.5rem; border-radius: 8px; min-width: 18rem; }}
h1 {{ font-size: 1.3rem; margin-top: 0; }}
label {{ display: block; margin: .8rem 0 .2rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }}
button {{ margin-top: 1.2rem; width: 100%; padding: .6rem; font-size: 1rem; cursor: pointer; }}
.err {{ color: #ff9b9b; }}
a {{ color: #8cc8ff; }}
</style></head>
<body><main><h1>{title}</h1>{body}</main></body></html>
"""

LOGIN_FORM = """{error}
<form method="post" action="/login" autocomplete="on">
<input type="hidden" name="csrf" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<label for="username">Nama pengguna / Username</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Kata sandi / Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Masuk / Login</button>
</form>
"""
