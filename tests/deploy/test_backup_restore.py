"""``python -m server backup`` / ``restore`` (issue 22.4): a database with running instances, backed up while
served, restored into a fresh database, where the work is then finished."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import tarfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from server.app import create_app
from server.cli import main
from server.config import Settings
from server.database import db
from server.ops import archive
from server.ops.serving import lock_path
from server.ops.version import database_revisions, head_revisions, sqlite_file
from tests.conftest import PG_BASE, login
from tests.inbox.test_inbox_api import REPORT, mine, start_report


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind, without a schema."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'vanguard.db'}"
        return
    name = database_url.rsplit("/", 1)[1] + "_restored"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_BASE.rsplit("/", 1)[0] + f"/{name}"
    db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _running_work(as_user: Any) -> dict[str, int]:
    """m1's report waits for the secretary's review; m2's report is not written yet."""
    first = start_report(as_user, "m1")
    m1 = as_user("m1")
    task = mine(m1)["items"][0]
    assert m1.post(f"/api/tasks/{task['id']}/complete", json={"data": REPORT}).status_code == 200
    second = start_report(as_user, "m2")
    return {"reviewed": first["id"], "written": second["id"]}


def test_backup_while_serving_restore_into_a_fresh_database_and_finish_the_work(
        app, app_config, as_user, database_url, fresh_url, tmp_path):
    running = _running_work(as_user)
    settings: Settings = app.config["VANGUARD"]
    (settings.uploads / "2026").mkdir(parents=True)
    (settings.uploads / "2026" / "活动照片.jpg").write_bytes(b"\xff\xd8 a photo")
    path = tmp_path / "backups" / "vanguard.tar.gz"

    database = sqlite_file(database_url)
    writer = None
    if database is not None:  # a writer is in the middle of a transaction while the copy is taken
        writer = sqlite3.connect(database, timeout=30)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO org_unit (code, name, type, path, created_at) "
                       "VALUES ('uncommitted', 'x', 'branch', '/x/', '2026-01-01 00:00:00')")
    try:
        archive.backup(settings, path, out=lambda _line: None)
    finally:
        if writer is not None:
            writer.rollback()
            writer.close()
    with tarfile.open(path) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "uploads/2026/活动照片.jpg"} <= names
    assert ("database.sqlite" if database is not None else "database.dump") in names
    # Work after the backup is not in it.
    start_report(as_user, "m3")
    db.dispose()

    restored = replace(settings, database_url=fresh_url, uploads_dir=tmp_path / "restored-uploads")
    lines: list[str] = []
    archive.restore(restored, path, out=lines.append)
    assert database_revisions(fresh_url) == head_revisions()
    assert (tmp_path / "restored-uploads" / "2026" / "活动照片.jpg").read_bytes() == b"\xff\xd8 a photo"
    assert "1 uploaded file(s)" in lines[0]

    again = create_app({**app_config, "database_url": fresh_url, "demo": False})
    sec1, m1, m2, m3 = (login(again, name) for name in ("sec1", "m1", "m2", "m3"))
    assert mine(m3)["total"] == 0  # started after the backup
    review = sec1.get("/api/tasks?scope=claimable").get_json()["items"]
    assert [t["element_id"] for t in review] == ["ReviewReport"]
    assert sec1.post(f"/api/tasks/{review[0]['id']}/claim", json={}).status_code == 200
    done = sec1.post(f"/api/tasks/{review[0]['id']}/complete", json={"data": {"decision": "approve"}})
    assert done.status_code == 200 and done.get_json()["instance"]["state"] == "completed"
    write = mine(m2)["items"]
    assert [t["element_id"] for t in write] == ["WriteReport"]
    assert m2.post(f"/api/tasks/{write[0]['id']}/complete", json={"data": REPORT}).status_code == 200
    inst = m1.get(f"/api/process-instances/{running['reviewed']}").get_json()
    assert inst["state"] == "completed"
    assert m2.get(f"/api/process-instances/{running['written']}").get_json()["stage"] != "report"
    with db.session() as session:
        assert session.execute(text("SELECT count(*) FROM org_unit WHERE code = 'uncommitted'")).scalar() == 0


def test_restore_refuses_a_database_in_use_and_the_other_kind(app, database_url, tmp_path, monkeypatch, capsys):
    settings: Settings = app.config["VANGUARD"]
    path = tmp_path / "b.tar.gz"
    monkeypatch.setenv("VANGUARD_DATABASE_URL", database_url)
    monkeypatch.setenv("VANGUARD_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.delenv("VANGUARD_UPLOADS_DIR", raising=False)
    assert main(["backup", str(path)]) == 0
    assert "written to" in capsys.readouterr().out
    assert main(["restore", str(path)]) == 2
    assert "has a schema already" in capsys.readouterr().err
    other = "postgresql+psycopg://nobody@127.0.0.1/none" if database_url.startswith("sqlite") else \
        f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(archive.BackupError, match="backup; the configured database"):
        archive.restore(replace(settings, database_url=other), path)
    (tmp_path / "not-a-backup.tar.gz").write_bytes(b"")
    with tarfile.open(tmp_path / "not-a-backup.tar.gz", "w:gz"):
        pass
    with pytest.raises(archive.BackupError, match="no manifest.json"):
        archive.restore(settings, tmp_path / "not-a-backup.tar.gz")
    empty = replace(settings, database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(archive.BackupError, match="has no schema"):
        archive.backup(empty, tmp_path / "nothing.tar.gz")


def test_replace_overwrites_a_database_but_not_an_sqlite_file_a_server_holds(app, as_user, database_url, tmp_path):
    settings: Settings = app.config["VANGUARD"]
    path = tmp_path / "b.tar.gz"
    archive.backup(settings, path, out=lambda _line: None)
    start_report(as_user, "m1")  # after the backup
    database = sqlite_file(database_url)
    if database is not None:
        served = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(served, fcntl.LOCK_SH)  # what a serving process holds (server.ops.serving)
        try:
            with pytest.raises(archive.BackupError, match="is being served"):
                archive.restore(settings, path, replace=True, out=lambda _line: None)
        finally:
            os.close(served)
    db.dispose()
    archive.restore(settings, path, replace=True, out=lambda _line: None)
    again = create_app({"database_url": database_url, "instance_dir": settings.instance_dir, "secret_key": "t",
                        "demo": False, "scheduler": "off", "rate_limit_storage": "memory://", "TESTING": True})
    assert mine(login(again, "m1"))["total"] == 0  # the report started after the backup is gone
