"""The designer's journey (issue 17 "done when": designer, edit and deploy) at both widths and in
both languages: a process from the template, renamed in the panel, validated, deployed, and
its first version listed; screenshots kept for a look at the phone layout."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import PHONE
from tests.browser.designer_helpers import commit, open_designer

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
SAID = {"zh": ("校验通过", "已部署"), "en": ("Valid", "Deployed")}


@pytest.mark.parametrize(("viewport", "locale"), [(PHONE, "zh"), (PHONE, "en"), (WIDE, "en"), (WIDE, "zh")],
                         ids=["phone-zh", "phone-en", "desktop-en", "desktop-zh"])
def test_edit_and_deploy(page_as: Any, api_as: Any, shot: Any, viewport: Any, locale: str) -> None:
    width = "phone" if viewport is PHONE else "desktop"
    key = f"vg_{width}_{locale}"
    page = page_as("designer", viewport=viewport)
    if locale == "en":
        page.goto("/lang/en")  # a logged-in person's language is kept with the account
    open_designer(page)
    commit(page, "#p-process-key", key)
    commit(page, "#p-process-name", "手机上设计的流程" if locale == "zh" else "Designed on the go")
    page.wait_for_function(f"vgDesigner.key === '{key}'")
    valid, deployed = SAID[locale]
    page.click("#d-validate")
    page.wait_for_function(f"document.querySelector('#d-status').textContent.includes('{valid}')")
    shot(page, f"designer-journey-validated-{width}-{locale}")
    page.click("#d-deploy")
    page.wait_for_function(f"document.querySelector('#d-status').textContent.includes('{deployed}')")
    assert page.url.endswith(f"/designer/{key}")
    shot(page, f"designer-journey-deployed-{width}-{locale}")

    status, definition = api_as("designer").call("GET", f"/api/process-definitions/{key}")
    assert status == 200 and definition["version"] == 1, definition
    page.goto(f"/designer/{key}/versions")
    page.locator(f"text={key}").first.wait_for()
    shot(page, f"designer-journey-versions-{width}-{locale}")
