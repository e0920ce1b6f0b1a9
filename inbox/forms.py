"""Forms of tasks: their confidential fields; the JSON Schema check lives in ``server.workflow.forms``."""

from __future__ import annotations

from typing import Any

from server.workflow.forms import validate_form

__all__ = ["CONFIDENTIAL_FLAG", "split_confidential", "validate_form"]

CONFIDENTIAL_FLAG = "x-confidential"


def split_confidential(schema: dict[str, Any] | None, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data without confidential fields, the confidential fields) by the schema's top-level flags."""
    properties = (schema or {}).get("properties") or {}
    flagged = {name for name, prop in properties.items() if isinstance(prop, dict) and prop.get(CONFIDENTIAL_FLAG)}
    public = {k: v for k, v in data.items() if k not in flagged}
    confidential = {k: v for k, v in data.items() if k in flagged and v not in (None, "")}
    return public, confidential
