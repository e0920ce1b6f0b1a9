"""The vanguard campaign (争做先锋活动): plan, per-branch runs, ledgers and their rules.

Processes (docs/campaign.md):

* ``vanguard_campaign``: one instance at the district or party committee that
  holds the plan (实施方案). Starting it creates a ``Campaign`` row and a
  ``CampaignLaunch``; ``server.campaign.launch`` then creates one
  ``vanguard_campaign_branch`` instance per target unit, in batches, outside the
  request. The parent instance is never written by its branches: its view of
  them is SQL over child instances and ledger rows (``server.campaign.board``).
* ``vanguard_campaign_branch``: one instance per branch. Members and raters are
  read from positions when the instance starts; each member's pledge runs in
  a multi-instance subprocess of that branch instance only, so a member's click
  loads and saves his own branch and nothing else.

Rules that are not expressible in a JSON Schema (dates against the timetable,
who may be rated, commendation against the appraisal) are enforced here, in a
completion hook that runs before the engine sees the data; ledger rows are
written by the same hook, in the same transaction as the completion.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, event, func, insert, select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from inbox.service import register_completion_hook, validate_form
from server import audit, clock
from server.calendar.due import SHANGHAI
from server.campaign.models import (
    GRADES,
    LAUNCH_PENDING,
    Campaign,
    CampaignBranch,
    CampaignCommendation,
    CampaignLaunch,
    CampaignPledge,
    CampaignRating,
)
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.org.models import UNIT_TYPES, OrgUnit, Person, Position
from server.org.tree import active_position_filter, holders, person_by_username
from server.workflow.definitions import form_schema
from server.workflow.engine import Snapshot
from server.workflow.instances import register_save_hook, register_start_hook
from server.workflow.models import ProcessDefinition, ProcessInstance

CAMPAIGN = "vanguard_campaign"
BRANCH = "vanguard_campaign_branch"
STAGES = ("mobilise", "pledge", "fulfil", "review", "appraisal", "commendation")
CAMPAIGN_UNIT_TYPES = ("district", "party_committee")
QUESTIONS = ("party_spirit", "service", "vanguard")
GRADE_LABELS = {"excellent": "优秀", "qualified": "合格", "basically_qualified": "基本合格", "unqualified": "不合格"}
COMMENDABLE = ("excellent", "qualified")


def today() -> date:
    """Today's date where the organisation is (Asia/Shanghai), by the server clock."""
    return clock.now().astimezone(SHANGHAI).date()


