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


def test_parallel_steps_in_one_instance_and_one_body_lose_nothing(app):
    """Members answer at the same moment, each in his own detached body, while the secretary
    witnesses in the same bodies: every step is kept, every body ends, the summary follows."""
    from tests.timers_support import deploy_test_bpmn

    deploy_test_bpmn("pair_check.bpmn")
    people = [f"m{i}" for i in range(1, 9)]
    with serve(app) as base:
        sec1 = Client(base).login("sec1")
        status, instance = sec1.call("POST", "/api/process-instances", {
            "process_key": "pair_check", "org_unit": "demo-branch1", "data": {"people": people}})
        assert status == 201, instance
        members = [Client(base).login(p) for p in people]
        answers = [c.call("GET", "/api/tasks?scope=mine")[1]["items"][0]["id"] for c in members]
        witness = [t["id"] for t in sec1.call("GET", "/api/tasks?scope=claimable&limit=100")[1]["items"]]
        assert len(witness) == len(people)
        secretaries = [Client(base).login("sec1") for _ in people]
        # Each body gets its answer and its witness at once; the bodies all race each other too.
        clients = members + secretaries
        barrier = threading.Barrier(len(clients))
        results: list[object] = [None] * len(clients)

        def go(i: int, client: Client, task_id: int) -> None:
            barrier.wait()
            results[i] = client.call("POST", f"/api/tasks/{task_id}/complete", {"data": {}})[0]

        threads = [threading.Thread(target=go, args=(i, c, t))
                   for i, (c, t) in enumerate(zip(clients, answers + witness, strict=True))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert Counter(results) == {200: len(clients)}, results
        after = sec1.call("GET", f"/api/process-instances/{instance['id']}")[1]
        assert [t["element_id"] for t in after["open_tasks"]] == ["Summary"]
        completed = [h for h in after["history"] if h["action"] == "task.completed"]
        assert len(completed) == len(clients)
