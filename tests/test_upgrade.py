"""Upgrades lose no data (issue #21): migrations, ``python -m server upgrade``, the repair.

The release tests build a database with each earlier release's own code (``tests/upgrade/``),
upgrade it with today's and check that every open task is claimable by the same people, no
row was dropped or orphaned, every pending timer fires once and every instance completes.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from alembic import command
from server.cli import alembic_config, upgrade
from server.config import ROOT
from server.database import make_engine
from server.ops.integrity import OrphanedRows
from server.ops.serving import Served, hold_while_serving, not_served
from server.ops.version import head_revisions

PYTHON = sys.executable


def cli(*args: str, url: str, cwd: Path = ROOT, instance: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m server ...`` of the tree at ``cwd`` (today's by default), as an administrator runs it."""
    env = {**os.environ, "VANGUARD_DATABASE_URL": url, "VANGUARD_SECRET_KEY": "test-secret",
           "PYTHONPATH": str(cwd)}
    if instance is not None:
        env["VANGUARD_INSTANCE_DIR"] = str(instance)
    return subprocess.run([PYTHON, "-m", "server", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def scalar(url: str, sql: str) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()
    finally:
        engine.dispose()


# -- the class of the bug: a migration run may not orphan rows -----------------------------------


BAD_MIGRATION = '''"""a migration that deletes rows other rows refer to"""
from alembic import op

revision = "0099"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM org_unit WHERE code = 'demo-branch3'")


def downgrade() -> None:
    pass
'''


def _with_migration(tmp_path: Path, url: str, name: str, source: str) -> object:
    """An Alembic configuration for a copy of ``alembic/`` with one more migration."""
    scripts = tmp_path / "alembic"
    shutil.copytree(ROOT / "alembic", scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / name).write_text(source)
    cfg = alembic_config(url)
    cfg.set_main_option("script_location", str(scripts))  # type: ignore[attr-defined]
    return cfg


def test_a_migration_that_would_orphan_rows_is_rolled_back_and_named(tmp_path: Path) -> None:
    from server import demo

    url = f"sqlite:///{tmp_path / 'vanguard.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        demo.seed(session)
    engine.dispose()
    cfg = _with_migration(tmp_path, url, "0099_bad.py", BAD_MIGRATION)

    with pytest.raises(OrphanedRows) as failure:
        command.upgrade(cfg, "heads")  # type: ignore[arg-type]

    message = str(failure.value)
    assert "position → org_unit: 14 rows" in message and "rolled back" in message
    assert scalar(url, "SELECT count(*) FROM org_unit WHERE code = 'demo-branch3'") == 1
    assert scalar(url, "SELECT count(*) FROM alembic_version WHERE version_num = '0099'") == 0
    assert scalar(url, "SELECT count(*) FROM alembic_version") == len(head_revisions())


PROBE_MIGRATION = '''"""a migration that looks at how it is run"""
from alembic import op

revision = "0098"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    assert bind.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0, "foreign keys are on"
    assert bind.in_transaction()


def downgrade() -> None:
    pass
'''


def test_migrations_on_sqlite_run_with_foreign_keys_off_the_app_keeps_them_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'vanguard.db'}"
    command.upgrade(_with_migration(tmp_path, url, "0098_probe.py", PROBE_MIGRATION), "heads")  # type: ignore[arg-type]
    assert scalar(url, "SELECT count(*) FROM alembic_version WHERE version_num = '0098'") == 1
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


# -- upgrade refuses while a server serves the file ----------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_http(url: str, server: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            with urllib.request.urlopen(url, timeout=2) as res:
                if res.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.mark.slow
def test_upgrade_refuses_while_the_file_is_served(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    url = f"sqlite:///{instance / 'vanguard.db'}"
    assert cli("upgrade", url=url, instance=instance).returncode == 0
    port = _free_port()
    env = {**os.environ, "VANGUARD_DATABASE_URL": url, "VANGUARD_INSTANCE_DIR": str(instance),
           "VANGUARD_SECRET_KEY": "test-secret", "VANGUARD_SCHEDULER": "off", "PORT": str(port)}
    server = subprocess.Popen([PYTHON, "-m", "server", "serve"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for_http(f"http://127.0.0.1:{port}/login", server)
        refused = cli("upgrade", url=url, instance=instance)
        assert refused.returncode == 2, refused
        assert "is being served by process" in refused.stderr and "stop the server first" in refused.stderr
        assert not list(instance.glob("vanguard.db.backup-*")), "refused before anything was done"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    done = cli("upgrade", url=url, instance=instance)
    assert done.returncode == 0, done.stderr
    assert "already up to date" in done.stdout


def test_a_server_cannot_start_while_an_upgrade_runs(tmp_path: Path) -> None:
    database = tmp_path / "vanguard.db"
    with not_served(database), pytest.raises(Served, match="is being upgraded"):
        hold_while_serving(database)


def test_version_names_the_release_and_the_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'vanguard.db'}"
    before = cli("version", url=url)
    assert before.returncode == 0 and "migration revision: none" in before.stdout
    upgrade(url)
    after = cli("version", url=url)
    assert after.stdout.splitlines()[0] == "Vanguard 0.2.0"
    assert f"{' '.join(sorted(head_revisions()))} (up to date)" in after.stdout