def _parse_date(value: Any, field_name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise Invalid(f"{field_name} must be a date (YYYY-MM-DD)",
                      [{"field": field_name, "message": "not a date"}]) from exc


# -- who is who ------------------------------------------------------------------------------


def members_of(session: Session, unit_id: int) -> list[Person]:
    """Party members of one unit (active ``member`` positions), by username."""
    return holders(session, unit_id, "member")


def raters_of(session: Session, unit_id: int) -> list[Person]:
    """Who rates in the mass appraisal: the unit's members and its masses representatives."""
    people = {p.id: p for p in members_of(session, unit_id)}
    for rep in holders(session, unit_id, "masses_rep"):
        people.setdefault(rep.id, rep)
    return sorted(people.values(), key=lambda p: p.username)


def may_view_unit(session: Session, person: Person, unit: OrgUnit) -> bool:
    """Anyone holding a position in the unit or in a unit above it (its leaders)."""
    found = session.scalar(
        select(Position.id).where(
            Position.person_id == person.id,
            Position.org_unit_id.in_(unit.ancestor_ids()),
            active_position_filter(),
        ).limit(1)
    )
    return found is not None


def check_may_view_unit(session: Session, person: Person, unit: OrgUnit) -> None:
    if not may_view_unit(session, person, unit):
        raise Forbidden(f"you hold no position in {unit.name} or a unit above it")


def holds_role_in(session: Session, person: Person, unit_id: int, roles: tuple[str, ...]) -> bool:
    found = session.scalar(
        select(Position.id).where(
            Position.person_id == person.id, Position.org_unit_id == unit_id, Position.role.in_(roles),
            active_position_filter(),
        ).limit(1)
    )
    return found is not None


def target_units_query(unit: OrgUnit, unit_types: list[str]) -> Any:
    """Units of the given types in the subtree of ``unit`` (itself included), by id."""
    return (
        select(OrgUnit)
        .where(OrgUnit.path.startswith(unit.path), OrgUnit.type.in_(unit_types))
        .order_by(OrgUnit.id)
    )


# -- starting the campaign and its branches ------------------------------------------------------


def _check_timetable(timetable: dict[str, Any]) -> dict[str, str]:
    problems = []
    result: dict[str, str] = {}
    previous: tuple[str, date] | None = None
    now = today()
    for stage in STAGES:
        name = f"timetable.{stage}"
        value = _parse_date(timetable.get(stage), name)
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


def _start_campaign(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
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


def _start_branch(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
                  actor: Person | None, parent_id: int | None) -> dict[str, Any]:
    campaign = session.get(Campaign, parent_id) if parent_id is not None else None
    if campaign is None:
        raise Invalid(
            f"'{BRANCH}' is started by launching a '{CAMPAIGN}', not by hand",
            [{"field": "process_key", "message": "started by a campaign launch only"}],
        )
    members = members_of(session, unit.id)
    raters = raters_of(session, unit.id)
    names = {p.username: p.display_name for p in raters}
    return {
        "title": f"{campaign.title}·{unit.name}",
        "campaign_id": campaign.instance_id,
        "campaign_theme": campaign.theme,
        "campaign_carrier": campaign.carrier,
        "timetable": dict(campaign.timetable),
        "members": [p.username for p in members],
        "raters": [p.username for p in raters],
        "member_names": names,
    }


def _after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` once the session's transaction has committed (never if it rolls back)."""

    def fire(_session: Session) -> None:
        fn()

    event.listen(session, "after_commit", fire, once=True)


def _on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
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
    session.flush()


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
    from server.campaign import launch as campaign_launch  # the launcher imports this module

    launch_id = launch.id
    _after_commit(session, lambda: campaign_launch.dispatch_launch(launch_id))


# -- completion rules and ledger writes ---------------------------------------------------------


@dataclass
class Completion:
    session: Session
    task: Task
    person: Person
    data: dict[str, Any]
    confidential: dict[str, Any]
    now: datetime = field(default_factory=clock.now)

    def field(self, name: str) -> Any:
        """A submitted value, whether the form marks it confidential or not."""
        if name in self.confidential:
            return self.confidential[name]
        return self.data.get(name)


Handler = Callable[[Completion], bool | None]
_HANDLERS: dict[tuple[str, str], Handler] = {}


def handles(process_key: str, element_id: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[(process_key, element_id)] = fn
        return fn

    return register


def _on_complete(session: Session, task: Task, person: Person, data: dict[str, Any],
                 confidential: dict[str, Any]) -> bool | None:
    handler = _HANDLERS.get((task.process_key, task.element_id))
    if handler is None:
        return None
    return handler(Completion(session, task, person, data, confidential))


def branch_of(session: Session, instance_id: int) -> CampaignBranch:
    branch = session.get(CampaignBranch, instance_id)
    if branch is None:
        raise NotFound(f"process instance {instance_id} is not a campaign branch")
    return branch


def _people(session: Session, usernames: list[str]) -> dict[str, Person]:
    if not usernames:
        return {}
    return {p.username: p for p in session.scalars(select(Person).where(Person.username.in_(usernames)))}


def _member_id(c: Completion) -> int:
    """The member a pledge task is about (its ``member``): often the person completing it."""
    member = str(c.task.data.get("member"))
    return c.person.id if c.person.username == member else person_by_username(c.session, member).id


_PLEDGE = select(CampaignPledge).where(CampaignPledge.branch_instance_id == bindparam("branch"),
                                      CampaignPledge.person_id == bindparam("person"))
_BRANCH_CAMPAIGN_PLEDGE = (
    select(CampaignBranch.campaign_id, CampaignBranch.org_unit_id, Campaign.timetable, CampaignPledge)
    .join(Campaign, Campaign.instance_id == CampaignBranch.campaign_id)
    .outerjoin(CampaignPledge, and_(CampaignPledge.branch_instance_id == CampaignBranch.instance_id,
                                    CampaignPledge.person_id == bindparam("person")))
    .where(CampaignBranch.instance_id == bindparam("branch"))
)
"""What a draft needs: the branch run's campaign and unit, the plan's dates, the member's pledge if any."""


def _pledge_of(c: Completion) -> CampaignPledge:
    member_id = _member_id(c)
    pledge = c.session.scalar(_PLEDGE, {"branch": c.task.instance_id, "person": member_id})
    if pledge is None:
        member = c.session.get(Person, member_id)
        raise Conflict(f"{member.display_name if member else c.task.data.get('member')} has no pledge on record "
                       "in this branch")
    return pledge


@handles(CAMPAIGN, "CloseCampaign")
def _close_campaign(c: Completion) -> None:
    campaign = c.session.get(Campaign, c.task.instance_id)
    if campaign is not None:
        campaign.summary = c.data.get("summary")
        campaign.closed_at = c.now


@handles(BRANCH, "Mobilise")
def _mobilise(c: Completion) -> None:
    branch = branch_of(c.session, c.task.instance_id)
    branch.theme = c.data["theme"]
    branch.carrier = c.data["carrier"]
    branch.meeting_date = _parse_date(c.data["meeting_date"], "meeting_date")
    branch.meeting_place = c.data["meeting_place"]
    branch.attendance = c.data.get("attendance")
    branch.mobilised_at = c.now


@handles(BRANCH, "DraftPledge")
def _draft_pledge(c: Completion) -> None:
    member_id = _member_id(c)
    found = c.session.execute(_BRANCH_CAMPAIGN_PLEDGE, {"branch": c.task.instance_id, "person": member_id}
                              ).one_or_none()
    if found is None:
        raise NotFound(f"process instance {c.task.instance_id} is not a campaign branch")
    campaign_id, org_unit_id, timetable, pledge = found
    deadline = _parse_date(c.data["deadline"], "deadline")
    last = date.fromisoformat(timetable["fulfil"])
    if deadline < today():
        raise Invalid("the pledge's deadline is in the past", [{"field": "deadline", "message": "in the past"}])
    if deadline > last:
        raise Invalid(
            f"the pledge must be fulfilled by the end of the fulfilment stage ({last.isoformat()})",
            [{"field": "deadline", "message": f"after {last.isoformat()}"}],
        )
    entry = {"content": c.data["content"], "deadline": deadline, "state": "submitted", "submitted_at": c.now,
             "approved_at": None, "approved_by_id": None}
    if pledge is None:  # the first draft: a plain INSERT, no object to track
        c.session.connection().execute(_INSERT_PLEDGE, {
            **entry, "campaign_id": campaign_id, "branch_instance_id": c.task.instance_id,
            "org_unit_id": org_unit_id, "person_id": member_id, "returns": 0})
        return
    for key, value in entry.items():
        setattr(pledge, key, value)


_INSERT_PLEDGE = insert(cast(Table, CampaignPledge.__table__))


@handles(BRANCH, "ReviewPledge")
def _review_pledge(c: Completion) -> None:
    pledge = _pledge_of(c)
    if pledge.state != "submitted":
        raise Conflict("this pledge is not waiting for review")
    if c.data["decision"] == "approve":
        pledge.state = "approved"
        pledge.approved_at = c.now
        pledge.approved_by_id = c.person.id
        pledge.return_reason = None
    else:
        pledge.state = "returned"
        pledge.returns = (pledge.returns or 0) + 1
        pledge.return_reason = c.data.get("reason")


@handles(BRANCH, "ReportFulfilment")
def _report_fulfilment(c: Completion) -> None:
    completed_on = _parse_date(c.data["completed_on"], "completed_on")
    if completed_on > today():
        raise Invalid("the completion date is in the future", [{"field": "completed_on", "message": "in the future"}])
    pledge = _pledge_of(c)
    pledge.state = "reported"
    pledge.report = c.data["report"]
    pledge.completed_on = completed_on
    pledge.reported_at = c.now


@handles(BRANCH, "RateFulfilment")
def _rate_fulfilment(c: Completion) -> None:
    pledge = _pledge_of(c)
    pledge.state = "rated"
    pledge.rating = c.data["rating"]
    pledge.rating_comment = c.data.get("comment")
    pledge.rated_at = c.now
    pledge.rated_by_id = c.person.id


def _members_in_task(c: Completion) -> list[str]:
    members = c.task.data.get("members")
    if isinstance(members, list):
        return [str(m) for m in members]
    branch = branch_of(c.session, c.task.instance_id)
    return [p.username for p in members_of(c.session, branch.org_unit_id)]


def _check_people(items: list[dict[str, Any]], allowed: list[str], list_name: str,
                  exclude: str | None = None, exclude_message: str = "") -> list[dict[str, str]]:
    """Each item's ``member`` must be allowed, not excluded and not repeated."""
    problems = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        name = f"{list_name}.{i}.member"
        member = item.get("member")
        if exclude is not None and member == exclude:
            problems.append({"field": name, "message": exclude_message})
        elif member not in allowed:
            problems.append({"field": name, "message": f"'{member}' is not a member of this branch"})
        elif member in seen:
            problems.append({"field": name, "message": f"'{member}' appears more than once"})
        seen.add(str(member))
    return problems


@handles(BRANCH, "LeaderReview")
def _leader_review(c: Completion) -> None:
    comments = c.data.get("member_comments") or []
    problems = _check_people(comments, _members_in_task(c), "member_comments")
    if problems:
        raise Invalid("the comments name people who are not members of this branch", problems)
    branch = branch_of(c.session, c.task.instance_id)
    branch.review_achievements = c.data["achievements"]
    branch.review_problems = c.data["problems"]
    branch.review_direction = c.data["direction"]
    branch.review_member_comments = comments
    branch.reviewed_by_id = c.person.id
    branch.reviewed_at = c.now


@handles(BRANCH, "MassAppraisal")
def _mass_appraisal(c: Completion) -> bool:
    ratings = c.field("ratings") or []
    rater_name = str(c.task.data.get("rater"))
    members = _members_in_task(c)
    problems = _check_people(ratings, members, "ratings", exclude=rater_name,
                             exclude_message="nobody rates himself")
    rated = {r.get("member") for r in ratings}
    missing = [m for m in members if m != rater_name and m not in rated]
    if missing:
        problems.append({"field": "ratings", "message": f"rate every other member; missing: {', '.join(missing)}"})
    if problems:
        raise Invalid("the appraisal has errors in: " + ", ".join(p["field"] for p in problems), problems)
    branch = branch_of(c.session, c.task.instance_id)
    rater = person_by_username(c.session, rater_name)
    already = c.session.scalar(
        select(func.count(CampaignRating.id)).where(CampaignRating.branch_instance_id == branch.instance_id,
                                                    CampaignRating.rater_id == rater.id)
    )
    if already:
        raise Conflict(f"{rater.display_name} has already rated the members of this branch; "
                       "each rater rates each member once")
    people = _people(c.session, [r["member"] for r in ratings])
    for r in ratings:
        c.session.add(CampaignRating(
            campaign_id=branch.campaign_id, branch_instance_id=branch.instance_id, org_unit_id=branch.org_unit_id,
            rater_id=rater.id, ratee_id=people[r["member"]].id, party_spirit=r["party_spirit"],
            service=r["service"], vanguard=r["vanguard"], created_at=c.now,
        ))
    c.session.flush()
    still_open = c.session.scalar(
        select(func.count(Task.id)).where(Task.instance_id == branch.instance_id, Task.state == OPEN,
                                          Task.element_id == "MassAppraisal", Task.id != c.task.id)
    )
    if not still_open:
        branch.appraisal_published_at = c.now
        audit.record(c.session, "campaign.appraisal_published", actor=c.person, instance_id=branch.instance_id)
    return True


@handles(BRANCH, "Commendation")
def _commendation(c: Completion) -> None:
    chosen = c.data.get("excellent_members") or []
    problems = _check_people(chosen, _members_in_task(c), "excellent_members")
    branch = branch_of(c.session, c.task.instance_id)
    results = {r["member"]: r for r in appraisal_results(c.session, branch.instance_id)}
    for i, item in enumerate(chosen):
        result = results.get(item.get("member"))
        if result is not None and result["overall"] not in COMMENDABLE:
            problems.append({
                "field": f"excellent_members.{i}.member",
                "message": f"the mass appraisal rated {result['name']} {GRADE_LABELS[result['overall']]}",
            })
    if problems:
        raise Invalid("the commendation has errors in: " + ", ".join(p["field"] for p in problems), problems)
    people = _people(c.session, [item["member"] for item in chosen])
    if c.data.get("advanced_branch"):
        c.session.add(CampaignCommendation(
            campaign_id=branch.campaign_id, branch_instance_id=branch.instance_id, org_unit_id=branch.org_unit_id,
            kind="branch", citation=c.data.get("branch_citation") or "", commended_by_id=c.person.id,
            commended_at=c.now,
        ))
    for item in chosen:
        c.session.add(CampaignCommendation(
            campaign_id=branch.campaign_id, branch_instance_id=branch.instance_id, org_unit_id=branch.org_unit_id,
            kind="member", person_id=people[item["member"]].id, citation=item["citation"],
            commended_by_id=c.person.id, commended_at=c.now,
        ))
    branch.commended_at = c.now
    branch.commended_by_id = c.person.id


# -- the appraisal's aggregation ------------------------------------------------------------------


def overall_grade(votes: Counter[str]) -> str:
    """The grade with the most votes over the three questions; a tie goes to the lower grade."""
    if not votes:
        return "qualified"
    best = max(votes.values())
    return [g for g in GRADES if votes[g] == best][-1]


def appraisal_results(session: Session, branch_instance_id: int) -> list[dict[str, Any]]:
    """Per member: votes per question and grade, the overall grade, and a must-talk flag.

    Every rating gives three votes (one per question). ``needs_talk`` is set when
    basically qualified and unqualified votes together reach a third of the
    member's votes (a must-talk trigger of the talk programme).
    """
    rows = session.execute(
        select(CampaignRating.ratee_id, CampaignRating.party_spirit, CampaignRating.service,
               CampaignRating.vanguard)
        .where(CampaignRating.branch_instance_id == branch_instance_id)
    ).all()
    per: dict[int, dict[str, Counter[str]]] = {}
    raters: Counter[int] = Counter()
    for ratee_id, *grades in rows:
        questions = per.setdefault(ratee_id, {q: Counter() for q in QUESTIONS})
        for q, grade in zip(QUESTIONS, grades, strict=True):
            questions[q][grade] += 1
        raters[ratee_id] += 1
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(list(per))))} if per else {}
    results: list[dict[str, Any]] = []
    for ratee_id, questions in per.items():
        total: Counter[str] = Counter()
        for counter in questions.values():
            total.update(counter)
        votes = sum(total.values())
        low = total["basically_qualified"] + total["unqualified"]
        overall = overall_grade(total)
        person = people[ratee_id]
        results.append({
            "member": person.username,
            "name": person.display_name,
            "raters": raters[ratee_id],
            "questions": {q: {g: questions[q][g] for g in GRADES} for q in QUESTIONS},
            "votes": {g: total[g] for g in GRADES},
            "overall": overall,
            "overall_label": GRADE_LABELS[overall],
            "needs_talk": votes > 0 and low * 3 >= votes,
        })
    results.sort(key=lambda r: str(r["member"]))
    return results


register_start_hook(CAMPAIGN, _start_campaign)
register_start_hook(BRANCH, _start_branch)
register_save_hook(_on_saved)
register_completion_hook(_on_complete)
