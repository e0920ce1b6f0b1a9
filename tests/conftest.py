"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``; every app test runs on
SQLite and on PostgreSQL.

PostgreSQL: one database per xdist worker, migrated once, emptied between tests.
SQLite: one migrated file per worker, copied for every test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from server import clock
from server.app import create_app
from server.database import db
from server.ops.schema import migrate as upgrade

os.environ.setdefault("VANGUARD_SECRET_KEY", "test-secret")
PG_BASE = os.environ.get("VANGUARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _db_name() -> str:
    """Unique per run and worker, so that parallel test runs on one machine never collide."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"p{os.getpid()}"
    return f"vanguard_test_{run[:10]}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}".lower()


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_BASE, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "vanguard.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    if not _pg_available():
        if IN_CI:
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432 and CI=true")
        pytest.skip("PostgreSQL not available")
    name = _db_name()
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_BASE.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))]
        if tables:
            # The audit trail refuses TRUNCATE (migration 0009); a test database is emptied with
            # triggers off, as a replica would be, which only a superuser may do.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "vanguard.db"
        shutil.copy(template, target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("pg_url")
    _empty_pg(url)
    return url


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "database_url": database_url,
        "instance_dir": tmp_path / "instance",
        "secret_key": "test-secret",
        "demo": True,
        "scheduler": "off",
        "shipped_schedules": False,  # tests that want them turn them on (tests/campaign/test_seed_selection.py)
        "rate_limit_storage": "memory://",
        "TESTING": True,
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(app_config)
    yield application
    db.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


class FakeClock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture
def fake_clock() -> Iterator[FakeClock]:
    from datetime import UTC

    fc = FakeClock(datetime(2026, 9, 28, 2, 0, tzinfo=UTC))
    clock.set_source(fc)
    yield fc
    clock.set_source(None)


def login(app: Flask, username: str, password: str = "demo") -> FlaskClient:
    c = app.test_client()
    res = c.post("/api/session", json={"username": username, "password": password})
    assert res.status_code == 200, res.get_json()
    return c


@pytest.fixture
def as_user(app: Flask) -> Any:
    """``as_user('sec1')`` returns a logged-in test client for that demo user."""
    cache: dict[str, FlaskClient] = {}

    def get(username: str) -> FlaskClient:
        if username not in cache:
            cache[username] = login(app, username)
        return cache[username]

    return get
