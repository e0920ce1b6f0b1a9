"""The demo and training clock (issue 16.6): off by default, the root org_admin moves it, everything follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from server import clock
from server.app import create_app
from server.cli import main
from server.database import db
from server.workflow.scheduler import run_pending
from tests.campaign.test_campaign_api import launch, ok, set_now
from tests.campaign.test_stage_closing import MEMBERS, mobilise, pledge


@pytest.fixture
def clock_app(app_config: dict[str, Any]) -> Any:
    application = create_app({**app_config, "clock_control": True})
    yield application
    db.dispose()
    clock.set_offset(None)


def _login(app: Flask, username: str) -> Any:
    client = app.test_client()
    ok(client.post("/api/session", json={"username": username, "password": "demo"}))
    return client


def test_without_the_setting_the_clock_routes_do_not_exist(as_user):
    admin = as_user("admin")
    assert admin.get("/api/admin/clock").status_code == 404
    assert admin.post("/api/admin/clock", json={"advance": "P10D"}).status_code == 404


def test_the_root_admin_moves_the_clock_and_the_pledge_deadline_passes(clock_app, fake_clock):
    admin, sec1 = _login(clock_app, "admin"), _login(clock_app, "sec1")
    state = ok(admin.get("/api/admin/clock"))
    assert state["shifted"] is False and state["now"].startswith("2026-09-28T10:00")
    assert sec1.get("/api/admin/clock").status_code == 403
    assert _login(clock_app, "leader1").post("/api/admin/clock", json={"advance": "P1D"}).status_code == 403
    for bad in ({"advance": "10 days"}, {"advance": "P10D", "set": "2027-01-04T09:00:00+08:00"},
                {"set": "2026-01-01T00:00:00+08:00"}, {"set": "2027-01-04T09:00:00"}, {}):
        assert admin.post("/api/admin/clock", json=bad).status_code == 422, bad

    # As a trainer would: launch, mobilise, everyone but m2 pledges, move time past the pledge date.
    def user(name: str) -> Any:
        return _login(clock_app, name)

    launch(user)
    mobilise(user)
    pledge(user, [m for m in MEMBERS if m != "m2"])
    moved = ok(admin.post("/api/admin/clock", json={"set": "2026-10-17T09:00:00+08:00"}))
    assert moved["now"] == "2026-10-17T09:00:00+08:00" and moved["shifted"] is True
    assert clock.now() == datetime(2026, 10, 17, 1, 0, tzinfo=UTC)
    run_pending()
    absences = ok(sec1.get("/api/org-units/demo-branch1/board"))["absences"]
    assert [(a["member"], a["label"]) for a in absences] == [("m2", "未承诺")]
    ok(admin.post("/api/admin/clock", json={"advance": "P10D"}))
    assert clock.now() == datetime(2026, 10, 27, 1, 0, tzinfo=UTC)
    fake_clock.now += timedelta(hours=1)  # real time goes on under the offset
    assert ok(admin.get("/api/admin/clock"))["now"].startswith("2026-10-27T10:00")
    assert ok(admin.post("/api/admin/clock", json={"reset": True}))["shifted"] is False
    assert clock.now() == fake_clock.now


def test_the_command_moves_the_clock(clock_app, fake_clock, monkeypatch, capsys):
    monkeypatch.setenv("VANGUARD_DATABASE_URL", db.url)
    monkeypatch.setenv("VANGUARD_CLOCK_CONTROL", "1")
    assert main(["clock", "advance", "P10D"]) == 0
    assert "2026-10-08T10:00:00+08:00" in capsys.readouterr().out
    assert main(["clock", "advance", "yesterday"]) == 2
    assert "ISO 8601" in capsys.readouterr().err
    monkeypatch.setenv("VANGUARD_CLOCK_CONTROL", "0")
    assert main(["clock", "show"]) == 2
    set_now(fake_clock, "2026-09-28T10:00:00+08:00")
