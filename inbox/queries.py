"""Reading the inbox: whose tasks, filtered, sorted and counted, each as a card.

Listing a person's work is an indexed SQL query on the ``task`` table; it never touches
engine state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, false, func, or_, select, union_all
from sqlalchemy.orm import Session, joinedload

from inbox import cursor as keyset
from inbox.cursor import SORTS
from inbox.models import OPEN, Task, TaskCandidate
from server import clock
from server.access import visible_unit_filter
from server.calendar.due import SHANGHAI
from server.calendar.store import calendar_for
from server.errors import BadRequest
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter
from server.workflow.models import ProcessInstance

SCOPES = ("mine", "claimable", "all", "done", "started", "cc")


@dataclass(frozen=True)
class TaskFilter:
    scope: str = "mine"
    process: str | None = None
    stage: str | None = None
    org_unit: int | None = None
    overdue: bool | None = None
    state: str = OPEN
    q: str | None = None
    sort: str = "due"
    limit: int = 50
    offset: int = 0
    cursor: str | None = None


def _order(columns: Mapping[str, Any], sort: str) -> list[Any]:
    spec = SORTS.get(sort)
    if spec is None:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}", [{"field": "sort", "message": "unknown sort"}])
    order = []
    for name, descending in spec:
        column = columns[name]
        if name == "due_at":
            # NULLS LAST is PostgreSQL's own order for ASC, so its (state, due_at) index yields it directly.
            order.append(column.asc().nulls_last())
        else:
            order.append(column.desc() if descending else column.asc())
    return order


def _candidate_task_ids(person_id: int) -> Select[Any]:
    """Ids of the tasks offered to a position the person holds now."""
    return (
        select(TaskCandidate.task_id)
        .join(
            Position,
            and_(Position.org_unit_id == TaskCandidate.org_unit_id, Position.role == TaskCandidate.role),
        )
        .where(Position.person_id == person_id, active_position_filter())
    )


def _candidate_condition(person_id: int) -> Any:
    """True for tasks whose candidates include a position the person holds now."""
    return Task.id.in_(_candidate_task_ids(person_id))


def _offered_ids(session: Session, person: Person, conditions: list[Any]) -> list[int]:
    """Ids of the tasks offered to the person's positions that meet ``conditions``.

    Fetched on their own, with no order and no limit: asked for "the first 50
    by due date", the database prefers walking every open task in due order
    and testing each against the offers, which is slow exactly when few are
    offered; asked for the set, it starts from the offers. The positions are
    read first and named in the query, so that the database knows how many
    offers each has (none, for an administrator) instead of guessing.
    """
    stmt = select(Position.org_unit_id, Position.role).where(Position.person_id == person.id, active_position_filter())
    pairs = session.execute(stmt).all()
    if not pairs:
        return []
    offered = or_(*[and_(TaskCandidate.org_unit_id == unit, TaskCandidate.role == role) for unit, role in pairs])
    ids = select(Task.id).join(TaskCandidate, TaskCandidate.task_id == Task.id).where(offered, *conditions)
    return list(session.scalars(ids.distinct()))


@dataclass(frozen=True)
class _Part:
    """One of the disjoint parts of a scope: a condition on ``Task``, or a list of ids already filtered."""

    condition: Any
    ids: list[int] | None = None

    @classmethod
    def of_ids(cls, ids: list[int]) -> _Part:
        return cls(Task.id.in_(_literal_ids(ids)) if ids else false(), ids)


def _literal_ids(ids: list[int]) -> Any:
    """A list of ids written into the SQL text: one bound parameter per id costs more to send than to run."""
    return bindparam(None, ids, expanding=True, literal_execute=True)


VISIBLE_UNITS_LISTED = 2_000


def _scope_parts(session: Session, person: Person, f: TaskFilter, filters: list[Any]) -> list[_Part]:
    """The scope as parts that no two tasks share, each one cheap to evaluate.

    ``all`` is "in a unit I may look into, or mine, or offered to me". Written
    as one OR, no index applies and the database reads every open task of the
    organisation; as disjoint parts, the first is an index range, the second
    an index lookup and the third a short list of ids, and counts add up.
    """
    if f.scope not in SCOPES:
        raise BadRequest(f"scope must be one of {', '.join(SCOPES)}",
                         [{"field": "scope", "message": "unknown scope"}])
    if f.scope == "mine":
        return [_Part(Task.assignee_id == person.id)]
    if f.scope == "claimable":
        return [_Part.of_ids(_offered_ids(session, person, [Task.assignee_id.is_(None), *filters]))]
    if f.scope == "done":
        return [_Part(Task.completed_by_id == person.id)]
    if f.scope == "started":
        mine_started = select(ProcessInstance.id).where(ProcessInstance.started_by_id == person.id)
        return [_Part(Task.instance_id.in_(mine_started))]
    units = select(OrgUnit.id).where(visible_unit_filter(session, person.id, overseers_only=True))
    # Named ids let the database read (org_unit_id, state) index entries and stop at the count cap;
    # a subquery makes it collect every open task first.
    listed = list(session.scalars(units.limit(VISIBLE_UNITS_LISTED + 1)))
    not_mine = or_(Task.assignee_id.is_(None), Task.assignee_id != person.id)
    if f.scope == "cc":
        # 抄送我: the work of the units I oversee that is neither mine nor offered to me.
        if not listed:
            return [_Part(false())]
        overseen: Any = _literal_ids(listed) if len(listed) <= VISIBLE_UNITS_LISTED else units
        return [_Part(and_(Task.org_unit_id.in_(overseen), not_mine, Task.id.not_in(_candidate_task_ids(person.id))))]
    if not listed:
        # Overseeing no unit: what is mine, and what is offered to me (an empty literal
        # NOT IN is not portable, so this case is spelled out).
        return [
            _Part(Task.assignee_id == person.id),
            _Part.of_ids(_offered_ids(session, person, [not_mine, *filters])),
        ]
    visible: Any = _literal_ids(listed) if len(listed) <= VISIBLE_UNITS_LISTED else units
    elsewhere = Task.org_unit_id.not_in(visible)
    return [
        _Part(Task.org_unit_id.in_(visible)),
        _Part(and_(elsewhere, Task.assignee_id == person.id)),
        _Part.of_ids(_offered_ids(session, person, [elsewhere, not_mine, *filters])),
    ]


def _filters(f: TaskFilter) -> list[Any]:
    conditions: list[Any] = []
    if f.state != "any":
        conditions.append(keyset.state_is(f.state))
    if f.process:
        conditions.append(Task.process_key == f.process)
    if f.stage:
        conditions.append(Task.stage == f.stage)
    if f.org_unit is not None:
        conditions.append(Task.org_unit_id == f.org_unit)
    if f.overdue is True:
        conditions += [Task.due_at.is_not(None), Task.due_at < clock.now()]
    elif f.overdue is False:
        conditions.append(or_(Task.due_at.is_(None), Task.due_at >= clock.now()))
    if f.q:
        like = f"%{f.q}%"
        conditions.append(or_(Task.name.ilike(like), Task.instructions.ilike(like), Task.subject.ilike(like),
                              Task.excerpt.ilike(like)))
    return conditions


def _query(session: Session, person: Person, f: TaskFilter) -> Select[Any]:
    """The filter's tasks as one statement (``list_tasks`` counts and pages part by part)."""
    filters = _filters(f)
    return select(Task).where(or_(*[p.condition for p in _scope_parts(session, person, f, filters)]), *filters)


