"""Error messages in the user's language: the API answers keep ``message`` in English (the
contract clients and tests read) and add ``localized``, the same message from the Babel
catalogue (translations/) when the request's language is not English. Pages show
``localized`` when present.

Domain errors are written as English sentences with values in them; each pattern below
recognises one and names its values, which the translation puts back in place (times in
Beijing time).
"""

from __future__ import annotations

import re
from datetime import datetime

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
    (r"the form has errors in: .*", _n("Please fix the marked fields.")),
    (r"cannot start: .*", _n("The process could not be started: please check the fields.")),
    (r"starting '(?P<key>.+)' needs the role .*", _n("You may not start this process in this organisation.")),
    (r"the pledge's deadline is in the past", _n("The deadline must not be before today.")),
    (r"the completion date is in the future", _n("The completion date must not be in the future.")),
    (r"this pledge is not waiting for review", _n("This pledge is not waiting for review.")),
    (r"the change collides with another one made at the same time; try again",
     _n("Someone changed this at the same moment; please try again.")),
    (r"the record is busy with another change; try again", _n("This is being changed right now; please try again.")),
    (r"The requested URL was not found on the server\..*", _n("There is no such page or address.")),
]
_COMPILED = [(re.compile(pattern + r"\Z", re.DOTALL), text) for pattern, text in _PATTERNS]


def _beijing(value: str) -> str:
    try:
        return datetime.fromisoformat(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def localized(message: str) -> str | None:
    """The message in the request's language, or None (English, or a message not in the table)."""
    locale = get_locale()
    if locale is None or locale.language == "en":
        return None
    for pattern, text in _COMPILED:
        found = pattern.match(message)
        if found:
            values = {k: _beijing(v) if k in ("at", "next") else v for k, v in found.groupdict().items()}
            return _(text, **values)
    return None
