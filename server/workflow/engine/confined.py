"""The confined side of the script sandbox: what a script may name, and the worker program.

Every script, gateway condition, timer expression and DMN expression of a deployed process
runs here, in a worker process of its own (``sandbox.py`` starts and feeds them), never in
the server: compiled by RestrictedPython (no name or attribute starting with ``_``, no
frame or code attributes, every attribute read, item read, iteration and write through a
guard), with only the builtins of ``ALLOWED_BUILTINS`` and the script globals of
``SCRIPT_GLOBALS``. The worker itself runs under resource limits (address space, CPU time,
no new files: ``RLIMIT_NOFILE`` at what it already holds, ``RLIMIT_FSIZE`` 0), as
``nobody`` when started by root, and answers one request at a time over its stdin/stdout.

This file is run as a program (``python -I confined.py MEMORY_MB``): it imports only the
standard library and RestrictedPython, so a worker starts in a few tens of milliseconds
and holds nothing of the server (no settings, no secret key, no database connection).
The server imports it too, for the names and for ``working_days``.
"""

from __future__ import annotations

import builtins
import copyreg
import io
import math
import os
import pickle
import resource
import sys
from datetime import date, datetime, timedelta
from functools import lru_cache
from multiprocessing.connection import Connection
from types import CodeType, FrameType, FunctionType, ModuleType, TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    raise_,
    safer_getattr,
)

ALLOWED_BUILTINS = (
    "abs", "all", "any", "bool", "dict", "enumerate", "float", "frozenset", "int", "isinstance",
    "len", "list", "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum",
    "tuple", "zip", "ValueError",
)
"""The builtins a script may call; any other builtin (open, getattr, eval, exec, type,
__import__, print, SystemExit …) is refused at deploy and unknown at run time."""


def working_days(n: int) -> str:
    """Script global: ``working_days(3)`` in a timer means "3 working days"."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"working_days() needs a whole number >= 0, not {n!r}")
    return f"{n} working days"


SCRIPT_GLOBALS: dict[str, Any] = {
    "working_days": working_days,
    "date": date,
    "datetime": datetime,
    "timedelta": timedelta,
}
"""What every script sees besides its task data: ``working_days`` and the datetime types."""

_REFUSED_VALUES = (CodeType, FrameType, ModuleType, TracebackType)
_INPLACE = {
    "+=": lambda a, b: a + b, "-=": lambda a, b: a - b, "*=": lambda a, b: a * b,
    "/=": lambda a, b: a / b, "//=": lambda a, b: a // b, "%=": lambda a, b: a % b,
    "**=": lambda a, b: a ** b, "|=": lambda a, b: a | b, "&=": lambda a, b: a & b,
    "^=": lambda a, b: a ^ b,
}


def _getattr(obj: Any, name: str, default: Any = raise_) -> Any:
    if name == "mro":  # a class's bases: nothing a script needs (refused at deploy as well)
        raise AttributeError('"mro" is not allowed in a script')
    value = safer_getattr(obj, name, default)
    if isinstance(value, _REFUSED_VALUES) or (isinstance(value, FunctionType) and name.startswith("func_")):
        raise AttributeError(f'"{name}" is not allowed in a script')
    return value


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    if op not in _INPLACE:
        raise SyntaxError(f"'{op}' is not allowed in a script")
    return _INPLACE[op](target, value)


def _apply(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _getitem(obj: Any, index: Any) -> Any:
    return obj[index]


_BUILTINS = {name: getattr(builtins, name) for name in ALLOWED_BUILTINS}
_GUARDS: dict[str, Any] = {
    "_getattr_": _getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_apply_": _apply,
}


class ScriptRefused(Exception):
    """RestrictedPython refused the text (only a definition deployed before the policy can)."""


@lru_cache(maxsize=1024)
def compiled(source: str, mode: str) -> CodeType:
    """The restricted code of a script (``exec``) or an expression (``eval``), compiled once."""
    result = (compile_restricted_exec if mode == "exec" else compile_restricted_eval)(source, "<script>")
    if result.errors or result.code is None:
        raise ScriptRefused("; ".join(result.errors) or "cannot be compiled")
    return result.code


def _namespace(context: dict[str, Any], external: dict[str, Any]) -> dict[str, Any]:
    """Globals, then the external context, then the task data (it wins, as in SpiffWorkflow);
    the guards and the builtins last, so that no data can stand in for them."""
    namespace: dict[str, Any] = {**SCRIPT_GLOBALS, **external, **context, **_GUARDS}
    namespace["__builtins__"] = dict(_BUILTINS)
    return namespace


def evaluate(source: str, context: dict[str, Any], external: dict[str, Any]) -> Any:
    """An expression's value over the task data."""
    return eval(compiled(source, "eval"), _namespace(context, external))  # noqa: S307 - restricted, confined


def execute(source: str, context: dict[str, Any], external: dict[str, Any]) -> dict[str, Any]:
    """Run a script over the task data; returns the task data it leaves (no functions, no globals)."""
    namespace = _namespace(context, external)
    exec(compiled(source, "exec"), namespace)  # noqa: S102 - restricted code, confined process
    left_out = set(_GUARDS) | set(SCRIPT_GLOBALS) | set(external) | {"__builtins__"}
    return {k: v for k, v in namespace.items() if k not in left_out and not callable(v)}


def _dumps(value: Any) -> bytes:
    """Pickled for the server, whose unpickler accepts only plain data and these types."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[ZoneInfo] = lambda zone: (ZoneInfo, (zone.key,))
    pickler.dump(value)
    return buffer.getvalue()


def _answer(request: bytes, seconds: float) -> bytes:
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, resource.RLIM_INFINITY))
    try:
        mode, source, context, external = pickle.loads(request)  # noqa: S301 - from the server
        value = execute(source, context, external) if mode == "exec" else evaluate(source, context, external)
        return _dumps(("ok", value))
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt, MemoryError … all answered
        try:
            return _dumps(("error", type(exc).__name__, str(exc)[:500]))
        except BaseException:  # noqa: BLE001 - an exception whose str() fails
            return _dumps(("error", type(exc).__name__, ""))


def _confine(memory_mb: int, last_fd: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (last_fd + 1, last_fd + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)


def main() -> None:
    """The worker: limits first, then one answer per request until the server closes the pipe."""
    memory_mb = int(sys.argv[1])
    seconds = float(sys.argv[2])
    requests = Connection(os.dup(0), writable=False)
    answers = Connection(os.dup(1), readable=False)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    os.chdir("/")
    datetime.strptime("2000", "%Y")  # imports _strptime now: no file can be opened later
    _confine(memory_mb, max(requests.fileno(), answers.fileno(), 2))
    answers.send_bytes(b"ready")
    while True:
        try:
            request = requests.recv_bytes()
        except (EOFError, OSError):
            return
        answers.send_bytes(_answer(request, seconds))


if __name__ == "__main__":
    main()
