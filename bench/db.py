"""Fresh databases for the benchmark: an SQLite file or a PostgreSQL database of its own.

PostgreSQL is found at ``VANGUARD_BENCH_POSTGRES_URL``, else
``VANGUARD_TEST_POSTGRES_URL`` (written by ``make services``), else
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``; each scenario gets a
database ``vanguard_bench_<name>`` that is dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

PG_BASE = (
    os.environ.get("VANGUARD_BENCH_POSTGRES_URL")
    or os.environ.get("VANGUARD_TEST_POSTGRES_URL")
    or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pg_available() -> bool:
    try:
        engine = create_engine(PG_BASE, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


def _pg_name(name: str) -> str:
    return f"vanguard_bench_{name}".lower().replace("-", "_")


def fresh_database(backend: str, name: str, workdir: Path) -> str:
    """An empty database (no schema yet); returns its SQLAlchemy URL."""
    if backend == "sqlite":
        path = workdir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend}")
    db_name = _pg_name(name)
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    return PG_BASE.rsplit("/", 1)[0] + f"/{db_name}"


def drop_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    db_name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    admin.dispose()


def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})
        return engine
    return create_engine(url)


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def bulk_insert(engine: Engine, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                chunk: int = 20_000, trusted: bool = False) -> int:
    """Insert many rows fast: COPY on PostgreSQL, executemany in one transaction on SQLite.

    Values must already be in the database's form (JSON as text, datetimes as
    the backend stores them). ``trusted``: the rows are known to satisfy the
    foreign keys, so PostgreSQL skips checking them row by row
    (``session_replication_role = replica``, which needs a superuser; ignored
    when not allowed).
    """
    count = 0
    if backend_of(str(engine.url)) == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            if trusted:
                try:
                    cur.execute("SET session_replication_role = replica")
                except Exception:  # noqa: BLE001 - not a superuser: check the keys then
                    raw.rollback()
            with cur.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            raw.commit()
            if trusted:
                cur.execute("RESET session_replication_role")
                raw.commit()
        finally:
            raw.close()
        return count
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" for _ in columns)})'
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk:
                cur.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
            count += len(batch)
        raw.commit()
    finally:
        raw.close()
    return count


def reset_sequences(engine: Engine, tables: Iterable[str]) -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past them."""
    if backend_of(str(engine.url)) != "postgresql":
        return
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f"COALESCE((SELECT max(id) FROM \"{table}\"), 0) + 1, false)"
            ))


def analyze(engine: Engine) -> None:
    with engine.connect() as conn:
        if backend_of(str(engine.url)) == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()


def stamp(backend: str, value: Any) -> Any:
    """A timezone-aware datetime as ``UTCDateTime`` stores it on this backend."""
    from datetime import UTC

    if value is None:
        return None
    if backend == "sqlite":
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def flag(backend: str, value: bool) -> Any:
    return int(value) if backend == "sqlite" else value
