"""The API's edge: JSON for unrouted paths, the generated document, declared models."""

from __future__ import annotations


def test_unknown_api_path_is_json_404(client):
    for url in ("/api/nope", "/api/tasks/abc", "/api/tasks/99999999999", "/api"):
        res = client.get(url)
        assert res.status_code == 404, url
        assert res.get_json()["error"] == "not_found", url


def test_wrong_method_is_json_405_with_allow(client):
    res = client.delete("/api/tasks")
    assert res.status_code == 405
    assert res.get_json()["error"] == "method_not_allowed"
    assert "GET" in res.headers["Allow"]


def test_pages_outside_the_api_keep_the_html_404(client):
    res = client.get("/no-such-page")
    assert res.status_code == 404
    assert res.content_type.startswith("text/html")


def test_document_lists_login_and_body_errors(client):
    spec = client.get("/api/openapi.json").get_json()
    complete = spec["paths"]["/api/tasks/{task_id}/complete"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(complete["responses"])
    assert complete["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Completion")
    assert spec["paths"]["/api/tasks/{task_id}"]["get"]["parameters"][0]["schema"]["type"] == "integer"
    assert set(spec["paths"]["/api/openapi.json"]["get"]["responses"]) == {"200"}
    xml = spec["paths"]["/api/process-definitions"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/xml"} <= set(xml)


def test_every_json_body_route_declares_its_body(client, app):
    spec = client.get("/api/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch") and "requestBody" not in operation:
                # the routes without a body: actions on a task (claim, unclaim, 催办), a notification, the daily run,
                # an incident's retry
                assert any(word in path for word in ("claim", "read", "daily", "remind", "retry")), f"{method} {path}"


def test_query_errors_keep_their_wording(as_user):
    c = as_user("sec1")
    res = c.get("/api/tasks?limit=0").get_json()
    assert res["message"] == "'limit' must be between 1 and 500"
    assert res["details"] == [{"field": "limit", "message": "out of range"}]
    res = c.get("/api/notifications?unread=maybe").get_json()
    assert res["details"] == [{"field": "unread", "message": "not a boolean"}]


def test_bulk_rejects_an_id_no_database_can_hold(as_user):
    res = as_user("sec1").post("/api/tasks/bulk-complete", json={"items": [{"task_id": 2**40}]})
    assert res.status_code == 400
    assert res.get_json()["details"] == [{"field": "items.0", "message": "expected {task_id: integer, data: object}"}]
