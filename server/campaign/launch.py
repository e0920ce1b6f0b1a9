"""Fanning a campaign out to its branches, in batches, outside the request.

``run_launch_batch(launch_id)`` is the unit of work and says whether more remain. It is a
plain function so that any runner can call it: the embedded thread below, or Celery tasks in
scale-out mode (``set_launch_dispatcher``), several at once. A batch is two transactions:

1. the **claim** locks the launch row for a moment, takes the next target units after the
   stored cursor (in unit-id order) and moves the cursor past them;
2. the **creation** starts a branch run in every claimed unit that has none yet
   (``server.workflow.stamping.start_many``) and adds them to the launch's count.

Creations of different batches run side by side (on PostgreSQL; SQLite has one writer),
which is how a launch scales with Celery workers. Nothing is lost if a process dies
between the two: once the cursor has passed the last target, a claim takes the units
behind it that still have no branch run (those of a dead batch, or of one still running)
before it declares the launch done, and a creation that finds a unit's run created by
someone else meanwhile (the unique (campaign, unit) of ``campaign_branch``) starts over
and skips it. A cancelled campaign starts no more branches: a creation holds the
campaign instance's row with a shared lock, which a cancellation's exclusive lock waits for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server import audit, clock
from server.campaign.models import (
    LAUNCH_DONE,
    LAUNCH_FAILED,
    LAUNCH_PENDING,
    LAUNCH_RUNNING,
    Campaign,
    CampaignBranch,
    CampaignLaunch,
)
from server.campaign.plan import BRANCH, target_units_query
from server.database import db
from server.errors import NotFound
from server.org.models import OrgUnit, Person
from server.workflow.engine import outside_the_lock
from server.workflow.models import ProcessInstance
from server.workflow.stamping import start_many

log = logging.getLogger("vanguard.campaign")

DEFAULT_BATCH_SIZE = 50

_RUNNING = ("running", "suspended")


@dataclass(frozen=True)
class _Claim:
    campaign_id: int
    unit_ids: list[int]


def run_launch_batch(launch_id: int, batch_size: int | None = None) -> bool:
    """Claim the next batch of target units and create their branch runs; True while more remain.

    A failure marks the launch ``failed`` with the error (the batch's own changes roll back)
    and re-raises.
    """
    try:
        claim = _claim(launch_id, batch_size)
        if claim is None:
            return False
        try:
            outside_the_lock(lambda: _create(launch_id, claim))
        except IntegrityError:
            # Another batch created some of these units' runs meanwhile: once more, skipping them.
            outside_the_lock(lambda: _create(launch_id, claim))
        return True
    except Exception as exc:
        _mark_failed(launch_id, exc)
        raise


def _claim(launch_id: int, batch_size: int | None) -> _Claim | None:
    """The next units of the launch (its cursor moved past them), or None when it is over."""
    with db.transaction() as session:
        launch = session.scalar(select(CampaignLaunch).where(CampaignLaunch.id == launch_id).with_for_update())
        if launch is None:
            raise NotFound(f"campaign launch {launch_id} does not exist")
        if launch.state in (LAUNCH_DONE, LAUNCH_FAILED):
            return None
        campaign = session.get(Campaign, launch.campaign_id)
        assert campaign is not None
        now = clock.now()
        parent = session.get(ProcessInstance, campaign.instance_id)
        assert parent is not None
        if parent.state not in _RUNNING:
            launch.state = LAUNCH_DONE
            launch.finished_at = launch.updated_at = now
            launch.error = f"the campaign was {parent.state}; {launch.created} branch runs had been started"
            return None
        if launch.state == LAUNCH_PENDING:
            launch.state = LAUNCH_RUNNING
            launch.started_at = now
        size = batch_size or launch.batch_size or DEFAULT_BATCH_SIZE
        root = session.get(OrgUnit, campaign.org_unit_id)
        assert root is not None
        targets = target_units_query(root, campaign.target_unit_types).with_only_columns(OrgUnit.id)
        ids = list(session.scalars(targets.where(OrgUnit.id > launch.cursor_unit_id).limit(size)))
        if ids:
            launch.cursor_unit_id = ids[-1]
            return _Claim(campaign.instance_id, ids)
        # Past the last target: the units behind the cursor still without a run, if any.
        started = select(CampaignBranch.org_unit_id).where(CampaignBranch.campaign_id == campaign.instance_id)
        behind = list(session.scalars(targets.where(OrgUnit.id.not_in(started)).limit(size)))
        if behind:
            return _Claim(campaign.instance_id, behind)
        launch.state = LAUNCH_DONE
        launch.finished_at = launch.updated_at = now
        actor = session.get(Person, campaign.launched_by_id) if campaign.launched_by_id else None
        audit.record(session, "campaign.launched", actor=actor, instance_id=campaign.instance_id,
                     launch_id=launch.id, branches=launch.created)
        return None


def _create(launch_id: int, claim: _Claim) -> None:
    """Start a branch run in every claimed unit that has none, and count them on the launch."""
    with db.transaction() as session:
        parent = session.scalar(select(ProcessInstance).where(ProcessInstance.id == claim.campaign_id)
                                .with_for_update(read=True))
        if parent is None or parent.state not in _RUNNING:
            return  # cancelled meanwhile: the next claim closes the launch
        campaign = session.get(Campaign, claim.campaign_id)
        assert campaign is not None
        done = set(session.scalars(select(CampaignBranch.org_unit_id).where(
            CampaignBranch.campaign_id == campaign.instance_id, CampaignBranch.org_unit_id.in_(claim.unit_ids))))
        todo = [unit_id for unit_id in claim.unit_ids if unit_id not in done]
        units = list(session.scalars(select(OrgUnit).where(OrgUnit.id.in_(todo)).order_by(OrgUnit.id))) if todo else []
        actor = session.get(Person, campaign.launched_by_id) if campaign.launched_by_id else None
        # The branch's ledger row is written by the save hook of server.campaign.starts, whoever starts it.
        start_many(session, process_key=BRANCH, units=units, data={}, actor=actor, parent_id=campaign.instance_id)
        session.flush()
        session.execute(
            update(CampaignLaunch).where(CampaignLaunch.id == launch_id)
            .values(created=CampaignLaunch.created + len(units), batches=CampaignLaunch.batches + 1,
                    updated_at=clock.now())
            .execution_options(synchronize_session=False)
        )


def _mark_failed(launch_id: int, exc: BaseException) -> None:
    try:
        with db.transaction() as session:
            launch = session.get(CampaignLaunch, launch_id)
            if launch is not None and launch.state != LAUNCH_DONE:
                launch.state = LAUNCH_FAILED
                launch.error = f"{type(exc).__name__}: {exc}"[:2000]
                launch.updated_at = clock.now()
    except Exception:  # noqa: BLE001 - the original error is what matters
        log.exception("could not record the failure of campaign launch %s", launch_id)


def run_launch(launch_id: int, batch_size: int | None = None) -> None:
    """Run every remaining batch of a launch (what the embedded thread does)."""
    try:
        while run_launch_batch(launch_id, batch_size):
            pass
    except Exception:  # noqa: BLE001 - recorded on the launch row by run_launch_batch
        log.exception("campaign launch %s failed", launch_id)


# -- who runs the batches -------------------------------------------------------------------------

_threads: dict[int, threading.Thread] = {}


def _thread_dispatcher(launch_id: int) -> None:
    thread = threading.Thread(target=run_launch, args=(launch_id,), name=f"campaign-launch-{launch_id}",
                              daemon=True)
    _threads[launch_id] = thread
    thread.start()


_dispatcher: Callable[[int], None] = _thread_dispatcher


def set_launch_dispatcher(dispatcher: Callable[[int], None] | None) -> None:
    """Hand launches to another runner (e.g. ``lambda i: launch_task.delay(i)``); None: the thread."""
    global _dispatcher
    _dispatcher = dispatcher or _thread_dispatcher


def dispatch_launch(launch_id: int) -> None:
    """Called after the transaction that requested the launch has committed."""
    _dispatcher(launch_id)


def wait_for_launch(launch_id: int, timeout: float | None = None) -> None:
    """Join the embedded thread of a launch, if there is one (tests, shutdown)."""
    thread = _threads.get(launch_id)
    if thread is not None:
        thread.join(timeout)


def resume_launches() -> list[int]:
    """Dispatch every launch left ``pending`` or ``running`` (e.g. by a restart); returns their ids.

    Safe to call from several processes: batches lock the launch row and skip done units.
    """
    with db.transaction() as session:
        ids = list(session.scalars(
            select(CampaignLaunch.id).where(CampaignLaunch.state.in_((LAUNCH_PENDING, LAUNCH_RUNNING)))
            .order_by(CampaignLaunch.id)
        ))
    for launch_id in ids:
        dispatch_launch(launch_id)
    return ids
