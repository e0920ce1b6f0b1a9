"""My notifications (overdue tasks, reminders): list, mark read."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from server.api import api_bp, bool_arg, int_arg
from server.notifications import service as notifications
from server.requests import me, read, write


@api_bp.get("/notifications")
def list_notifications() -> Any:
    unread = bool_arg("unread")
    limit = int_arg("limit", 50, 1, 500)
    offset = int_arg("offset", 0, 0, 10**9)
    return jsonify(read(lambda s: notifications.list_mine(s, me(s), unread=unread, limit=limit, offset=offset)))


@api_bp.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id: int) -> Any:
    return jsonify(write(lambda s: notifications.mark_read(s, me(s), notification_id)))


@api_bp.post("/notifications/read-all")
def read_all_notifications() -> Any:
    return jsonify(write(lambda s: notifications.mark_all_read(s, me(s))))
