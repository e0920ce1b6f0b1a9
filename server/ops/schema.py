"""Alembic, as this server drives it: its configuration and a plain upgrade to every head.

``server.ops.upgrade`` wraps this with the backup, the refusal while served and the repair.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from server.config import ROOT


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "heads")
