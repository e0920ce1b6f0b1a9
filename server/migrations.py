"""Bringing the database schema to the newest migration (Alembic), for ``python -m server upgrade``
and ``flask upgrade``."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from flask import Flask

from alembic import command
from server.config import ROOT


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "heads")


def register(app: Flask) -> None:
    @app.cli.command("upgrade")
    def _upgrade() -> None:
        """Bring the database schema to the newest migration."""
        upgrade(app.config["VANGUARD"].database_url)
