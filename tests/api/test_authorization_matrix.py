"""Every API route × every role × own unit / sibling / parent (issue 14, "tests that keep it so").

The roles act from branch 1 (第一党支部): a member, the contact, a masses representative, the
secretary, a deputy secretary, a committee member and an org_admin of the branch; plus the
process designer and the leader of the unit above (the secretary of 第一党委). Each route is
called on a resource of branch 1 ("own"), of branch 2 ("sibling") and of 第一党委 ("parent").

The expected answers are the table in ``authorization_matrix.txt``: one line per route, one
status per role and scope ("-": the route has no resource of that scope). A change of who
may do what changes the table, and the test says which cells differ: review, then rewrite it
with ``VANGUARD_UPDATE_MATRIX=1``. A route added to the app without a row in ``ROUTES`` fails
the test, and so does a route missing from the table.

Writes are sent with bodies that the service refuses *after* deciding who may call it (an
empty form, a missing reason), so the cells record the authorization, not a side effect.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from server.database import db
from server.org.models import OrgUnit, Person, Position
from server.workflow.models import Incident
from tests.activitykit import gps_jpeg, upload
from tests.conftest import login
from tests.orgkit import hold
from tests.talkkit import answer, local, problem, record, request_talk

TABLE = Path(__file__).with_name("authorization_matrix.txt")
ROLES = {"member": "m1", "contact": "contact1", "masses_rep": "rep1", "secretary": "sec1", "deputy": "dep1",
         "committee": "cm1", "org_admin": "oa1", "designer": "designer", "superior": "leader1"}
SCOPES = ("own", "sibling", "parent")
NOT_A_MATRIX_ROUTE = {
    ("POST", "/api/session"): "logging in: tests/accounts/test_throttle.py, test_sessions.py",
    ("DELETE", "/api/session"): "logging out ends the caller's own sessions: tests/accounts/test_sessions.py",
    ("POST", "/api/me/password"): "one's own password: tests/accounts/test_accounts_api.py",
    ("PATCH", "/api/me"): "one's own language",
    ("GET", "/api/openapi.json"): "public document",
    ("GET", "/api/wall/<token>/board"): "no account, the secret token is the key: tests/campaign/test_board_screens.py",
}

Res = dict[str, Any]
Call = Callable[[Res], tuple[str, Any] | None]


def _p(path: str, body: Any = None) -> Callable[[Res], tuple[str, Any]]:
    """A path (and body) with ``{name}`` filled from the scope's resources; None if one is missing."""
    def build(res: Res) -> tuple[str, Any] | None:
        try:
            return path.format(**res), body
        except KeyError:
            return None
    return build  # type: ignore[return-value]


