"""Run by an earlier release's own code: create its schema, seed the demo, leave running work in it.

``python old_release.py WORK...`` with the release's tree as working directory and first on
``PYTHONPATH``, and ``VANGUARD_DATABASE_URL`` naming the database. It imports nothing from
today's tree and drives the old release through its own app and JSON API only (stable
since 0.1.0), as people would. The release runs on the real clock, as it did for its users.

Work (``tests/upgrade/releases.py`` lists which releases support which):

| work | left running |
| --- | --- |
| ``activity`` | m1's report awaiting review; m3's report under review by sec1 (claimed); m11 writing his |
| ``campaign`` | the issue's steps: a campaign over the district, branch 1 mobilised, m1's pledge drafted |
| ``pledges`` | more of branch 1 mid-pledge: m2's approved (now fulfilling), m3's returned to him |
| ``talk`` | m2 asked to talk with the secretary; the contact's answer due in 3 working days (a timer) |
| ``selection`` | branch 2's quarterly selection under public notice, m11 proposed, m12 objecting |
| ``comment`` | a comment on branch 1's campaign run |
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date, timedelta
from typing import Any

from server import create_app, db
from server.cli import upgrade
from server.config import Settings


def plan(today: date) -> dict[str, Any]:
    """The campaign's plan, its stages weeks apart from ``today`` (tests/upgrade/finish.py reads it back)."""
    days = {"mobilise": 11, "pledge": 18, "fulfil": 63, "review": 73, "appraisal": 83, "commendation": 94}
    return {"theme": "科学发展，争做先锋", "carrier": "亮身份、作承诺、比奉献",
            "timetable": {k: (today + timedelta(days=n)).isoformat() for k, n in days.items()}}


