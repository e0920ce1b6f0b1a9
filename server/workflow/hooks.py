"""Where process families plug into the workflow: the hook protocols and the one registry.

The workflow runs any BPMN process by itself. A *process family* (the campaign, the
selection, the talk loop...) adds what BPMN cannot say: server-side start data, ledger
rows written with a completion, rules checked before the engine sees a form. It does so
through six kinds of hook, all keyed by what they apply to, never by if-chains:

* **start hooks**, by process key: run before an instance starts, whoever starts it;
  they return the data the instance starts with, or refuse with a domain error (a family
  may add a batch form of one, for starts in many units at once: ``batch_starts``);
* **save hooks**, by process key (or for every process): run after every save of an
  instance, in its transaction;
* **completion handlers**, by (process key, element id): run after the form is
  validated and before the engine sees the data, in the completion's transaction;
* **withdrawal hooks**, by process key: run when a person is taken out of a running
  multi-instance (a stage's date passed, an overseer withdrew him), in its transaction;
* **cancel hooks**, by process key: run when an overseer cancels an instance (which is not
  a save: no engine step), in its transaction, after its open tasks are closed;
* **job handlers**, by job kind: what firing a ``timer_job`` row does;

plus **daily duties** the scheduler runs once a day. Nothing registers itself by being
imported: ``server.bootstrap.bootstrap`` installs every family, and each entry point
(web app, Celery worker, standalone scheduler, command line) calls it first.

The inbox is plugged in the same way (``Registry.tasks``): the workflow says which
human tasks are ready, the inbox keeps their rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from server import clock
from server.org.models import OrgUnit, Person
from server.workflow.engine import HumanTask, Snapshot
from server.workflow.models import InstancePart, ProcessDefinition, ProcessInstance, TimerJob


class StartHook(Protocol):
    def __call__(self, session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
                 actor: Person | None, parent_id: int | None) -> dict[str, Any]: ...


class BatchStartHook(Protocol):
    """A start hook over many units at once (a campaign launch's batch): one data dict per unit,
    each what the family's start hook of that process gives for the unit alone."""

    def __call__(self, session: Session, *, definition: ProcessDefinition, units: list[OrgUnit],
                 data: dict[str, Any], actor: Person | None, parent_id: int | None) -> list[dict[str, Any]]: ...


class SaveHook(Protocol):
    def __call__(self, session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None: ...


CancelHook = Callable[[Session, ProcessInstance], None]


@dataclass(frozen=True)
class TaskDone:
    """What a completion handler sees of the task being completed (a plain value, not a row)."""

    id: int
    instance_id: int
    process_key: str
    element_id: str
    data: dict[str, Any]
    due_at: datetime | None


@dataclass
class Completion:
    """One task completion as its handler sees it.

    ``data`` is the submitted form without its confidential fields, which are in
    ``confidential`` (fields flagged ``"x-confidential": true``); they never reach the
    engine, the task row or the audit trail. A handler that stores them returns True.
    """

    session: Session
    task: TaskDone
    person: Person
    data: dict[str, Any]
    confidential: dict[str, Any]
    now: datetime = field(default_factory=clock.now)

    def field(self, name: str) -> Any:
        """A submitted value, whether the form marks it confidential or not."""
        if name in self.confidential:
            return self.confidential[name]
        return self.data.get(name)


CompletionHandler = Callable[[Completion], bool | None]
"""Refuses by raising a ``DomainError`` (nothing has changed yet); True if it stored the
confidential fields."""


@dataclass(frozen=True)
class Outcome:
    """What firing a job came to: its new state and a word on why."""

    state: str
    detail: str = ""


class JobHandler(Protocol):
    def __call__(self, session: Session, job: TimerJob, now: datetime, worker: str) -> Outcome: ...


@dataclass(frozen=True)
class Withdrawn:
    """One person taken out of a running multi-instance, as the family's withdrawal hook sees it.

    ``item`` is the instance's input item (a username in the shipped processes),
    ``activity`` the multi-instance element, ``waiting_at`` the elements of the tasks that
    were open for him inside it, ``cause`` ``deadline`` (the stage's date passed),
    ``closed_early`` (an overseer closed the stage) or ``withdrawn`` (an overseer took him out).
    """

    instance_id: int
    process_key: str
    activity: str
    item: Any
    waiting_at: tuple[str, ...]
    cause: str
    reason: str
    actor: Person | None
    at: datetime


WithdrawalHook = Callable[[Session, Withdrawn], None]
"""Records what a withdrawal means for the family's ledgers (未承诺, 未参评...), in its transaction."""


DailyDuty = Callable[[Session, date], object]
"""Run once per Beijing date and process, in its own transaction; must be idempotent."""


class TaskRows(Protocol):
    """The inbox, as the workflow sees it: it keeps a row for every ready human task (``inbox.rows``)."""

    def sync(self, session: Session, instance: ProcessInstance, definition: ProcessDefinition, snapshot: Snapshot,
             actor: Person | None, part: InstancePart | None, open_tasks: set[str] | None) -> None:
        """Make the open rows of the main workflow, or of one part, match its ready tasks."""

    def open_tasks(self, session: Session, instance: ProcessInstance, definition: ProcessDefinition,
                   fresh: list[tuple[HumanTask, InstancePart | None]]) -> None:
        """Rows for tasks that became ready in parts the step just started."""

    def open_many(self, session: Session, definition: ProcessDefinition,
                  started: list[tuple[ProcessInstance, Snapshot]]) -> None:
        """Rows for the ready tasks of instances just started together (``server.workflow.stamping``)."""

    def withdraw_parts(self, session: Session, instance: ProcessInstance, part_ids: list[int],
                       actor: Person | None) -> None:
        """Cancel the open rows of parts the main workflow withdrew."""

    def close_all(self, session: Session, instance: ProcessInstance, actor: Person | None) -> None:
        """Cancel every open row of an instance that is being cancelled."""


@dataclass(frozen=True)
class ProcessFamily:
    """What one family of processes plugs in, as plain tables."""

    name: str
    starts: Mapping[str, StartHook] = field(default_factory=dict)
    batch_starts: Mapping[str, BatchStartHook] = field(default_factory=dict)
    saves: Mapping[str, SaveHook] = field(default_factory=dict)
    completions: Mapping[tuple[str, str], CompletionHandler] = field(default_factory=dict)
    withdrawals: Mapping[str, WithdrawalHook] = field(default_factory=dict)
    cancels: Mapping[str, CancelHook] = field(default_factory=dict)
    daily: Sequence[DailyDuty] = ()


class Registry:
    """Every hook of this process, installed by ``server.bootstrap``."""

    def __init__(self) -> None:
        self.families: list[str] = []
        self._starts: dict[str, list[StartHook]] = {}
        self._batch_starts: dict[str, BatchStartHook] = {}
        self._saves: dict[str | None, list[SaveHook]] = {}
        self._completions: dict[tuple[str, str], CompletionHandler] = {}
        self._withdrawals: dict[str, list[WithdrawalHook]] = {}
        self._cancels: dict[str, list[CancelHook]] = {}
        self.jobs: dict[str, JobHandler] = {}
        self.daily: list[DailyDuty] = []
        self._tasks: TaskRows | None = None

    @property
    def tasks(self) -> TaskRows:
        if self._tasks is None:
            raise RuntimeError("no inbox is installed: call server.bootstrap.bootstrap() first")
        return self._tasks

    def use_inbox(self, rows: TaskRows) -> None:
        self._tasks = rows

    def on_save(self, hook: SaveHook, process_key: str | None = None) -> None:
        """``process_key`` None: after every save of every process."""
        self._saves.setdefault(process_key, []).append(hook)

    def on_job(self, kind: str, handler: JobHandler) -> None:
        self.jobs[kind] = handler

    def install(self, family: ProcessFamily) -> None:
        if family.name in self.families:
            raise ValueError(f"the process family '{family.name}' is installed already")
        self.families.append(family.name)
        for key, start in family.starts.items():
            self._starts.setdefault(key, []).append(start)
        for key, batch in family.batch_starts.items():
            self._batch_starts[key] = batch
        for key, save in family.saves.items():
            self._saves.setdefault(key, []).append(save)
        for where, handler in family.completions.items():
            if where in self._completions:
                raise ValueError(f"two completion handlers for {where[0]}/{where[1]}")
            self._completions[where] = handler
        for key, hook in family.withdrawals.items():
            self._withdrawals.setdefault(key, []).append(hook)
        for key, cancelled in family.cancels.items():
            self._cancels.setdefault(key, []).append(cancelled)
        self.daily.extend(family.daily)

    def replace_with(self, other: Registry) -> None:
        """Take every table of ``other`` at once: a thread reading a table meanwhile sees the
        old one or the new one, never a half-filled one."""
        self.__dict__.update(other.__dict__)

    def start_hooks(self, process_key: str) -> list[StartHook]:
        return self._starts.get(process_key, [])

    def batch_start_hook(self, process_key: str) -> BatchStartHook | None:
        """The batch form of the process's start hook, when it has exactly one and its family gave one."""
        if len(self._starts.get(process_key, [])) != 1:
            return None
        return self._batch_starts.get(process_key)

    def save_hooks(self, process_key: str) -> list[SaveHook]:
        return [*self._saves.get(None, []), *self._saves.get(process_key, [])]

    def completion_handler(self, process_key: str, element_id: str) -> CompletionHandler | None:
        return self._completions.get((process_key, element_id))

    def withdrawal_hooks(self, process_key: str) -> list[WithdrawalHook]:
        return self._withdrawals.get(process_key, [])

    def cancel_hooks(self, process_key: str) -> list[CancelHook]:
        return self._cancels.get(process_key, [])


registry = Registry()
"""This process's hooks; filled once by ``server.bootstrap.bootstrap``."""