EMPTY_FORM = {"data": {}}
NO_REASON = {"reason": ""}
A_REASON = {"reason": "矩阵测试"}
ROUTES: dict[tuple[str, str], Call] = {
    ("GET", "/api/me"): _p("/api/me"),
    ("GET", "/api/tasks"): _p("/api/tasks?scope=all&org_unit={unit_id}"),
    ("GET", "/api/tasks/counts"): _p("/api/tasks/counts"),
    ("GET", "/api/tasks/<int:task_id>"): _p("/api/tasks/{task}"),
    ("POST", "/api/tasks/<int:task_id>/claim"): _p("/api/tasks/{task}/claim", {}),
    ("POST", "/api/tasks/<int:task_id>/unclaim"): _p("/api/tasks/{task}/unclaim", {}),
    ("POST", "/api/tasks/<int:task_id>/delegate"): _p("/api/tasks/{task}/delegate", {"to": "nobody"}),
    ("POST", "/api/tasks/<int:task_id>/complete"): _p("/api/tasks/{task}/complete", EMPTY_FORM),
    ("POST", "/api/tasks/<int:task_id>/remind"): _p("/api/tasks/{task}/remind", {}),
    ("POST", "/api/tasks/bulk-complete"): lambda r: ("/api/tasks/bulk-complete",
                                                     {"items": [{"task_id": r["task"], "data": {}}]}),
    ("GET", "/api/org-units/<unit_ref>/people"): _p("/api/org-units/{unit}/people?role=member"),
    ("GET", "/api/process-instances"): _p("/api/process-instances"),
    ("POST", "/api/process-instances"): _p("/api/process-instances", {
        "process_key": "activity_report", "org_unit": "{unit}", "data": {"no such key!": 1}}),
    ("GET", "/api/process-instances/<int:instance_id>"): _p("/api/process-instances/{instance}"),
    ("GET", "/api/incidents"): _p("/api/incidents"),
    # A completion's incident: whoever may retry it is told to complete the task again (409).
    ("POST", "/api/process-instances/<int:instance_id>/incidents/<int:incident_id>/retry"): _p(
        "/api/process-instances/{instance}/incidents/{incident}/retry", {}),
    ("POST", "/api/incidents/<int:incident_id>/retry"): _p("/api/incidents/{incident}/retry", {}),
    ("GET", "/api/process-instances/<int:instance_id>/comments"): _p("/api/process-instances/{instance}/comments"),
    ("POST", "/api/process-instances/<int:instance_id>/comments"): _p("/api/process-instances/{instance}/comments",
                                                                       {"body": "矩阵测试"}),
    ("GET", "/api/process-definitions"): _p("/api/process-definitions"),
    ("POST", "/api/process-definitions"): _p("/api/process-definitions", {}),
    ("POST", "/api/process-definitions/validate"): _p("/api/process-definitions/validate", {}),
    ("GET", "/api/process-definitions/<key>"): _p("/api/process-definitions/activity_report"),
    ("GET", "/api/process-definitions/<key>/diff"): _p("/api/process-definitions/activity_report/diff?from=1&to=1"),
    ("GET", "/api/process-definitions/<key>/versions/<int:version>/bpmn"):
        _p("/api/process-definitions/activity_report/versions/1/bpmn"),
    ("GET", "/api/forms"): _p("/api/forms"),
    ("GET", "/api/monitoring/units"): _p("/api/monitoring/units?process=activity_report&org_unit={unit}"),
    ("GET", "/api/monitoring/processes/<key>/heatmap"):
        _p("/api/monitoring/processes/activity_report/heatmap?org_unit={unit}"),
    ("GET", "/api/monitoring/instances/<int:instance_id>"): _p("/api/monitoring/instances/{instance}"),
    ("GET", "/api/notifications"): _p("/api/notifications"),
    ("POST", "/api/notifications/<int:notification_id>/read"): _p("/api/notifications/{notification}/read", {}),
    ("POST", "/api/notifications/read-all"): _p("/api/notifications/read-all", {}),
    ("GET", "/api/schedules"): _p("/api/schedules"),
    ("POST", "/api/schedules"): _p("/api/schedules", {"process_key": "talk_coverage", "org_unit": "{unit}",
                                                      "unit_type": "branch", "cadence": "quarterly", "title": "t"}),
    ("PATCH", "/api/schedules/<int:schedule_id>"): _p("/api/schedules/{schedule}", {"cadence": ""}),
    ("GET", "/api/calendar"): _p("/api/calendar?year=2026"),
    ("GET", "/api/calendar/add"): _p("/api/calendar/add?start=2026-10-01&working_days=3"),
    ("PUT", "/api/calendar/overrides/<day>"): _p("/api/calendar/overrides/2026-10-09", {"working": True}),
    ("DELETE", "/api/calendar/overrides/<day>"): _p("/api/calendar/overrides/2031-01-01"),
    ("POST", "/api/campaigns"): _p("/api/campaigns", {"org_unit": "{unit}"}),
    ("GET", "/api/campaigns/<int:campaign_id>"): _p("/api/campaigns/{instance}"),
    ("GET", "/api/campaign-launches/<int:launch_id>"): _p("/api/campaign-launches/1"),
    ("GET", "/api/org-units/<unit_ref>/board"): _p("/api/org-units/{unit}/board"),
    ("GET", "/api/org-units/<unit_ref>/campaign-progress"): _p("/api/org-units/{unit}/campaign-progress"),
    ("GET", "/api/org-units/<unit_ref>/campaign-progress.xlsx"): _p("/api/org-units/{unit}/campaign-progress.xlsx"),
    ("GET", "/api/org-units/<unit_ref>/selection-rule"): _p("/api/org-units/{unit}/selection-rule"),
    ("PUT", "/api/org-units/<unit_ref>/selection-rule"): _p("/api/org-units/{unit}/selection-rule",
                                                            {"percent": 0, "small_branch": "evaluate"}),
    ("GET", "/api/org-units/<unit_ref>/member-basis"): _p("/api/org-units/{unit}/member-basis"),
    ("GET", "/api/org-units/<unit_ref>/member-contacts"): _p("/api/org-units/{unit}/member-contacts"),
    ("POST", "/api/org-units/<unit_ref>/member-contacts"): _p("/api/org-units/{unit}/member-contacts",
                                                              {"contact": "", "member": ""}),
    # Who may end an assignment depends on its branch, so an unknown id is 404 for everyone;
    # the 403/204 cells are in tests/talks/test_seed_talkers.py.
    ("DELETE", "/api/member-contacts/<int:contact_id>"): _p("/api/member-contacts/2147483647"),
    ("GET", "/api/org-units/<unit_ref>/talk-plan"): _p("/api/org-units/{unit}/talk-plan?period=2026H2"),
    ("PUT", "/api/org-units/<unit_ref>/talk-plan"): _p("/api/org-units/{unit}/talk-plan",
                                                       {"period": "2026H2", "talk_day": 0, "entries": []}),
    ("POST", "/api/selections"): _p("/api/selections", {"org_unit": "{unit}", "quarter": "bad"}),
    ("GET", "/api/selections/<int:instance_id>"): _p("/api/selections/{selection}"),
    ("POST", "/api/selections/<int:instance_id>/objections"): _p("/api/selections/{selection}/objections",
                                                                  {"candidate": "", "reason": ""}),
    ("GET", "/api/talks"): _p("/api/talks?org_unit={unit}"),
    ("POST", "/api/talks"): _p("/api/talks", {"org_unit": "{unit}", "kind": "nonsense"}),
    ("POST", "/api/talks/requests"): _p("/api/talks/requests", {"org_unit": "{unit}", "requested_with": "nonsense"}),
    ("GET", "/api/talks/<int:talk_id>"): _p("/api/talks/{talk}"),
    ("GET", "/api/talks/<int:talk_id>/record.docx"): _p("/api/talks/{talk}/record.docx"),
    ("POST", "/api/talks/<int:talk_id>/close-out"): _p("/api/talks/{talk}/close-out", {"summary": ""}),
    ("GET", "/api/talks/problems"): _p("/api/talks/problems?org_unit={unit}"),
    ("POST", "/api/talks/problems/<int:problem_id>/follow-ups"): _p("/api/talks/problems/{problem}/follow-ups",
                                                                     {"result": "nonsense"}),
    ("POST", "/api/talks/problems/<int:problem_id>/close"): _p("/api/talks/problems/{problem}/close",
                                                                {"criteria": {}, "note": ""}),
    ("GET", "/api/talks/coverage"): _p("/api/talks/coverage?org_unit={unit}&period=2026H2"),
    ("GET", "/api/talks/ledger.xlsx"): _p("/api/talks/ledger.xlsx?org_unit={unit}"),
    ("GET", "/api/talks/reports"): _p("/api/talks/reports?org_unit={unit}"),
    ("POST", "/api/talks/reports"): _p("/api/talks/reports", {"org_unit": "{unit}", "period": "2026H2"}),
    ("GET", "/api/talks/reports/<int:report_id>"): _p("/api/talks/reports/{report}"),
    ("POST", "/api/talks/daily"): _p("/api/talks/daily", {"org_unit": "{unit}"}),
    ("GET", "/api/talks/vocabulary"): _p("/api/talks/vocabulary"),
    ("GET", "/api/people"): _p("/api/people?q={person}"),
    ("POST", "/api/people/<username>/password-reset"): _p("/api/people/{person}/password-reset", NO_REASON),
    ("POST", "/api/people/<username>/lock"): _p("/api/people/{person}/lock", NO_REASON),
    ("POST", "/api/people/<username>/unlock"): _p("/api/people/{person}/unlock", NO_REASON),
    ("POST", "/api/people/<username>/logout-everywhere"): _p("/api/people/{person}/logout-everywhere", NO_REASON),
    ("GET", "/api/admin/clock"): _p("/api/admin/clock"),
    ("POST", "/api/admin/clock"): _p("/api/admin/clock", {}),
    ("POST", "/api/definitions/<key>/migrate"): _p("/api/definitions/activity_report/migrate", {"dry_run": True}),
    ("GET", "/api/org-units/<unit_ref>/screens"): _p("/api/org-units/{unit}/screens"),
    ("POST", "/api/org-units/<unit_ref>/screens"): _p("/api/org-units/{unit}/screens", {}),
    ("DELETE", "/api/screens/<int:screen_id>"): _p("/api/screens/{screen}"),
    ("GET", "/api/process-instances/<int:instance_id>/participants"):
        _p("/api/process-instances/{instance}/participants"),
    ("POST", "/api/process-instances/<int:instance_id>/withdraw"):
        _p("/api/process-instances/{instance}/withdraw", {"person": "nobody", "reason": "矩阵测试"}),
    ("POST", "/api/process-instances/<int:instance_id>/cancel"):
        _p("/api/process-instances/{instance}/cancel", {"reason": "矩阵测试", "dry_run": True}),
    ("POST", "/api/process-instances/<int:instance_id>/suspend"):
        _p("/api/process-instances/{spare}/suspend", A_REASON),
    ("POST", "/api/process-instances/<int:instance_id>/resume"):
        _p("/api/process-instances/{spare}/resume", A_REASON),
    ("POST", "/api/process-instances/<int:instance_id>/close-stage"):
        _p("/api/process-instances/{instance}/close-stage", {"stage": "nonsense", "reason": "矩阵测试"}),
    ("GET", "/api/tasks/<int:task_id>/eligible"): _p("/api/tasks/{task}/eligible"),
    ("POST", "/api/tasks/<int:task_id>/reassign"): _p("/api/tasks/{task}/reassign", {"to": "nobody", **A_REASON}),
    ("GET", "/api/talks/overview"): _p("/api/talks/overview"),
    ("GET", "/api/org-units"): _p("/api/org-units"),
    ("POST", "/api/org-units"): _p("/api/org-units", {"code": "bad code!", "name": "x", "type": "branch",
                                                      "parent": "{unit}"}),
    ("PATCH", "/api/org-units/<unit_ref>"): _p("/api/org-units/{unit}", {"code": "bad code!"}),
    ("POST", "/api/org-units/<unit_ref>/dissolve"): _p("/api/org-units/{unit}/dissolve", NO_REASON),
    ("POST", "/api/org-units/<unit_ref>/merge"): _p("/api/org-units/{unit}/merge", {"into": "{unit}", "reason": ""}),
    ("POST", "/api/org-units/<unit_ref>/appointments"): _p("/api/org-units/{unit}/appointments",
                                                           {"person": "m1", "reason": ""}),
    ("GET", "/api/org-units/<unit_ref>/holders"): _p("/api/org-units/{unit}/holders?role=secretary&on=2026-10-01"),
    ("POST", "/api/people"): _p("/api/people", {"username": "bad name!", "display_name": "x", "org_unit": "{unit}"}),
    ("GET", "/api/people/<username>"): _p("/api/people/{person}"),
    ("PATCH", "/api/people/<username>"): _p("/api/people/{person}", {"display_name": " "}),
    ("POST", "/api/positions"): _p("/api/positions", {"person": "{person}", "org_unit": "{unit}", "role": "king"}),
    ("PATCH", "/api/positions/<int:position_id>"): _p("/api/positions/{position}", {"end": "2026-12-31",
                                                                                    "reason": ""}),
    ("POST", "/api/people/<username>/transfer"): _p("/api/people/{person}/transfer", {"to_unit": "{unit}",
                                                                                       "reason": ""}),
    ("POST", "/api/people/<username>/deactivate"): _p("/api/people/{person}/deactivate", NO_REASON),
    ("GET", "/api/people/template.xlsx"): _p("/api/people/template.xlsx"),
    ("GET", "/api/people/export.xlsx"): _p("/api/people/export.xlsx"),
    ("POST", "/api/people/import"): _p("/api/people/import", {}),
    ("POST", "/api/attachments"): _p("/api/attachments", {}),
    ("GET", "/api/tasks/<int:task_id>/member-years"): _p("/api/tasks/{task}/member-years"),
    ("GET", "/api/attachments/<key>"): _p("/api/attachments/{attachment}"),
    ("GET", "/api/attachments/<key>/thumbnail"): _p("/api/attachments/{attachment}/thumbnail"),
    ("GET", "/api/activities/programmes"): _p("/api/activities/programmes?org_unit={unit}"),
    ("POST", "/api/activities/programmes"): _p("/api/activities/programmes", {"org_unit": "{unit}", "code": ""}),
    ("PATCH", "/api/activities/programmes/<int:programme_id>"): _p("/api/activities/programmes/{programme}",
                                                                    {"quota": -1}),
    ("GET", "/api/activities/records"): _p("/api/activities/records?org_unit={unit}"),
    ("POST", "/api/activities/records"): _p("/api/activities/records", {
        "org_unit": "{unit}", "member": "{activity_member}", "activity": "", "activity_date": "2026-10-10",
        "hours": 1}),
    ("GET", "/api/activities/records/<int:record_id>"): _p("/api/activities/records/{record}"),
    ("POST", "/api/activities/records/<int:record_id>/review"): _p("/api/activities/records/{record}/review",
                                                                    {"decision": "nonsense"}),
    ("POST", "/api/activities/records/<int:record_id>/resubmit"): _p("/api/activities/records/{record}/resubmit",
                                                                      {"hours": -1}),
    ("GET", "/api/activities/quota"): _p("/api/activities/quota?org_unit={unit}&period=2026-Q4"),
    ("GET", "/api/activities/ledger.xlsx"): _p("/api/activities/ledger.xlsx?org_unit={unit}&period=2026-10"),
    ("GET", "/api/activities/themed"): _p("/api/activities/themed?org_unit={unit}"),
    ("POST", "/api/activities/themed"): _p("/api/activities/themed", {"org_unit": "{unit}", "name": ""}),
    ("GET", "/api/activities/themed/<int:campaign_id>/board"): _p("/api/activities/themed/{themed}/board"),
    ("POST", "/api/activities/themed/<int:campaign_id>/reports"): _p(
        "/api/activities/themed/{themed_parent}/reports", {"org_unit": "{unit}", "seq": 99, "text": ""}),
    ("GET", "/api/activities/themed/reports/<int:report_id>"): _p("/api/activities/themed/reports/{themed_report}"),
    ("POST", "/api/activities/themed/reports/<int:report_id>/review"): _p(
        "/api/activities/themed/reports/{themed_report}/review", {"decision": "nonsense"}),
}


