"""``python -m server create-admin`` (issue 22.1): the first org_admin and the top unit of an empty database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from server.app import create_app
from server.audit import AuditEvent
from server.cli import main
from server.database import db
from server.org.models import OrgUnit, Person, Position

PASSWORD = "Vanguard-first-admin-42"


@pytest.fixture
def empty_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> pytest.MonkeyPatch:
    monkeypatch.setenv("VANGUARD_ENV", "production")
    monkeypatch.setenv("VANGUARD_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("VANGUARD_DATABASE_URL", database_url)
    monkeypatch.setenv("VANGUARD_INSTANCE_DIR", str(tmp_path / "instance"))
    for name in ("VANGUARD_DEMO", "VANGUARD_CLOCK_CONTROL", "VANGUARD_ADMIN_PASSWORD", "VANGUARD_PROXY_HOPS"):
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    db.dispose()


def _create(monkeypatch: pytest.MonkeyPatch, stdin: str, *extra: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["create-admin", "zuzhibu", "--unit-code", "qw", "--unit-name", "某某区委",
                 "--display-name", "区委组织部管理员", *extra])


def test_create_admin_refuses_weak_passwords_then_creates_the_top_unit_and_its_admin(empty_env, capsys):
    for weak, why in (("short", "at least 8 characters"), ("zuzhibu2027", "must not contain the username"),
                      ("qwertyuiop", "common"), ("aaaaaaaaaa", "too easy to guess")):
        assert _create(empty_env, weak + "\n") == 2, weak
        assert why in capsys.readouterr().err
    with db.session() as session:
        assert session.scalar(select(Person.id)) is None and session.scalar(select(OrgUnit.id)) is None

    assert _create(empty_env, PASSWORD + "\n") == 0
    assert "created zuzhibu, org_admin of qw" in capsys.readouterr().out
    with db.session() as session:
        unit = session.scalars(select(OrgUnit)).one()
        assert (unit.code, unit.name, unit.type, unit.parent_id, unit.path) == ("qw", "某某区委", "district", None,
                                                                                f"/{unit.id}/")
        position = session.scalars(select(Position)).one()
        assert (position.person.username, position.role, position.org_unit_id) == ("zuzhibu", "org_admin", unit.id)
        assert position.person.display_name == "区委组织部管理员"
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.first_admin_created")).one()
        assert audit.actor_id is None and audit.details["person"] == "zuzhibu" and audit.details["unit_created"]

    # The same again: refused, nothing changes; the password is not even looked at.
    empty_env.setenv("VANGUARD_ADMIN_PASSWORD", "x")
    assert _create(empty_env, "") == 2
    assert "the user 'zuzhibu' exists already" in capsys.readouterr().err


def test_the_admin_from_the_environment_logs_in_and_sees_the_unit(empty_env, app_config, capsys):
    empty_env.setenv("VANGUARD_ADMIN_PASSWORD", PASSWORD)
    assert _create(empty_env, "") == 0
    # A second administrator of the same top unit (the first one left): the unit is reused.
    empty_env.setenv("VANGUARD_ADMIN_PASSWORD", "Another-strong-passphrase-9")
    assert main(["create-admin", "deputy", "--unit-code", "qw", "--unit-name", "某某区委"]) == 0
    app = create_app({**app_config, "demo": False, "env": "development"})
    client = app.test_client()
    res = client.post("/api/session", json={"username": "zuzhibu", "password": PASSWORD})
    assert res.status_code == 200, res.get_json()
    me = client.get("/api/me").get_json()
    assert [(p["role"], p["org_unit"]["code"]) for p in me["positions"]] == [("org_admin", "qw")]
    with db.session() as session:
        assert len(session.scalars(select(OrgUnit)).all()) == 1


def test_a_unit_code_below_the_top_is_refused(as_user, monkeypatch, database_url, capsys):
    monkeypatch.setenv("VANGUARD_DATABASE_URL", database_url)
    monkeypatch.setenv("VANGUARD_ADMIN_PASSWORD", PASSWORD)
    assert main(["create-admin", "newadmin", "--unit-code", "demo-branch1", "--unit-name", "x"]) == 2
    assert "exists below the top" in capsys.readouterr().err
