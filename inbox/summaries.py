"""What a task page and an instance page show in the users' terms: the people behind the
usernames a task's summary names, and a history in names and words (task names instead of
element ids).

The summary itself is declared by the process author in the task's form (``x-summary``:
which fields of the instance to show, with labels; ``x-flag``: a condition to flag on top,
such as a returned pledge and its reason; docs/bpmn-authoring.md); the page renders it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox.models import Task
from server.org.models import Person
from server.workflow.models import ProcessDefinition


def _entries(schema: dict[str, Any] | None,
             others: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The declared summary as (field, its properties): the entry's own over the form's, over
    those of the process's other forms (``others``: a field another form asked for)."""
    if not schema:
        return []
    props = {**(others or {}), **(schema.get("properties") or {})}
    out = []
    for entry in schema.get("x-summary") or []:
        name = entry if isinstance(entry, str) else entry.get("field")
        if name:
            out.append((name, {**(props.get(name) or {}), **({} if isinstance(entry, str) else entry)}))
    return out


def card_people(schema: dict[str, Any] | None, data: dict[str, Any]) -> str | None:
    """The username the card's subject is, if the summary's first person field is not the starter."""
    for name, prop in _entries(schema):
        if name == "started_by":
            return None
        if prop.get("x-widget") == "person":
            value = data.get(name)
            return value if isinstance(value, str) else None
    return None


_FIELDS: dict[tuple[int, str], dict[str, Any]] = {}


def process_fields(definition: ProcessDefinition) -> dict[str, Any]:
    """Every field of a process's forms by name (the first form naming it wins); read once per
    deployed version, as ``form_schema`` reads the forms (the column is deferred)."""
    key = (definition.id, definition.checksum)
    fields = _FIELDS.get(key)
    if fields is None:
        fields = {}
        for form in (definition.forms or {}).values():
            for name, prop in ((form or {}).get("properties") or {}).items():
                fields.setdefault(name, prop)
        if len(_FIELDS) > 256:
            _FIELDS.clear()
        _FIELDS[key] = fields
    return fields


def card(schema: dict[str, Any] | None, data: dict[str, Any], starter: str | None,
         names: dict[str, str], others: dict[str, Any] | None = None) -> tuple[str | None, str | None]:
    """(subject, excerpt) of a task's inbox card: the first person its summary names (by display
    name) and the beginning of its first free-text field (``"王伟"``, ``"每月走访两户困难群众"``);
    choices (enums), dates and people are never the excerpt."""
    subject = excerpt = None
    for name, prop in _entries(schema, others):
        value = data.get(name)
        if name == "started_by" or prop.get("x-widget") == "person":
            if subject is None:
                subject = starter if name == "started_by" else names.get(value) if isinstance(value, str) else None
        elif excerpt is None and isinstance(value, str) and value.strip() and "enum" not in prop \
                and prop.get("format") not in ("date", "date-time"):
            excerpt = " ".join(value.split())[:120]
    return subject, excerpt


def _person_fields(schema: dict[str, Any] | None) -> list[str]:
    """The summary fields whose values are usernames (``"x-widget": "person"``; ``started_by``)."""
    if not schema:
        return []
    props = schema.get("properties") or {}
    fields = []
    for entry in schema.get("x-summary") or []:
        name = entry if isinstance(entry, str) else entry.get("field")
        widget = entry.get("x-widget") if isinstance(entry, dict) else None
        if name == "started_by" or (name and (widget or (props.get(name) or {}).get("x-widget")) == "person"):
            fields.append(name)
    return fields


def _usernames(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def display_names(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    rows = session.execute(select(Person.username, Person.display_name).where(Person.username.in_(usernames)))
    return {username: name for username, name in rows}


def people_of(session: Session, schema: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, str]:
    """username → display name for every person a task's summary shows."""
    wanted: set[str] = set()
    for name in _person_fields(schema):
        wanted.update(_usernames(data.get(name)))
    return display_names(session, wanted)


def history_in_words(session: Session, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit history with task names and people's names; consecutive creations of the same
    task (a multi-instance: one per member) become one entry with a count."""
    task_ids = {e["task_id"] for e in events if e.get("task_id")}
    names: dict[int, str | None] = {}
    names_en: dict[int, str | None] = {}
    if task_ids:
        for i, n, en in session.execute(select(Task.id, Task.name, Task.labels_en).where(Task.id.in_(task_ids))):
            names[i], names_en[i] = n, (en or {}).get("name")
    people = display_names(session, {str(e["details"]["assignee"]) for e in events
                                     if (e.get("details") or {}).get("assignee")})
    out: list[dict[str, Any]] = []
    for event in events:
        details = dict(event.get("details") or {})  # element_id stays for API readers; pages show task_name
        if details.get("assignee"):
            details["assignee_name"] = people.get(str(details["assignee"]), details["assignee"])
        task_id = event.get("task_id")
        item = {**event, "task_name": names.get(task_id) if task_id else None,
                "task_name_en": names_en.get(task_id) if task_id else None, "details": details, "count": 1}
        last = out[-1] if out else None
        if (last and event["action"] == "task.created" and last["action"] == "task.created"
                and last["task_name"] == item["task_name"]):
            last["count"] += 1
            last["details"].pop("assignee_name", None)
            continue
        out.append(item)
    return out