def _routes(app: Flask) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            found.extend((method, rule.rule) for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
    return sorted(found, key=lambda r: (r[1], r[0]))


def _resources(app: Flask, fake_clock: Any) -> dict[str, Res]:
    """One of everything in branch 1, branch 2 and 第一党委."""
    hold("dep1", "demo-branch1", "deputy_secretary")
    hold("cm1", "demo-branch1", "committee_member")
    hold("oa1", "demo-branch1", "org_admin")
    hold("leader1", "demo-pc1", "member")
    clients = {name: login(app, name) for name in ("m1", "m11", "leader1", "sec1", "sec2", "contact1", "contact2",
                                                   "admin")}
    units = {"own": "demo-branch1", "sibling": "demo-branch2", "parent": "demo-pc1"}
    starters = {"own": "m1", "sibling": "m11", "parent": "leader1"}
    res: dict[str, Res] = {}
    for scope, unit in units.items():
        started = clients[starters[scope]].post("/api/process-instances",
                                                json={"process_key": "activity_report", "org_unit": unit})
        assert started.status_code == 201, started.get_json()
        body = started.get_json()
        unit_id = body["org_unit"]["id"]
        res[scope] = {"unit": unit, "unit_id": unit_id, "instance": body["id"], "task": body["open_tasks"][0]["id"],
                      "person": {"own": "m2", "sibling": "m12", "parent": "leader2"}[scope]}
        # Resumed (409 when allowed: it runs) and then suspended, apart from the instance the other rows use.
        spare = clients[starters[scope]].post("/api/process-instances",
                                              json={"process_key": "activity_report", "org_unit": unit})
        assert spare.status_code == 201, spare.get_json()
        res[scope]["spare"] = spare.get_json()["id"]
        with db.transaction() as session:
            incident = Incident(instance_id=body["id"], element_id="WriteReport", error_class="NameError",
                                message="name 'x' is not defined", cause="task", task_id=res[scope]["task"],
                                occurrences=1, state="open")
            session.add(incident)
            session.flush()
            res[scope]["incident"] = incident.id
    for scope, member, secretary, contact in (("own", "m1", "sec1", "contact1"), ("sibling", "m11", "sec2",
                                                                                 "contact2")):
        fake_clock.now = local(2026, 10, 9, 10)
        talk = request_talk(clients[member])
        answer(clients[contact], talk["id"], talker=secretary, when="2026-10-12T15:00:00+08:00")
        fake_clock.now = local(2026, 10, 13, 10)
        recorded = record(clients[secretary], talk["id"], "2026-10-12",
                          problems=[problem("问题", member, "2026-12-30")])
        assert recorded
        shown = clients[secretary].get(f"/api/talks/{talk['id']}").get_json()
        res[scope].update(talk=talk["id"], problem=shown["problems"][0]["id"])
        selection = clients[secretary].post("/api/selections", json={"org_unit": res[scope]["unit"]})
        assert selection.status_code == 201, selection.get_json()
        res[scope]["selection"] = selection.get_json()["instance"]["id"]
        report = clients[secretary].post("/api/talks/reports", json={"org_unit": res[scope]["unit"],
                                                                      "period": "2026H2"})
        assert report.status_code in (200, 201), report.get_json()
        res[scope]["report"] = report.get_json()["id"]
    schedule = clients["admin"].post("/api/schedules", json={
        "process_key": "talk_coverage", "org_unit": "demo-district", "unit_type": "branch", "cadence": "quarterly",
        "title": "季度提醒"})
    for scope, creator in (("own", "sec1"), ("sibling", "sec2"), ("parent", "admin")):
        screen = clients[creator].post(f"/api/org-units/{units[scope]}/screens", json={"label": "党员活动室"})
        assert screen.status_code == 201, screen.get_json()
        res[scope]["screen"] = screen.get_json()["id"]
    for scope, (username, unit) in {"own": ("m2", "demo-branch1"), "sibling": ("m12", "demo-branch2"),
                                    "parent": ("leader1", "demo-pc1")}.items():
        with db.transaction() as s:
            res[scope]["position"] = s.scalar(
                select(Position.id).join(Person, Person.id == Position.person_id)
                .join(OrgUnit, OrgUnit.id == Position.org_unit_id)
                .where(Person.username == username, OrgUnit.code == unit))
    for scope in SCOPES:
        res[scope]["schedule"] = schedule.get_json()["id"] if schedule.status_code == 201 else 0
        res[scope]["notification"] = 1
    _activity_resources(clients, res)
    return res


def _activity_resources(clients: dict[str, Any], res: dict[str, Res]) -> None:
    """Per scope: a programme of the unit, a record with a photo, a themed campaign; reports to 第一党委's."""
    owners = {"own": ("m1", "sec1"), "sibling": ("m11", "sec2"), "parent": ("leader1", "leader1")}
    pc1_campaign = clients["leader1"].post("/api/activities/themed", json=THEMED | {"org_unit": "demo-pc1"})
    assert pc1_campaign.status_code == 201, pc1_campaign.get_json()
    for scope, (member, secretary) in owners.items():
        unit = res[scope]["unit"]
        programme = clients[secretary].post("/api/activities/programmes", json={
            "org_unit": unit, "code": "matrix", "name": "矩阵测试", "kind": "other", "cadence": "month", "quota": 1})
        assert programme.status_code == 201, programme.get_json()
        photo = upload(clients[member], gps_jpeg((40, 30)), "m.jpg").get_json()
        rec = clients[member].post("/api/activities/records", json={
            "org_unit": unit, "programme": programme.get_json()["id"], "activity": "矩阵测试活动",
            "activity_date": "2026-10-10", "hours": 1, "attachments": [photo["id"]]})
        assert rec.status_code == 201, rec.get_json()
        themed = pc1_campaign if scope == "parent" else clients[secretary].post(
            "/api/activities/themed", json=THEMED | {"org_unit": unit})
        assert themed.status_code == 201, themed.get_json()
        res[scope].update(programme=programme.get_json()["id"], record=rec.get_json()["id"], attachment=photo["id"],
                          activity_member={"own": "m2", "sibling": "m12", "parent": "leader1"}[scope],
                          themed=themed.get_json()["id"], themed_parent=pc1_campaign.get_json()["id"])
        if scope != "parent":
            report = clients[secretary].post(f"/api/activities/themed/{pc1_campaign.get_json()['id']}/reports",
                                             json={"org_unit": unit, "seq": 0, "text": "活动方案"})
            assert report.status_code == 201, report.get_json()
            res[scope]["themed_report"] = report.get_json()["id"]


THEMED = {"name": "文明泉州 党员先行", "starts_on": "2026-07-01", "ends_on": "2026-12-31",
          "lines": [{"code": "civility", "name": "文明养成我先行"}],
          "reporting": [{"kind": "plan", "due_on": "2026-07-15"}, {"kind": "final", "due_on": "2026-12-31"}]}


def _line(method: str, rule: str, cells: dict[str, dict[str, str]]) -> str:
    parts = [f"{role}={'/'.join(cells[role][s] for s in SCOPES)}" for role in ROLES]
    return f"{method:6} {rule:64} " + " ".join(parts)


def test_every_route_every_role_every_scope(app: Flask, fake_clock: Any) -> None:
    routes = _routes(app)
    missing = [r for r in routes if r not in ROUTES and r not in NOT_A_MATRIX_ROUTE]
    assert not missing, f"routes without a row in the authorization matrix: {missing}"
    stale = [r for r in ROUTES if r not in routes]
    assert not stale, f"rows for routes that no longer exist: {stale}"

    res = _resources(app, fake_clock)
    actors = {role: login(app, username) for role, username in ROLES.items()}
    lines = []
    for method, rule in routes:
        if (method, rule) in NOT_A_MATRIX_ROUTE:
            continue
        cells: dict[str, dict[str, str]] = {}
        for role, client in actors.items():
            cells[role] = {}
            for scope in SCOPES:
                built = ROUTES[(method, rule)](res[scope])
                if built is None:
                    cells[role][scope] = "-"
                    continue
                path, body = built
                if isinstance(body, dict):
                    body = {k: (v.format(**res[scope]) if isinstance(v, str) else v) for k, v in body.items()}
                answer_ = client.open(path, method=method, json=body)
                assert answer_.status_code < 500, (method, path, role, answer_.get_data(as_text=True)[:300])
                assert answer_.status_code != 401, (method, path, role)
                cells[role][scope] = str(answer_.status_code)
        lines.append(_line(method, rule, cells))
    actual = "\n".join(lines) + "\n"
    if os.environ.get("VANGUARD_UPDATE_MATRIX") == "1":
        TABLE.write_text(HEADER + actual)
    expected = [line for line in TABLE.read_text().splitlines() if line and not line.startswith("#")]
    differences = [(want, got) for want, got in zip(expected, lines, strict=False) if want != got]
    assert len(expected) == len(lines), "the table and the app list different routes: rewrite the table"
    assert not differences, "authorization changed:\n" + "\n".join(f"- {w}\n+ {g}" for w, g in differences)


HEADER = """\
# Authorization matrix (tests/api/test_authorization_matrix.py): status per role for own/sibling/parent.
# Roles act from 第一党支部; own = 第一党支部, sibling = 第二党支部, parent = 第一党委; "-" = no such resource.
# 200/201/204: allowed and done; 400/409/422: allowed, the (deliberately empty) request refused after
# the authorization; 403/404: not allowed (404 where even the existence of the thing is not told).
"""


OPEN_WITHOUT_LOGIN = {
    ("GET", "/login"): "the login form",
    ("POST", "/login"): "logging in",
    ("GET", "/lang/<code>"): "choosing the language before logging in (a cookie)",
    ("GET", "/wall/<token>"): "a wall screen: the secret token in the link is the credential (issue 17.10)",
    ("GET", "/static/<path:filename>"): "static files",
    ("GET", "/healthz"): "the process answers: nothing about any person or unit",
    ("GET", "/readyz"): "database, migrations and scheduler up or not: nothing about any person or unit",
    ("GET", "/metrics"): "counts and latencies per route template; nginx answers it to the machine only",
}
"""Routes outside /api that answer someone who is not logged in (issue 22.5); each reviewed."""
_SAMPLE = {"<int:task_id>": "1", "<int:instance_id>": "1", "<int:talk_id>": "1", "<int:report_id>": "1",
           "<code>": "en", "<key>": "activity_report", "<unit_ref>": "demo-branch1", "<token>": "x" * 40,
           "<path:filename>": "app.css"}


def test_outside_the_api_only_the_reviewed_routes_answer_without_login(app: Flask) -> None:
    client = app.test_client()
    answered = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            continue
        path = rule.rule
        for placeholder, value in _SAMPLE.items():
            path = path.replace(placeholder, value)
        assert "<" not in path, f"no sample value for {rule.rule}: add one to _SAMPLE"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            res = client.open(path, method=method)
            to_login = res.status_code == 302 and "/login" in res.headers.get("Location", "")
            if not to_login and res.status_code not in (401, 403, 404):
                answered.append((method, rule.rule))
    unreviewed = [r for r in answered if r not in OPEN_WITHOUT_LOGIN]
    assert not unreviewed, f"routes answering without login that nobody reviewed: {unreviewed}"
    assert ("GET", "/healthz") in answered and ("GET", "/metrics") in answered
