"""Command line: ``python -m server upgrade|repair-candidates|version|create-admin|backup|restore|seed-demo|
assets|serve|scheduler|clock``.

``upgrade``, ``repair-candidates`` and ``version`` live in ``server.ops`` (docs/upgrade.md); ``create-admin``,
``backup`` and ``restore`` in ``server.accounts.first_admin`` and ``server.ops.archive`` (docs/deploy.md).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from server import demo
from server.accounts.first_admin import create_first_admin
from server.app import compile_translations, create_app
from server.bootstrap import bootstrap
from server.campaign import recount
from server.config import ConfigError, Settings, forbid_in_production
from server.database import db
from server.errors import DomainError
from server.ops import archive, clock_control, logs
from server.ops import upgrade as ops
from server.web import assets
from server.workflow import scheduler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description="Vanguard workflow server")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="back up (SQLite), migrate to the newest version, repair; refused while served")
    repair = sub.add_parser("repair-candidates", help="give open tasks back who may claim them (issue #21)")
    repair.add_argument("--dry-run", action="store_true", help="report what would be restored, write nothing")
    rollup = sub.add_parser("repair-rollup", help="recount the campaign roll-up's counters from the ledgers and "
                                                  "rewrite those that differ (issue #20)")
    rollup.add_argument("--dry-run", action="store_true", help="only count the branch runs that differ")
    sub.add_parser("version", help="this release's version and the database's migration revision")
    admin = sub.add_parser("create-admin", help="create the top unit and its first org_admin; the password is read "
                                                "from standard input or VANGUARD_ADMIN_PASSWORD")
    admin.add_argument("username")
    admin.add_argument("--unit-code", required=True, help="code of the top unit (created unless it is a top unit)")
    admin.add_argument("--unit-name", required=True, help="its name, e.g. 某某区委")
    admin.add_argument("--unit-type", default="district", help="its type (default: district)")
    admin.add_argument("--display-name", help="the administrator's name as shown (default: the username)")
    save = sub.add_parser("backup", help="write the database and the uploaded files to one archive (while serving)")
    save.add_argument("path", type=Path, help="the archive to write, e.g. vanguard-2027-01-04.tar.gz")
    load = sub.add_parser("restore", help="restore an archive of `backup` into the configured (empty) database")
    load.add_argument("path", type=Path)
    load.add_argument("--replace", action="store_true", help="overwrite a database that has a schema, and the uploads")
    sub.add_parser("seed-demo", help="seed the demo organisation into an empty database")
    sub.add_parser("assets", help="fingerprint and compress the static files and compile the translations ahead "
                                  "of a start (docs/ui.md)")
    serve = sub.add_parser("serve", help="serve the app (embedded mode: one process)")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--threads", type=int, default=int(os.environ.get("VANGUARD_THREADS", "8")))
    loop = sub.add_parser("scheduler", help="fire due timers, due dates and schedules in a loop "
                                            "(with VANGUARD_SCHEDULER=off for the web processes)")
    loop.add_argument("--interval", type=float, default=scheduler.INTERVAL, help="seconds between passes")
    loop.add_argument("--once", action="store_true", help="one pass, then exit")
    moves = sub.add_parser("clock", help="the demo and training clock (VANGUARD_CLOCK_CONTROL=1 only)")
    moves.add_argument("action", choices=["show", "advance", "set", "reset"])
    moves.add_argument("value", nargs="?", help="advance: ISO 8601 duration (P10D); set: 2027-01-04T09:00:00+08:00")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ConfigError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.command in ("upgrade", "repair-candidates", "version"):
        return ops.main(args.command, settings.database_url, dry_run=getattr(args, "dry_run", False),
                        err=lambda line: print(line, file=sys.stderr))
    if args.command == "create-admin":
        return _create_admin(settings, args)
    if args.command in ("backup", "restore"):
        try:
            if args.command == "backup":
                archive.backup(settings, args.path)
            else:
                archive.restore(settings, args.path, replace=args.replace)
        except archive.BackupError as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "seed-demo":
        forbid_in_production(settings, "python -m server seed-demo")
        create_app({"VANGUARD_STARTUP": False})
        with db.transaction() as session:
            if demo.is_empty(session):
                demo.seed(session)
                print("demo organisation seeded")
            else:
                print("the database is not empty; nothing seeded")
        return 0
    if args.command == "repair-rollup":
        create_app({"VANGUARD_STARTUP": False})
        with db.transaction() as session:
            wrong = recount.differences(session) if args.dry_run else recount.repair(session)
        print(f"{len(wrong)} branch runs {'differ from their recount' if args.dry_run else 'recounted'}")
        return 0
    if args.command == "clock":
        return _clock(settings, args.action, args.value)
    if args.command == "assets":
        compile_translations()  # a sandboxed service (deploy/systemd) may not write next to the .po files
        manifest = assets.build(settings.static_dist)
        print(f"{len(manifest)} static files fingerprinted and compressed in {settings.static_dist}; "
              "translations compiled")
        return 0
    if args.command == "scheduler":
        logs.configure()
        settings.scheduler = "off"
        bootstrap(settings)
        return scheduler.loop(args.interval, once=args.once)
    if args.command == "serve":
        gunicorn = Path(sys.executable).with_name("gunicorn")
        bind = f"{args.host}:{settings.port}"
        print(f"Vanguard serving on http://{bind}/"
              + (" (log in as admin / demo)" if settings.demo else ""), flush=True)
        # No gunicorn access log: the app writes one JSON line per request without query strings.
        os.execv(
            str(gunicorn),
            [str(gunicorn), "--workers", "1", "--threads", str(args.threads), "--bind", bind, "server.wsgi:app"],
        )
    return 1


def _read_password() -> str:
    """``VANGUARD_ADMIN_PASSWORD``, else asked twice on a terminal, else one line of standard input."""
    given = os.environ.get("VANGUARD_ADMIN_PASSWORD")
    if given:
        return given
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise DomainError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _create_admin(settings: Settings, args: argparse.Namespace) -> int:
    try:
        password = _read_password()
        bootstrap(settings)
        with db.transaction() as session:
            person = create_first_admin(session, args.username, password, unit_code=args.unit_code,
                                        unit_name=args.unit_name, unit_type=args.unit_type,
                                        display_name=args.display_name)
            username = person.username
    except DomainError as exc:
        print(f"refused: {exc.message}", file=sys.stderr)
        return 2
    print(f"created {username}, org_admin of {args.unit_code} ({args.unit_name}); log in and add the units below")
    return 0


def _clock(settings: Settings, action: str, value: str | None) -> int:
    """``python -m server clock show|advance P10D|set <moment>|reset``: as the system, audited."""
    forbid_in_production(settings, "python -m server clock")
    bootstrap(settings)
    try:
        with db.transaction() as session:
            if action == "show":
                result = clock_control.state(session, None)
            else:
                result = clock_control.move(session, None, advance=value if action == "advance" else None,
                                            set_to=value if action == "set" else None, reset=action == "reset")
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"server time: {result['now']} (real time {result['real']}, offset {result['offset_seconds']:.0f} s)")
    return 0
