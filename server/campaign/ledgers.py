"""The campaign's completion handlers: each checks what a schema cannot and writes its ledger row.

``COMPLETIONS`` is the table ``server.campaign.family`` plugs in, keyed by (process key,
element id); every handler runs in the completion's transaction, before the engine sees
the data, and refuses with a domain error that changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import Table, and_, bindparam, func, insert, select

from server import audit
from server.campaign.absences import settle_appraisal
from server.campaign.appraisal import appraisal_results
from server.campaign.models import (
    Campaign,
    CampaignBranch,
    CampaignCommendation,
    CampaignPledge,
    CampaignRating,
)
from server.campaign.plan import (
    BRANCH,
    CAMPAIGN,
    COMMENDABLE,
    GRADE_LABELS,
    branch_of,
    check_people,
    members_in_task,
    parse_date,
    people_by_username,
    today,
)
from server.campaign.review_models import BranchPledge, BranchRating, CampaignCircular
from server.errors import Conflict, Invalid, NotFound
from server.org.models import Person
from server.org.tree import person_by_username
from server.workflow.hooks import Completion, CompletionHandler


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


def _close_campaign(c: Completion) -> None:
    """Close the campaign; the year-end inspection and circular (集中检查, 通报) go on every board."""
    campaign = c.session.get(Campaign, c.task.instance_id)
    if campaign is not None:
        campaign.summary = c.data.get("summary")
        campaign.closed_at = c.now
        if c.data.get("circular"):  # the form of versions before issue 19 has no circular
            c.session.add(CampaignCircular(campaign_id=campaign.instance_id, inspection=c.data.get("inspection") or "",
                                           circular=c.data["circular"], published_by_id=c.person.id,
                                           published_at=c.now))


def _mobilise(c: Completion) -> None:
    branch = branch_of(c.session, c.task.instance_id)
    branch.theme = c.data["theme"]
    branch.carrier = c.data["carrier"]
    branch.meeting_date = parse_date(c.data["meeting_date"], "meeting_date")
    branch.meeting_place = c.data["meeting_place"]
    branch.attendance = c.data.get("attendance")
    branch.mobilised_at = c.now
    if c.data.get("branch_pledge"):  # 党组织公开承诺 (seed 004), beside the members'
        deadline = parse_date(c.data.get("branch_pledge_deadline"), "branch_pledge_deadline")
        fulfil = (c.task.data.get("timetable") or {}).get("fulfil")
        if fulfil and deadline > date.fromisoformat(fulfil):
            raise Invalid("the branch's pledge is due after the fulfilment stage",
                          [{"field": "branch_pledge_deadline", "message": "after the fulfilment stage"}])
        c.session.add(BranchPledge(branch_instance_id=branch.instance_id, campaign_id=branch.campaign_id,
                                   org_unit_id=branch.org_unit_id, content=c.data["branch_pledge"],
                                   deadline=deadline, pledged_by_id=c.person.id, pledged_at=c.now))


def _draft_pledge(c: Completion) -> None:
    member_id = _member_id(c)
    found = c.session.execute(_BRANCH_CAMPAIGN_PLEDGE, {"branch": c.task.instance_id, "person": member_id}
                              ).one_or_none()
    if found is None:
        raise NotFound(f"process instance {c.task.instance_id} is not a campaign branch")
    campaign_id, org_unit_id, timetable, pledge = found
    deadline = parse_date(c.data["deadline"], "deadline")
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


def _report_fulfilment(c: Completion) -> None:
    completed_on = parse_date(c.data["completed_on"], "completed_on")
    if completed_on > today():
        raise Invalid("the completion date is in the future", [{"field": "completed_on", "message": "in the future"}])
    pledge = _pledge_of(c)
    pledge.state = "reported"
    pledge.report = c.data["report"]
    pledge.completed_on = completed_on
    pledge.reported_at = c.now


def _rate_fulfilment(c: Completion) -> None:
    pledge = _pledge_of(c)
    pledge.state = "rated"
    pledge.rating = c.data["rating"]
    pledge.rating_comment = c.data.get("comment")
    pledge.rated_at = c.now
    pledge.rated_by_id = c.person.id


def _leader_review(c: Completion) -> None:
    comments = c.data.get("member_comments") or []
    problems = check_people(comments, members_in_task(c), "member_comments")
    if problems:
        raise Invalid("the comments name people who are not members of this branch", problems)
    branch = branch_of(c.session, c.task.instance_id)
    branch.review_achievements = c.data["achievements"]
    branch.review_problems = c.data["problems"]
    branch.review_direction = c.data["direction"]
    branch.review_member_comments = comments
    branch.reviewed_by_id = c.person.id
    branch.reviewed_at = c.now


def _mass_appraisal(c: Completion) -> bool:
    ratings = c.field("ratings") or []
    rater_name = str(c.task.data.get("rater"))
    members = members_in_task(c)
    problems = check_people(ratings, members, "ratings", exclude=rater_name,
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
    people = people_by_username(c.session, [r["member"] for r in ratings])
    for r in ratings:
        c.session.add(CampaignRating(
            campaign_id=branch.campaign_id, branch_instance_id=branch.instance_id, org_unit_id=branch.org_unit_id,
            rater_id=rater.id, ratee_id=people[r["member"]].id, party_spirit=r["party_spirit"],
            service=r["service"], vanguard=r["vanguard"], created_at=c.now,
        ))
    if c.field("branch_grade"):  # 组织评议: the branch itself, by the same rater
        c.session.add(BranchRating(campaign_id=branch.campaign_id, branch_instance_id=branch.instance_id,
                                   org_unit_id=branch.org_unit_id, rater_id=rater.id, grade=c.field("branch_grade"),
                                   created_at=c.now))
    c.session.flush()
    settle_appraisal(c.session, branch, c.person, c.now)
    return True


def _appraisal_shortfall(c: Completion) -> None:
    """Too few raters rated: the superior organisation publishes what there is, or voids the appraisal."""
    branch = branch_of(c.session, c.task.instance_id)
    branch.appraisal_decision = c.data["decision"]
    branch.appraisal_decision_reason = c.data["reason"]
    if c.data["decision"] == "publish":
        branch.appraisal_published_at = c.now
    audit.record(c.session, "campaign.appraisal_decided", actor=c.person, instance_id=branch.instance_id,
                 decision=c.data["decision"], reason=c.data["reason"])


def _commendation(c: Completion) -> None:
    chosen = c.data.get("excellent_members") or []
    problems = check_people(chosen, members_in_task(c), "excellent_members")
    branch = branch_of(c.session, c.task.instance_id)
    if chosen and branch.appraisal_decision == "void":
        problems.append({"field": "excellent_members", "message": "the mass appraisal was declared void "
                         f"({branch.appraisal_decision_reason}): no member can be commended on it"})
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
    people = people_by_username(c.session, [item["member"] for item in chosen])
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
    for item in c.data.get("recommend_upward") or []:  # 推荐上级表彰: the branch, or a member it commends
        who = item.get("member") or None
        if who is not None and who not in people:
            raise Invalid("recommend upward only a member commended here",
                          [{"field": "recommend_upward", "message": f"'{who}' is not commended here"}])
        c.session.add(CampaignCommendation(
            campaign_id=branch.campaign_id, branch_instance_id=branch.instance_id, org_unit_id=branch.org_unit_id,
            kind="recommend_member" if who else "recommend_branch", person_id=people[who].id if who else None,
            citation=item["reason"], commended_by_id=c.person.id, commended_at=c.now,
        ))
    branch.commended_at = c.now
    branch.commended_by_id = c.person.id


COMPLETIONS: dict[tuple[str, str], CompletionHandler] = {
    (CAMPAIGN, "CloseCampaign"): _close_campaign,
    (BRANCH, "Mobilise"): _mobilise,
    (BRANCH, "DraftPledge"): _draft_pledge,
    (BRANCH, "ReviewPledge"): _review_pledge,
    (BRANCH, "ReportFulfilment"): _report_fulfilment,
    (BRANCH, "RateFulfilment"): _rate_fulfilment,
    (BRANCH, "LeaderReview"): _leader_review,
    (BRANCH, "MassAppraisal"): _mass_appraisal,
    (BRANCH, "AppraisalShortfall"): _appraisal_shortfall,
    (BRANCH, "Commendation"): _commendation,
}