class People:
    """A logged-in test client per demo user."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.clients: dict[str, Any] = {}

    def __call__(self, username: str) -> Any:
        if username not in self.clients:
            client = self.app.test_client()
            self.call(client, "POST", "/api/session", {"username": username, "password": "demo"})
            self.clients[username] = client
        return self.clients[username]

    @staticmethod
    def call(client: Any, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201, 202)) -> Any:
        res = client.open(path, method=method, json=body if body is not None or method == "GET" else {})
        if res.status_code not in ok:
            raise SystemExit(f"{method} {path} {json.dumps(body, ensure_ascii=False)}: {res.status_code} "
                             f"{res.get_data(as_text=True)}")
        return res.get_json()

    def get(self, username: str, path: str) -> Any:
        return self.call(self(username), "GET", path)

    def post(self, username: str, path: str, body: Any = None) -> Any:
        return self.call(self(username), "POST", path, body)

    def task(self, username: str, element_id: str, scope: str = "mine", unit: str | None = None) -> dict[str, Any]:
        items = self.get(username, f"/api/tasks?scope={scope}&limit=200")["items"]
        found = [t for t in items if t["element_id"] == element_id
                 and (unit is None or t["org_unit"]["code"] == unit)]
        if not found:
            raise SystemExit(f"{username} has no {scope} task {element_id}: {[t['element_id'] for t in items]}")
        return found[0]

    def complete(self, username: str, task: dict[str, Any], data: dict[str, Any]) -> Any:
        return self.post(username, f"/api/tasks/{task['id']}/complete", {"data": data})


def activity(people: People, today: date) -> None:
    report = {"activity": "参加社区志愿服务活动", "activity_date": today.isoformat(), "hours": 2}
    for member in ("m1", "m3"):
        people.post(member, "/api/process-instances",
                    {"process_key": "activity_report", "org_unit": "demo-branch1", "data": {}})
        people.complete(member, people.task(member, "WriteReport"), report)
    review = [t for t in people.get("sec1", "/api/tasks?scope=claimable&limit=200")["items"]
              if t["element_id"] == "ReviewReport"][-1]
    people.post("sec1", f"/api/tasks/{review['id']}/claim")
    people.post("m11", "/api/process-instances",
                {"process_key": "activity_report", "org_unit": "demo-branch2", "data": {}})


def campaign(people: People, today: date) -> None:
    launched = people.post("admin", "/api/campaigns", {"org_unit": "demo-district", **plan(today)})
    deadline = time.monotonic() + 120
    while people.get("admin", launched["launch"]["url"])["state"] not in ("done", "failed"):
        if time.monotonic() > deadline:
            raise SystemExit("the campaign launch did not finish")
        time.sleep(0.05)
    mobilise = people.task("sec1", "Mobilise", scope="claimable", unit="demo-branch1")
    people.complete("sec1", mobilise, {"theme": "服务群众当先锋", "carrier": "党员责任区",
                                       "meeting_date": today.isoformat(), "meeting_place": "党员活动室",
                                       "attendance": 12})
    people.complete("m1", people.task("m1", "DraftPledge"), pledge(today, "每月走访两户困难群众"))


def pledge(today: date, content: str) -> dict[str, Any]:
    return {"content": content, "deadline": plan(today)["timetable"]["fulfil"]}


def pledges(people: People, today: date) -> None:
    for member in ("m2", "m3"):
        people.complete(member, people.task(member, "DraftPledge"), pledge(today, f"{member}：带头参加社区志愿服务"))
    reviews = [t for t in people.get("sec1", "/api/tasks?scope=claimable&limit=200")["items"]
               if t["element_id"] == "ReviewPledge"]
    by_member = {people.get("sec1", f"/api/tasks/{t['id']}")["data"].get("member"): t for t in reviews}
    people.complete("sec1", by_member["m2"], {"decision": "approve"})
    people.complete("sec1", by_member["m3"], {"decision": "return", "reason": "请写明服务的具体对象"})


def talk(people: People, today: date) -> None:
    people.post("m2", "/api/talks/requests", {"requested_with": "secretary", "topic": "想汇报近期思想和工作情况",
                                              "preferred_times": "工作日下午"})


def selection(people: People, today: date) -> None:
    started = people.post("sec2", "/api/selections", {"org_unit": "demo-branch2"})
    instance_id = started["instance"]["id"]
    members = ["sec2", "contact2"] + [f"m{i}" for i in range(11, 21)]
    for member in members:
        peers = [{"member": "m11", "grade": "excellent", "comment": "带头作用明显"}] if member != "m11" else []
        people.complete(member, people.task(member, "SelfAndPeerEvaluation"),
                        {"self_summary": f"{member} 本季度按时参加组织生活", "self_grade": "qualified",
                         "peers": peers})
    people.complete("sec2", people.task("sec2", "ProposeCandidates", scope="claimable"),
                    {"candidates": [{"member": "m11", "reason": "互评优秀最多"}]})
    board = people.get("m12", "/api/org-units/demo-branch2/board")
    notice = next(s for s in board["selections"] if s.get("status") == "notice")
    people.post("m12", notice["objections_url"], {"candidate": "m11", "reason": "走访记录不完整"})
    assert people.get("sec2", f"/api/process-instances/{instance_id}")["stage"] == "notice"


def comment(people: People, today: date) -> None:
    runs = people.get("admin", "/api/process-instances?process=vanguard_campaign_branch")["items"]
    branch1 = next(r for r in runs if r["org_unit"]["code"] == "demo-branch1")
    people.post("sec1", f"/api/process-instances/{branch1['id']}/comments", {"body": "请各位党员按时提交承诺"})


WORK = {"activity": activity, "campaign": campaign, "pledges": pledges, "talk": talk, "selection": selection,
        "comment": comment}


def main(work: list[str]) -> None:
    from server import clock

    upgrade(Settings.from_env().database_url)
    app = create_app({"scheduler": "off", "demo": True})
    people = People(app)
    from zoneinfo import ZoneInfo

    today = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    for name in work:
        WORK[name](people, today)
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
