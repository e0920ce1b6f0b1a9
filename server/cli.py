"""Command line: ``python -m server upgrade|repair-candidates|version|seed-demo|assets|serve|scheduler|clock``.

``upgrade``, ``repair-candidates`` and ``version`` live in ``server.ops`` (docs/upgrade.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from server import demo
from server.app import create_app
from server.bootstrap import bootstrap
from server.config import Settings
from server.database import db
from server.errors import DomainError
from server.ops import clock_control
from server.ops import upgrade as ops
from server.web import assets
from server.workflow import scheduler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description="Vanguard workflow server")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="back up (SQLite), migrate to the newest version, repair; refused while served")
    repair = sub.add_parser("repair-candidates", help="give open tasks back who may claim them (issue #21)")
    repair.add_argument("--dry-run", action="store_true", help="report what would be restored, write nothing")
    sub.add_parser("version", help="this release's version and the database's migration revision")
    sub.add_parser("seed-demo", help="seed the demo organisation into an empty database")
    sub.add_parser("assets", help="fingerprint and compress the static files ahead of a start (docs/ui.md)")
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
    settings = Settings.from_env()
    if args.command in ("upgrade", "repair-candidates", "version"):
        return ops.main(args.command, settings.database_url, dry_run=getattr(args, "dry_run", False),
                        err=lambda line: print(line, file=sys.stderr))
    if args.command == "seed-demo":
        create_app({"VANGUARD_STARTUP": False})
        with db.transaction() as session:
            if demo.is_empty(session):
                demo.seed(session)
                print("demo organisation seeded")
            else:
                print("the database is not empty; nothing seeded")
        return 0
    if args.command == "clock":
        return _clock(settings, args.action, args.value)
    if args.command == "assets":
        manifest = assets.build(settings.static_dist)
        print(f"{len(manifest)} static files fingerprinted and compressed in {settings.static_dist}")
        return 0
    if args.command == "scheduler":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        settings.scheduler = "off"
        bootstrap(settings)
        return scheduler.loop(args.interval, once=args.once)
    if args.command == "serve":
        gunicorn = Path(sys.executable).with_name("gunicorn")
        bind = f"{args.host}:{settings.port}"
        print(f"Vanguard serving on http://{bind}/ (log in as admin / demo when VANGUARD_DEMO=1)")
        os.execv(
            str(gunicorn),
            [str(gunicorn), "--workers", "1", "--threads", str(args.threads), "--bind", bind,
             "--access-logfile", "-", "server.wsgi:app"],
        )
    return 1


def _clock(settings: Settings, action: str, value: str | None) -> int:
    """``python -m server clock show|advance P10D|set <moment>|reset``: as the system, audited."""
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
