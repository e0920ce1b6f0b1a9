"""The OpenAPI document, generated from the routes' declarations (``server.api.contract``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from server.api.contract import declare, document
from server.api.schemas.common import Anything

bp = Blueprint("meta", __name__)


@bp.get("/openapi.json")
@declare(ok=Anything, public=True, tags=("meta",))
def openapi() -> Any:
    """This document"""
    return jsonify(document())
