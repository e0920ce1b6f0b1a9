"""Deploying BPMN process definitions: validate, version, store.

A file is checked three ways before anything is stored: XML schema, the
engine's own parse (with a fresh parser), and Vanguard's conventions (lane
roles, forms, due dates; docs/bpmn-authoring.md). Any error refuses the whole
file, listing every problem with its BPMN element id.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import audit
from server.calendar.due import DueExpressionError, resolve_due
from server.calendar.workdays import WorkdayCalendar
from server.errors import Invalid, NotFound
from server.org.models import Person
from server.org.tree import parse_role_expression
from server.workflow.engine import (
    DefinitionInvalid,
    ElementInfo,
    ParsedProcess,
    Problem,
    lane_role_expression,
    parse_bpmn,
)
from server.workflow.models import ProcessDefinition

HUMAN_KINDS = {"UserTask", "ManualTask"}
_CHECK_CALENDAR = WorkdayCalendar()


def load_forms(folder: Path) -> dict[str, Any]:
    """Every ``*.json`` form schema of a folder, by file name."""
    forms: dict[str, Any] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            forms[path.name] = json.loads(path.read_text(encoding="utf-8"))
    return forms


def _element_checks(forms: Mapping[str, Any]) -> Any:
    def check(el: ElementInfo) -> list[Problem]:
        problems = []
        props = el.properties
        role_expr = props.get("role") or (lane_role_expression(el.lane) if el.kind in HUMAN_KINDS else None)
        if el.kind in HUMAN_KINDS and not role_expr and not props.get("assignee"):
            problems.append(
                Problem(el.element_id, "a user task needs a lane naming a role, a 'role' or an 'assignee'")
            )
        if role_expr and el.kind in HUMAN_KINDS:
            try:
                parse_role_expression(role_expr)
            except ValueError as exc:
                problems.append(Problem(el.element_id, f"role: {exc}"))
        for name in ("starter", "fallback_role"):
            if props.get(name):
                try:
                    parse_role_expression(props[name])
                except ValueError as exc:
                    problems.append(Problem(el.element_id, f"{name}: {exc}"))
        form = props.get("form")
        if form:
            schema = forms.get(form)
            if schema is None:
                problems.append(Problem(el.element_id, f"form '{form}' not found in workflows/forms"))
            else:
                try:
                    Draft202012Validator.check_schema(schema)
                except SchemaError as exc:
                    problems.append(Problem(el.element_id, f"form '{form}' is not a valid JSON Schema: {exc.message}"))
        for name in ("due", "closes_at"):
            value = props.get(name)
            if value and not value.startswith("="):
                try:
                    resolve_due(value, ready_at=datetime.now(UTC), calendar=_CHECK_CALENDAR)
                except DueExpressionError as exc:
                    problems.append(Problem(el.element_id, f"{name}: {exc}" if name != "due" else str(exc)))
        assignee = props.get("assignee")
        if assignee and not assignee.replace(".", "_").isidentifier():
            problems.append(Problem(el.element_id, f"assignee '{assignee}' must name a task-data variable"))
        priority = props.get("priority")
        if priority and not priority.lstrip("-").isdigit():
            problems.append(Problem(el.element_id, f"priority '{priority}' must be an integer"))
        return problems

    return check


def load_dmn(folder: Path) -> dict[str, bytes]:
    """Every ``*.dmn`` decision file of a folder, by file name."""
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.dmn"))} if folder.is_dir() else {}


def validate(
    content: bytes, source_name: str, forms: Mapping[str, Any], dmn: Mapping[str, bytes] | None = None
) -> list[ParsedProcess]:
    """Parse and check without storing; raises ``Invalid`` with every problem."""
    try:
        return parse_bpmn(content, source_name, dmn_files=sorted((dmn or {}).items()),
                          extra_checks=_element_checks(forms))
    except DefinitionInvalid as exc:
        raise Invalid(
            f"{source_name}: {len(exc.problems)} problem(s) prevent deployment",
            [p.as_dict() for p in exc.problems],
        ) from exc


def _used_forms(process: ParsedProcess, forms: Mapping[str, Any]) -> dict[str, Any]:
    names = {el.properties["form"] for el in process.elements if el.properties.get("form")}
    return {name: forms[name] for name in sorted(names)}


def deploy(
    session: Session,
    content: bytes,
    source_name: str,
    forms: Mapping[str, Any],
    actor: Person | None,
    skip_unchanged: bool = False,
    dmn: Mapping[str, bytes] | None = None,
) -> list[ProcessDefinition]:
    """Store a new version of every executable process in the file.

    Decision tables (DMN) that its business-rule tasks use are compiled into the
    stored spec, so a later change to a DMN file needs a redeploy to take effect.
    """
    parsed = validate(content, source_name, forms, dmn)
    text = content.decode("utf-8")
    stored = []
    for process in parsed:
        used_forms = _used_forms(process, forms)
        digest = hashlib.sha256(content + json.dumps(used_forms, sort_keys=True, ensure_ascii=False).encode())
        for name, decision in sorted((dmn or {}).items()):
            digest.update(name.encode() + decision)
        checksum = digest.hexdigest()
        latest = latest_version(session, process.key)
        if skip_unchanged and latest is not None and latest.checksum == checksum:
            continue
        version = (session.scalar(
            select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == process.key)
        ) or 0) + 1
        start = next((el for el in process.elements if el.kind == "StartEvent"), None)
        start_props = start.properties if start else {}
        definition = ProcessDefinition(
            starter=start_props.get("starter"),
            start_form=start_props.get("form"),
            key=process.key,
            version=version,
            name=process.name,
            source_name=source_name,
            bpmn_xml=text,
            checksum=checksum,
            spec_json=process.spec_json,
            stages=process.stages,
            forms=used_forms,
            deployed_by_id=actor.id if actor else None,
        )
        session.add(definition)
        session.flush()
        audit.record(
            session,
            "definition.deployed",
            actor=actor,
            definition_id=definition.id,
            key=process.key,
            version=version,
            source=source_name,
        )
        stored.append(definition)
    return stored


def deploy_folder(session: Session, folder: Path) -> list[ProcessDefinition]:
    """Deploy every BPMN file of ``workflows/`` that changed since its last version."""
    forms = load_forms(folder / "forms")
    dmn = load_dmn(folder)
    stored = []
    for path in sorted(folder.glob("*.bpmn")):
        stored += deploy(session, path.read_bytes(), path.name, forms, None, skip_unchanged=True, dmn=dmn)
    return stored


_FORMS: dict[tuple[int, str], dict[str, Any]] = {}
_FORMS_LOCK = threading.Lock()


def form_schema(definition: ProcessDefinition, name: str | None) -> dict[str, Any] | None:
    """The JSON Schema of one of a definition's forms (None: no form, or not deployed with it).

    A deployed definition never changes, so its forms are read once per process (the column
    is deferred: a step that needs no form never reads the definition's dozens of them).
    Callers must not change the schema they get.
    """
    if not name:
        return None
    key = (definition.id, definition.checksum)
    forms = _FORMS.get(key)
    if forms is None:
        forms = definition.forms
        with _FORMS_LOCK:
            _FORMS[key] = forms
    schema = forms.get(name)
    return schema if isinstance(schema, dict) else None


def latest_version(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )


def get_latest(session: Session, key: str) -> ProcessDefinition:
    definition = latest_version(session, key)
    if definition is None:
        raise NotFound(f"no process definition with key '{key}'")
    return definition


def list_latest(session: Session) -> list[ProcessDefinition]:
    latest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    return list(
        session.scalars(
            select(ProcessDefinition)
            .join(
                latest,
                (latest.c.key == ProcessDefinition.key) & (latest.c.version == ProcessDefinition.version),
            )
            .order_by(ProcessDefinition.key)
        )
    )


def definition_dict(d: ProcessDefinition) -> dict[str, Any]:
    return {
        "id": d.id,
        "key": d.key,
        "version": d.version,
        "name": d.name,
        "source_name": d.source_name,
        "stages": d.stages,
        "starter": d.starter,
        "start_form": d.start_form,
        "deployed_at": d.deployed_at.isoformat(),
        "deployed_by": d.deployed_by.username if d.deployed_by else None,
    }
