"""Overdue reminders: notification records through the API, and e-mail to a local SMTP server."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from server.database import db
from server.notifications.models import Notification
from server.org.models import Person
from tests.timers_support import audit_count, run_due, start


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.port = controller.port  # type: ignore[attr-defined]
    yield inbox
    controller.stop()


@pytest.fixture
def app_config(app_config, request):
    """With ``smtp`` requested, the app sends reminders to it."""
    if "smtp" in request.fixturenames:
        inbox = request.getfixturevalue("smtp")
        return {**app_config, "smtp_host": "127.0.0.1", "smtp_port": inbox.port, "mail_from": "dangjian@example.org"}
    if "dead_smtp" in request.fixturenames:
        return {**app_config, "smtp_host": "127.0.0.1", "smtp_port": request.getfixturevalue("dead_smtp")}
    return app_config


@pytest.fixture
def dead_smtp() -> int:
    return _free_port()  # nothing listens there


def set_email(username: str, email: str) -> None:
    with db.transaction() as session:
        session.scalar(select(Person).where(Person.username == username)).email = email


def overdue_report(as_user, fake_clock) -> None:
    start(as_user("m1"), "activity_report")
    fake_clock.advance(days=30)


def test_overdue_reminder_is_mailed_once(as_user, fake_clock, smtp):
    set_email("m1", "m1@example.org")
    overdue_report(as_user, fake_clock)
    result = run_due()
    assert result.fired == 1 and result.mails == 1
    [(sender, to, raw)] = smtp.messages
    assert sender == "dangjian@example.org" and to == ["m1@example.org"]
    message = message_from_bytes(raw)
    assert str(make_header(decode_header(message["Subject"]))) == "任务已逾期：填写活动报告"
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    assert "填写活动报告" in body and "/tasks/" in body
    listed = as_user("m1").get("/api/notifications").get_json()["items"]
    assert listed[0]["email_state"] == "sent"
    assert run_due().mails == 0 and len(smtp.messages) == 1


def test_people_without_an_address_get_the_notification_only(as_user, fake_clock, smtp):
    overdue_report(as_user, fake_clock)
    result = run_due()
    assert result.fired == 1 and result.mails == 0 and smtp.messages == []
    assert as_user("m1").get("/api/notifications").get_json()["items"][0]["email_state"] is None


def test_smtp_down_retries_then_gives_up(as_user, fake_clock, dead_smtp):
    set_email("m1", "m1@example.org")
    overdue_report(as_user, fake_clock)
    assert run_due().mails == 0
    with db.transaction() as session:
        n = session.scalar(select(Notification))
        assert n.email_state == "pending" and n.email_attempts == 1
    for _ in range(6):
        fake_clock.advance(hours=2)
        run_due()
    with db.transaction() as session:
        n = session.scalar(select(Notification))
        assert n.email_state == "failed" and n.email_attempts == 5
    assert audit_count("mail.failed") == 1
    assert audit_count("task.overdue") == 1  # the reminder itself happened once


def test_notifications_api(as_user, fake_clock):
    overdue_report(as_user, fake_clock)
    run_due()
    m1 = as_user("m1")
    body = m1.get("/api/notifications").get_json()
    assert body["total"] == 1 and body["unread"] == 1
    note = body["items"][0]
    assert note["kind"] == "overdue" and note["read"] is False and note["task_id"] is not None
    assert as_user("m2").post(f"/api/notifications/{note['id']}/read", json={}).status_code == 403
    assert m1.post("/api/notifications/9999/read", json={}).status_code == 404
    res = m1.post(f"/api/notifications/{note['id']}/read", json={})
    assert res.status_code == 200 and res.get_json()["read"] is True
    assert m1.get("/api/notifications?unread=true").get_json()["total"] == 0
    assert m1.get("/api/notifications?unread=false").get_json()["total"] == 1
    assert m1.get("/api/notifications?unread=maybe").status_code == 400
    assert m1.post("/api/notifications/read-all", json={}).get_json() == {"marked": 0}


def test_english_speakers_get_english(as_user, fake_clock):
    as_user("m1").patch("/api/me", json={"locale": "en"})
    overdue_report(as_user, fake_clock)
    run_due()
    note = as_user("m1").get("/api/notifications").get_json()["items"][0]
    assert note["title"] == "Overdue: 填写活动报告" and "was due by" in note["body"]
