"""Sessions end for real (issue 14 item 3): logout, a password change and an administrator's
"log out everywhere" refuse every cookie of the person issued before, remember-me included."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import login

SESSION = "session"
REMEMBER = "remember_token"


def _replay(app: Flask, source: FlaskClient, *names: str) -> FlaskClient:
    """A new browser holding copies of ``source``'s cookies (an attacker's copy)."""
    thief = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        thief.set_cookie(name, cookie.value)
    return thief


def _web_login(app: Flask, username: str, *, remember: bool = False) -> FlaskClient:
    browser = app.test_client()
    page = browser.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": token, "username": username, "password": "demo"}
    if remember:
        form["remember"] = "1"
    assert browser.post("/login", data=form).status_code == 302
    return browser


def test_a_session_cookie_copied_before_logout_is_refused_after_it(app: Flask) -> None:
    m1 = login(app, "m1")
    copy = _replay(app, m1, SESSION)
    assert copy.get("/api/me").status_code == 200
    assert m1.delete("/api/session").status_code == 204
    replayed = copy.get("/api/me")
    assert replayed.status_code == 401
    assert replayed.get_json()["error"] == "unauthorized"


def test_logout_ends_the_sessions_on_every_device(app: Flask) -> None:
    phone, desktop = login(app, "m1"), login(app, "m1")
    assert desktop.delete("/api/session").status_code == 204
    assert phone.get("/api/me").status_code == 401
    assert login(app, "m1").get("/api/me").status_code == 200  # logging in again works


def test_the_remember_me_cookie_dies_with_the_sessions(app: Flask) -> None:
    browser = _web_login(app, "m1", remember=True)
    remembered = _replay(app, browser, REMEMBER)
    assert remembered.get("/api/me").status_code == 200  # the cookie alone logs in
    assert remembered.get("/").status_code == 200
    login(app, "m1").delete("/api/session")  # logging out anywhere
    assert _replay(app, browser, REMEMBER).get("/api/me").status_code == 401
    page = _replay(app, browser, REMEMBER).get("/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_web_logout_refuses_the_copied_cookie_on_pages(app: Flask) -> None:
    browser = _web_login(app, "sec1")
    copy = _replay(app, browser, SESSION)
    page = browser.get("/")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    response = copy.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert copy.get("/api/tasks").status_code == 401


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app: Flask) -> None:
    here, elsewhere = login(app, "m2"), login(app, "m2")
    remembered = _web_login(app, "m2", remember=True)
    res = here.post("/api/me/password", json={"old": "demo", "new": "red flag over the river"})
    assert res.status_code == 200, res.get_json()
    assert here.get("/api/me").status_code == 200
    assert elsewhere.get("/api/me").status_code == 401
    assert _replay(app, remembered, REMEMBER).get("/api/me").status_code == 401
    assert app.test_client().post("/api/session", json={"username": "m2", "password": "demo"}).status_code == 401
    assert login(app, "m2", "red flag over the river").get("/api/me").status_code == 200


def test_a_cookie_from_before_the_upgrade_is_refused(app: Flask) -> None:
    """Before migration 0009 a cookie held the bare person id: it no longer opens a session."""
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = "5"
        session["_fresh"] = True
    assert browser.get("/api/me").status_code == 401
