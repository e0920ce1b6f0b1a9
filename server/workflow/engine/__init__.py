"""The one package that talks to SpiffWorkflow.

Everything else sees plain dataclasses: ``ParsedProcess`` at deploy time,
``HumanTask`` and ``TimerWait`` while an instance runs, and a JSON string as
the persisted state.

Persisted state leaves the process spec out: specs are stored once per
definition version and restored into a per-process cache, so loading and
saving an instance costs what that instance holds, not what its process
describes.

The modules, lowest first (each imports only those above it):

* ``types``: the plain values and errors handed out.
* ``timeclock``: SpiffWorkflow's timers read ``server.clock``; the local zone; firing.
* ``confined``: the sandbox's worker program and what a script may name (run as a process).
* ``replay``: scripts evaluated outside the transaction (a unit of work's memo, its replays).
* ``sandbox``: the pool of confined workers, their limits, ``ScriptFailed``.
* ``scripting``: the script engine, its globals, timer expression values.
* ``parts``: which multi-instance bodies run detached, as parts.
* ``store``: serialization without the spec, the spec cache.
* ``policy``: what a designer may write in a script or expression, checked at deploy.
* ``parsing``: XSD and structural checks, the parse, stage order, element properties.
* ``withdraw``: one instance of a multi-instance taken out, the rest going on.
* ``run``: ``Run``, one instance or part for one use case.
* ``stamp``: a fresh instance's first state built once per process and stamped per instance.
* ``migrate``: a saved state moved onto another version of its process.
* ``inspect``: questions about a process or a saved state that need no ``Run``.

This module is the package's API: import from ``server.workflow.engine``, not its modules.
"""

from server.workflow.engine.inspect import (
    detached_elements,
    element_properties,
    element_states,
    has_timer_events,
    start_timer,
)
from server.workflow.engine.migrate import Migration, migrate_state
from server.workflow.engine.parsing import BPMN_NS, lane_role_expression, parse_bpmn
from server.workflow.engine.replay import outside_the_lock
from server.workflow.engine.run import Run
from server.workflow.engine.sandbox import ScriptFailed, set_script_limits, warm_sandbox
from server.workflow.engine.stamp import StartStamp, start_stamp
from server.workflow.engine.timeclock import set_local_timezone
from server.workflow.engine.types import (
    DefinitionInvalid,
    ElementInfo,
    EngineError,
    HumanTask,
    MultiChild,
    ParsedProcess,
    Problem,
    Snapshot,
)

__all__ = [
    "BPMN_NS",
    "DefinitionInvalid",
    "ElementInfo",
    "EngineError",
    "HumanTask",
    "Migration",
    "MultiChild",
    "ParsedProcess",
    "Problem",
    "Run",
    "ScriptFailed",
    "Snapshot",
    "StartStamp",
    "detached_elements",
    "element_properties",
    "element_states",
    "has_timer_events",
    "lane_role_expression",
    "migrate_state",
    "outside_the_lock",
    "parse_bpmn",
    "set_local_timezone",
    "set_script_limits",
    "start_stamp",
    "start_timer",
    "warm_sandbox",
]
