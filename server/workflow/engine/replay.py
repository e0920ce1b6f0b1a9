"""Scripts evaluated with no lock held: evaluate, roll back, replay.

A step's scripts run while its transaction is open, and that transaction holds the write lock
(SQLite) or the step's row locks (PostgreSQL). So that no lock is held while user-supplied code
runs, a unit of work runs under ``outside_the_lock``:

* It keeps a **memo** for the unit of work: the sandbox request (the exact bytes sent to a
  worker: mode, text, task data, external context; kept as their digest) → the worker's answer. A script is a pure
  function of that request (the sandbox allows no side effect), so the answer can be replayed.
* While a write transaction is open, the sandbox never asks a worker: a request in the memo
  gets the memo's answer (a failure raises its ``ScriptFailed`` again, so incidents are kept in
  the transaction exactly as before); one that is not is a **miss**, and the attempt is doomed.
* A miss inside an engine call (``engine_call``: ``Run.advance``, ``Run.complete``, …) is noted
  and answered with a stand-in (an ``exec`` leaves the data as it was, an ``eval`` gives True),
  so that the rest of the call can name its other misses (the preScripts of fifty instances of a
  multi-instance are fifty misses, one attempt); when the outermost engine call ends, however it
  ends, ``EvaluationNeeded`` is raised. Nothing but SpiffWorkflow ever sees a stand-in's effect.
  A miss outside an engine call raises ``EvaluationNeeded`` at once.
* ``EvaluationNeeded`` is a ``BaseException``: neither SpiffWorkflow's nor our ``except
  Exception`` takes it. It rolls the transaction back (releasing every lock); the wrapper,
  outside the transaction, evaluates the misses in the sandbox, keeps the answers and runs the
  unit of work again. Misses are evaluated in order and the evaluating stops at the first that
  fails (the rest may have been computed from stand-ins: not worth a time limit).
* The attempts are bounded (``MAX_REPLAYS``); a unit of work that still misses after that (a
  value that changes at every attempt reaching a script) runs once more with misses evaluated in
  place, holding its locks as before, and a warning is logged.

With no memo active (a runner that does not use the wrapper, a test), the sandbox evaluates in
place, exactly as before. Nested: a wrapper entered while a write transaction is open leaves the
replaying to the outer one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

from server.database import in_write_transaction

log = logging.getLogger("vanguard.scripts")

T = TypeVar("T")

MAX_REPLAYS = 4
"""Attempts that may end in ``EvaluationNeeded`` before one evaluates its misses in place."""
MAX_MISSES = 500
"""Misses one attempt may note before ``EvaluationNeeded`` is raised at once (stand-ins in a loop)."""

Ask = Callable[[bytes], Any]
"""The sandbox's evaluation of a request: its answer, whatever the sandbox makes of it later."""
Failed = Callable[[Any], bool]
"""Whether an answer says the script failed (the evaluating of the attempt's later misses stops)."""

PENDING = object()
"""What ``answer`` gives for a miss inside an engine call: the caller answers with a stand-in."""


Miss = tuple[bytes, Ask, Failed]
"""A request not answered yet, with how to ask it and how to read its answer."""


class EvaluationNeeded(BaseException):  # noqa: N818 - a signal to the wrapper, not an error
    """The attempt needs scripts evaluated first; raised inside the transaction, taken by the wrapper."""

    def __init__(self, misses: list[tuple[bytes, Miss]]) -> None:
        super().__init__(f"{len(misses)} script evaluation(s) needed")
        self.misses = misses


def _key(request: bytes) -> bytes:
    """The memo's key: a digest, so that the memo does not keep every request's task data."""
    return hashlib.blake2b(request, digest_size=32).digest()


@dataclass
class _Memo:
    answers: dict[bytes, Any] = field(default_factory=dict)
    misses: dict[bytes, Miss] = field(default_factory=dict)
    depth: int = 0
    in_place: bool = False
    attempts: int = 0

    def needed(self) -> EvaluationNeeded:
        misses, self.misses = list(self.misses.items()), {}
        return EvaluationNeeded(misses)

    def evaluate(self, misses: list[tuple[bytes, Miss]]) -> None:
        """In order, up to the first that fails: the first miss was computed from known answers,
        the later ones perhaps from stand-ins (a failure there may be no failure at all)."""
        for key, (request, ask, failed) in misses:
            if key in self.answers:
                continue
            answer = self.answers[key] = ask(request)
            if failed(answer):
                break


_MEMO: ContextVar[_Memo | None] = ContextVar("vanguard_script_memo", default=None)


def answer(request: bytes, ask: Ask, failed: Failed) -> Any:
    """The answer to a sandbox request: asked (no memo, no write transaction), replayed from the
    memo, ``PENDING`` (a miss in an engine call), or ``EvaluationNeeded`` raised."""
    memo = _MEMO.get()
    if memo is None or not in_write_transaction():
        return ask(request)
    key = _key(request)
    known = memo.answers.get(key, PENDING)
    if known is not PENDING:
        return known
    if memo.in_place:
        known = memo.answers[key] = ask(request)
        return known
    if memo.depth == 0:
        memo.misses[key] = (request, ask, failed)
        raise memo.needed()
    if key in memo.misses or len(memo.misses) >= MAX_MISSES:  # stand-ins going round a loop
        raise memo.needed()
    memo.misses[key] = (request, ask, failed)
    return PENDING


class engine_call:  # noqa: N801 - used as a context manager, like a function
    """A call into SpiffWorkflow during which misses are noted, not raised (see the module)."""

    __slots__ = ("_memo",)

    def __enter__(self) -> None:
        self._memo = memo = _MEMO.get()
        if memo is not None:
            memo.depth += 1

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        memo = self._memo
        if memo is None:
            return
        memo.depth -= 1
        if memo.depth == 0 and memo.misses and not isinstance(exc, EvaluationNeeded):
            # Whatever the call did or raised was computed from stand-ins: it is not the answer.
            raise memo.needed() from None


def outside_the_lock(unit_of_work: Callable[[], T]) -> T:
    """Run ``unit_of_work`` (which opens and ends its write transaction) so that its scripts are
    evaluated with no transaction open: attempts that need evaluations roll back, the scripts are
    evaluated, the unit of work runs again (see the module)."""
    if in_write_transaction():
        return unit_of_work()
    memo = _Memo()
    token = _MEMO.set(memo)
    try:
        while True:
            memo.depth = 0
            memo.attempts += 1
            if memo.attempts > MAX_REPLAYS:
                memo.in_place = True
                log.warning("scripts still missing after %d attempts (a value that changes at every attempt?); "
                            "evaluating them in place, inside the transaction", MAX_REPLAYS)
            try:
                return unit_of_work()
            except EvaluationNeeded as needed:
                assert not in_write_transaction(), "EvaluationNeeded must end the transaction"
                memo.evaluate(needed.misses)
    finally:
        _MEMO.reset(token)

