"""Keyset pagination of GET /api/tasks: every sort walked with next_cursor while tasks close between
pages (no task twice, none skipped), bad cursors refused naming the field, the capped total marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from inbox import queries
from inbox.models import COMPLETED, Task
from server.database import db
from server.org.models import OrgUnit
from tests.inbox.test_inbox_api import start_report

BASE = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def _copy(template: Task, n: int, unit_id: int) -> Task:
    # Shared due dates, tasks without one and shared priorities: the tie-breaks are walked too.
    due = None if n % 5 == 0 else BASE + timedelta(days=n % 4)
    return Task(engine_task_id=f"cursor-{n:04d}", instance_id=template.instance_id, process_key=template.process_key,
                element_id=template.element_id, name=f"任务 {n}", org_unit_id=unit_id, role="secretary",
                due_at=due, priority=n % 3, state="open", data={})


@pytest.fixture
def many(app, as_user) -> list[int]:
    """27 more open tasks in the demo's branches (28 with the report), the ids of them all."""
    start_report(as_user)
    with app.app_context(), db.transaction() as s:
        template = s.scalars(select(Task)).one()
        units = list(s.scalars(select(OrgUnit.id).where(OrgUnit.code.like("demo-branch%"))))
        s.add_all([_copy(template, n, units[n % len(units)]) for n in range(1, 28)])
    with app.app_context(), db.transaction() as s:
        return list(s.scalars(select(Task.id)))


def _key(sort: str, item: dict[str, Any]) -> tuple[Any, ...]:
    if sort == "due":
        return (item["due_at"] is None, item["due_at"] or "", item["id"])
    if sort == "-priority":
        return (-item["priority"], item["id"])
    return (item["id"],) if sort == "created" else (-item["id"],)


def _close(app, ids: list[int]) -> None:
    with app.app_context(), db.transaction() as s:
        s.execute(update(Task).where(Task.id.in_(ids)).values(state=COMPLETED))


@pytest.mark.parametrize("sort", ["due", "-priority", "created", "-created"])
def test_every_sort_walks_without_duplicates_or_gaps_while_tasks_close(app, as_user, many, sort):
    admin = as_user("admin")
    first = admin.get(f"/api/tasks?scope=all&sort={sort}&limit=5").get_json()
    assert first["total"] == len(many) and first["total_exact"] is True
    seen: list[dict[str, Any]] = list(first["items"])
    cursor, closed = first["next_cursor"], []
    pages = 1
    while cursor:
        # Between pages, one task already shown and one not yet reached are completed.
        shown = seen[-1]["id"]
        ahead = [i for i in many if i not in {t["id"] for t in seen} and i not in closed]
        _close(app, [shown, *ahead[-1:]])
        closed += [shown, *ahead[-1:]]
        res = admin.get(f"/api/tasks?scope=all&sort={sort}&limit=5&cursor={cursor}")
        assert res.status_code == 200, res.get_json()
        page = res.get_json()
        assert page["items"], "a cursor is given only when a page follows"
        seen += page["items"]
        cursor = page["next_cursor"]
        pages += 1
    ids = [t["id"] for t in seen]
    assert len(ids) == len(set(ids)), "a task was shown twice"
    never_closed = set(many) - set(closed)
    assert never_closed <= set(ids), f"skipped: {never_closed - set(ids)}"
    assert [_key(sort, t) for t in seen] == sorted(_key(sort, t) for t in seen), "pages out of order"
    assert pages >= 4


def test_cursor_pages_continue_the_first_and_the_last_page_says_so(as_user, many):
    admin = as_user("admin")
    whole = admin.get("/api/tasks?scope=all&limit=500").get_json()
    assert whole["next_cursor"] is None and len(whole["items"]) == len(many)
    walked, cursor = [], ""
    while True:
        page = admin.get(f"/api/tasks?scope=all&limit=7{'&cursor=' + cursor if cursor else ''}").get_json()
        walked += [t["id"] for t in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert walked == [t["id"] for t in whole["items"]]
    # Old clients: offset still pages the same order.
    old = admin.get("/api/tasks?scope=all&limit=7&offset=7").get_json()
    assert [t["id"] for t in old["items"]] == walked[7:14]


def test_the_mine_and_claimable_scopes_page_by_cursor_too(as_user, many):
    sec1 = as_user("sec1")
    for scope in ("mine", "claimable", "cc"):
        whole = sec1.get(f"/api/tasks?scope={scope}&sort=-created&limit=500").get_json()
        first = sec1.get(f"/api/tasks?scope={scope}&sort=-created&limit=1").get_json()
        walked = [t["id"] for t in first["items"]]
        if first["next_cursor"]:
            rest = sec1.get(f"/api/tasks?scope={scope}&sort=-created&limit=500&cursor={first['next_cursor']}")
            walked += [t["id"] for t in rest.get_json()["items"]]
        assert walked == [t["id"] for t in whole["items"]], scope


@pytest.mark.parametrize("cursor, says", [
    ("not-base64!!", "cursor is not one this server gave"),
    ("eyJhIjoxfQ", "cursor is not one this server gave"),             # {"a":1}
    ("eyJzIjoiY3JlYXRlZCIsImsiOlsxXX0", "another sort"),              # {"s":"created","k":[1]}
    ("eyJzIjoiZHVlIiwiayI6WyJ4IiwxXX0", "bad due date"),              # {"s":"due","k":["x",1]}
    ("eyJzIjoiZHVlIiwiayI6W251bGwsIjEiXX0", "bad id"),               # {"s":"due","k":[null,"1"]}
    ("x" * 300, "cursor"),
])
def test_a_bad_cursor_is_a_400_naming_the_field(as_user, cursor, says):
    res = as_user("admin").get(f"/api/tasks?scope=all&cursor={cursor}")
    assert res.status_code == 400, res.get_json()
    body = res.get_json()
    assert says in body["message"]
    assert [d["field"] for d in body["details"]] == ["cursor"]


def test_cursor_and_offset_together_are_refused(as_user, many):
    admin = as_user("admin")
    cursor = admin.get("/api/tasks?scope=all&limit=2").get_json()["next_cursor"]
    res = admin.get(f"/api/tasks?scope=all&limit=2&offset=2&cursor={cursor}")
    assert res.status_code == 400
    assert [d["field"] for d in res.get_json()["details"]] == ["offset"]


def test_a_total_beyond_the_cap_is_marked_as_more_than(as_user, many, monkeypatch):
    monkeypatch.setattr(queries, "TOTAL_CAP", 10)
    admin = as_user("admin")
    body = admin.get("/api/tasks?scope=all&limit=4").get_json()
    assert body["total"] == 10 and body["total_exact"] is False
    exact = admin.get("/api/tasks?scope=mine").get_json()
    assert exact["total_exact"] is True
