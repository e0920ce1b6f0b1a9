"""What happens when the server starts: deploy workflows/, seed the demo, start timers."""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import inspect

from server import db, demo
from server.config import Settings
from server.definitions import deploy_folder

log = logging.getLogger("vanguard")


def on_start(app: Flask, settings: Settings) -> None:
    assert db.engine is not None
    if not inspect(db.engine).has_table("alembic_version"):
        log.warning("the database has no schema yet: run `python -m server upgrade` (make run does)")
        return
    with db.transaction() as session:
        if settings.demo and demo.is_empty(session):
            demo.seed(session)
            log.info("seeded the demo organisation")
        for definition in deploy_folder(session, settings.workflows_dir):
            log.info("deployed %s version %s", definition.key, definition.version)
