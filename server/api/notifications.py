"""My notifications (overdue tasks, reminders): list, mark read."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from server.api.contract import declare
from server.api.schemas.monitoring import Marked, Notification, NotificationList, NotificationQuery
from server.notifications import service as notifications
from server.requests import me, read, write

bp = Blueprint("notifications", __name__)
TAGS = ("notifications",)


@bp.get("/notifications")
@declare(query=NotificationQuery, ok=NotificationList, tags=TAGS)
def list_notifications(query: NotificationQuery) -> Any:
    """My notifications, newest first"""
    return jsonify(read(lambda s: notifications.list_mine(s, me(s), unread=query.unread, limit=query.limit,
                                                          offset=query.offset)))


@bp.post("/notifications/<int:notification_id>/read")
@declare(ok=Notification, errors=(403, 404), write=True, tags=TAGS)
def read_notification(notification_id: int) -> Any:
    """Mark one of my notifications read"""
    return jsonify(write(lambda s: notifications.mark_read(s, me(s), notification_id)))


@bp.post("/notifications/read-all")
@declare(ok=Marked, write=True, tags=TAGS)
def read_all_notifications() -> Any:
    """Mark all my notifications read"""
    return jsonify(write(lambda s: notifications.mark_all_read(s, me(s))))
