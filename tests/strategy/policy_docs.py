"""Small policy documents for tests: a clear state plus the states a test needs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from arrears.strategy.facts import CaseFacts

AS_OF = date(2026, 3, 10)


def label(name: str) -> dict[str, str]:
    return {"zh": f"{name}（测试）", "en": f"{name} (test)"}


def plan(treatment: str, *phones: str, timing: str = "first_pass") -> dict[str, Any]:
    step: dict[str, Any] = {"treatment": treatment, "timing": timing}
    if phones:
        step["phone_order"] = list(phones)
    return step


def state(name: str, stage: int, *treatments: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": name, "label": label(name), "stage": stage, "treatments": list(treatments), **fields}


CLEAR: dict[str, Any] = {
    "name": "clear",
    "label": label("clear"),
    "stage": 0,
    "clear": True,
    "when": {"dpd_at_most": 0},
}


def document(*states: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"code": "test", "version": 1, "effective_from": "2026-01-01", "states": [CLEAR, *states], **fields}


def facts(**fields: Any) -> CaseFacts:
    values: dict[str, Any] = {
        "case_id": 1,
        "as_of": AS_OF,
        "days_past_due": 0,
        "bucket": None,
        "overdue_total": Decimal("0.00"),
        "balance": Decimal("0.00"),
    }
    return CaseFacts(**{**values, **fields})
