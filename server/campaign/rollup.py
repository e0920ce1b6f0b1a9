"""The stage roll-up from counters (issue 20): kept per branch run, summed over a subtree when read.

**Writing.** ``refresh`` recounts *one* branch run from its base tables (its pledges, its
ratings, its open tasks with a due date; at most a branch's fifty members) and writes its
``campaign_branch_count`` row and its ``campaign_branch_due`` rows. It runs in the
transaction of every step that can change them: after every save of a
``vanguard_campaign_branch`` instance (a completion of any of its tasks, a pledge body's step,
a timer, a withdrawal by date, by an overseer or by a transfer, the stage changes these bring)
and when the instance is cancelled. A branch's counters therefore equal a recount by
construction (``server.campaign.recount``, used by the exactness test and ``repair``), and no
counter row is shared by two branches: a completion never waits on a district-wide row.

**Reading.** ``listing`` sums the branch rows of the subtree grouped by the listed unit they
fall under (one grouped query over the counters, one over the due dates that have passed), so
its cost grows with the branches of the subtree in a narrow index, not with members, pledges,
ratings or tasks. ``tree`` gives every unit of the subtree for the xlsx export.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, insert, literal_column, select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from server.campaign.models import CampaignBranch, CampaignPledge, CampaignRating
from server.campaign.rollup_models import CampaignBranchCount, CampaignBranchDue
from server.org.models import OrgUnit
from server.workflow.engine import Snapshot
from server.workflow.models import ProcessInstance

COUNTS = ("members", "pledged", "approved", "fulfilled", "rated", "appraised", "raters_done",
          "overdue_pledges", "overdue_tasks")
STORED = COUNTS[:7]
PLEDGE_TASK = "DraftPledge"
LISTING_LIMIT = 100
"""Levels below the unit's children are listed only while the listing stays this short."""
MAX_LEVELS = 4


# -- writing -----------------------------------------------------------------------------------


def on_branch_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    # The main workflow's first save; a detached body's completion is saved before its main
    # workflow's version rises, so it never counts as one.
    refresh(session, instance, first_save=instance.lock_version == 1 and snapshot.part is None)


def on_branch_cancelled(session: Session, instance: ProcessInstance) -> None:
    refresh(session, instance)


def refresh(session: Session, instance: ProcessInstance, *, first_save: bool = False) -> None:
    """Recount one branch run's counters from its base tables, in the caller's transaction.

    At a run's first save (its start; a launch makes thousands in a row) nothing can have been
    pledged or rated yet and no counter or due-date row exists: only its open tasks are read.
    """
    run = session.get(CampaignBranch, instance.id)
    if run is None:  # not recorded yet (the first save records it before this hook)
        return
    counts = dict.fromkeys(_COUNTED, 0) if first_save else branch_counts(session, instance.id)
    row = None if first_save else session.get(CampaignBranchCount, instance.id)
    if row is None:
        row = CampaignBranchCount(branch_instance_id=instance.id, campaign_id=run.campaign_id,
                                  org_unit_id=run.org_unit_id)
        session.add(row)
    values = {"state": instance.state, "stage": instance.stage, "members": run.member_count, **counts}
    for key, value in values.items():
        if getattr(row, key, None) != value:
            setattr(row, key, value)
    _write_dues(session, run, branch_dues(session, instance.id), stored_nothing=first_save)


_COUNTED = ("pledged", "approved", "fulfilled", "rated", "appraised", "raters_done")


def branch_counts(session: Session, instance_id: int) -> dict[str, int]:
    pledged, approved, fulfilled, rated = session.execute(
        select(func.count(CampaignPledge.id), func.count(CampaignPledge.approved_at),
               func.count(CampaignPledge.reported_at), func.count(CampaignPledge.rated_at))
        .where(CampaignPledge.branch_instance_id == instance_id)
    ).one()
    appraised, raters_done = session.execute(
        select(func.count(func.distinct(CampaignRating.ratee_id)), func.count(func.distinct(CampaignRating.rater_id)))
        .where(CampaignRating.branch_instance_id == instance_id)
    ).one()
    return {"pledged": pledged, "approved": approved, "fulfilled": fulfilled, "rated": rated,
            "appraised": appraised, "raters_done": raters_done}


def branch_dues(session: Session, instance_id: int) -> dict[datetime, tuple[int, int]]:
    """Open tasks with a due date, per due date: (tasks, of which pledge drafts)."""
    return {
        due_at: (tasks, int(pledges or 0)) for due_at, tasks, pledges in session.execute(
            select(Task.due_at, func.count(Task.id), func.sum(case((Task.element_id == PLEDGE_TASK, 1), else_=0)))
            .where(Task.instance_id == instance_id, Task.state == OPEN, Task.due_at.is_not(None))
            .group_by(Task.due_at)
        )
    }


