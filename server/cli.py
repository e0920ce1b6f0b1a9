"""Command line: ``python -m server upgrade|repair-candidates|version|seed-demo|serve`` (``flask upgrade`` too).

``upgrade``, ``repair-candidates`` and ``version`` live in ``server.ops`` (docs/upgrade.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from flask import Flask

from server.config import ROOT, Settings


def alembic_config(url: str) -> object:
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    from alembic import command

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "heads")  # type: ignore[arg-type]


def register(app: Flask) -> None:
    @app.cli.command("upgrade")
    def _upgrade() -> None:
        """Back up (SQLite), bring the database schema to the newest migration and repair."""
        from server.ops.upgrade import main as ops_main

        raise SystemExit(ops_main("upgrade", app.config["VANGUARD"].database_url))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description="Vanguard workflow server")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="back up (SQLite), migrate to the newest version, repair; refused while served")
    repair = sub.add_parser("repair-candidates", help="give open tasks back who may claim them (issue #21)")
    repair.add_argument("--dry-run", action="store_true", help="report what would be restored, write nothing")
    sub.add_parser("version", help="this release's version and the database's migration revision")
    sub.add_parser("seed-demo", help="seed the demo organisation into an empty database")
    serve = sub.add_parser("serve", help="serve the app (embedded mode: one process)")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--threads", type=int, default=int(os.environ.get("VANGUARD_THREADS", "8")))
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command in ("upgrade", "repair-candidates", "version"):
        from server.ops.upgrade import main as ops_main

        return ops_main(args.command, settings.database_url, dry_run=getattr(args, "dry_run", False),
                        err=lambda line: print(line, file=sys.stderr))
    if args.command == "seed-demo":
        from server import create_app, db, demo

        create_app({"VANGUARD_STARTUP": False})
        with db.transaction() as session:
            if demo.is_empty(session):
                demo.seed(session)
                print("demo organisation seeded")
            else:
                print("the database is not empty; nothing seeded")
        return 0
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
