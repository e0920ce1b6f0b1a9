"""Odd input never gives 500 (issue 14 item 5): every one a JSON 4xx naming the field.

Each class from the issue, on the routes where it was found: integers beyond 64 bits and
Unicode digits in paths, queries and bodies; years 0 and 9999; malformed and hostile DMN
and XML; non-integer ids and wrong methods under /api. (Deep nesting, NaN and lone
surrogates: tests/web/test_hardening.py; the whole API fuzzed: test_openapi_fuzz.py.)
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

BIG = "9" * 25
ROOT = Path(__file__).resolve().parents[2]


def _check(res: Any, field: str | None) -> None:
    assert 400 <= res.status_code < 500, (res.status_code, res.get_data(as_text=True)[:300])
    assert res.is_json, res.get_data(as_text=True)[:200]
    body = res.get_json()
    assert set(body) >= {"error", "message", "details"}
    if field is not None:
        fields = [d.get("field") for d in body["details"]]
        assert field in fields or field in body["message"], body


@pytest.mark.parametrize(("user", "method", "path", "body", "field"), [
    ("admin", "GET", f"/api/tasks/{BIG}", None, None),
    ("admin", "GET", "/api/tasks/abc", None, None),
    ("admin", "PUT", "/api/tasks", None, None),
    ("admin", "GET", f"/api/tasks?org_unit={BIG}", None, "org_unit"),
    ("admin", "GET", "/api/tasks?limit=²", None, "limit"),
    ("admin", "GET", "/api/tasks?offset=١٢", None, "offset"),
    ("admin", "GET", f"/api/tasks?limit={BIG}", None, "limit"),
    ("admin", "GET", "/api/calendar?year=0", None, "year"),
    ("admin", "GET", "/api/calendar?year=9999", None, "year"),
    ("admin", "GET", "/api/calendar?year=²", None, "year"),
    ("admin", "GET", "/api/calendar/add?start=9999-12-31&working_days=5", None, "start"),
    ("admin", "GET", "/api/calendar/add?start=0001-01-01&working_days=5", None, "start"),
    ("admin", "PUT", "/api/calendar/overrides/9999-12-31", {"working": True}, "day"),
    ("admin", "PUT", "/api/calendar/overrides/0000-01-01", {"working": True}, "day"),
    ("sec1", "GET", "/api/talks/coverage?org_unit=demo-branch1&period=0000H1", None, "period"),
    ("sec1", "GET", "/api/talks/coverage?org_unit=demo-branch1&period=9999H2", None, "period"),
    ("sec1", "GET", "/api/talks/ledger.xlsx?org_unit=demo-branch1&period=0000H1", None, "period"),
    ("sec1", "POST", "/api/talks/reports", {"org_unit": "demo-branch1", "period": "9999H2"}, "period"),
    ("sec1", "POST", "/api/talks/reports", {"org_unit": "demo-branch1", "period": "0000H1"}, "period"),
    ("sec1", "POST", "/api/talks", {"org_unit": "demo-branch1", "member": "m1", "kind": "periodic",
                                    "scheduled_at": "0001-01-01T00:00:00+08:00"}, "scheduled_at"),
    ("sec1", "POST", "/api/talks", {"org_unit": "demo-branch1", "member": "m1", "kind": "periodic",
                                    "scheduled_at": "9999-12-31T23:59:59+08:00"}, "scheduled_at"),
    ("admin", "GET", f"/api/org-units/{BIG}/board", None, None),
    ("admin", "GET", "/api/org-units/²/board", None, None),
    ("admin", "GET", f"/api/org-units/{BIG}/campaign-progress", None, None),
    ("sec1", "GET", "/api/talks?org_unit=²", None, None),
    ("sec1", "GET", "/api/talks/problems?org_unit=²", None, None),
    ("m1", "POST", "/api/process-instances", {"process_key": "activity_report", "org_unit": 2**40}, None),
    ("m1", "POST", "/api/process-instances", {"process_key": "activity_report", "org_unit": "²"}, None),
    ("m1", "POST", "/api/process-instances", {"process_key": "activity_report", "org_unit": 2**70}, "org_unit"),
    ("sec1", "POST", "/api/tasks/bulk-complete", {"items": [{"task_id": 2**40, "data": {}}]}, None),
])
def test_odd_input_is_a_json_4xx(as_user, user: str, method: str, path: str, body: Any, field: str | None) -> None:
    _check(as_user(user).open(path, method=method, json=body), field)


XXE = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"><process id="p" isExecutable="true">'
       b'<startEvent id="s" name="&x;"/></process></definitions>')
PARAMETER = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'
             b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"/>')
DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"
BAD_DMN = {
    "garbage": b"<<<",
    "external entity": XXE,
    "parameter entity": PARAMETER,
    "empty": b"",
    "not dmn": b'<definitions xmlns="urn:x"/>',
    "no decision": f'<definitions xmlns="{DMN}" id="d" name="n" namespace="x"/>'.encode(),
}


def _upload(client: Any, path: str, files: dict[str, tuple[bytes, str]]) -> Any:
    token = client.get("/api/me").get_json()["csrf_token"]
    return client.post(path, data={k: (io.BytesIO(v), n) for k, (v, n) in files.items()},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")


@pytest.mark.parametrize("name", sorted(BAD_DMN))
def test_a_malformed_or_hostile_dmn_part_is_422(as_user, name: str) -> None:
    bpmn = (ROOT / "tests" / "bpmn" / "dmn_feedback.bpmn").read_bytes()
    for path in ("/api/process-definitions/validate", "/api/process-definitions"):
        res = _upload(as_user("designer"), path, {"file": (bpmn, "dmn_feedback.bpmn"),
                                                  "dmn": (BAD_DMN[name], "grade_feedback.dmn")})
        assert res.status_code == 422, (path, res.get_json())
        assert "grade_feedback.dmn" in res.get_json()["details"][0]["message"]


@pytest.mark.parametrize("xml", [XXE, PARAMETER], ids=["external", "parameter"])
def test_xml_with_entities_is_refused_cleanly(as_user, xml: bytes) -> None:
    for path in ("/api/process-definitions/validate", "/api/process-definitions"):
        res = _upload(as_user("designer"), path, {"file": (xml, "x.bpmn")})
        assert res.status_code == 422, res.get_json()
        assert b"root:" not in res.data  # /etc/passwd was never read
