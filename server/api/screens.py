"""Wall screens: revocable links to a unit's public board for a screen without an account
(docs/ui.md, "Wall screens")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from server.api.contract import declare
from server.api.schemas.campaign import Board
from server.api.schemas.screens import ScreenCreated, ScreenList, ScreenNew
from server.campaign import screens
from server.org.tree import unit_by_ref
from server.requests import me, read, write

bp = Blueprint("screens", __name__)
TAGS = ("screens",)


@bp.get("/org-units/<unit_ref>/screens")
@declare(ok=ScreenList, errors=(403, 404), tags=TAGS)
def list_screens(unit_ref: str) -> Any:
    """The unit's wall screens that are in use (its secretary, org_admin above)"""
    return jsonify(read(lambda s: screens.list_screens(s, me(s), unit_by_ref(s, unit_ref))))


@bp.post("/org-units/<unit_ref>/screens")
@declare(body=ScreenNew, ok=ScreenCreated, status=201, errors=(403, 404, 422), write=True, tags=TAGS)
def create_screen(unit_ref: str, json: ScreenNew) -> Any:
    """A new wall screen link; its secret path is in this answer only"""
    return jsonify(write(lambda s: screens.create_screen(s, me(s), unit_by_ref(s, unit_ref), json.label))), 201


@bp.delete("/screens/<int:screen_id>")
@declare(status=204, errors=(403, 404), write=True, tags=TAGS)
def revoke_screen(screen_id: int) -> Any:
    """Revoke a wall screen link: the screen shows nothing from now on"""
    write(lambda s: screens.revoke_screen(s, me(s), screen_id))
    return "", 204


@bp.get("/wall/<token>/board")
@declare(ok=Board, errors=(404,), public=True, tags=TAGS)
def wall_board(token: str) -> Any:
    """The public board behind a wall screen link (no account; 404 once revoked)"""
    address = request.remote_addr
    return jsonify(write(lambda s: screens.wall_board(s, token, address)))

