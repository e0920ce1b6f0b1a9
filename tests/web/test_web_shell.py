"""The browser shell's server side: login form, CSRF, language, redirects."""

from __future__ import annotations

import re


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_login_page_speaks_chinese_first(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html and "用户名" in html and 'lang="zh-CN"' in html


def test_english_on_request(client):
    client.set_cookie("vanguard_locale", "en")
    html = client.get("/login").get_data(as_text=True)
    assert "Log in" in html and "Username" in html


def test_inbox_needs_login(client):
    res = client.get("/")
    assert res.status_code == 302 and "/login" in res.headers["Location"]


def test_login_form_needs_csrf_and_logs_in(client):
    res = client.post("/login", data={"username": "m1", "password": "demo"})
    assert res.status_code == 401 and "表单已过期" in res.get_data(as_text=True)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    res = client.post("/login", data={"username": "m1", "password": "bad", "csrf_token": token})
    assert res.status_code == 401 and "用户名或密码错误" in res.get_data(as_text=True)
    res = client.post("/login", data={"username": "m1", "password": "demo", "csrf_token": token})
    assert res.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "待处理" in page and "王伟" in page


def test_login_redirect_stays_on_site(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    res = client.post("/login?next=//evil.example/", data={"username": "m1", "password": "demo",
                                                           "csrf_token": token})
    assert res.headers["Location"] == "/"


def test_language_choice_is_remembered_per_user(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "m1", "password": "demo", "csrf_token": token})
    client.get("/lang/en")
    client.delete_cookie("vanguard_locale")
    assert "My tasks" in client.get("/").get_data(as_text=True)
    assert client.get("/api/me").get_json()["locale"] == "en"