def _write_dues(session: Session, run: CampaignBranch, dues: dict[datetime, tuple[int, int]], *,
                stored_nothing: bool = False) -> None:
    """Replace the branch's due-date rows when they changed (plain statements: no ORM objects)."""
    table = _DUES
    if not stored_nothing:
        stored = {
            due_at: (tasks, pledges) for due_at, tasks, pledges in session.execute(
                select(table.c.due_at, table.c.tasks, table.c.pledges)
                .where(table.c.branch_instance_id == run.instance_id))
        }
        if stored == dues:
            return
        session.execute(delete(table).where(table.c.branch_instance_id == run.instance_id))
    if dues:
        session.execute(insert(table), [
            {"branch_instance_id": run.instance_id, "due_at": due_at, "campaign_id": run.campaign_id,
             "org_unit_id": run.org_unit_id, "tasks": tasks, "pledges": pledges}
            for due_at, (tasks, pledges) in dues.items()])


_DUES = cast(Table, CampaignBranchDue.__table__)


# -- reading -----------------------------------------------------------------------------------


def stage_key(state: str, stage: str | None) -> str:
    return state if state in ("completed", "cancelled") else (stage or "starting")


def listing(session: Session, unit: OrgUnit, campaign_id: int, now: datetime) -> list[dict[str, Any]]:
    """The unit, its children, and deeper levels while the listing stays short; each with its
    own run and the sums over its subtree."""
    listed, levels = _listed_units(session, unit)
    rows = _empty_rows(listed, unit)
    by_path = {u.path: rows[u.id] for u in listed}
    key = _group_key(session, len(unit.path), levels)
    in_subtree = OrgUnit.path.like(f"{unit.path}%")
    sums = session.execute(
        select(key, CampaignBranchCount.state, CampaignBranchCount.stage, func.count(),
               *[func.sum(getattr(CampaignBranchCount, k)) for k in STORED])
        .join(OrgUnit, OrgUnit.id == CampaignBranchCount.org_unit_id)
        .where(CampaignBranchCount.campaign_id == campaign_id, in_subtree)
        .group_by(key, CampaignBranchCount.state, CampaignBranchCount.stage)
    ).all()
    for path, state, stage, branches, *values in sums:
        code = stage_key(state, stage)
        for row in _covering(by_path, path, unit.path):
            row["branches"] += branches
            row["completed"] += branches if state == "completed" else 0
            row["stages"][code] = row["stages"].get(code, 0) + branches
            for k, v in zip(STORED, values, strict=True):
                row[k] += int(v or 0)
    late = session.execute(
        select(key, func.sum(CampaignBranchDue.tasks), func.sum(CampaignBranchDue.pledges))
        .join(OrgUnit, OrgUnit.id == CampaignBranchDue.org_unit_id)
        .where(CampaignBranchDue.campaign_id == campaign_id, CampaignBranchDue.due_at < now, in_subtree)
        .group_by(key)
    ).all()
    for path, tasks, pledges in late:
        for row in _covering(by_path, path, unit.path):
            row["overdue_tasks"] += int(tasks or 0)
            row["overdue_pledges"] += int(pledges or 0)
    _own_runs(session, campaign_id, rows)
    return list(rows.values())


def _listed_units(session: Session, unit: OrgUnit) -> tuple[list[Any], int]:
    """The unit and its children, then further levels while the total stays ≤ LISTING_LIMIT."""
    columns = (OrgUnit.id, OrgUnit.parent_id, OrgUnit.path, OrgUnit.code, OrgUnit.name, OrgUnit.type)
    listed: list[Any] = list(session.execute(select(*columns).where(OrgUnit.id == unit.id)).all())
    parents, levels = [unit.id], 0
    while parents and levels < MAX_LEVELS and (levels == 0 or len(listed) < LISTING_LIMIT):
        query = select(*columns).where(OrgUnit.parent_id.in_(parents))
        if levels >= 1:  # a level that would not fit is never read whole (a district's 20,000 branches)
            query = query.limit(LISTING_LIMIT - len(listed) + 1)
        children = session.execute(query).all()
        if not children or (levels >= 1 and len(listed) + len(children) > LISTING_LIMIT):
            break
        listed.extend(children)
        parents, levels = [c.id for c in children], levels + 1
    return sorted(listed, key=lambda u: _path_ids(u.path)), levels


