"""Files from other tools: every MIWG reference model opens in the designer; deploying one the
engine cannot execute lists the problems on their elements and stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.designer_helpers import open_designer, open_file, problems

pytestmark = pytest.mark.browser

MIWG = Path(__file__).resolve().parents[3] / "shared" / "bpmn-corpus" / "miwg"
MODELS = sorted(MIWG.glob("*.bpmn"))


@pytest.mark.skipif(not MODELS, reason=f"the MIWG corpus is not at {MIWG}")
def test_every_miwg_model_opens(page_as, shot):
    page = page_as("designer")
    open_designer(page)
    failures = []
    for path in MODELS:
        open_file(page, path)
        state = page.get_attribute("#designer", "data-state")
        shapes = page.locator("#d-canvas g.djs-element.djs-shape").count()
        failed = [p["message"] for p in problems(page, "import") if p["severity"] == "error"]
        if state != "ready" or failed or shapes < 2:
            failures.append(f"{path.name}: state={state} shapes={shapes} errors={failed}")
        if path.name in ("A.4.1.bpmn", "B.2.0.bpmn", "C.4.0.bpmn"):
            shot(page, f"designer-miwg-{path.stem}")
    assert not failures, "\n".join(failures)


@pytest.mark.skipif(not (MIWG / "A.2.0.bpmn").exists(), reason="MIWG A.2.0 missing")
def test_deploying_a_model_the_engine_cannot_run_lists_its_problems(page_as, api_as, shot):
    _, before = api_as("designer").call("GET", "/api/process-definitions")
    page = page_as("designer")
    open_designer(page)
    open_file(page, MIWG / "A.2.0.bpmn")
    page.click("#d-deploy")
    page.wait_for_function("document.querySelector('#d-status').textContent.includes('不能部署')")
    engine = problems(page, "engine")
    assert engine, "the server's parse must answer with problems"
    assert all(p["id"] for p in engine), engine
    flagged = page.locator(".problem[data-source=engine][data-element]")
    assert flagged.count() == len(engine)
    first = engine[0]["id"]
    marked = page.locator(f"#d-canvas g.djs-element[data-element-id='{first}']").get_attribute("class") or ""
    assert "vg-error" in marked
    shot(page, "designer-miwg-refused")
    _, after = api_as("designer").call("GET", "/api/process-definitions")
    assert after == before, "nothing may be stored"
