"""The OpenAPI 3 description of the JSON API, served at ``GET /api/openapi.json``."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from server.api import api_bp

ERROR = {"$ref": "#/components/responses/Error"}


def _op(summary: str, responses: dict[str, Any], *, body: Any = None, params: list[Any] | None = None,
        tag: str = "") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag] if tag else [], "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, "content": body}
    if params:
        op["parameters"] = params
    return op


def _json(schema: Any) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _ok(schema: Any, code: str = "200", desc: str = "OK") -> dict[str, Any]:
    return {code: {"description": desc, "content": _json(schema)}}


def _q(name: str, schema: Any, desc: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": desc}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


REF = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
TASK_ID = [_path("task_id")]
ERRS = {"400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR, "409": ERROR, "422": ERROR}

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Vanguard API",
        "version": "1.0",
        "description": (
            "JSON API of the Vanguard workflow server. Log in with POST /api/session; the session "
            "cookie authenticates later calls. Unsafe requests must send a JSON body "
            "(Content-Type: application/json) or the X-CSRFToken header (token from GET /api/me). "
            "Every error is {error, message, details: [{field|element_id, message}]}."
        ),
    },
    "paths": {
        "/api/session": {
            "post": _op("Log in", {**_ok(REF("SessionCreated")), "401": ERROR, "400": ERROR},
                        body=_json(REF("Credentials")), tag="session"),
            "delete": _op("Log out", {"204": {"description": "logged out"}}, tag="session"),
        },
        "/api/me": {
            "get": _op("Who am I, with my positions", {**_ok(REF("Me")), "401": ERROR}, tag="session"),
            "patch": _op("Change my language", {**_ok({"type": "object"}), "422": ERROR},
                         body=_json({"type": "object", "properties": {"locale": {"enum": ["zh_Hans_CN", "en"]}}}),
                         tag="session"),
        },
        "/api/process-definitions": {
            "get": _op("Latest version of every process", _ok(REF("DefinitionList")), tag="definitions"),
            "post": _op(
                "Deploy a BPMN file (designers): a new version of each process in it",
                {**_ok(REF("Definition"), "201", "deployed"), "400": ERROR, "403": ERROR, "422": ERROR},
                body={
                    "multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "forms": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
                    "application/xml": {"schema": {"type": "string"}},
                },
                tag="definitions",
            ),
        },
        "/api/process-definitions/validate": {
            "post": _op("Validate a BPMN file without deploying it",
                        {**_ok({"type": "object"}), "422": ERROR}, tag="definitions",
                        body={"application/xml": {"schema": {"type": "string"}}}),
        },
        "/api/process-definitions/{key}": {
            "get": _op("A process with all its versions", {**_ok(REF("Definition")), "404": ERROR},
                       params=[{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
                       tag="definitions"),
        },
        "/api/process-definitions/{key}/versions/{version}/bpmn": {
            "get": _op("Download one version as BPMN XML",
                       {"200": {"description": "BPMN", "content": {"application/xml": {}}}, "404": ERROR},
                       params=[{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
                               _path("version")], tag="definitions"),
        },
        "/api/process-definitions/{key}/diff": {
            "get": _op("What changed between two versions, element by element",
                       {**_ok(REF("DefinitionDiff")), "400": ERROR, "404": ERROR},
                       params=[{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
                               _q("from", {"type": "integer"}, "older version (default: the one before 'to')"),
                               _q("to", {"type": "integer"}, "newer version (default: the latest)")],
                       tag="definitions"),
        },
        "/api/forms": {
            "get": _op("Form schemas (JSON Schema) of workflows/forms/", _ok({"type": "object", "properties": {
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "title": {"type": "string", "nullable": True},
                    "schema": {"type": "object"}}}},
                "total": {"type": "integer"}}}), tag="definitions"),
        },
        "/api/monitoring/units": {
            "get": _op("Org units I may monitor (org_admin: the unit and its subtree)",
                       _ok({"type": "object", "properties": {"items": {"type": "array", "items": REF("OrgUnit")},
                                                             "total": {"type": "integer"}}}), tag="monitoring"),
        },
        "/api/monitoring/instances/{instance_id}": {
            "get": _op("One instance on its diagram: completed / active / overdue elements, history (org_admin)",
                       {**_ok(REF("InstanceMonitor")), "403": ERROR, "404": ERROR},
                       params=[_path("instance_id")], tag="monitoring"),
        },
        "/api/monitoring/processes/{key}/heatmap": {
            "get": _op("Open, overdue and completed tasks and mean durations per element of a process version "
                       "over an org subtree (org_admin)",
                       {**_ok(REF("Heatmap")), "400": ERROR, "403": ERROR, "404": ERROR},
                       params=[{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
                               _q("version", {"type": "integer"}, "process version (default: the latest)"),
                               _q("org_unit", {"oneOf": [{"type": "integer"}, {"type": "string"}]},
                                  "top of the subtree, id or code (default: my org_admin unit)")],
                       tag="monitoring"),
        },
        "/api/process-instances": {
            "get": _op("Instances in my units", _ok(REF("InstanceList")),
                       params=[_q("state", {"enum": ["running", "completed"]}, "filter by state"),
                               _q("process", {"type": "string"}, "process key"),
                               _q("limit", {"type": "integer"}, "page size"),
                               _q("offset", {"type": "integer"}, "page start")], tag="instances"),
            "post": _op("Start a process in an org unit",
                        {**_ok(REF("Instance"), "201", "started"), **ERRS},
                        body=_json(REF("StartRequest")), tag="instances"),
        },
        "/api/process-instances/{instance_id}": {
            "get": _op("State, stage, open tasks and history of an instance",
                       {**_ok(REF("Instance")), "403": ERROR, "404": ERROR},
                       params=[_path("instance_id")], tag="instances"),
        },
        "/api/process-instances/{instance_id}/comments": {
            "get": _op("Comments on an instance, oldest first",
                       {**_ok({"type": "object", "properties": {"items": {"type": "array",
                                                                          "items": REF("Comment")}}}),
                        "403": ERROR, "404": ERROR}, params=[_path("instance_id")], tag="instances"),
            "post": _op("Comment on an instance (whoever may see it); audited",
                        {**_ok(REF("Comment"), "201", "added"), **ERRS}, params=[_path("instance_id")],
                        body=_json({"type": "object", "required": ["body"],
                                    "properties": {"body": {"type": "string", "maxLength": 2000}}}),
                        tag="instances"),
        },
        "/api/tasks/bulk-complete": {
            "post": _op(
                "Complete many tasks, each in its own transaction; 200 with every item's result "
                "(partial success possible)",
                {**_ok({"type": "object", "properties": {
                    "succeeded": {"type": "integer"}, "failed": {"type": "integer"},
                    "results": {"type": "array", "items": {"type": "object", "properties": {
                        "task_id": {"type": "integer"}, "ok": {"type": "boolean"}, "status": {"type": "integer"},
                        "error": {"type": "string"}, "message": {"type": "string"},
                        "details": {"type": "array", "items": {"type": "object"}},
                        "task": {"type": "object"}}}}}}), "400": ERROR, "401": ERROR},
                body=_json({"type": "object", "required": ["items"], "properties": {"items": {
                    "type": "array", "maxItems": 200, "items": {"type": "object", "required": ["task_id"],
                                                               "properties": {"task_id": {"type": "integer"},
                                                                              "data": {"type": "object"}}}}}}),
                tag="tasks"),
        },
        "/api/tasks": {
            "get": _op(
                "My inbox",
                {**_ok(REF("TaskList")), "400": ERROR},
                params=[
                    _q("scope", {"enum": ["mine", "claimable", "all"], "default": "mine"},
                       "mine: assigned to me; claimable: offered to a role I hold; all: everything I may see"),
                    _q("process", {"type": "string"}, "process key"),
                    _q("stage", {"type": "string"}, "stage code"),
                    _q("org_unit", {"type": "integer"}, "org unit id"),
                    _q("overdue", {"type": "boolean"}, "only overdue (true) or not overdue (false)"),
                    _q("state", {"enum": ["open", "completed", "cancelled", "any"], "default": "open"}, "state"),
                    _q("q", {"type": "string"}, "search in name and instructions"),
                    _q("sort", {"enum": ["due", "-priority", "created", "-created"]}, "order"),
                    _q("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "page size"),
                    _q("offset", {"type": "integer", "minimum": 0}, "page start"),
                ],
                tag="tasks",
            ),
        },
        "/api/tasks/counts": {"get": _op("Counts for the inbox tabs", _ok({"type": "object"}), tag="tasks")},
        "/api/tasks/{task_id}": {
            "get": _op("A task with its form schema and data", {**_ok(REF("TaskDetail")), "403": ERROR,
                                                                "404": ERROR}, params=TASK_ID, tag="tasks"),
        },
        "/api/tasks/{task_id}/claim": {
            "post": _op("Claim a task offered to my role", {**_ok(REF("Task")), **ERRS}, params=TASK_ID,
                        tag="tasks"),
        },
        "/api/tasks/{task_id}/unclaim": {
            "post": _op("Give a claimed task back to its role", {**_ok(REF("Task")), **ERRS}, params=TASK_ID,
                        tag="tasks"),
        },
        "/api/tasks/{task_id}/delegate": {
            "post": _op("Hand a task to another person who holds its role", {**_ok(REF("Task")), **ERRS},
                        params=TASK_ID, body=_json({"type": "object", "required": ["to"],
                                                    "properties": {"to": {"type": "string"}}}), tag="tasks"),
        },
        "/api/tasks/{task_id}/complete": {
            "post": _op("Complete a task with its form data (validated against the form's JSON Schema)",
                        {**_ok({"type": "object"}), **ERRS}, params=TASK_ID,
                        body=_json({"type": "object", "properties": {"data": {"type": "object"}}}),
                        tag="tasks"),
        },
        "/api/calendar/add": {
            "get": _op("Count working days: the N-th working day after start (Chinese holidays and 调休)",
                       {**_ok(REF("WorkingDayCount")), "400": ERROR},
                       params=[{**_q("start", {"type": "string", "format": "date"}, "first day (not counted)"),
                                "required": True},
                               {**_q("working_days", {"type": "integer", "minimum": 0}, "how many working days"),
                                "required": True}], tag="calendar"),
        },
        "/api/calendar": {
            "get": _op("A year's holidays, make-up workdays and overridden days; estimated if not official",
                       {**_ok(REF("CalendarYear")), "400": ERROR},
                       params=[_q("year", {"type": "integer"}, "the year (default: this year)")], tag="calendar"),
        },
        "/api/calendar/overrides/{day}": {
            "put": _op("Set one day working or not (org_admin of the top unit); official marks the year loaded",
                       {**_ok(REF("CalendarDay")), **ERRS},
                       params=[{"name": "day", "in": "path", "required": True,
                                "schema": {"type": "string", "format": "date"}}],
                       body=_json(REF("CalendarOverride")), tag="calendar"),
            "delete": _op("Remove a day's override (org_admin of the top unit)",
                          {"204": {"description": "removed"}, **ERRS},
                          params=[{"name": "day", "in": "path", "required": True,
                                   "schema": {"type": "string", "format": "date"}}], tag="calendar"),
        },
        "/api/notifications": {
            "get": _op("My notifications, newest first", {**_ok(REF("NotificationList")), "400": ERROR},
                       params=[_q("unread", {"type": "boolean"}, "only unread (true) or read (false)"),
                               _q("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "page size"),
                               _q("offset", {"type": "integer", "minimum": 0}, "page start")],
                       tag="notifications"),
        },
        "/api/notifications/{notification_id}/read": {
            "post": _op("Mark one of my notifications read", {**_ok(REF("Notification")), **ERRS},
                        params=[_path("notification_id")], tag="notifications"),
        },
        "/api/notifications/read-all": {
            "post": _op("Mark all my notifications read", _ok({"type": "object", "properties": {
                "marked": {"type": "integer"}}}), tag="notifications"),
        },
        "/api/schedules": {
            "get": _op("Recurring starts I administer (org_admin)", _ok(REF("ScheduleList")), tag="schedules"),
            "post": _op("Start a process in every unit of a type under a unit, each period (org_admin)",
                        {**_ok(REF("Schedule"), "201", "created"), **ERRS},
                        body=_json(REF("ScheduleRequest")), tag="schedules"),
        },
        "/api/schedules/{schedule_id}": {
            "patch": _op("Enable, disable or change a schedule (org_admin)", {**_ok(REF("Schedule")), **ERRS},
                         params=[_path("schedule_id")], body=_json(REF("ScheduleRequest")), tag="schedules"),
        },
        "/api/openapi.json": {"get": _op("This document", _ok({"type": "object"}), tag="meta")},
    },
    "components": {
        "responses": {"Error": {"description": "error", "content": _json(REF("Error"))}},
        "schemas": {
            "Comment": {"type": "object", "properties": {
                "id": {"type": "integer"}, "instance_id": {"type": "integer"}, "body": {"type": "string"},
                "author": {"type": "string"}, "author_name": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}}},
            "WorkingDayCount": {"type": "object", "properties": {
                "start": {"type": "string", "format": "date"}, "working_days": {"type": "integer"},
                "date": {"type": "string", "format": "date"},
                "estimated": {"type": "boolean", "description": "a year of the count has no official calendar"}}},
            "CalendarDay": {"type": "object", "properties": {
                "date": {"type": "string", "format": "date"}, "working": {"type": "boolean"},
                "kind": {"enum": ["workday", "weekend", "holiday", "makeup_workday"]},
                "name": {"type": "string", "nullable": True}, "overridden": {"type": "boolean"}}},
            "CalendarYear": {"type": "object", "properties": {
                "year": {"type": "integer"}, "estimated": {"type": "boolean"},
                "library_covered": {"type": "boolean"}, "official_override": {"type": "boolean"},
                "days": {"type": "array", "items": REF("CalendarDay")}}},
            "CalendarOverride": {"type": "object", "required": ["working"], "properties": {
                "working": {"type": "boolean"}, "note": {"type": "string", "maxLength": 200},
                "official": {"type": "boolean", "description": "the year's official calendar is loaded"}}},
            "Notification": {"type": "object", "properties": {
                "id": {"type": "integer"}, "kind": {"enum": ["overdue", "reminder"]}, "title": {"type": "string"},
                "body": {"type": "string"}, "task_id": {"type": "integer", "nullable": True},
                "instance_id": {"type": "integer", "nullable": True},
                "created_at": {"type": "string", "format": "date-time"},
                "read_at": {"type": "string", "format": "date-time", "nullable": True}, "read": {"type": "boolean"},
                "email_state": {"type": "string", "nullable": True, "enum": ["pending", "sent", "failed", None]}}},
            "NotificationList": {"type": "object", "properties": {
                "items": {"type": "array", "items": REF("Notification")}, "total": {"type": "integer"},
                "unread": {"type": "integer"}}},
            "ScheduleRequest": {"type": "object", "properties": {
                "process_key": {"type": "string"},
                "org_unit": {"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "id or code"},
                "unit_type": {"enum": ["district", "party_committee", "general_branch", "branch", "party_group"]},
                "cadence": {"type": "string",
                            "description": "quarterly, half_yearly, a 5-field cron expression, or bpmn"},
                "title": {"type": "string"}, "data": {"type": "object"}, "enabled": {"type": "boolean"},
                "next_run_at": {"type": "string", "format": "date-time"}}},
            "Schedule": {"allOf": [REF("ScheduleRequest"), {"type": "object", "properties": {
                "id": {"type": "integer"}, "org_unit": REF("OrgUnit"), "runs": {"type": "integer"},
                "last_run_at": {"type": "string", "format": "date-time", "nullable": True}}}]},
            "ScheduleList": {"type": "object", "properties": {
                "items": {"type": "array", "items": REF("Schedule")}, "total": {"type": "integer"}}},
            "Error": {"type": "object", "required": ["error", "message", "details"], "properties": {
                "error": {"type": "string"}, "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object", "properties": {
                    "field": {"type": "string", "nullable": True},
                    "element_id": {"type": "string", "nullable": True},
                    "message": {"type": "string"}}}}}},
            "Credentials": {"type": "object", "required": ["username", "password"], "properties": {
                "username": {"type": "string"}, "password": {"type": "string"}}},
            "SessionCreated": {"type": "object", "properties": {
                "username": {"type": "string"}, "display_name": {"type": "string"},
                "csrf_token": {"type": "string"}}},
            "OrgUnit": {"type": "object", "properties": {
                "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
                "type": {"enum": ["district", "party_committee", "general_branch", "branch", "party_group"]}}},
            "Me": {"type": "object", "properties": {
                "username": {"type": "string"}, "display_name": {"type": "string"}, "locale": {"type": "string"},
                "csrf_token": {"type": "string"},
                "positions": {"type": "array", "items": {"type": "object", "properties": {
                    "org_unit": REF("OrgUnit"), "role": {"type": "string"}}}}}},
            "Definition": {"type": "object", "properties": {
                "id": {"type": "integer"}, "key": {"type": "string"}, "version": {"type": "integer"},
                "name": {"type": "string"}, "stages": {"type": "array", "items": {"type": "object"}},
                "deployed_at": {"type": "string", "format": "date-time"}}},
            "DefinitionList": {"type": "object", "properties": {
                "items": {"type": "array", "items": REF("Definition")}, "total": {"type": "integer"}}},
            "StartRequest": {"type": "object", "required": ["process_key", "org_unit"], "properties": {
                "process_key": {"type": "string"},
                "org_unit": {"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "id or code"},
                "data": {"type": "object"}}},
            "Instance": {"type": "object", "properties": {
                "id": {"type": "integer"}, "process_key": {"type": "string"}, "version": {"type": "integer"},
                "state": {"enum": ["running", "completed"]}, "stage": {"type": "string", "nullable": True},
                "org_unit": REF("OrgUnit"), "open_tasks": {"type": "array", "items": REF("Task")},
                "history": {"type": "array", "items": {"type": "object"}}}},
            "DefinitionDiff": {"type": "object", "properties": {
                "key": {"type": "string"}, "from": {"type": "integer"}, "to": {"type": "integer"},
                "added": {"type": "array", "items": {"type": "object"}},
                "removed": {"type": "array", "items": {"type": "object"}},
                "changed": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "type": {"type": "string"}, "name": {"type": "string"},
                    "changes": {"type": "array", "items": {"type": "object", "properties": {
                        "field": {"type": "string"}, "old": {}, "new": {}}}}}}},
                "moved": {"type": "array", "items": {"type": "string"}}}},
            "InstanceMonitor": {"type": "object", "properties": {
                "instance": {"type": "object"}, "process_key": {"type": "string"}, "version": {"type": "integer"},
                "bpmn_url": {"type": "string"},
                "elements": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                    "state": {"enum": ["completed", "active", "overdue", "cancelled"]},
                    "tasks": {"type": "array", "items": {"type": "object"}}}}},
                "counts": {"type": "object"}, "history": {"type": "array", "items": {"type": "object"}}}},
            "Heatmap": {"type": "object", "properties": {
                "process_key": {"type": "string"}, "version": {"type": "integer"},
                "versions": {"type": "array", "items": {"type": "integer"}}, "bpmn_url": {"type": "string"},
                "org_unit": REF("OrgUnit"), "instances": {"type": "object"}, "max_open": {"type": "integer"},
                "elements": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                    "open": {"type": "integer"}, "overdue": {"type": "integer"},
                    "completed": {"type": "integer"}, "cancelled": {"type": "integer"},
                    "mean_seconds": {"type": "number", "nullable": True},
                    "mean_open_seconds": {"type": "number", "nullable": True}}}},
                "recent": {"type": "array", "items": {"type": "object"}}}},
            "InstanceList": {"type": "object", "properties": {
                "items": {"type": "array", "items": REF("Instance")}, "total": {"type": "integer"}}},
            "Task": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}, "element_id": {"type": "string"},
                "process_key": {"type": "string"}, "instance_id": {"type": "integer"},
                "stage": {"type": "string", "nullable": True}, "org_unit": REF("OrgUnit"),
                "role": {"type": "string", "nullable": True}, "assignee": {"type": "string", "nullable": True},
                "due_at": {"type": "string", "format": "date-time", "nullable": True},
                "overdue": {"type": "boolean"}, "priority": {"type": "integer"},
                "state": {"enum": ["open", "completed", "cancelled"]}}},
            "TaskDetail": {"allOf": [REF("Task"), {"type": "object", "properties": {
                "form_schema": {"type": "object", "nullable": True}, "data": {"type": "object"},
                "instructions": {"type": "string", "nullable": True},
                "actions": {"type": "array", "items": {"type": "string"}}}}]},
            "TaskList": {"type": "object", "properties": {
                "items": {"type": "array", "items": REF("Task")},
                "total": {"type": "integer", "description": "how many match; counting stops at 1,000"},
                "total_exact": {"type": "boolean", "description": "false: at least `total` match"},
                "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
        },
    },
}


@api_bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(SPEC)
