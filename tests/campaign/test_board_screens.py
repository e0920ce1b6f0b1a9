"""Wall screens: a revocable link shows a unit's public board without an account; created and
revoked by the unit's secretary or an org_admin above, audited, read-only, 404 once revoked."""

from __future__ import annotations

from sqlalchemy import select

from server.audit import AuditEvent
from server.campaign.models import BoardScreen
from server.database import db


def _events(action):
    with db.transaction() as session:
        return [e.details for e in session.scalars(select(AuditEvent).where(AuditEvent.action == action))]


def test_a_screen_link_shows_the_public_board_until_it_is_revoked(as_user, client):
    sec1 = as_user("sec1")
    res = sec1.post("/api/org-units/demo-branch1/screens", json={"label": "  党员活动室  "})
    assert res.status_code == 201, res.get_json()
    screen = res.get_json()
    assert screen["label"] == "党员活动室" and screen["path"].startswith("/wall/")
    token = screen["path"].removeprefix("/wall/")
    assert len(token) >= 40

    # Without an account: the page and the board behind the link, nothing else.
    assert client.get("/api/me").status_code == 401
    page = client.get(screen["path"])
    assert page.status_code == 200 and 'data-wall="1"' in page.get_data(as_text=True)
    board = client.get(f"/api/wall/{token}/board")
    assert board.status_code == 200
    body = board.get_json()
    assert body["org_unit"]["code"] == "demo-branch1" and body["screen"] == {"label": "党员活动室"}
    assert set(body) >= {"pledges", "leader_review", "appraisal", "commendations", "selections"}
    assert client.get("/api/org-units/demo-branch1/board").status_code == 401
    assert client.get(f"/api/wall/{token}x/board").status_code == 404

    # Only the hash is kept; the list never shows the token again.
    with db.transaction() as session:
        row = session.scalars(select(BoardScreen)).one()
        assert token not in row.token_hash and row.last_seen_at is not None
    listed = sec1.get("/api/org-units/demo-branch1/screens").get_json()["items"]
    assert [s["label"] for s in listed] == ["党员活动室"] and "path" not in listed[0]
    assert token not in sec1.get("/api/org-units/demo-branch1/screens").get_data(as_text=True)

    # Revoked: the link shows nothing any more, and every step is in the audit trail.
    assert as_user("admin").delete(f"/api/screens/{screen['id']}").status_code == 204
    assert client.get(f"/api/wall/{token}/board").status_code == 404
    assert sec1.get("/api/org-units/demo-branch1/screens").get_json()["items"] == []
    assert sec1.delete(f"/api/screens/{screen['id']}").status_code == 404
    assert [e["label"] for e in _events("board_screen.created")] == ["党员活动室"]
    assert [e["screen_id"] for e in _events("board_screen.revoked")] == [screen["id"]]
    assert len(_events("board_screen.seen")) == 1


def test_who_may_manage_screens_and_what_a_label_must_be(as_user):
    assert as_user("admin").post("/api/org-units/demo-branch1/screens", json={"label": "会议室"}).status_code == 201
    for user in ("sec2", "m1", "contact1", "leader2"):
        assert as_user(user).post("/api/org-units/demo-branch1/screens", json={"label": "x"}).status_code == 403, user
        assert as_user(user).get("/api/org-units/demo-branch1/screens").status_code == 403, user
    screen_id = as_user("sec1").get("/api/org-units/demo-branch1/screens").get_json()["items"][0]["id"]
    assert as_user("sec2").delete(f"/api/screens/{screen_id}").status_code == 403
    for label in ("", "   ", "长" * 101, 7):
        res = as_user("sec1").post("/api/org-units/demo-branch1/screens", json={"label": label})
        assert res.status_code == 422 and res.get_json()["details"][0]["field"] == "label", label
    with db.transaction() as session:
        assert len(session.scalars(select(BoardScreen)).all()) == 1
