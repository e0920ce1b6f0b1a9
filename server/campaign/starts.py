"""Starting a campaign and its branch runs, and the ledger rows their first save writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from inbox.forms import validate_form
from server import audit, clock
from server.campaign import launch as campaign_launch
from server.campaign.models import (
    LAUNCH_PENDING,
    Campaign,
    CampaignBranch,
    CampaignLaunch,
)
from server.campaign.plan import (
    BRANCH,
    CAMPAIGN,
    CAMPAIGN_UNIT_TYPES,
    STAGES,
    members_and_raters,
    parse_date,
    target_units_query,
    today,
)
from server.errors import Invalid
from server.org.models import UNIT_TYPES, OrgUnit, Person
from server.workflow.definitions import form_schema
from server.workflow.engine import Snapshot
from server.workflow.models import ProcessDefinition, ProcessInstance


def _check_timetable(timetable: dict[str, Any]) -> dict[str, str]:
    problems = []
    result: dict[str, str] = {}
    previous: tuple[str, date] | None = None
    now = today()
    for stage in STAGES:
        name = f"timetable.{stage}"
        value = parse_date(timetable.get(stage), name)
        if value < now:
            problems.append({"field": name, "message": f"{value.isoformat()} is in the past"})
        if previous is not None and value < previous[1]:
            problems.append({"field": name, "message": f"must not be before the end of {previous[0]} "
                                                      f"({previous[1].isoformat()})"})
        previous = (stage, value)
        result[stage] = value.isoformat()
    if problems:
        raise Invalid("the timetable has errors in: " + ", ".join(p["field"] for p in problems), problems)
    return result


def start_campaign(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
                    actor: Person | None, parent_id: int | None) -> dict[str, Any]:
    data.setdefault("target_unit_types", ["branch"])
    validate_form(form_schema(definition, definition.start_form), data)
    if unit.type not in CAMPAIGN_UNIT_TYPES:
        raise Invalid(
            f"a campaign is launched by a district or party committee; {unit.name} is a {unit.type}",
            [{"field": "org_unit", "message": "not a district or party committee"}],
        )
    data["timetable"] = _check_timetable(data["timetable"])
    targets = [t for t in data["target_unit_types"] if t in UNIT_TYPES]
    count = session.scalar(select(func.count()).select_from(target_units_query(unit, targets).subquery()))
    if not count:
        raise Invalid(
            f"there is no unit of type {', '.join(targets)} under {unit.name}",
            [{"field": "target_unit_types", "message": "no such units in the subtree"}],
        )
    data.setdefault("title", f"{data['theme']}（{unit.name}）")
    return data


def start_branch(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
                  actor: Person | None, parent_id: int | None) -> dict[str, Any]:
    return start_branches(session, definition=definition, units=[unit], data=data, actor=actor,
                          parent_id=parent_id)[0]


def start_branches(session: Session, *, definition: ProcessDefinition, units: list[OrgUnit], data: dict[str, Any],
                   actor: Person | None, parent_id: int | None) -> list[dict[str, Any]]:
    """A branch run's start data (``start_branch``) for many branches at once: a launch's batch."""
    campaign = session.get(Campaign, parent_id) if parent_id is not None else None
    if campaign is None:
        raise Invalid(
            f"'{BRANCH}' is started by launching a '{CAMPAIGN}', not by hand",
            [{"field": "process_key", "message": "started by a campaign launch only"}],
        )
    people = members_and_raters(session, units)
    starts = []
    for unit in units:
        members, raters, names = people[unit.id]
        starts.append({
            "title": f"{campaign.title}·{unit.name}",
            "campaign_id": campaign.instance_id,
            "campaign_theme": campaign.theme,
            "campaign_carrier": campaign.carrier,
            "timetable": dict(campaign.timetable),
            "members": members,
            "raters": raters,
            "member_names": names,
        })
    return starts


def _after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` once the session's transaction has committed (never if it rolls back)."""

    def fire(_session: Session) -> None:
        fn()

    event.listen(session, "after_commit", fire, once=True)


def on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    """Record a campaign's plan and launch, or a branch's run, when its instance is first saved."""
    if instance.lock_version != 1:
        return
    key = instance.definition.key
    if key == BRANCH:
        _record_branch(session, instance, snapshot)
    elif key == CAMPAIGN:
        _record_campaign(session, instance, snapshot)


def _record_branch(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    data = snapshot.data
    session.add(CampaignBranch(
        instance_id=instance.id,
        campaign_id=data["campaign_id"],
        org_unit_id=instance.org_unit_id,
        member_count=len(data.get("members") or []),
        rater_count=len(data.get("raters") or []),
        review_member_comments=[],
    ))
    # Not flushed here: a launch's batch writes its branches' rows together (the next query or the commit).


def _record_campaign(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    data = snapshot.data
    unit = instance.org_unit
    campaign = Campaign(
        instance_id=instance.id,
        org_unit_id=unit.id,
        title=instance.title or data.get("title") or data["theme"],
        theme=data["theme"],
        carrier=data["carrier"],
        timetable=data["timetable"],
        target_unit_types=data["target_unit_types"],
        launched_by_id=instance.started_by_id,
        created_at=clock.now(),
    )
    session.add(campaign)
    session.flush()
    total = session.scalar(
        select(func.count()).select_from(target_units_query(unit, campaign.target_unit_types).subquery())
    ) or 0
    now = clock.now()
    launch = CampaignLaunch(campaign_id=instance.id, state=LAUNCH_PENDING, total=total, created_at=now,
                            updated_at=now)
    session.add(launch)
    session.flush()
    audit.record(session, "campaign.launch_requested", actor=instance.started_by, instance_id=instance.id,
                 launch_id=launch.id, targets=total)
    launch_id = launch.id
    _after_commit(session, lambda: campaign_launch.dispatch_launch(launch_id))
