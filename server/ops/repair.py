"""Open tasks given back who may claim them, after an upgrade that deleted their candidates.

Migration 0007 run on SQLite with foreign keys on (releases before 0.2.0) rebuilt ``task``
and deleted every ``task_candidate`` row (issue #21). An open task offered to a role (not
bound to one person) always has candidate rows, unless its role expression names no unit; so
a task that has none lost them. They are computed again as the server computes them when
the task opens: ``server.org.resolve_candidates`` on the task's unit and role expression
(stored in ``task.role``). Running it again finds nothing to do.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, exists, func, insert, select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task, TaskCandidate
from server import audit
from server.org.models import OrgUnit
from server.org.tree import resolve_candidates

_OFFERED = (Task.state == OPEN, Task.role.is_not(None), Task.bound_to_id.is_(None))


@dataclass
class RepairReport:
    dry_run: bool = False
    examined: int = 0
    """Open tasks offered to a role (not bound to one person)."""
    missing: int = 0
    """Of those, tasks with no candidate rows."""
    tasks: Counter[str] = field(default_factory=Counter)
    """Per process key: tasks given their candidates back."""
    candidates: Counter[str] = field(default_factory=Counter)
    """Per process key: candidate rows written."""
    unresolved: list[tuple[int, str]] = field(default_factory=list)
    """(task id, role expression) that names no unit: left without candidates, as the server would."""
    invalid: list[tuple[int, str, str]] = field(default_factory=list)
    """(task id, role expression, why it does not parse)."""

    @property
    def restored(self) -> int:
        return sum(self.candidates.values())

    def lines(self) -> list[str]:
        verb = "would restore" if self.dry_run else "restored"
        lines = [f"candidates: {_n(self.examined, 'open task')} offered to a role, {self.missing} without candidates"]
        if self.missing:
            lines.append(f"  {verb} {_n(self.restored, 'candidate')} of {_n(sum(self.tasks.values()), 'task')}")
        for key in sorted(self.candidates):
            lines.append(f"    {key}: {_n(self.tasks[key], 'task')}, {_n(self.candidates[key], 'candidate')}")
        for task_id, role in self.unresolved:
            lines.append(f"  task {task_id}: '{role}' names no unit; left unoffered")
        for task_id, role, why in self.invalid:
            lines.append(f"  task {task_id}: '{role}' is not a role expression ({why}); left unoffered")
        return lines


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def repair_candidates(session: Session, *, dry_run: bool = False) -> RepairReport:
    """Give every open role task without candidates the candidates its role expression names."""
    report = RepairReport(dry_run=dry_run)
    report.examined = session.scalar(select(func.count(Task.id)).where(*_OFFERED)) or 0
    lost = session.execute(
        select(Task.id, Task.instance_id, Task.process_key, Task.org_unit_id, Task.role)
        .where(*_OFFERED, ~exists().where(TaskCandidate.task_id == Task.id))
        .order_by(Task.id)
    ).all()
    report.missing = len(lost)
    rows = []
    for task_id, instance_id, process_key, unit_id, role in lost:
        unit = session.get(OrgUnit, unit_id)
        assert unit is not None and role is not None  # a foreign key; the query's condition
        try:
            pairs = resolve_candidates(session, unit, role)
        except ValueError as exc:
            report.invalid.append((task_id, role, str(exc)))
            continue
        if not pairs:
            report.unresolved.append((task_id, role))
            continue
        report.tasks[process_key] += 1
        report.candidates[process_key] += len(pairs)
        rows += [{"task_id": task_id, "org_unit_id": u, "role": r} for u, r in pairs]
        if not dry_run:
            audit.record(session, "task.candidates_restored", actor=None, instance_id=instance_id, task_id=task_id,
                         candidates=[{"org_unit_id": u, "role": r} for u, r in pairs])
    if rows and not dry_run:
        session.execute(insert(cast(Table, TaskCandidate.__table__)), rows)
    return report