# Counting stops here: an administrator of a district with 100,000 open tasks is told
# "1,000 or more" (``total_exact`` false) instead of waiting for every row to be counted.
TOTAL_CAP = 1_000


def _count(session: Session, parts: list[_Part], filters: list[Any]) -> tuple[int, bool]:
    """(how many tasks, whether that is exact); at most ``TOTAL_CAP``.

    One small statement per part: as one UNION, PostgreSQL plans a parallel
    bitmap scan that collects every open task before it can stop at the cap.
    """
    found = 0
    for part in parts:
        if part.ids is not None:
            found += len(part.ids)
        else:
            capped = select(Task.id).where(part.condition, *filters).limit(TOTAL_CAP + 1 - found).subquery()
            found += session.scalar(select(func.count()).select_from(capped)) or 0
        if found > TOTAL_CAP:
            return TOTAL_CAP, False
    return found, True


_SORT_COLUMNS = {"id": Task.id, "due_at": Task.due_at, "priority": Task.priority}


def _with_neighbours(stmt: Select[Any]) -> Select[Any]:
    """What ``task_summary`` shows of a task's instance, unit and assignee, in the same query."""
    return stmt.options(
        joinedload(Task.instance).load_only(ProcessInstance.title),
        joinedload(Task.org_unit).load_only(OrgUnit.name, OrgUnit.code),
        joinedload(Task.assignee).load_only(Person.username, Person.display_name),
    )


