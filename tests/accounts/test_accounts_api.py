"""Accounts (issue 15 item 5): my password, and an org_admin's reset, lock, unlock and
"log out everywhere" for the people in his care, each refused clearly and audited."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from flask import Flask
from sqlalchemy import select

from server.accounts import passwords
from server.audit import AuditEvent
from server.database import db
from tests.conftest import login
from tests.orgkit import hold

NEW = "red flag over the river"


def _audit(action: str) -> list[dict[str, Any]]:
    with db.transaction() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
        return [{"actor_id": r.actor_id, **r.details} for r in rows]


@pytest.mark.parametrize(("new", "why"), [
    ("short1", "at least 8 characters"),
    ("x" * 129, "at most 128 characters"),
    ("my-m3-password", "must not contain the username"),
    ("password1", "is one of the most common passwords"),
    ("qq123456", "is one of the most common passwords"),
    ("aaaaaaaaaaaa", "is too easy to guess (a sequence, a repetition, a date or a name)"),
    ("demo", "at least 8 characters"),
])
def test_a_new_password_must_meet_the_rules(as_user, new: str, why: str) -> None:
    res = as_user("m3").post("/api/me/password", json={"old": "demo", "new": new})
    assert res.status_code == 422
    body = res.get_json()
    assert {"field": "new", "message": why} in body["details"], body
    assert as_user("m3").get("/api/me").status_code == 200  # nothing changed: the session goes on


def test_the_current_password_must_be_right(as_user) -> None:
    res = as_user("m3").post("/api/me/password", json={"old": "wrong", "new": NEW})
    assert res.status_code == 422
    assert res.get_json()["details"] == [{"field": "old", "message": "wrong password"}]


def test_the_change_is_audited_without_the_password(app: Flask, as_user) -> None:
    assert as_user("m4").post("/api/me/password", json={"old": "demo", "new": NEW}).status_code == 200
    [row] = _audit("account.password_changed")
    assert row["person"] == "m4"
    assert NEW not in str(row)


def test_an_admin_reset_forces_a_new_password_at_next_login(app: Flask, as_user) -> None:
    m1 = login(app, "m1")
    res = as_user("admin").post("/api/people/m1/password-reset", json={"reason": "forgot it, asked by phone"})
    assert res.status_code == 200, res.get_json()
    temporary = res.get_json()["temporary_password"]
    assert res.get_json()["must_change_password"] is True
    assert m1.get("/api/me").status_code == 401  # her sessions ended
    again = app.test_client()
    created = again.post("/api/session", json={"username": "m1", "password": temporary})
    assert created.status_code == 200 and created.get_json()["must_change_password"] is True
    refused = again.get("/api/tasks")
    assert refused.status_code == 403 and refused.get_json()["error"] == "password_change_required"
    assert again.get("/api/me").get_json()["must_change_password"] is True
    assert again.post("/api/me/password", json={"old": temporary, "new": NEW}).status_code == 200
    assert again.get("/api/tasks").status_code == 200
    [row] = _audit("account.password_reset")
    assert row["person"] == "m1" and row["reason"] == "forgot it, asked by phone"
    assert temporary not in str(row)


def test_the_forced_change_is_the_only_page(app: Flask, as_user) -> None:
    temporary = as_user("admin").post("/api/people/m5/password-reset", json={"reason": "r"}).get_json()[
        "temporary_password"]
    browser = app.test_client()
    page = browser.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    res = browser.post("/login?next=/start", data={"csrf_token": token, "username": "m5", "password": temporary})
    assert res.status_code == 302
    inbox = browser.get("/start")
    assert inbox.status_code == 302 and inbox.headers["Location"].endswith("/password")
    page = browser.get("/password")
    assert page.status_code == 200 and "banner notice" in page.get_data(as_text=True)
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    differ = browser.post("/password", data={"csrf_token": token, "old": temporary, "new": NEW, "confirm": "x"})
    assert differ.status_code == 422
    done = browser.post("/password", data={"csrf_token": token, "old": temporary, "new": NEW, "confirm": NEW})
    assert done.status_code == 200
    assert browser.get("/start").status_code == 200


def test_lock_and_unlock(app: Flask, as_user) -> None:
    m2 = login(app, "m2")
    admin = as_user("admin")
    assert admin.post("/api/people/m2/lock", json={"reason": "left the branch"}).get_json() == {
        "username": "m2", "locked": True}
    assert m2.get("/api/me").status_code == 401
    wrong = app.test_client().post("/api/session", json={"username": "m2", "password": "nope"})
    assert wrong.status_code == 401  # a stranger does not learn that the account is locked
    right = app.test_client().post("/api/session", json={"username": "m2", "password": "demo"})
    assert right.status_code == 403 and "locked" in right.get_json()["message"]
    listing = admin.get("/api/people?q=m2").get_json()
    assert [(p["username"], p["locked"]) for p in listing["items"] if p["username"] == "m2"] == [("m2", True)]
    assert admin.post("/api/people/m2/unlock", json={"reason": "came back"}).get_json()["locked"] is False
    assert login(app, "m2").get("/api/me").status_code == 200
    assert [r["reason"] for r in _audit("account.locked")] == ["left the branch"]
    assert [r["reason"] for r in _audit("account.unlocked")] == ["came back"]


def test_log_out_everywhere(app: Flask, as_user) -> None:
    phone, desktop = login(app, "sec2"), login(app, "sec2")
    res = as_user("admin").post("/api/people/sec2/logout-everywhere", json={"reason": "phone lost"})
    assert res.status_code == 200 and res.get_json()["sessions_ended"] is True
    assert phone.get("/api/me").status_code == 401 and desktop.get("/api/me").status_code == 401
    assert login(app, "sec2").get("/api/me").status_code == 200


@pytest.mark.parametrize("action", ["password-reset", "lock", "unlock", "logout-everywhere"])
def test_every_action_needs_a_reason(as_user, action: str) -> None:
    for body in ({}, {"reason": "   "}, {"reason": "x" * 501}):
        res = as_user("admin").post(f"/api/people/m6/{action}", json=body)
        assert res.status_code == 422, (body, res.get_json())
        assert res.get_json()["details"][0]["field"] == "reason"


def test_who_may_act_on_whose_account(app: Flask, as_user) -> None:
    hold("oa1", "demo-branch1", "org_admin")   # the branch's own administrator
    hold("oa1b", "demo-branch1", "org_admin")  # a peer
    hold("admin", "demo-branch1", "member")    # the district's administrator sits in branch 1 too
    oa1 = login(app, "oa1")
    why = {"reason": "test"}
    assert oa1.post("/api/people/m1/lock", json=why).status_code == 200       # in his care
    assert oa1.post("/api/people/m1/unlock", json=why).status_code == 200
    assert oa1.post("/api/people/m11/lock", json=why).status_code == 403      # another branch
    assert oa1.post("/api/people/admin/password-reset", json=why).status_code == 403  # above him
    assert oa1.post("/api/people/oa1b/password-reset", json=why).status_code == 403   # a peer
    assert oa1.post("/api/people/ghost/lock", json=why).status_code == 404
    assert oa1.post("/api/people/oa1/lock", json=why).status_code == 422      # himself
    assert as_user("admin").post("/api/people/oa1b/lock", json=why).status_code == 200  # from above: yes
    assert as_user("admin").post("/api/people/admin/password-reset", json=why).status_code == 422
    for user in ("sec1", "m1", "designer", "leader1"):
        assert as_user(user).post("/api/people/m2/lock", json=why).status_code == 403
        assert as_user(user).get("/api/people").status_code == 403
    listing = oa1.get("/api/people?limit=100").get_json()
    names = {p["username"]: p["manageable"] for p in listing["items"]}
    assert names["m1"] is True and names["admin"] is False and names["oa1b"] is False
    assert "m11" not in names


def test_an_unknown_username_costs_a_password_check(app: Flask) -> None:
    """The same work whether the account exists or not: no timing oracle for usernames."""
    client = app.test_client()
    with mock.patch.object(passwords, "check_password_hash", wraps=passwords.check_password_hash) as check:
        assert client.post("/api/session", json={"username": "nobody", "password": "x"}).status_code == 401
        assert client.post("/api/session", json={"username": "m1", "password": "x"}).status_code == 401
    assert check.call_count == 2


def test_the_temporary_password_meets_the_rules() -> None:
    for _ in range(20):
        value = passwords.temporary()
        assert len(value) == 12 and not passwords.problems(value, username="m1")
