"""Redirects, headers, cookies, sizes and strict JSON (issue 14 items 4 and 6)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from server.app import create_app
from server.database import db
from server.hardening import MAX_DEPTH
from server.web.shell import local_target

HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")


def _token(page: Any) -> str:
    return page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


@pytest.mark.parametrize("target", [
    "//evil.example", "/%09/evil.example", "/\t/evil.example", "/\\evil.example", "\\\\evil.example",
    "https:evil.example", "https://evil.example/", "javascript:alert(1)", "/\n/evil.example",
    " //evil.example", "http:/evil.example", "/%5Cevil.example", "////evil.example", "", "tasks/1",
])
def test_next_never_leaves_the_site(app: Flask, target: str) -> None:
    browser = app.test_client()
    page = browser.get("/login")
    res = browser.post("/login", query_string={"next": target},
                       data={"csrf_token": _token(page), "username": "m1", "password": "demo"})
    assert res.status_code == 302
    location = res.headers["Location"]
    assert location in ("/", "http://localhost/"), location


@pytest.mark.parametrize("target", ["/tasks/12", "/board?wall=1", "/start?process=talk_request"])
def test_next_keeps_a_path_of_ours(app: Flask, target: str) -> None:
    assert local_target(target) == target
    browser = app.test_client()
    page = browser.get("/login")
    res = browser.post("/login", query_string={"next": target},
                       data={"csrf_token": _token(page), "username": "m1", "password": "demo"})
    assert res.headers["Location"].endswith(target)


@pytest.mark.parametrize("path", ["/login", "/api/openapi.json", "/api/nowhere", "/static/css/app.css",
                                  "/nowhere", "/api/me"])
def test_every_response_carries_the_security_headers(client, path: str) -> None:
    res = client.get(path)
    for name in HEADERS:
        assert name in res.headers, (path, name)
    assert res.headers["X-Frame-Options"] == "DENY"
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in res.headers["Content-Security-Policy"]
    assert "script-src 'self'" in res.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in res.headers
    if not path.startswith("/static"):
        assert res.headers["Cache-Control"] == "no-store"


def test_pages_and_the_api_carry_them_when_logged_in(as_user) -> None:
    for path in ("/", "/start", "/board", "/api/tasks", "/password"):
        res = as_user("sec1").get(path)
        assert res.headers["X-Frame-Options"] == "DENY", path


@pytest.fixture
def tls_app(app_config: dict[str, Any]) -> Any:
    application = create_app({**app_config, "tls": True})
    yield application
    db.dispose()


def test_behind_tls_the_cookies_are_secure(tls_app: Flask) -> None:
    browser = tls_app.test_client()
    page = browser.get("/login", base_url="https://localhost")
    res = browser.post("/login", base_url="https://localhost",
                       data={"csrf_token": _token(page), "username": "m1", "password": "demo", "remember": "1"})
    cookies = res.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") and "Secure" in c for c in cookies), cookies
    assert any(c.startswith("remember_token=") and "Secure" in c for c in cookies), cookies
    assert res.headers["Strict-Transport-Security"].startswith("max-age=")
    lang = browser.get("/lang/en", base_url="https://localhost").headers.getlist("Set-Cookie")
    assert all("Secure" in c for c in lang if c.startswith("vanguard_locale="))


def test_without_tls_the_cookies_are_not_marked_secure(app: Flask) -> None:
    browser = app.test_client()
    page = browser.get("/login")
    res = browser.post("/login", data={"csrf_token": _token(page), "username": "m1", "password": "demo"})
    assert not any("Secure" in c for c in res.headers.getlist("Set-Cookie"))


# -- sizes and strict JSON -----------------------------------------------------------------------


def test_a_json_body_beyond_the_limit_is_413_json(as_user) -> None:
    big = {"data": {"text": "x" * (3 * 1024 * 1024)}}
    res = as_user("m1").post("/api/process-instances", json={"process_key": "activity_report",
                                                             "org_unit": "demo-branch1", **big})
    assert res.status_code == 413
    assert res.get_json()["error"] == "too_large"


@pytest.fixture
def small_app(app_config: dict[str, Any]) -> Any:
    application = create_app({**app_config, "max_request_bytes": 64 * 1024})
    yield application
    db.dispose()


def test_an_upload_beyond_the_limit_is_413(small_app: Flask) -> None:
    client = small_app.test_client()
    client.post("/api/session", json={"username": "designer", "password": "demo"})
    token = client.get("/api/me").get_json()["csrf_token"]
    res = client.post("/api/process-definitions/validate", data=b"<x>" + b" " * (128 * 1024) + b"</x>",
                      headers={"X-CSRFToken": token, "Content-Type": "application/xml"})
    assert res.status_code == 413 and res.get_json()["error"] == "too_large"
    page = client.post("/login", data={"username": "x" * (128 * 1024)})
    assert page.status_code == 413
    assert "text/html" in page.headers["Content-Type"] and 'id="error-page"' in page.get_data(as_text=True)


@pytest.mark.parametrize(("raw", "named"), [
    ('{"process_key": "activity_report", "org_unit": "demo-branch1", "data": {"n": NaN}}', "NaN"),
    ('{"process_key": "activity_report", "org_unit": "demo-branch1", "data": {"n": Infinity}}', "Infinity"),
    ('{"process_key": "activity_report", "org_unit": "demo-branch1", "data": {"n": -Infinity}}', "-Infinity"),
    ('{"process_key": "activity_report", "org_unit": "demo-branch1", "data": {"n": 1e999}}', "1e999"),
    ('{"process_key": "activity_report", "org_unit": "demo-branch1", "data": {"n": 123456789012345678901}}',
     "data.n: integer out of range"),
    ('{"process_key": "activity_report", "org_unit": "demo-branch1", "data": {"t": "\\ud800"}}',
     "data.t: contains a lone surrogate"),
    ('{"process_key": "activity_report", "org_unit": "demo-branch1", "data": {"\\udfff": 1}}', "lone surrogate"),
    ('{"data": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper"),
    ('{"data": ' + "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2) + "}", "nested deeper"),
])
def test_json_that_is_not_interoperable_is_refused_by_name(as_user, raw: str, named: str) -> None:
    res = as_user("m1").post("/api/process-instances", data=raw, content_type="application/json")
    assert res.status_code == 400, res.get_data(as_text=True)[:300]
    body = res.get_json()
    assert body["error"] == "bad_json" and named in body["message"], body


def test_ordinary_nesting_is_fine(as_user) -> None:
    nested: Any = "leaf"
    for _ in range(MAX_DEPTH - 3):
        nested = {"n": nested}
    res = as_user("m1").post("/api/process-instances/1/comments", json={"body": "ok", "extra": nested})
    assert res.status_code != 400 or res.get_json()["error"] != "bad_json"
