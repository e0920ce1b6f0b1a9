"""Logging in and out, who I am, and what needs a login."""

from __future__ import annotations


def test_login_wrong_password_is_401(client):
    res = client.post("/api/session", json={"username": "sec1", "password": "nope"})
    assert res.status_code == 401
    assert res.get_json()["error"] == "unauthorized"


def test_login_missing_fields_names_them(client):
    res = client.post("/api/session", json={"username": "sec1"})
    assert res.status_code == 400
    assert [d["field"] for d in res.get_json()["details"]] == ["password"]


def test_every_api_route_needs_login(client):
    for url in ("/api/me", "/api/tasks", "/api/process-definitions", "/api/process-instances"):
        res = client.get(url)
        assert res.status_code == 401, url
        assert res.get_json()["error"] == "unauthorized"


def test_me_lists_positions_in_chinese(client):
    client.post("/api/session", json={"username": "sec1", "password": "demo"})
    me = client.get("/api/me").get_json()
    assert me["username"] == "sec1"
    assert me["display_name"] == "第一党支部书记"
    roles = {(p["org_unit"]["code"], p["role"]) for p in me["positions"]}
    assert roles == {("demo-branch1", "secretary"), ("demo-branch1", "member")}
    assert me["positions"][0]["org_unit"]["type"] == "branch"


def test_logout_ends_the_session(client):
    client.post("/api/session", json={"username": "m1", "password": "demo"})
    assert client.get("/api/me").status_code == 200
    assert client.delete("/api/session").status_code == 204
    assert client.get("/api/me").status_code == 401


def test_non_json_post_needs_csrf_token(client):
    client.post("/api/session", json={"username": "designer", "password": "demo"})
    res = client.post("/api/process-definitions", data=b"<xml/>", content_type="application/xml")
    assert res.status_code == 400
    assert res.get_json()["error"] == "csrf"


def test_openapi_document_lists_every_route(client, app):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} is not in the OpenAPI document"


def test_demo_organisation(app):
    from sqlalchemy import func, select

    from server.database import db
    from server.org.models import OrgUnit, Person

    with db.transaction() as s:
        assert s.scalar(select(func.count(Person.id))) == 1 + 1 + 2 + 3 + 3 + 30 + 1
        types = dict(s.execute(select(OrgUnit.code, OrgUnit.type)).all())
    assert types["demo-district"] == "district"
    assert types["demo-branch3"] == "branch"
