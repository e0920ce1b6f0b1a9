"""The roster as an xlsx workbook: template, import with a dry run, export of the same format.

One row per person and unit: ``用户名 姓名 组织代码 职务 开始日期 邮箱``; ``职务`` lists the
roles held in that unit (``党员、书记``; Chinese labels or role codes). The stable key is the
username: importing the same file twice changes nothing the second time.

An import **adds**: new people, names and e-mails that changed, roles a row lists that the
person does not hold yet in that unit. It never ends a position (that is an appointment, a
transfer or a deactivation, each with a reason), so re-importing an old file cannot undo them.
Every problem is reported by row and column (the header's name) before anything is written:
with one error, nothing is written at all.

New people get no usable password (an administrator's reset gives the first one), except
where the caller passes a hash (the demo organisation, ``server.demo``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, or_, select, update
from sqlalchemy.orm import Session

from server import audit, clock
from server.errors import Invalid
from server.org.models import ROLES, OrgUnit, Person, Position
from server.org.tree import active_position_filter
from server.orgadmin.authority import check_any_admin
from server.orgadmin.positions import UNUSABLE_PASSWORD, USERNAME
from server.spreadsheets import Sheet, UnreadableWorkbook, read_rows, workbook

HEADER = ("用户名", "姓名", "组织代码", "职务", "开始日期", "邮箱")
USERNAME_COL, NAME_COL, UNIT_COL, ROLES_COL, START_COL, EMAIL_COL = HEADER
ROLE_LABELS = {
    "member": "党员",
    "activist": "入党积极分子",
    "development_candidate": "发展对象",
    "secretary": "书记",
    "deputy_secretary": "副书记",
    "committee_member": "委员",
    "group_leader": "党小组长",
    "contact": "联络员",
    "org_admin": "组织管理员",
    "masses_rep": "群众代表",
    "designer": "流程设计员",
}
ROLE_BY_LABEL = {**{label: role for role, label in ROLE_LABELS.items()}, **{role: role for role in ROLES}}
SEPARATORS = re.compile(r"[、,，;；/\s]+")
MAX_ROWS = 200_000
MAX_ERRORS = 500
CHUNK = 900


@dataclass(slots=True)
class RosterRow:
    row: int
    username: str
    display_name: str
    unit_code: str
    roles: list[str]
    start: date | None = None
    email: str | None = None


@dataclass
class Report:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_total: int = 0

    def error(self, row: int, column: str, message: str) -> None:
        self.errors_total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})


def template() -> bytes:
    notes = [["职务", "、".join(ROLE_LABELS.values()) + "（可填多个，用顿号分隔；也可填英文代码）"],
             ["组织代码", "组织树中单位的代码（组织管理页面可见）"],
             ["开始日期", "YYYY-MM-DD，可不填"],
             ["用户名", "登录名，字母、数字、. _ -；同一文件再次导入不会重复创建"],
             ["党员", "每名党员只属于一个支部或党小组；转接组织关系请用“转接”操作"]]
    return workbook(Sheet("花名册", HEADER, [], widths=(16, 14, 20, 24, 14, 26)),
                    Sheet("说明", ("列", "填写说明"), notes, widths=(12, 80)))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(_text(value))


def parse(data: bytes, report: Report) -> list[RosterRow]:
    """The rows of an uploaded workbook, read as they stream; problems of form go into ``report``."""
    try:
        header, raw = read_rows(data, max_rows=MAX_ROWS)
    except UnreadableWorkbook as exc:
        raise _unreadable(exc) from exc
    missing = [title for title in HEADER[:4] if title not in header]
    if missing:
        raise Invalid(f"第一行须为模板的列名，缺少：{'、'.join(missing)}",
                      [{"field": "file", "message": f"missing column {title}"} for title in missing])
    at = [header.index(title) if title in header else None for title in HEADER]
    rows = []
    shared: dict[str, Any] = {}  # one string per unit code, one list per way of writing the roles
    try:
        for number, values in raw:
            cells = [values[i] if i is not None and i < len(values) else None for i in at]
            try:
                start = _date(cells[4])
            except ValueError:
                report.error(number, START_COL, f"“{_text(cells[4])}”不是有效日期（YYYY-MM-DD）")
                start = None
            code, roles = _text(cells[2]), _text(cells[3])
            rows.append(RosterRow(number, _text(cells[0]), _text(cells[1]), shared.setdefault(code, code),
                                  shared.setdefault("roles:" + roles, [r for r in SEPARATORS.split(roles) if r]),
                                  start, _text(cells[5]) or None))
    except UnreadableWorkbook as exc:
        raise _unreadable(exc) from exc
    return rows


def _unreadable(exc: Exception) -> Invalid:
    return Invalid(f"无法读取花名册文件：{exc}", [{"field": "file", "message": str(exc)}])


def apply(session: Session, rows: list[RosterRow], report: Report, *, actor: Person | None, dry_run: bool,
          password_hash: str = UNUSABLE_PASSWORD) -> dict[str, Any]:
    """Check every row, then (not ``dry_run``, no error) write them; the report as the API answers it.

    The counts say what the file does (or would do, in a dry run or with errors: then nothing is written)."""
    report.rows = len(rows)
    prefixes = check_any_admin(session, actor) if actor is not None else None
    units = {code: unit for code, unit in ((u.code, u) for u in session.scalars(
        select(OrgUnit).where(OrgUnit.code.in_({r.unit_code for r in rows if r.unit_code}))))}
    people = _people(session, sorted({r.username for r in rows if r.username}))
    held = _held(session, [p.id for p in people.values()])
    _check(rows, report, units, people, held, prefixes)
    if prefixes is not None:
        _check_renames(session, rows, report, people, held, prefixes)
    plan = _plan(rows, people, held, units, report)
    if not report.errors_total and not dry_run:
        _write(session, plan, password_hash)
        audit.record(session, "roster.imported", actor=actor, rows=report.rows, created=report.created,
                     updated=report.updated, unchanged=report.unchanged)
    return {"rows": report.rows, "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "errors": report.errors, "errors_total": report.errors_total,
            "dry_run": dry_run, "imported": not dry_run and not report.errors_total}


@dataclass(frozen=True, slots=True)
class Known:
    """A person already in the database, as the import reads him (plain rows, no ORM objects:
    a re-import of 100,000 people would otherwise build and expire 100,000 of them)."""

    id: int
    display_name: str
    email: str | None
    active: bool


def _people(session: Session, usernames: list[str]) -> dict[str, Known]:
    found: dict[str, Known] = {}
    for i in range(0, len(usernames), CHUNK):
        found.update((username, Known(person_id, name, email, active)) for person_id, username, name, email, active
                     in session.execute(select(Person.id, Person.username, Person.display_name, Person.email,
                                               Person.active).where(Person.username.in_(usernames[i:i + CHUNK]))))
    return found


def _held(session: Session, person_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """person id -> (unit id, role) of the positions held now."""
    held: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for i in range(0, len(person_ids), CHUNK):
        for person_id, unit_id, role in session.execute(
                select(Position.person_id, Position.org_unit_id, Position.role)
                .where(Position.person_id.in_(person_ids[i:i + CHUNK]), active_position_filter())):
            held[person_id].append((unit_id, role))
    return held


def _check(rows: list[RosterRow], report: Report, units: dict[str, OrgUnit], people: dict[str, Known],
           held: dict[int, list[tuple[int, str]]], prefixes: list[str] | None) -> None:
    # references to rows, not new tuples: a file of 100,000 rows is checked in little memory
    seen: dict[tuple[str, str], int] = {}
    first: dict[str, RosterRow] = {}
    member_in: dict[str, RosterRow] = {}
    for r in rows:
        if not r.username:
            report.error(r.row, USERNAME_COL, "必填")
        elif not USERNAME.match(r.username):
            report.error(r.row, USERNAME_COL, f"“{r.username}”不是有效的用户名（字母、数字、. _ -）")
        elif (earlier := _earlier(r, first, seen)) is not None:
            report.error(r.row, USERNAME_COL, f"重复：{r.username} 在 {r.unit_code} 已见于第 {earlier} 行")
        elif r.username in first:
            seen[(r.username, r.unit_code)] = r.row  # a second unit of a person: kept apart
        if not r.display_name:
            report.error(r.row, NAME_COL, "必填")
        elif len(r.display_name) > 200:
            report.error(r.row, NAME_COL, "最多 200 个字")
        elif r.username in first and first[r.username].display_name != r.display_name:
            report.error(r.row, NAME_COL, f"{r.username} 在第 {first[r.username].row} 行的姓名是"
                         f"“{first[r.username].display_name}”")
        if r.username:
            first.setdefault(r.username, r)
        unit = units.get(r.unit_code)
        if not r.unit_code:
            report.error(r.row, UNIT_COL, "必填")
        elif unit is None:
            report.error(r.row, UNIT_COL, f"没有代码为“{r.unit_code}”的组织")
        elif unit.dissolved_at is not None:
            report.error(r.row, UNIT_COL, f"{unit.name}已撤销")
        elif prefixes is not None and not any(unit.path.startswith(p) for p in prefixes):
            report.error(r.row, UNIT_COL, f"{unit.name}不在您的管理范围内")
        unknown = [role for role in r.roles if role not in ROLE_BY_LABEL]
        if not r.roles:
            report.error(r.row, ROLES_COL, "必填（如：党员）")
        elif unknown:
            known = "、".join(ROLE_LABELS.values())
            report.error(r.row, ROLES_COL, f"未知职务：{'、'.join(unknown)}（可填：{known}）")
        if r.email and ("@" not in r.email or len(r.email) > 200):
            report.error(r.row, EMAIL_COL, f"“{r.email}”不是有效的邮箱地址")
        person = people.get(r.username)
        if person is not None and not person.active:
            report.error(r.row, USERNAME_COL, f"{r.username} 已停用")
        if "member" in {ROLE_BY_LABEL.get(role) for role in r.roles} and unit is not None:
            other = member_in.setdefault(r.username, r)
            if other.unit_code != r.unit_code:
                report.error(r.row, ROLES_COL, f"同一党员属于两个组织：{r.username} 在 {other.unit_code}"
                             f"（第 {other.row} 行）和 {r.unit_code} 都是党员")
            elsewhere = [u for u, role in held.get(person.id, []) if role == "member" and u != unit.id] \
                if person is not None else []
            if elsewhere:
                report.error(r.row, UNIT_COL, f"{r.username} 现为其他组织的党员：请用“转接组织关系”，"
                             "不要通过导入转移")


def _earlier(row: RosterRow, first: dict[str, RosterRow], seen: dict[tuple[str, str], int]) -> int | None:
    """The row number of an earlier row of the same person and unit, if any."""
    before = first.get(row.username)
    if before is not None and before.unit_code == row.unit_code:
        return before.row
    return seen.get((row.username, row.unit_code))


def _check_renames(session: Session, rows: list[RosterRow], report: Report, people: dict[str, Known],
                   held: dict[int, list[tuple[int, str]]], prefixes: list[str]) -> None:
    """A name or e-mail is changed only by an administrator over every unit where the person holds a
    position (``authority.check_admin_over_person``): a branch's file cannot rename a district leader."""
    unit_ids = {u for positions in held.values() for u, _ in positions}
    paths = dict(session.execute(select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.in_(unit_ids))).all()) \
        if unit_ids else {}
    for r in rows:
        person = people.get(r.username)
        if person is None or (r.display_name == person.display_name and (not r.email or r.email == person.email)):
            continue
        outside = [u for u, _ in held.get(person.id, []) if not any(paths[u].startswith(p) for p in prefixes)]
        if outside:
            report.error(r.row, NAME_COL, f"{r.username} 在您管理范围以外的组织任职，不能通过导入修改其姓名或邮箱")


