"""The ``marvec`` command: up, consume, dashboard, simulate, rebuild.

Settings are built here, in the entry point, and passed down. A wrong setting or
an unavailable service ends the command with one line, not a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from marvec.errors import MarvecError, SettingsError
from marvec.logs import setup_logging
from marvec.settings import Settings, load_settings


def _version() -> str:
    """The installed distribution's version (the source tree's when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("marvec")
    except PackageNotFoundError:
        from marvec import __version__

        return __version__


def _add_web_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="address to listen on (default MARVEC_HOST, else 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default MARVEC_PORT, else 8050)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="marvec", description="Marvec war-room dashboard")
    parser.add_argument("--version", action="version", version=f"marvec {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = sub.add_parser("up", help="the whole stack on this machine (embedded broker/Redis if unset)")
    _add_web_args(up)
    up.add_argument("--no-simulate", action="store_true", help="do not run the feed simulator")
    up.add_argument("--rate", type=float, default=None,
                    help="simulator load mode: events per second (default: the city in real time)")
    up.add_argument("--backfill-hours", type=float, default=192.0,
                    help="hours of simulated history produced at start (default 192: eight days, "
                         "so that yesterday and seven days ago have data)")
    up.add_argument("--consumers", type=int, default=1, help="consumer processes (default 1)")
    sub.add_parser("consume", help="the consumers alone, against the configured Kafka and Redis")
    dash = sub.add_parser("dashboard", help="the web app alone")
    _add_web_args(dash)
    dash.add_argument("--workers", type=int, default=2, help="web worker processes (default 2)")
    sim = sub.add_parser("simulate", help="realistic synthetic Makassar events into Kafka")
    from streams.sources.sim.simulate import add_simulate_arguments

    add_simulate_arguments(sim)
    from streams.sources.cli import add_source_arguments

    add_source_arguments(sub.add_parser("source", help="poll a real source (bmkg, cap, open311, prices)"))
    sub.add_parser("rebuild", help="rebuild Redis aggregates from the feeds' retained history")
    from marvec.briefing import add_brief_arguments

    add_brief_arguments(sub.add_parser("brief", help="make the mayor's briefing now (PDF, PNG; listed at /briefings)"))
    doc = sub.add_parser("doctor", help="check every setting and dependency; non-zero exit on a failure")
    doc.add_argument("--for", dest="scope", default="all", choices=("all", "consume", "dashboard", "rebuild"),
                     help="only what this command needs (default: all)")
    doc.add_argument("--running", action="store_true",
                     help="also ask the command's own endpoint on this host (healthchecks)")
    tok = sub.add_parser("token", help="display tokens for walls and kiosks: issue one (--name), list, revoke",
                         description="marvec token --name NAME [--role R] [--days D] prints a new token; "
                                     "marvec token list; marvec token revoke NAME")
    tok.add_argument("--name", help="which display, e.g. wall-1 (issues a new token for it)")
    tok.add_argument("--role", default="wall", choices=("wall", "mayor", "crisis", "admin"))
    tok.add_argument("--days", type=int, default=365, help="validity in days (default 365)")
    tok_sub = tok.add_subparsers(dest="token_command", metavar="ACTION")
    tok_sub.add_parser("list", help="every issued, unexpired token: name, role, created, expires, revoked")
    revoke = tok_sub.add_parser("revoke", help="end every token of a display at once, on every worker and host")
    revoke.add_argument("display", metavar="NAME")
    from marvec.apikeys import add_apikey_arguments

    add_apikey_arguments(sub.add_parser("apikey", help="API keys of the intake API (add, revoke, list)"))
    from streams.sources.importer import add_import_arguments

    add_import_arguments(sub.add_parser("import", help="produce a JSON-lines or CSV file of feed events"))
    user = sub.add_parser("user", help="manage dashboard users (MARVEC_USERS_FILE)")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_sub.add_parser("add", help="add or replace a user (password hashed)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("wall", "mayor", "crisis", "admin"))
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input instead of prompting")
    return parser


def _token_redis(settings: Settings) -> Any:
    """The dashboard's Redis, where display tokens are recorded and revoked."""
    import redis

    if not settings.redis_url:
        raise SettingsError("MARVEC_REDIS_URL", "not set; display tokens are recorded in the dashboard's "
                                                "Redis so that marvec token list / revoke can end them")
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3.0, socket_timeout=5.0)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise SettingsError("MARVEC_REDIS_URL", f"{settings.redis_url} does not answer: {exc}") from None
    return client


def _token(args: argparse.Namespace, settings: Settings) -> None:
    from dashboard.auth import issue_display_token, require_secret
    from dashboard.sessions import list_display_tokens, revoke_display
    from marvec.keys import Keys
    from marvec.timeutil import iso

    if args.token_command is None and not args.name:
        raise SettingsError("--name", "required to issue a token (or: marvec token list, "
                                      "marvec token revoke NAME)")
    if args.token_command is None:
        require_secret(settings)
    client = _token_redis(settings)
    if args.token_command == "list":
        rows = [("NAME", "ROLE", "CREATED", "EXPIRES", "REVOKED")]
        rows += [(r.name, r.role, iso(round(r.created)), iso(round(r.expires)),
                  iso(round(r.revoked)) if r.revoked is not None else "-")
                 for r in list_display_tokens(client, Keys())]
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        for row in rows:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        return
    if args.token_command == "revoke":
        ended = revoke_display(client, Keys(), args.display)
        print(f"revoked {args.display!r}: {ended} recorded token(s) ended; every token of that name issued "
              "until now is refused on its next request", file=sys.stderr)
        return
    try:
        token = issue_display_token(client, settings, args.name, role=args.role, days=args.days)
    except ValueError as exc:
        raise SettingsError("marvec token", str(exc)) from None
    print(token)
    print(f"kiosk start URL: http(s)://<dashboard>/login/token?t={token}", file=sys.stderr)


def _user_add(args: argparse.Namespace, settings: Settings) -> None:
    import getpass

    from dashboard.auth import save_user

    if settings.users_file is None:
        raise SettingsError("MARVEC_USERS_FILE", "not set; name the JSON file that holds the users")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise SettingsError("password", "the two entries differ")
    if len(password) < 10:
        raise SettingsError("password", "use at least 10 characters")
    try:
        save_user(settings.users_file, args.name, password, args.role)
    except ValueError as exc:
        raise SettingsError("MARVEC_USERS_FILE", str(exc)) from None
    print(f"user {args.name!r} ({args.role}) saved in {settings.users_file}", file=sys.stderr)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if hasattr(args, "host"):  # up and dashboard: an option wins over MARVEC_HOST / MARVEC_PORT
        args.host = args.host if args.host is not None else settings.host
        args.port = args.port if args.port is not None else settings.port
    if args.command == "consume":
        from streams.run import consume

        consume(settings)
    elif args.command == "simulate":
        from streams.sources.sim.simulate import run_simulate

        sim_log = logging.getLogger("marvec.simulate")
        run_simulate(settings, rate=args.rate, duration=args.duration, seed=args.seed,
                     invalid_ratio=args.invalid_ratio, backfill_hours=args.backfill_hours,
                     log=lambda line: sim_log.info(line.removeprefix("simulate: ")))
    elif args.command == "dashboard":
        from dashboard.wsgi import serve

        serve(settings, args.host, args.port, workers=args.workers)
    elif args.command == "up":
        from marvec.up import up

        return up(settings, args)
    elif args.command == "rebuild":
        from streams.rebuild import rebuild

        rebuild(settings)
    elif args.command == "brief":
        from dashboard.briefings import run_brief

        return run_brief(args, settings)
    elif args.command == "source":
        from streams.sources.cli import run_source

        run_source(args, settings)
    elif args.command == "token":
        _token(args, settings)
    elif args.command == "user":
        _user_add(args, settings)
    elif args.command == "apikey":
        from marvec.apikeys import run_apikey

        run_apikey(args, settings)
    elif args.command == "import":
        from streams.sources.importer import run_import

        return run_import(args, settings)
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from marvec.doctor import doctor

    try:
        settings = load_settings()
    except SettingsError as exc:
        return doctor(None, settings_error=exc)
    setup_logging(settings.log_format, "ERROR", tz=settings.log_tz)  # the report is the output
    return doctor(settings, args.scope, args.running)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``marvec`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "doctor":
        return _doctor(args)
    try:
        settings = load_settings()
        setup_logging(settings.log_format, settings.log_level, tz=settings.log_tz,
                      access=settings.access_log)
        return _run(args, settings)
    except MarvecError as exc:
        print(f"marvec {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
