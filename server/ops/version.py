"""Which release this checkout is, and which migrations a database has."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from server.config import ROOT
from server.ops.schema import alembic_config


def release() -> str:
    """The version in this checkout's ``pyproject.toml`` (the installed metadata may be older)."""
    pyproject = ROOT / "pyproject.toml"
    if pyproject.exists():
        with pyproject.open("rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    return metadata.version("vanguard")


def head_revisions() -> set[str]:
    """The newest migration of every branch of ``alembic/versions`` (there are several heads)."""
    return set(ScriptDirectory.from_config(alembic_config("")).get_heads())


@cache
def release_heads() -> frozenset[str]:
    """``head_revisions`` read once per process (``GET /readyz`` asks often; the files do not change)."""
    return frozenset(head_revisions())


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (absolute), or None for another database or an in-memory one."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database).resolve()


def database_revisions(url: str) -> set[str] | None:
    """The revisions in the database's ``alembic_version``; None when it has no schema yet."""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return None  # connecting would create the file
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            stored = {str(r) for r in connection.execute(text("SELECT version_num FROM alembic_version")).scalars()}
    finally:
        engine.dispose()
    return with_dependencies(stored)


def with_dependencies(stored: set[str]) -> set[str]:
    """The stored revisions and the heads they depend on.

    A migration that ``depends_on`` another branch's head (0010 on 0003: it adds columns to
    ``campaign_branch``) makes Alembic drop that head from ``alembic_version`` once both are
    applied, although it is applied; counted back here, a database is "at the heads" when it is.
    """
    if not stored:
        return stored
    script = ScriptDirectory.from_config(alembic_config(""))
    try:
        applied = {r.revision for r in script.iterate_revisions(tuple(sorted(stored)), "base")}
    except Exception:  # noqa: BLE001 - a revision unknown to this checkout: show what is stored
        return stored
    return stored | (applied & set(script.get_heads()))


def describe(revisions: set[str] | None) -> str:
    return " ".join(sorted(revisions)) if revisions else "none (no schema yet)"


def shown(url: str) -> str:
    """The URL without its password."""
    return make_url(url).render_as_string(hide_password=True)
