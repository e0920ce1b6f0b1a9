"""The pages' language reaches the server's words: error messages carry ``localized`` (the
message in the user's language from the Babel catalogue, English ``message`` kept for API
clients), and a page that does not exist says so in the user's language."""

from __future__ import annotations

from tests.talkkit import ok, request_talk


def test_errors_are_localized_for_a_chinese_user_and_kept_english_for_the_api(as_user, fake_clock):
    requested = request_talk(as_user("m1"))
    sec2 = as_user("sec2")  # another branch's secretary
    instance = sec2.get(f"/api/process-instances/{requested['instance_id']}").get_json()
    assert instance["message"] == "you hold no position in this instance's organisation"
    assert instance["localized"] == "您在此流程所属的组织中没有职务。"
    m1 = as_user("m1")
    task = ok(m1.get("/api/tasks?scope=started"))["items"][0]
    ok(m1.post(f"/api/tasks/{task['id']}/remind", json={}))
    again = m1.post(f"/api/tasks/{task['id']}/remind", json={}).get_json()
    assert again["localized"] == "已于 2026-09-28 10:00 催办过，2026-09-28 14:00 之后才能再次催办。", again
    m1.patch("/api/me", json={"locale": "en"})
    english = m1.post(f"/api/tasks/{task['id']}/remind", json={}).get_json()
    assert "localized" not in english and english["message"].startswith("a reminder was sent at")


def test_a_missing_page_in_the_users_language(as_user):
    page = as_user("m1").get("/no/such/page")
    assert page.status_code == 404 and "页面不存在" in page.get_data(as_text=True)
    api = as_user("m1").get("/api/no/such/thing")
    assert api.status_code == 404 and api.get_json()["localized"] == "没有这个页面或地址。"
