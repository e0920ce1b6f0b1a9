"""Fanning a campaign out to its branches, in batches, outside the request.

``run_launch_batch(launch_id)`` is the unit of work: it creates the next batch of
branch instances (default 50) in one transaction and says whether more remain.
It is a plain function so that any runner can call it: the embedded thread
below, or a Celery task in scale-out mode (``set_launch_dispatcher``). It is
safe to run twice or concurrently: the launch row is locked for the batch,
targets are taken in unit-id order after a stored cursor, and a unit that
already has a branch run of this campaign is skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

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
from server.workflow.instances import start_instance
from server.workflow.runs import lock_instance

log = logging.getLogger("vanguard.campaign")

DEFAULT_BATCH_SIZE = 50


def run_launch_batch(launch_id: int, batch_size: int | None = None) -> bool:
    """Create the next batch of branch instances; True while more remain.

    One transaction per batch. A failure marks the launch ``failed`` with the
    error (the batch's own changes roll back) and re-raises.
    """
    try:
        return outside_the_lock(lambda: _launch_batch(launch_id, batch_size))
    except Exception as exc:
        _mark_failed(launch_id, exc)
        raise


def _launch_batch(launch_id: int, batch_size: int | None) -> bool:
    with db.transaction() as session:
        launch = session.scalar(select(CampaignLaunch).where(CampaignLaunch.id == launch_id).with_for_update())
        if launch is None:
            raise NotFound(f"campaign launch {launch_id} does not exist")
        if launch.state in (LAUNCH_DONE, LAUNCH_FAILED):
            return False
        campaign = session.get(Campaign, launch.campaign_id)
        assert campaign is not None
        now = clock.now()
        # Locked as a cancellation locks it: a cancelled campaign starts no more branches.
        parent = lock_instance(session, campaign.instance_id)
        if parent.state not in ("running", "suspended"):
            launch.state = LAUNCH_DONE
            launch.finished_at = launch.updated_at = now
            launch.error = f"the campaign was {parent.state}; {launch.created} branch runs had been started"
            return False
        if launch.state == LAUNCH_PENDING:
            launch.state = LAUNCH_RUNNING
            launch.started_at = now
        size = batch_size or launch.batch_size or DEFAULT_BATCH_SIZE
        root = session.get(OrgUnit, campaign.org_unit_id)
        assert root is not None
        units = list(session.scalars(
            target_units_query(root, campaign.target_unit_types)
            .where(OrgUnit.id > launch.cursor_unit_id)
            .limit(size)
        ))
        done_units = set(session.scalars(
            select(CampaignBranch.org_unit_id).where(
                CampaignBranch.campaign_id == campaign.instance_id,
                CampaignBranch.org_unit_id.in_([u.id for u in units]),
            )
        )) if units else set()
        actor = session.get(Person, campaign.launched_by_id) if campaign.launched_by_id else None
        for unit in units:
            if unit.id not in done_units:
                _start_branch(session, campaign, unit, actor)
                launch.created += 1
        if units:
            launch.cursor_unit_id = units[-1].id
        launch.batches += 1
        launch.updated_at = clock.now()
        more = len(units) == size
        if not more:
            launch.state = LAUNCH_DONE
            launch.finished_at = launch.updated_at
            audit.record(session, "campaign.launched", actor=actor, instance_id=campaign.instance_id,
                         launch_id=launch.id, branches=launch.created)
        return more


def _start_branch(session: Any, campaign: Campaign, unit: OrgUnit, actor: Person | None) -> None:
    # The branch's ledger row is written by the save hook of server.campaign.starts, whoever starts it.
    start_instance(session, process_key=BRANCH, org_unit=unit.id, data={}, actor=actor,
                   parent_id=campaign.instance_id)


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
