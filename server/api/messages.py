"""Error messages in the user's language: the API answers keep ``message`` in English (the
contract clients and tests read) and add ``localized``, the same message from the Babel
catalogue (translations/) when the request's language is not English. Pages show
``localized`` when present.

Domain errors are written as English sentences with values in them; each pattern below
recognises one and names its values, which the translation puts back in place (times in
Beijing time). The same goes for what the engine and the checks below it say: a step that fails
in a script (task errors, incidents), the problems that keep a BPMN file from deployment (the
designer), a form's JSON-Schema errors (each ``details`` entry gets its own ``localized``). The
element id, the field and the value stay in the message; a value named ``reason`` is itself
looked up, so "the process cannot continue at element 'X': <what the script did>" is translated
whole. Python's own words (an exception's text) stay as they are when no pattern knows them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from server.calendar.due import SHANGHAI


def _n(text: str) -> str:
    """Marks a message for the catalogue (``pybabel extract -k _n``); translated when used."""
    return text


_PATTERNS = [
    (r"this task is neither yours nor in a unit you oversee",
     _n("This task is neither yours nor in a unit you oversee.")),
    (r"task (?P<id>\d+) does not exist", _n("This task does not exist.")),
    (r"task (?P<id>\d+) is no longer open", _n("This task is no longer open: it was completed or withdrawn.")),
    (r"this task is already done", _n("This task is already done.")),
    (r"someone else claimed this task first", _n("Someone else claimed this task first.")),
    (r"this task is held by (?P<name>.+)", _n("This task is held by %(name)s.")),
    (r"you do not hold the role this task is offered to", _n("You do not hold the role this task is offered to.")),
    (r"only the person who holds a task can give it back", _n("Only the person who holds a task can give it back.")),
    (r"this task is yours by the process and cannot be given back",
     _n("This task is yours by the process and cannot be given back.")),
    (r"this task belongs to one person by the process and cannot be delegated",
     _n("This task belongs to one person by the process and cannot be delegated.")),
    (r"only the holder of a task, or a candidate of an unclaimed one, can delegate it",
     _n("Only the holder of a task, or a candidate of an unclaimed one, can delegate it.")),
    (r"person '(?P<name>.+)' does not exist", _n("There is nobody with the username %(name)s.")),
    (r"(?P<name>.+) \((?P<user>[^)]+)\) does not hold .+", _n("%(name)s may not take this task.")),
    (r"(?P<name>.+) \((?P<user>[^)]+)\) is no longer active", _n("%(name)s is no longer active.")),
    (r"the task is already held by (?P<name>.+)", _n("The task is already held by %(name)s.")),
    (r"a reminder was sent at (?P<at>\S+); the next may be sent after (?P<next>\S+)",
     _n("A reminder was sent at %(at)s; the next one may be sent after %(next)s.")),
    (r"only who started the process or an overseer of its unit may send a reminder",
     _n("Only who started the process or an overseer of its unit may send a reminder.")),
    (r"you hold no position in this instance's organisation",
     _n("You hold no position in the organisation of this process.")),
    (r"you hold no position in (?P<unit>.+) or a unit above it",
     _n("You hold no position in %(unit)s or a unit above it.")),
    (r"you hold no position in (?P<unit>.+)", _n("You hold no position in %(unit)s.")),
    (r"only the secretary of (?P<unit>.+) or an org_admin above it may do this",
     _n("Only the secretary of %(unit)s or an organisation admin above it may do this.")),
    (r"process instance (?P<id>\d+) does not exist", _n("This process instance does not exist.")),
    (r"org unit '(?P<ref>.+)' does not exist", _n("This organisation does not exist.")),
    (r"the process is suspended by an overseer; its tasks wait until it is resumed",
     _n("The process is suspended by an overseer; its tasks wait until it is resumed.")),
    (r"the process is (?P<state>\w+): nothing more can be done in it",
     _n("The process has ended or was cancelled: nothing more can be done in it.")),
    (r"the process does not wait for this task any more.*",
     _n("The process does not wait for this task any more.")),
    (r"the form has errors in: (?P<fields>.*)", _n("Please fix the marked fields: %(fields)s.")),
    (r"cannot start: .*", _n("The process could not be started: please check the fields.")),
    (r"starting '(?P<key>.+)' needs the role .*", _n("You may not start this process in this organisation.")),
    (r"the pledge's deadline is in the past", _n("The deadline must not be before today.")),
    (r"the completion date is in the future", _n("The completion date must not be in the future.")),
    (r"this pledge is not waiting for review", _n("This pledge is not waiting for review.")),
    (r"the change collides with another one made at the same time; try again",
     _n("Someone changed this at the same moment; please try again.")),
    (r"the record is busy with another change; try again", _n("This is being changed right now; please try again.")),
    (r"The requested URL was not found on the server\..*", _n("There is no such page or address.")),
    (r"the instance was changed by someone else; reload and try again",
     _n("Someone changed this process at the same moment; reload the page and try again.")),
    # A step that fails (a task's completion, a timer, a retry): the element, then why.
    (r"the process cannot continue at element '(?P<element>[^']+)': (?P<reason>.+)",
     _n("The process cannot continue at element %(element)s: %(reason)s")),
    (r"the process cannot continue: (?P<reason>.+)", _n("The process cannot continue: %(reason)s")),
    (r"the task is no longer ready", _n("The process no longer waits for this task.")),
    (r"the process is not waiting for this part", _n("The process no longer waits for this part.")),
    (r"the process has no subprocess '(?P<name>.+)'", _n("The process has no subprocess %(name)s.")),
    (r"start timer '(?P<expression>.+)': (?P<reason>.+)",
     _n("The start timer %(expression)s cannot be read: %(reason)s")),
    # What a script did (the sandbox's words): the error class stays for whoever fixes it.
    (r"TimeoutError: ran longer than the limit of (?P<seconds>[\d.]+) s and was stopped",
     _n("The script ran longer than its limit of %(seconds)s s and was stopped (TimeoutError).")),
    (r"TimeoutError: the script used more CPU time than allowed",
     _n("The script used more processor time than allowed (TimeoutError).")),
    (r"MemoryError: needed more than the limit of (?P<mb>\d+) MB",
     _n("The script needed more than its memory limit of %(mb)s MB (MemoryError).")),
    (r"MemoryError: the script's worker died \(exit (?P<code>-?\d+)\) at the limit of (?P<mb>\d+) MB",
     _n("The script needed more than its memory limit of %(mb)s MB (MemoryError).")),
    (r"NameError: name '(?P<name>[^']+)' is not defined",
     _n("The script uses %(name)s, which is neither task data nor offered to scripts (NameError).")),
    (r"KeyError: (?P<key>.+)", _n("The script looks up %(key)s, which the data does not have (KeyError).")),
    (r"ZeroDivisionError: .*", _n("The script divides by zero (ZeroDivisionError).")),
    (r"TypeError: (?P<text>.+)", _n("The script combines values of the wrong kinds (TypeError): %(text)s")),
    (r"ValueError: (?P<text>.+)", _n("The script was given a value it cannot use (ValueError): %(text)s")),
    (r"(?P<cls>[A-Z]\w*(?:Error|Exception)): (?P<text>.+)", _n("The script failed (%(cls)s): %(text)s")),
    # Why a BPMN file cannot be deployed (the designer's problem list); element ids stay.
    (r"(?P<source>.+): (?P<count>\d+) problem\(s\) prevent deployment",
     _n("%(source)s: %(count)s problem(s) prevent deployment.")),
    (r"not well-formed XML: (?P<text>.+)", _n("The file is not well-formed XML: %(text)s")),
    (r"(?P<name>\S+): not well-formed XML: (?P<text>.+)", _n("%(name)s is not well-formed XML: %(text)s")),
    (r"(?P<name>\S+): a DOCTYPE \(and its entities\) is not allowed in a decision file",
     _n("%(name)s: a DOCTYPE (and its entities) is not allowed in a decision file.")),
    (r"(?P<name>\S+): not a DMN file: .*", _n("%(name)s is not a DMN file: it needs <definitions> with a <decision>.")),
    (r"XML schema: (?P<text>.+)", _n("Not valid BPMN (XML schema): %(text)s")),
    (r"element id '(?P<id>[^']+)' is reserved by the engine; rename it",
     _n("The element id %(id)s is reserved by the engine: rename it.")),
    (r"a message needs a name", _n("A message needs a name.")),
    (r"flow '(?P<flow>[^']+)' leaves gateway '(?P<gateway>[^']+)' without a condition and is not its default flow",
     _n("The flow %(flow)s leaves gateway %(gateway)s without a condition and is not its default flow.")),
    (r"the file contains no process", _n("The file contains no process.")),
    (r"no process is marked executable.*", _n("No process is marked executable (isExecutable=\"true\").")),
    (r"cannot be executed: (?P<text>.+)", _n("The engine cannot execute this: %(text)s")),
    (r"a user task needs a lane naming a role, a 'role' or an 'assignee'",
     _n("A user task needs a lane naming a role, a role property or an assignee.")),
    (r"form '(?P<form>[^']+)' not found in workflows/forms", _n("The form %(form)s does not exist.")),
    (r"form '(?P<form>[^']+)' is not a valid JSON Schema: (?P<text>.+)",
     _n("The form %(form)s is not a valid JSON Schema: %(text)s")),
    (r"assignee '(?P<name>[^']+)' must name a task-data variable",
     _n("The assignee %(name)s must name a task-data variable.")),
    (r"priority '(?P<value>[^']+)' must be an integer", _n("The priority %(value)s must be a whole number.")),
    (r"(?P<prop>role|starter|fallback_role): (?P<text>.+)", _n("The %(prop)s property cannot be read: %(text)s")),
    (r"(?P<kind>\S+(?: \S+)?): '(?P<name>[^']+)' is not offered to scripts",
     _n("%(kind)s: scripts may not use %(name)s.")),
    (r"(?P<kind>\S+(?: \S+)?): import is not allowed", _n("%(kind)s: a script may not import.")),
    (r"(?P<kind>\S+(?: \S+)?): a class definition is not allowed", _n("%(kind)s: a script may not define a class.")),
    (r"(?P<kind>\S+(?: \S+)?): '(?P<word>global|nonlocal)' is not allowed",
     _n("%(kind)s: a script may not use %(word)s.")),
    (r"(?P<kind>\S+(?: \S+)?): (?P<name>\S+) is not allowed \(use % or an f-string\)",
     _n("%(kind)s: %(name)s is not allowed (use %% or an f-string).")),
    # A form's JSON-Schema errors, one per field (the field is in the detail, the value here).
    (r"(?P<value>.+) should be non-empty", _n("Must not be empty.")),
    (r"(?P<value>.+) is too short", _n("%(value)s is too short.")),
    (r"(?P<value>.+) is too long", _n("%(value)s is too long.")),
    (r"(?P<value>.+) is less than the minimum of (?P<bound>.+)",
     _n("%(value)s is less than the minimum of %(bound)s.")),
    (r"(?P<value>.+) is greater than the maximum of (?P<bound>.+)",
     _n("%(value)s is greater than the maximum of %(bound)s.")),
    (r"(?P<value>.+) is less than or equal to the minimum of (?P<bound>.+)",
     _n("%(value)s must be greater than %(bound)s.")),
    (r"(?P<value>.+) is greater than or equal to the maximum of (?P<bound>.+)",
     _n("%(value)s must be less than %(bound)s.")),
    (r"(?P<value>.+) is not one of (?P<choices>\[.*\])", _n("%(value)s is not one of the choices %(choices)s.")),
    (r"(?P<value>.+) was expected", _n("Only %(value)s is accepted here.")),
    (r"(?P<value>.+) is not of type (?P<type>.+)", _n("%(value)s is not of the expected kind %(type)s.")),
    (r"(?P<value>.+) is not a '(?P<format>date|date-time)'",
     _n("%(value)s is not a valid date (%(format)s) in the years the server knows.")),
    (r"(?P<value>.+) is not a '(?P<format>[^']+)'", _n("%(value)s is not a valid %(format)s.")),
    (r"(?P<value>.+) does not match (?P<pattern>'.+')", _n("%(value)s does not have the expected form %(pattern)s.")),
    (r"Additional properties are not allowed \((?P<names>.+) (?:was|were) unexpected\)",
     _n("This form has no field %(names)s.")),
    (r"(?P<value>\d{4}-\d\d-\d\d) is before today \((?P<today>\d{4}-\d\d-\d\d)\)",
     _n("%(value)s is before today (%(today)s).")),
    # Activity pages (server/activities, server/attachments).
    (r"(?P<name>.+) is not a member of (?P<unit>.+)", _n("%(name)s is not a member of %(unit)s.")),
    (r"(?P<name>.+) is a member of (?P<count>\d+) units: name the unit",
     _n("%(name)s is a member of %(count)s organisations: choose one.")),
    (r"an activity is recorded by a person: a schedule cannot start one",
     _n("An activity is recorded by a person: a schedule cannot start one.")),
    (r"only the secretary of (?P<unit>.+) may record an activity on someone's behalf",
     _n("Only the secretary of %(unit)s may record an activity for someone else.")),
    (r"programme (?P<id>\d+) does not apply to (?P<unit>.+)", _n("This programme does not apply to %(unit)s.")),
    (r"(?P<programme>.+) is done in (?P<months>.+) only: (?P<day>\S+) is outside its season",
     _n("%(programme)s is done in %(months)s only: %(day)s is outside its season.")),
    (r"an activity is recorded once it is done: the date is in the future",
     _n("An activity is recorded once it is done: the date must not be in the future.")),
    (r"your own activity record is confirmed by someone else \(the deputy secretary\)",
     _n("Your own activity record is confirmed by someone else (the deputy secretary).")),
    (r"process instance (?P<id>\d+) carries no activity record", _n("This process has no activity record.")),
    (r"the activity_report process did not open its WriteReport task",
     _n("The activity record could not be opened for writing; please try again.")),
    (r"record (?P<id>\d+) is (?P<state>\w+): it waits for no review",
     _n("This record waits for no review (it is %(state)s).")),
    (r"a returned record is corrected by the member or whoever recorded it",
     _n("A returned record is corrected by the member or whoever recorded it.")),
    (r"record (?P<id>\d+) is (?P<state>\w+): only a returned record is submitted again",
     _n("Only a returned record is submitted again (this one is %(state)s).")),
    (r"the records of (?P<unit>.+) are read by its secretary, deputy and committee and the organisations above it",
     _n("The records of %(unit)s are read by its secretary, deputy and committee and the organisations above it.")),
    (r"activity record (?P<id>\d+) does not exist", _n("This activity record does not exist.")),
    (r"activity programme (?P<id>\d+) does not exist", _n("This activity programme does not exist.")),
    (r"themed campaign (?P<id>\d+) does not exist", _n("This themed campaign does not exist.")),
    (r"themed report (?P<id>\d+) does not exist", _n("This report does not exist.")),
    (r"this report is already (?P<state>\w+): only a returned report is submitted again",
     _n("Only a returned report is submitted again (this one is %(state)s).")),
    (r"this report is (?P<state>\w+): it waits for no review",
     _n("This report waits for no review (it is %(state)s).")),
    (r"state is submitted, confirmed or returned", _n("The state is submitted, confirmed or returned.")),
    (r"period is a year \(2026\), a quarter \(2026-Q4\) or a month \(2026-12\)",
     _n("The period is a year (2026), a quarter (2026-Q4) or a month (2026-12).")),
    (r"'org_unit' \(id or code\) is required", _n("Choose an organisation (org_unit).")),
    (r"'period' \(2026, 2026-Q4 or 2026-12\) is required", _n("Choose a period (2026, 2026-Q4 or 2026-12).")),
    (r"at most (?P<count>\d+) attachments", _n("At most %(count)s attachments.")),
    (r"attachment (?P<id>\S+) is not one of your own new uploads",
     _n("Attachment %(id)s is not one of your own new uploads.")),
    (r"no such attachment", _n("This attachment does not exist.")),
    (r"send the file as the multipart field 'file'", _n("Choose a file to upload.")),
]
#: states named in refusals, in the user's words
_STATES = {"submitted": _n("submitted"), "confirmed": _n("confirmed"), "returned": _n("returned for revision"),
           "acknowledged": _n("acknowledged"), "missing": _n("not yet written")}
_COMPILED = [(re.compile(pattern + r"\Z", re.DOTALL), text) for pattern, text in _PATTERNS]


def _beijing(value: str) -> str:
    try:
        return datetime.fromisoformat(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def _value(key: str, value: str, depth: int) -> str:
    if key in ("at", "next"):
        return _beijing(value)
    if key == "reason":
        return _translate(value, depth + 1) or value
    if key == "state":
        return _(_STATES[value]) if value in _STATES else value
    return value


def _translate(message: str, depth: int = 0) -> str | None:
    if depth > 2:
        return None
    for pattern, text in _COMPILED:
        found = pattern.match(message)
        if found:
            return _(text, **{k: _value(k, v, depth) for k, v in found.groupdict().items()})
    return None


def _english() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "en"


def localized(message: str) -> str | None:
    """The message in the request's language, or None (English, or a message not in the table)."""
    return None if _english() else _translate(message)


def with_localized(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry (an error detail, an incident) with its ``localized`` message beside ``message``,
    when the table knows it."""
    if _english():
        return details
    result = []
    for detail in details:
        text = _translate(detail["message"]) if isinstance(detail.get("message"), str) else None
        result.append({**detail, "localized": text} if text is not None else detail)
    return result
