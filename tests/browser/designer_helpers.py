"""Driving the designer page the way a person does: click shapes, fill the side panel."""

from __future__ import annotations

import json
from typing import Any


def open_designer(page: Any, path: str = "/designer/new") -> None:
    page.goto(path)
    page.wait_for_selector("#designer[data-state=ready]")


def open_file(page: Any, path: Any) -> None:
    """Open a file through the "open file" button; wait until it is on the canvas (or refused)."""
    page.evaluate("document.querySelector('#designer').dataset.state = 'opening'")
    page.set_input_files("#d-open", str(path))
    page.wait_for_function(
        "['ready', 'failed'].includes(document.querySelector('#designer').dataset.state)"
        " && document.querySelector('#d-status').textContent !== ''"
    )
    page.wait_for_function("!document.querySelector('#d-status').textContent.includes('…')")


def selected(page: Any) -> list[str]:
    return list(page.evaluate("vgDesigner.selected()"))


def select(page: Any, element_id: str) -> None:
    """Click a shape (clicking an already selected shape would unselect it)."""
    page.click("[data-tab=d-panel]")
    if selected(page) == [element_id]:
        return
    shape = page.locator(f"#d-canvas g.djs-element[data-element-id='{element_id}']")
    box = shape.bounding_box()
    assert box, f"{element_id} is not on the canvas"
    kind = page.evaluate(f"vgDesigner.element({json.dumps(element_id)}).type")
    if kind in ("bpmn:Lane", "bpmn:Participant"):
        shape.click(position={"x": 12, "y": box["height"] / 2})  # the label band, not a shape inside
    elif kind == "bpmn:SequenceFlow":
        # the middle of the first segment (the middle of the bounding box may be off the line)
        point = page.evaluate(
            """id => {
              const m = vgDesigner.modeler, e = m.get('elementRegistry').get(id), canvas = m.get('canvas');
              const [a, b] = e.waypoints, vb = canvas.viewbox();
              const r = canvas.getContainer().getBoundingClientRect();
              return {x: r.left + ((a.x + b.x) / 2 - vb.x) * vb.scale, y: r.top + ((a.y + b.y) / 2 - vb.y) * vb.scale};
            }""",
            element_id,
        )
        page.mouse.click(point["x"], point["y"])
    else:
        shape.click()
    page.wait_for_function(f"vgDesigner.selected().join() === {json.dumps(element_id)}")
    page.wait_for_function(f"document.querySelector('#d-panel').dataset.element === {json.dumps(element_id)}")


def commit(page: Any, selector: str, value: str) -> None:
    """Type into a panel field and leave it (the panel writes on change)."""
    page.fill(selector, value)
    page.locator(selector).blur()


def element(page: Any, element_id: str) -> dict[str, Any]:
    return dict(page.evaluate(f"vgDesigner.element({json.dumps(element_id)})"))


def wait_property(page: Any, element_id: str, name: str, value: str | None) -> None:
    page.wait_for_function(
        f"(vgDesigner.element({json.dumps(element_id)}).properties[{json.dumps(name)}] ?? null) === {json.dumps(value)}"
    )


def problems(page: Any, source: str | None = None) -> list[dict[str, Any]]:
    found = page.evaluate("vgDesigner.problems()")
    return [p for p in found if source is None or p["source"] == source]
