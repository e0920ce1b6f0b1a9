"""Persisted state: a workflow serialized without its spec, and the cache of restored specs.

Persisted state leaves the process spec out: specs are stored once per definition version
(``encode_specs`` at deploy) and restored into a per-process cache, so loading and saving an
instance costs what that instance holds, not what its process describes.

A serializer's registry has one flag for encoding (``_encoder_mode``), shared by every thread
of the process, so each encode sets and clears it holding ``_SERIALIZER_LOCK``.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from server.workflow.engine.parts import _detach_bodies


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its spec; restores it around a given spec."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = dct.pop("spec"), dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializers() -> tuple[BpmnWorkflowSerializer, BpmnWorkflowSerializer]:
    full = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    specless = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
    return full, specless


_FULL, _SPECLESS = _make_serializers()
_SERIALIZER_LOCK = threading.Lock()


def _encode_specs(spec: Any, subprocess_specs: dict[str, Any]) -> str:
    registry = _FULL.registry
    with _SERIALIZER_LOCK:
        registry._encoder_mode = True
        try:
            dct = {
                "spec": registry.convert(spec),
                "subprocess_specs": {k: registry.convert(v) for k, v in subprocess_specs.items()},
            }
            return json.dumps(dct, cls=_FULL._encoder_cls)
        finally:
            registry._encoder_mode = False


class _SpecCache:
    """Restored specs by definition key; specs are read-only once parsed.

    The key must change whenever the spec does (definition id *and* checksum),
    and the spec's JSON is only fetched on a miss, so a step never reads it.
    """

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[str, tuple[Any, dict[str, Any]]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str, spec_json: Callable[[], str]) -> tuple[Any, dict[str, Any]]:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        dct = json.loads(spec_json())
        spec = _FULL.registry.restore(dct["spec"])
        subs = {k: _FULL.registry.restore(v) for k, v in dct["subprocess_specs"].items()}
        _detach_bodies(spec, subs)
        with self._lock:
            self._items[key] = (spec, subs)
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return spec, subs


_SPECS = _SpecCache()


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """The state to persist: the workflow as JSON, without its spec."""
    with _SERIALIZER_LOCK:
        registry = _SPECLESS.registry
        registry._encoder_mode = True
        try:
            dct = _SPECLESS.to_dict(workflow)
            dct[_SPECLESS.VERSION_KEY] = _SPECLESS.VERSION
            return json.dumps(dct, cls=_SPECLESS._encoder_cls, ensure_ascii=False)
        finally:
            registry._encoder_mode = False


def restore_workflow(spec: Any, subs: dict[str, Any], state: str) -> BpmnWorkflow:
    """A workflow from ``dump_workflow``'s JSON, around its (cached) spec and subprocess specs."""
    dct = json.loads(state)
    dct.pop(_SPECLESS.VERSION_KEY, None)
    dct["spec"] = spec
    dct["subprocess_specs"] = subs
    wf: BpmnWorkflow = _SPECLESS.from_dict(dct)
    return wf