def _path_ids(path: str) -> tuple[int, ...]:
    return tuple(int(p) for p in path.strip("/").split("/") if p)


def _empty_rows(units: Iterable[Any], top: OrgUnit) -> dict[int, dict[str, Any]]:
    top_depth = len(_path_ids(top.path))
    return {
        u.id: {
            "unit": {"id": u.id, "code": u.code, "name": u.name, "type": u.type},
            "parent_id": u.parent_id,
            "depth": len(_path_ids(u.path)) - top_depth,
            "run": None, "branches": 0, "completed": 0, "stages": {},
            **{k: 0 for k in COUNTS},
        }
        for u in units
    }


def _group_key(session: Session, prefix_length: int, levels: int) -> Any:
    """The path of the listed unit a branch's unit falls under: its path cut after ``levels``
    segments below the prefix (fewer when the branch's unit is shallower)."""
    find = func.strpos if session.get_bind().dialect.name == "postgresql" else func.instr
    length: Any = literal_column(str(prefix_length))
    for _ in range(levels):
        length = length + find(func.substr(OrgUnit.path, length + 1), "/")
    return func.substr(OrgUnit.path, 1, length)


def _covering(by_path: dict[str, dict[str, Any]], path: str, top: str) -> list[dict[str, Any]]:
    """The listed rows whose unit is ``path``'s unit or one of its ancestors up to the top."""
    found = []
    ids = path[len(top):].strip("/").split("/") if len(path) > len(top) else []
    current = top
    if top in by_path:
        found.append(by_path[top])
    for segment in ids:
        current = f"{current}{segment}/"
        if current in by_path:
            found.append(by_path[current])
    return found


def _own_runs(session: Session, campaign_id: int, rows: dict[int, dict[str, Any]]) -> None:
    for instance_id, unit_id, state, stage, label in session.execute(
        select(CampaignBranch.instance_id, CampaignBranch.org_unit_id, ProcessInstance.state, ProcessInstance.stage,
               ProcessInstance.stage_label)
        .join(ProcessInstance, ProcessInstance.id == CampaignBranch.instance_id)
        .where(CampaignBranch.campaign_id == campaign_id, CampaignBranch.org_unit_id.in_(list(rows)))
    ):
        rows[unit_id]["run"] = {"instance_id": instance_id, "state": state, "stage": stage, "stage_label": label}


def tree(session: Session, unit: OrgUnit, campaign_id: int, now: datetime,
         labels: dict[str, str]) -> list[dict[str, Any]]:
    """Every unit of the subtree in tree order with its sums (the xlsx export): one pass over
    the subtree's units and its branch counters, whatever the members and tasks."""
    in_subtree = OrgUnit.path.like(f"{unit.path}%")
    units = sorted(session.execute(
        select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.path, OrgUnit.code, OrgUnit.name, OrgUnit.type).where(in_subtree)
    ).all(), key=lambda u: _path_ids(u.path))
    rows = _empty_rows(units, unit)
    late = {
        instance_id: (int(tasks or 0), int(pledges or 0)) for instance_id, tasks, pledges in session.execute(
            select(CampaignBranchDue.branch_instance_id, func.sum(CampaignBranchDue.tasks),
                   func.sum(CampaignBranchDue.pledges))
            .join(OrgUnit, OrgUnit.id == CampaignBranchDue.org_unit_id)
            .where(CampaignBranchDue.campaign_id == campaign_id, CampaignBranchDue.due_at < now, in_subtree)
            .group_by(CampaignBranchDue.branch_instance_id))
    }
    for count in session.scalars(
        select(CampaignBranchCount).join(OrgUnit, OrgUnit.id == CampaignBranchCount.org_unit_id)
        .where(CampaignBranchCount.campaign_id == campaign_id, in_subtree)
    ):
        own = rows.get(count.org_unit_id)
        if own is None:
            continue
        own["run"] = {"instance_id": count.branch_instance_id, "state": count.state, "stage": count.stage,
                      "stage_label": labels.get(count.stage or "")}
        code = stage_key(count.state, count.stage)
        values = {k: getattr(count, k) for k in STORED}
        values["overdue_tasks"], values["overdue_pledges"] = late.get(count.branch_instance_id, (0, 0))
        current: int | None = count.org_unit_id
        while current is not None and current in rows:
            row = rows[current]
            row["branches"] += 1
            row["completed"] += 1 if count.state == "completed" else 0
            row["stages"][code] = row["stages"].get(code, 0) + 1
            for k, v in values.items():
                row[k] += v
            current = row["parent_id"]
    return list(rows.values())
