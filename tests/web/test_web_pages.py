"""The everyday pages render in Chinese for those who may open them, and refuse the others."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path, text", [
    ("/start", "发起流程"), ("/board", "公示栏"), ("/dashboard", "阶段进度看板"), ("/calendar", "工作日历"),
    ("/instances/1", "评论"),
])
def test_pages_render_for_the_admin(as_user, path, text):
    res = as_user("admin").get(path)
    assert res.status_code == 200, path
    page = res.get_data(as_text=True)
    assert text in page
    for link in ("/start", "/board", "/dashboard", "/calendar"):
        assert f'href="{link}"' in page


def test_manager_pages_refuse_members(as_user):
    m1 = as_user("m1")
    assert m1.get("/dashboard").status_code == 403
    assert m1.get("/calendar").status_code == 403
    page = m1.get("/").get_data(as_text=True)
    assert 'href="/board"' in page and 'href="/dashboard"' not in page and 'href="/calendar"' not in page
    assert as_user("sec1").get("/dashboard").status_code == 200
    assert as_user("sec1").get("/calendar").status_code == 403


def test_pages_need_a_login(client):
    for path in ("/start", "/board", "/dashboard", "/calendar", "/instances/1"):
        assert client.get(path).status_code in (302, 401), path
