"""The plain values the engine hands out: what a deploy found, what a run waits for, and errors.

Nothing here knows SpiffWorkflow; the rest of the server sees only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class EngineError(Exception):
    """The engine refused an operation on a running instance.

    ``error_class``: when a step failed, the class of what failed it (``TimeoutError``,
    ``MemoryError``, ``NameError`` … from a script in the sandbox).
    """

    def __init__(self, message: str, element_id: str | None = None, error_class: str | None = None):
        super().__init__(message)
        self.element_id = element_id
        self.error_class = error_class


@dataclass(frozen=True)
class Problem:
    element_id: str | None
    message: str
    line: int | None = None
    severity: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return {
            "element_id": self.element_id,
            "message": self.message,
            "line": self.line,
            "severity": self.severity,
        }


class DefinitionInvalid(Exception):
    """A BPMN file cannot be deployed; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ElementInfo:
    """What the server needs to know about one flow element of a process."""

    element_id: str
    name: str
    kind: str
    lane: str | None
    properties: dict[str, str]
    documentation: str | None


@dataclass(frozen=True)
class ParsedProcess:
    key: str
    name: str
    spec_json: str
    stages: list[dict[str, str]]
    elements: list[ElementInfo]


@dataclass(frozen=True)
class HumanTask:
    engine_task_id: str
    element_id: str
    name: str
    lane: str | None
    properties: dict[str, str]
    documentation: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class TimerWait:
    engine_task_id: str
    element_id: str
    due_at: datetime


@dataclass
class Snapshot:
    """The result of running an instance, or one part of it, until it waits.

    ``part`` is None for the instance's main workflow; for a detached body (see
    ``_DetachedBody``) it is the engine task id the body stands for in the main
    workflow, ``spec_name`` the body's process spec, and ``result`` its data once
    ``completed``. A main snapshot lists the parts its step started
    (``new_parts``, each already run until it waits) and the parts it cancelled.
    """

    state: str
    completed: bool
    data: dict[str, Any]
    human_tasks: list[HumanTask]
    timers: list[TimerWait]
    open_stages: list[str] = field(default_factory=list)
    last_stage: str | None = None
    part: str | None = None
    spec_name: str | None = None
    result: dict[str, Any] | None = None
    new_parts: list[Snapshot] = field(default_factory=list)
    cancelled_parts: list[str] = field(default_factory=list)
    parts_running: int = 0


@dataclass(frozen=True)
class MultiChild:
    """One unfinished instance of a running multi-instance activity.

    ``activity`` is the multi-instance element, ``item`` its input item for this instance
    (a member's username, say), ``part`` whether the instance is a detached body running
    as a part (its ``engine_task_id`` is then the part's), ``waiting_at`` the element ids
    of the human tasks open inside it (inline instances only: a part knows its own).
    """

    engine_task_id: str
    activity: str
    item: Any
    part: bool
    waiting_at: list[str]
