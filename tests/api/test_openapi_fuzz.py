"""Schema-driven fuzzing of the API (schemathesis): every operation of the generated OpenAPI
document, called as the demo org_admin and as a plain member (the refusals have their own code
paths), answers no 5xx, only documented status codes, and JSON that matches its declared
response schema.

Bounded: SQLite only, a fixed seed (derandomized), a few examples per operation.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import login

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6
#: logging out (or changing the password) would leave the other operations nothing but 401s;
#: tests/api/test_session_api.py and tests/accounts/ cover them
SKIP = {("DELETE", "/api/session"), ("POST", "/api/me/password")}


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("username", "examples"), [("admin", EXAMPLES), ("m1", 3)])
def test_no_undocumented_status_and_no_server_error(app: Any, username: str, examples: int) -> None:
    client = login(app, username)
    token = client.get("/api/me").get_json()["csrf_token"]
    cookie = client.get_cookie("session")
    assert cookie is not None
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            case.call_and_validate(headers={"X-CSRFToken": token}, cookies={"session": cookie.value},
                                  checks=CHECKS)

        try:
            call()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every failing operation, then all of them
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations > 50
    assert not failures, "\n\n".join(failures)