def _page(session: Session, parts: list[_Part], filters: list[Any], f: TaskFilter,
          key: list[Any] | None) -> list[Task]:
    """The page's tasks, and one more if there is a next page.

    Every (part, segment after the cursor) pair is an index range: the first
    rows of each, in order, hold the first rows of them all (with an offset,
    the first offset+limit of each).
    """
    order = _order(_SORT_COLUMNS, f.sort)
    wanted = f.limit + 1
    pairs = [(part, segment) for part in parts if part.ids is None or part.ids
             for segment in keyset.segments(f.sort, key)]
    if len(pairs) == 1:
        part, segment = pairs[0]
        stmt = select(Task).where(part.condition, segment, *filters).order_by(*order).limit(wanted).offset(f.offset)
        return list(session.scalars(_with_neighbours(stmt)))
    heads = [
        select(*_SORT_COLUMNS.values()).where(part.condition, segment, *filters).order_by(*order)
        .limit(f.offset + wanted).subquery()
        for part, segment in pairs
    ]
    union = union_all(*[select(*head.c) for head in heads]).subquery()
    stmt = select(union.c.id).order_by(*_order({k: union.c[k] for k in _SORT_COLUMNS}, f.sort))
    ids = list(session.scalars(stmt.limit(wanted).offset(f.offset)))
    if not ids:
        return []
    by_id = {t.id: t for t in session.scalars(_with_neighbours(select(Task).where(Task.id.in_(ids))))}
    return [by_id[i] for i in ids if i in by_id]


def list_tasks(session: Session, person: Person, f: TaskFilter) -> dict[str, Any]:
    """A page of the filter's tasks, its ``next_cursor`` (None: the last page) and the capped total."""
    _order(_SORT_COLUMNS, f.sort)  # an unknown sort is refused before any query
    key = keyset.decode(f.cursor, f.sort) if f.cursor else None
    if key is not None and f.offset:
        raise BadRequest("give either cursor or offset, not both",
                         [{"field": "offset", "message": "not with a cursor"}])
    filters = _filters(f)
    parts = _scope_parts(session, person, f, filters)
    total, exact = _count(session, parts, filters)
    rows = _page(session, parts, filters, f, key) if total else []
    following = keyset.encode(f.sort, rows[f.limit - 1]) if len(rows) > f.limit else None
    return {"items": with_working_days(session, [task_summary(t) for t in rows[:f.limit]]), "total": total,
            "total_exact": exact, "limit": f.limit, "offset": f.offset, "next_cursor": following}


def counts(session: Session, person: Person) -> dict[str, int]:
    result = {}
    for key, f in (("mine", TaskFilter(scope="mine")), ("claimable", TaskFilter(scope="claimable")),
                   ("overdue", TaskFilter(scope="mine", overdue=True))):
        filters = _filters(f)
        result[key] = _count(session, _scope_parts(session, person, f, filters), filters)[0]
    return result


def with_working_days(session: Session, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each open task's ``due_working_days``: working days left (negative: overdue), Beijing dates,
    by the working-day calendar with its holidays and overrides (shown as "剩 2 个工作日")."""
    calendar = calendar_for(session)
    today = clock.now().astimezone(SHANGHAI).date()
    for item in items:
        due = item.get("due_at")
        item["due_working_days"] = (calendar.working_days_between(
            today, datetime.fromisoformat(due).astimezone(SHANGHAI).date())
            if due and item.get("state") == OPEN else None)
    return items


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def task_summary(task: Task) -> dict[str, Any]:
    now = clock.now()
    return {
        "id": task.id,
        "name": task.name,
        "element_id": task.element_id,
        "process_key": task.process_key,
        "instance_id": task.instance_id,
        "instance_title": task.instance.title if task.instance else None,
        "stage": task.stage,
        "stage_label": task.stage_label,
        "labels_en": task.labels_en,
        "subject": task.subject,
        "excerpt": task.excerpt,
        "org_unit": {"id": task.org_unit.id, "name": task.org_unit.name, "code": task.org_unit.code},
        "role": task.role,
        "assignee": task.assignee.username if task.assignee else None,
        "assignee_name": task.assignee.display_name if task.assignee else None,
        "bound": task.bound_to_id is not None,
        "due_at": _iso(task.due_at),
        "due_estimated": task.due_estimated,
        "overdue": bool(task.due_at and task.state == OPEN and task.due_at < now),
        "priority": task.priority,
        "state": task.state,
        "created_at": _iso(task.created_at),
        "claimed_at": _iso(task.claimed_at),
        "completed_at": _iso(task.completed_at),
    }
