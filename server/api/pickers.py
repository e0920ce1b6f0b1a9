"""The org tree as the forms need it: a unit's people by name (the person picker)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from server.access import unit_people
from server.api.contract import declare
from server.api.schemas.pickers import PickerList, PickerQuery
from server.org.tree import unit_by_ref
from server.requests import me, read

bp = Blueprint("pickers", __name__)
TAGS = ("org",)


@bp.get("/org-units/<unit_ref>/people")
@declare(query=PickerQuery, ok=PickerList, errors=(403, 404), tags=TAGS)
def people(unit_ref: str, query: PickerQuery) -> Any:
    """The unit's people by display name, optionally of some roles (anyone who may view the unit)"""
    roles = query.role.split("|") if query.role else None
    return jsonify(read(lambda s: unit_people(s, me(s), unit_by_ref(s, unit_ref), roles)))