@dataclass
class Plan:
    new_people: list[tuple[str, str, str | None]] = field(default_factory=list)
    """(username, display name, e-mail)"""
    changed_people: list[dict[str, Any]] = field(default_factory=list)
    positions: list[tuple[str, int, str, date | None]] = field(default_factory=list)
    """(username, unit id, role, start)"""


def _plan(rows: list[RosterRow], people: dict[str, Known], held: dict[int, list[tuple[int, str]]],
          units: dict[str, OrgUnit], report: Report) -> Plan:
    plan = Plan()
    state: dict[str, str] = {}  # username -> created / updated / unchanged (of its first row)
    planned: set[tuple[str, int, str]] = set()
    for r in rows:
        unit = units.get(r.unit_code)
        if unit is None or not r.username:
            continue
        person = people.get(r.username)
        outcome: str | None = state.get(r.username)
        if person is None and outcome is None:
            plan.new_people.append((r.username, r.display_name, r.email))
            outcome = "created"
        elif person is not None and outcome is None:
            outcome = "unchanged"
            if r.display_name != person.display_name or (r.email and r.email != person.email):
                plan.changed_people.append({"id": person.id, "display_name": r.display_name,
                                            "email": r.email or person.email})
                outcome = "updated"
        has = set(held.get(person.id, [])) if person is not None else set()
        for role in dict.fromkeys(ROLE_BY_LABEL.get(label, "") for label in r.roles):
            if role and (unit.id, role) not in has and (r.username, unit.id, role) not in planned:
                planned.add((r.username, unit.id, role))
                plan.positions.append((r.username, unit.id, role, r.start))
                if outcome == "unchanged":
                    outcome = "updated"
        state[r.username] = outcome or "unchanged"
    for final in state.values():
        setattr(report, final, getattr(report, final) + 1)
    return plan


