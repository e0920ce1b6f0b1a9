"""The server's side of the script sandbox: a small pool of confined worker processes.

An evaluation takes an idle worker (``confined.py``, started with ``python -I``), sends it
the text, the task data and the external context, and waits at most ``limits.seconds``.
A worker that does not answer in time is killed (SIGKILL) and replaced in the background;
one that dies (its memory limit, its CPU limit) is replaced the same way. Either way the
caller gets ``ScriptFailed``, which SpiffWorkflow reports as an error of the task, so the
step fails and its transaction rolls back: nothing the script does can stop, hang or
exit the server.

Inside a unit of work run under ``replay.outside_the_lock`` (every request's and job's write),
no worker is asked while the write transaction is open: the answers are looked up in that
unit's memo, and a step that needs a new one is rolled back, evaluated, replayed (``replay.py``).

What comes back is unpickled with an allowlist (plain data, the datetime types, Decimal,
ZoneInfo): a worker cannot make the server build anything else.
"""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import threading
from dataclasses import dataclass
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from server.workflow.engine import confined, replay

_PROGRAM = str(Path(confined.__file__).resolve())
_START_SECONDS = 20.0
_IDLE_KEPT = 4


@dataclass(frozen=True)
class Limits:
    """Per evaluation: wall-clock seconds, and the worker's address space in MB."""

    seconds: float = 1.0
    memory_mb: int = 256


class ScriptFailed(Exception):
    """A script or expression failed in the sandbox: it raised, ran too long or ran out of memory."""

    def __init__(self, error_class: str, message: str):
        super().__init__(f"{error_class}: {message}" if message else error_class)
        self.error_class = error_class
        self.message = message


_SAFE_CLASSES = {
    ("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"),
    ("datetime", "timedelta"), ("datetime", "timezone"), ("decimal", "Decimal"),
    ("zoneinfo", "ZoneInfo"), ("builtins", "set"), ("builtins", "frozenset"),
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _SAFE_CLASSES:
            raise pickle.UnpicklingError(f"a script may leave only plain data, not {module}.{name}")
        if module == "zoneinfo":
            return ZoneInfo
        if module == "decimal":
            return Decimal
        return super().find_class(module, name)


class _Worker:
    def __init__(self, limits: Limits) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own program, no shell
            [sys.executable, "-I", _PROGRAM, str(limits.memory_mb), str(limits.seconds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True, start_new_session=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.requests = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.answers = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.pid = os.getpid()
        self.limits = limits
        if not self.answers.poll(_START_SECONDS) or self.answers.recv_bytes() != b"ready":
            self.kill()
            raise RuntimeError("the script sandbox did not start")

    def ask(self, request: bytes, seconds: float) -> bytes | None:
        """The answer, or None when the worker did not answer in time or died."""
        try:
            self.requests.send_bytes(request)
            if not self.answers.poll(seconds):
                return None
            return self.answers.recv_bytes()
        except (EOFError, OSError):
            return None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.requests.close()
        self.answers.close()


class Sandbox:
    """The pool. Workers are started when first needed and kept (a few idle ones) for reuse."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def configure(self, limits: Limits) -> None:
        """New limits apply to workers started from now on; idle ones are retired."""
        with self._lock:
            self.limits, retired, self._idle = limits, self._idle, []
        for worker in retired:
            worker.kill()

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.pid == os.getpid():  # a forked server process starts its own
                    return worker
        return _Worker(self.limits)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < _IDLE_KEPT and worker.limits == self.limits:
                self._idle.append(worker)
                return
        worker.kill()

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker that overran or died, and start a fresh idle one off the caller's path."""
        worker.kill()
        threading.Thread(target=self._warm_one, name="sandbox-replace", daemon=True).start()

    def _warm_one(self) -> None:
        try:
            self._give_back(_Worker(self.limits))
        except (OSError, RuntimeError):
            return

    def run(self, mode: str, source: str, context: dict[str, Any], external: dict[str, Any]) -> Any:
        """Evaluate (``eval``) or execute (``exec``) in a worker; raises ``ScriptFailed``.

        Inside a unit of work that evaluates outside its transaction (``replay``), the answer
        comes from that unit's memo, or the attempt is doomed and a stand-in is given.
        """
        request = pickle.dumps((mode, source, context, external), protocol=5)
        answer = replay.answer(request, self._ask, _failed)
        if answer is replay.PENDING:
            return dict(context) if mode == "exec" else True
        return self._decode(answer)

    def _ask(self, request: bytes) -> bytes | tuple[str, str]:
        """The worker's answer, or (error class, message) when it ran out of time or memory."""
        limits = self.limits
        worker = self._take()
        answer = worker.ask(request, limits.seconds)
        if answer is None:
            code = worker.process.poll()
            self._replace(worker)
            if code is None:
                return "TimeoutError", f"ran longer than the limit of {limits.seconds:g} s and was stopped"
            return (("MemoryError", f"the script's worker died (exit {code}) at the limit of {limits.memory_mb} MB")
                    if code != -24 else ("TimeoutError", "the script used more CPU time than allowed"))
        self._give_back(worker)
        return answer

    def _decode(self, answer: bytes | tuple[str, str]) -> Any:
        if isinstance(answer, tuple):
            raise ScriptFailed(*answer)
        try:
            result = _Unpickler(io.BytesIO(answer)).load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
            raise ScriptFailed("TypeError", str(exc)) from exc
        if result[0] == "ok":
            return result[1]
        if result[1] == "MemoryError":
            raise ScriptFailed("MemoryError", f"needed more than the limit of {self.limits.memory_mb} MB")
        raise ScriptFailed(str(result[1]), str(result[2]))


def _failed(answer: bytes | tuple[str, str]) -> bool:
    if isinstance(answer, tuple):
        return True
    try:
        return bool(_Unpickler(io.BytesIO(answer)).load()[0] != "ok")
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError):
        return True


sandbox = Sandbox()
"""The process's sandbox; ``set_script_limits`` changes its limits (settings, tests)."""


def set_script_limits(seconds: float, memory_mb: int) -> None:
    sandbox.configure(Limits(seconds, memory_mb))


def warm_sandbox() -> None:
    """Start one worker in the background, so that a serving process's first script does not wait for it."""
    threading.Thread(target=sandbox._warm_one, name="sandbox-warm", daemon=True).start()
