"""Checking what a person submits against a form's JSON Schema (task forms and start forms).

Beyond JSON Schema: ``"x-min-date": "today"`` refuses a date before today in Beijing.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from server import clock
from server.calendar.due import SHANGHAI
from server.calendar.workdays import supported
from server.errors import Invalid

FORMATS: FormatChecker = deepcopy(Draft202012Validator.FORMAT_CHECKER)
"""JSON Schema's formats, with dates and times kept within the years the server reasons about
(``server.calendar.workdays.FIRST_YEAR``..``LAST_YEAR``): year 1 or 9999 in a form would
otherwise overflow a time-zone conversion or a due-date count later, as a 500."""


@FORMATS.checks("date", raises=ValueError)
def _date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    return Draft202012Validator.FORMAT_CHECKER.conforms(value, "date") and supported(date.fromisoformat(value))


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    if not Draft202012Validator.FORMAT_CHECKER.conforms(value, "date-time"):
        return False
    return supported(datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00")).date())


def _min_date(validator: Any, bound: Any, instance: Any, schema: dict[str, Any]) -> Any:
    """``"x-min-date": "today"``: a date (or date-time) not before today in Beijing, e.g. a pledge's
    deadline; the form also sets it as the picker's ``min``."""
    if bound != "today" or not isinstance(instance, str) or len(instance) < 10:
        return
    try:
        day = date.fromisoformat(instance[:10])
    except ValueError:
        return  # the format check names it
    today = clock.now().astimezone(SHANGHAI).date()
    if day < today:
        yield ValidationError(f"{instance[:10]} is before today ({today.isoformat()})")


FormValidator = validators.extend(Draft202012Validator, {"x-min-date": _min_date})

_VALIDATORS: dict[int, tuple[dict[str, Any], Any]] = {}


def _validator(schema: dict[str, Any]) -> Any:
    """A compiled validator per schema object (``form_schema`` hands out the same object each time)."""
    known = _VALIDATORS.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    validator = FormValidator(schema, format_checker=FORMATS)
    if len(_VALIDATORS) > 1024:
        _VALIDATORS.clear()
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def validate_form(schema: dict[str, Any] | None, data: dict[str, Any]) -> None:
    if schema is None:
        return
    validator = _validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    details = []
    for error in errors:
        field = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            field = ".".join(filter(None, [field, missing]))
            message = "required"
        elif error.validator == "additionalProperties":
            message = error.message
        else:
            message = error.message
        details.append({"field": field or None, "message": message, "rule": error.validator})
    fields = ", ".join(sorted({d["field"] or "(form)" for d in details}))
    raise Invalid(f"the form has errors in: {fields}", details)