_PEOPLE = cast(Table, Person.__table__)
_POSITIONS = cast(Table, Position.__table__)


def _write(session: Session, plan: Plan, password_hash: str) -> None:
    session.flush()
    connection = session.connection()
    ids: dict[str, int] = {}
    # a plain executemany, then the ids by username: an INSERT … RETURNING in parameter order runs
    # row by row on SQLite (20 s instead of 2 for 100,000 people)
    now = clock.now()
    for i in range(0, len(plan.new_people), 5000):
        batch = [{"username": username, "display_name": name, "email": email, "password_hash": password_hash,
                  "must_change_password": password_hash == UNUSABLE_PASSWORD, "locale": "zh_Hans_CN", "active": True,
                  "created_at": now} for username, name, email in plan.new_people[i:i + 5000]]
        connection.execute(insert(_PEOPLE), batch)
    for change in plan.changed_people:
        connection.execute(update(_PEOPLE).where(_PEOPLE.c.id == change["id"])
                           .values(display_name=change["display_name"], email=change["email"]))
    missing = sorted({u for u, _, _, _ in plan.positions})
    for i in range(0, len(missing), CHUNK):
        ids.update((u, i_) for i_, u in connection.execute(
            select(_PEOPLE.c.id, _PEOPLE.c.username).where(_PEOPLE.c.username.in_(missing[i:i + CHUNK]))))
    for i in range(0, len(plan.positions), 5000):
        connection.execute(insert(_POSITIONS), [
            {"person_id": ids[u], "org_unit_id": unit_id, "role": role, "start": start, "end": None}
            for u, unit_id, role, start in plan.positions[i:i + 5000]])
    if plan.changed_people:
        session.expire_all()


def export(session: Session, actor: Person) -> bytes:
    """The people holding positions in the subtrees the actor administers, in the import's format."""
    prefixes = check_any_admin(session, actor)
    found = session.execute(
        select(Person.username, Person.display_name, Person.email, OrgUnit.code, OrgUnit.path, Position.role,
               Position.start)
        .join(Position, Position.person_id == Person.id).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(active_position_filter(), Person.active.is_(True),
               or_(*[OrgUnit.path.startswith(prefix) for prefix in prefixes]))
        .order_by(OrgUnit.path, Person.username, Position.id)).all()
    grouped: dict[tuple[str, str], list[Any]] = {}
    for username, name, email, code, _path, role, start in found:
        row = grouped.setdefault((username, code), [username, name, code, [], start, email or ""])
        row[3].append(ROLE_LABELS.get(role, role))
        if start is not None and (row[4] is None or start < row[4]):
            row[4] = start
    rows = [[u, n, c, "、".join(roles), s.isoformat() if s else "", e] for u, n, c, roles, s, e in grouped.values()]
    return workbook(Sheet("花名册", HEADER, rows, widths=(16, 14, 20, 24, 14, 26)))
