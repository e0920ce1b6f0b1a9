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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from alembic import command
from inbox import queries
from inbox.queries import TaskFilter
from server import clock
from server.app import create_app
from server.campaign import recount
from server.config import ROOT
from server.database import db, make_engine
from server.ops.integrity import OrphanedRows, orphans
from server.ops.schema import alembic_config
from server.ops.schema import migrate as upgrade
from server.ops.serving import Served, hold_while_serving, not_served
from server.ops.upgrade import upgrade as upgrade_database
from server.ops.version import database_revisions, head_revisions
from server.org.tree import person_by_username
from server.workflow.scheduler import run_pending
from tests.conftest import IN_CI, PG_BASE, FakeClock, _db_name, _pg_available
from tests.upgrade import facts
from tests.upgrade.facts import Facts, OpenTask
from tests.upgrade.finish import Finisher, states
from tests.upgrade.releases import ISSUE_21_WORK, RELEASES, MissingHistory, Release, build, old_upgrade, source_tree

PYTHON = sys.executable


def cli(*args: str, url: str, instance: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Today's ``python -m server ...``, as an administrator runs it."""
    env = {**os.environ, "VANGUARD_DATABASE_URL": url, "VANGUARD_SECRET_KEY": "test-secret"}
    if instance is not None:
        env["VANGUARD_INSTANCE_DIR"] = str(instance)
    return subprocess.run([PYTHON, "-m", "server", *args], cwd=ROOT, env=env, capture_output=True, text=True,
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
    assert database_revisions(url) == head_revisions()


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
    assert "already up to date" in done.stdout and "backup: none needed (nothing to change)" in done.stdout
    assert not list(instance.glob("vanguard.db.backup-*")), "no copy at every start of `make run`"


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


# -- every earlier release, upgraded with its running work ---------------------------------------


@pytest.fixture(scope="session")
def release_tree(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``release_tree(commit)``: that commit's files, extracted once per test session and worker."""
    into = tmp_path_factory.mktemp("releases")

    def get(commit: str) -> Path:
        try:
            return source_tree(commit, into)
        except MissingHistory as exc:
            if IN_CI:
                pytest.fail(f"the upgrade tests need the git history: {exc}")
            pytest.skip(f"no git history here: {exc}")

    return get


@pytest.fixture(scope="session")
def pg_scratch_url() -> Iterator[str]:
    """One PostgreSQL database per test session and worker for the releases to fill, emptied for each
    (creating and dropping a database per test costs a checkpoint each)."""
    if not _pg_available():
        if IN_CI:
            pytest.fail("PostgreSQL is not reachable and CI=true")
        pytest.skip("PostgreSQL not available")
    name = f"{_db_name()}_up"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_BASE.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with nothing in it yet, for an earlier release to create."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'instance' / 'vanguard.db'}"
    url = request.getfixturevalue("pg_scratch_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@contextmanager
def todays_app(url: str, tmp_path: Path, start: datetime | None = None) -> Iterator[FakeClock]:
    """Today's app on the upgraded database (started as a server starts: deploying workflows/),
    with a clock that the test moves forward from now."""
    fake = FakeClock(start or datetime.now(UTC))
    clock.set_source(fake)
    try:
        # The schedules shipped since (issue 19) would start new rounds as the clock moves on; this
        # test finishes the earlier releases' own work (tests/campaign/test_seed_schedule.py covers them).
        create_app({"database_url": url, "instance_dir": tmp_path / "instance", "scheduler": "off",
                    "demo": False, "shipped_schedules": False, "TESTING": True})
        yield fake
    finally:
        db.dispose()
        clock.set_source(None)


def assert_offered_as_before(before: dict[int, OpenTask]) -> None:
    """Today's inbox offers each person exactly the unclaimed tasks she could claim before."""
    people = set().union(*(t.claimable_by for t in before.values()))
    with db.transaction() as session:
        for username in sorted(people):
            person = person_by_username(session, username)
            listed = queries.list_tasks(session, person, TaskFilter(scope="claimable", limit=500))["items"]
            expected = {t.id for t in before.values() if t.assignee is None and username in t.claimable_by}
            assert {item["id"] for item in listed} == expected, username


def assert_nothing_lost(url: str, before: Facts, after: Facts) -> None:
    lost = {table: (n, after.rows.get(table)) for table, n in before.rows.items() if after.rows.get(table, -1) < n}
    assert not lost, f"rows lost (before, after): {lost}"
    engine = create_engine(url)
    with engine.connect() as connection:
        assert orphans(connection) == []
    engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("release", RELEASES, ids=str)
def test_an_upgrade_keeps_the_running_work_of_every_earlier_release(
        release: Release, empty_database: str, release_tree: Callable[[str], Path], tmp_path: Path) -> None:
    url = empty_database
    build(release_tree(release.commit), url, tmp_path / "old-instance", release.work)
    before = facts.read(url)
    assert before.open_tasks and any(t.claimable_by for t in before.open_tasks.values())

    printed: list[str] = []
    upgrade_database(url, out=printed.append)

    after = facts.read(url)
    assert {i: t.seen_as for i, t in after.open_tasks.items()} == {i: t.seen_as for i, t in before.open_tasks.items()}
    assert {i: t.offered_to for i, t in after.open_tasks.items()} == {
        i: t.offered_to for i, t in before.open_tasks.items()}
    assert after.candidates == before.candidates and after.waiting_jobs == before.waiting_jobs
    assert_nothing_lost(url, before, after)
    assert any(line.strip().endswith("0 without candidates") for line in printed), printed

    with todays_app(url, tmp_path) as fake:
        assert_offered_as_before(before.open_tasks)
        with db.transaction() as session:  # issue 20: 0017 backfilled the roll-up's counters exactly
            assert recount.differences(session) == {}
        finisher = Finisher(set(before.waiting_jobs), fake)
        finisher.run()
        assert finisher.fired.keys() >= before.waiting_jobs.keys(), "a pending timer never fired"
        assert {j: finisher.fired[j] for j in before.waiting_jobs} == dict.fromkeys(before.waiting_jobs, 1)
        again = run_pending()
        assert not set(before.waiting_jobs) & {j for j, outcome in again.outcomes if outcome == "fired"}
        running = {i: s for i, s in states().items() if s != "completed"}
        assert not running, f"instances not completed: {running}; completed {finisher.completed}"
        assert set(before.instances) <= set(states())
        with db.transaction() as session:  # and kept them through every step since
            assert recount.differences(session) == {}


# -- the issue's replay: 0.1.1 (9b0758a) on SQLite, upgraded -----------------------------------------


@pytest.fixture(scope="module")
def issue_21_database(tmp_path_factory: pytest.TempPathFactory, release_tree: Callable[[str], Path]) -> Path:
    """The SQLite file of the issue's steps, made by 0.1.1's own code once per module and worker."""
    folder = tmp_path_factory.mktemp("issue21")
    build(release_tree("9b0758a"), f"sqlite:///{folder / 'vanguard.db'}", folder, ISSUE_21_WORK)
    return folder / "vanguard.db"


def _copy_of(database: Path, tmp_path: Path) -> tuple[str, Path]:
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(database, instance / "vanguard.db")
    return f"sqlite:///{instance / 'vanguard.db'}", instance


@pytest.mark.slow
def test_the_issue_replayed_keeps_every_candidate(issue_21_database: Path, tmp_path: Path) -> None:
    url, instance = _copy_of(issue_21_database, tmp_path)
    before = facts.read(url)
    # The issue counted 37 rows in its database; its steps replayed on a fresh demo make 31.
    assert before.candidates == 31

    done = cli("upgrade", url=url, instance=instance)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    backup = Path(next(line for line in lines if "backup:" in line).split("backup: ", 1)[1])
    assert backup.parent == instance and backup.name.startswith("vanguard.db.backup-0002+0003+0004+0005-")
    assert "  schema before: 0002 0003 0004 0005" in lines
    heads = sorted(head_revisions())
    applied = ", ".join(h for h in heads if h > "0005")
    assert any(line.startswith(f"  schema after:  {' '.join(heads)} (applied {applied})") for line in lines), lines
    after = facts.read(url)
    assert after.candidates == 31
    assert {i: (t.seen_as, t.offered_to) for i, t in after.open_tasks.items()} == {
        i: (t.seen_as, t.offered_to) for i, t in before.open_tasks.items()}
    # The backup is the database as it was.
    kept = facts.read(f"sqlite:///{backup}")
    assert kept.candidates == 31 and kept.rows == before.rows
    assert scalar(f"sqlite:///{backup}", "SELECT count(*) FROM alembic_version") == 4


@pytest.mark.slow
def test_repair_gives_back_the_candidates_the_released_0007_deleted(
        issue_21_database: Path, tmp_path: Path, release_tree: Callable[[str], Path]) -> None:
    url, instance = _copy_of(issue_21_database, tmp_path)
    before = facts.read(url)
    old_upgrade(release_tree("63ede00"), url, instance)  # 0.1.3's own upgrade: foreign keys on
    broken = facts.read(url)
    assert broken.candidates == 0 and all(not t.claimable_by for t in broken.open_tasks.values())
    # Migrations newer than 0.1.3's (tables of later releases) first: the repair runs on this
    # release's schema only; they touch no task and no candidate.
    upgrade(url)
    at_head = "+".join(sorted(head_revisions()))

    dry = cli("repair-candidates", "--dry-run", url=url, instance=instance)
    assert dry.returncode == 0, dry.stderr
    assert "would restore 6 candidates of 5 tasks" in dry.stdout and facts.read(url).candidates == 0

    done = cli("upgrade", url=url, instance=instance)
    assert done.returncode == 0, done.stderr
    assert "restored 6 candidates of 5 tasks" in done.stdout
    assert "  backup: " + str(instance / f"vanguard.db.backup-{at_head}-") in done.stdout
    for line in ("talk_request: 1 task, 1 candidate", "vanguard_campaign: 1 task, 2 candidates",
                 "vanguard_campaign_branch: 3 tasks, 3 candidates"):
        assert line in done.stdout

    repaired = facts.read(url)

    def offers(f: Facts) -> dict[int, tuple[str | None, frozenset[str]]]:
        # A task bound to one person is offered to nobody else (since 0.1.2); before that its
        # candidate rows were written but never offered it to anyone, as it is held.
        return {i: (t.assignee, t.claimable_by if t.bound_to is None else frozenset())
                for i, t in f.open_tasks.items()}

    assert offers(repaired) == offers(before)
    assert {i: t.offered_to for i, t in repaired.open_tasks.items() if t.bound_to is None} == {
        i: t.offered_to for i, t in before.open_tasks.items() if t.bound_to is None}
    with todays_app(url, tmp_path):
        assert_offered_as_before(before.open_tasks)
    again = cli("repair-candidates", url=url, instance=instance)
    assert again.returncode == 0 and "5 open tasks offered to a role, 0 without candidates" in again.stdout
