"""What happens when the server starts: deploy workflows/, seed the demo, start timers."""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from server import db, demo
from server.config import Settings
from server.definitions import deploy_folder

log = logging.getLogger("vanguard")


def on_start(app: Flask, settings: Settings) -> None:
    assert db.engine is not None
    if not inspect(db.engine).has_table("alembic_version"):
        log.warning("the database has no schema yet: run `python -m server upgrade` (make run does)")
        return
    for attempt in (1, 2):
        try:
            with db.transaction() as session:
                if settings.demo and demo.is_empty(session):
                    demo.seed(session)
                    log.info("seeded the demo organisation")
                for definition in deploy_folder(session, settings.workflows_dir):
                    log.info("deployed %s version %s", definition.key, definition.version)
            return
        except IntegrityError:
            # Another worker process started at the same moment and did it first.
            if attempt == 2:
                raise
