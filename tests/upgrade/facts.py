"""What a database holds that an upgrade must keep, read with plain SQL (any release's schema).

For each open task: who may claim it (the people holding one of its candidate positions)
and who holds it; the rows of every table; the timer jobs waiting; the instances' states.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import create_engine, inspect, text


@dataclass(frozen=True)
class OpenTask:
    id: int
    process_key: str
    element_id: str
    instance_id: int
    org_unit_id: int
    role: str | None
    assignee: str | None
    bound_to: str | None
    offered_to: frozenset[tuple[int, str]]
    """(org unit id, role) candidate pairs."""
    claimable_by: frozenset[str]
    """Usernames holding one of those positions."""

    @property
    def seen_as(self) -> tuple[str | None, frozenset[str]]:
        """Who holds it, and who else may claim it: what an inbox shows."""
        return self.assignee, self.claimable_by


@dataclass
class Facts:
    open_tasks: dict[int, OpenTask]
    rows: dict[str, int]
    waiting_jobs: dict[int, str]
    """Waiting timer jobs: id -> key."""
    instances: dict[int, str]
    """Instance id -> state."""
    candidates: int
    """All ``task_candidate`` rows, of open and closed tasks."""


OPEN_TASKS = """
SELECT t.id, t.process_key, t.element_id, t.instance_id, t.org_unit_id, t.role, a.username, b.username
FROM task t LEFT JOIN person a ON a.id = t.assignee_id LEFT JOIN person b ON b.id = t.bound_to_id
WHERE t.state = 'open'
"""
CANDIDATES = """
SELECT tc.task_id, tc.org_unit_id, tc.role, p.username
FROM task_candidate tc JOIN task t ON t.id = tc.task_id
LEFT JOIN position pos ON pos.org_unit_id = tc.org_unit_id AND pos.role = tc.role
LEFT JOIN person p ON p.id = pos.person_id
WHERE t.state = 'open'
"""


def read(url: str) -> Facts:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            tables = [t for t in inspect(c).get_table_names() if t != "alembic_version"]
            rows = {t: int(c.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() or 0) for t in tables}
            pairs: dict[int, set[tuple[int, str]]] = defaultdict(set)
            people: dict[int, set[str]] = defaultdict(set)
            for task_id, unit_id, role, username in c.execute(text(CANDIDATES)):
                pairs[task_id].add((unit_id, role))
                if username is not None:
                    people[task_id].add(username)
            open_tasks = {
                r[0]: OpenTask(id=r[0], process_key=r[1], element_id=r[2], instance_id=r[3], org_unit_id=r[4],
                               role=r[5], assignee=r[6], bound_to=r[7], offered_to=frozenset(pairs[r[0]]),
                               claimable_by=frozenset(people[r[0]]))
                for r in c.execute(text(OPEN_TASKS))
            }
            jobs: dict[int, str] = {}
            if "timer_job" in tables:
                jobs = {r[0]: r[1] for r in c.execute(text("SELECT id, key FROM timer_job WHERE state = 'waiting'"))}
            instances = {r[0]: r[1] for r in c.execute(text("SELECT id, state FROM process_instance"))}
            return Facts(open_tasks=open_tasks, rows=rows, waiting_jobs=jobs, instances=instances,
                         candidates=rows.get("task_candidate", 0))
    finally:
        engine.dispose()
