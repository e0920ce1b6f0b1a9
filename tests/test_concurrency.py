"""Real parallel requests: of several people acting on one task at once, exactly one wins."""

from __future__ import annotations

import threading
from collections import Counter

from tests.livehttp import Client, serve

REPORT = {"activity": "社区义务劳动", "activity_date": "2026-09-20", "hours": 3}
N = 8


def race(clients, method, path, body):
    barrier = threading.Barrier(len(clients))
    results = [None] * len(clients)

    def go(i, c):
        barrier.wait()
        results[i] = c.call(method, path, body)

    threads = [threading.Thread(target=go, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_claims_and_completions(app):
    with serve(app) as base:
        m1 = Client(base).login("m1")
        # Two secretaries of branch 1, so that two different people race as well.
        status, _ = m1.call("POST", "/api/process-instances",
                            {"process_key": "activity_report", "org_unit": "demo-branch1"})
        assert status == 201
        task = m1.call("GET", "/api/tasks")[1]["items"][0]

        # The member completes his own task from several tabs at once: one completion.
        outcomes = race([Client(base).login("m1") for _ in range(N)], "POST",
                        f"/api/tasks/{task['id']}/complete", {"data": REPORT})
        codes = Counter(code for code, _ in outcomes)
        assert codes == {200: 1, 409: N - 1}, outcomes

        secretaries = [Client(base).login("sec1") for _ in range(N)]
        review = secretaries[0].call("GET", "/api/tasks?scope=claimable")[1]["items"]
        assert len(review) == 1
        review_id = review[0]["id"]
        outcomes = race(secretaries, "POST", f"/api/tasks/{review_id}/claim", {})
        assert Counter(code for code, _ in outcomes) == {200: 1, 409: N - 1}, outcomes

        outcomes = race(secretaries, "POST", f"/api/tasks/{review_id}/complete",
                        {"data": {"decision": "return", "reason": "补充照片"}})
        assert Counter(code for code, _ in outcomes) == {200: 1, 409: N - 1}, outcomes

        # The return happened once: exactly one new task for the member, nothing lost.
        instance = m1.call("GET", f"/api/process-instances/{task['instance_id']}")[1]
        assert [t["element_id"] for t in instance["open_tasks"]] == ["WriteReport"]
        completed = [h for h in instance["history"] if h["action"] == "task.completed"]
        assert len(completed) == 2
