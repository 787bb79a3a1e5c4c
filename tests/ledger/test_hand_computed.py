"""Hand-computed ledger cases: every figure in tests/ledger/cases/*.json was worked out
on paper from the conventions in docs/ledger.md (the arithmetic is in each case's
description), never copied from the engine's output.

A case file holds ``description``, ``as_of``, ``request`` (a quote request, as in
docs/quote.md) and ``expected``: a subset of the quote result. Every key given in
``expected`` is compared; nested objects (``cap``) are compared key by key,
``installments`` are matched by their ``number``, and ``allocations``, when given,
must match the whole list in order. An optional ``same_result_as`` holds a second
request whose complete result must equal the first one's (used for back-dated
payments and reversals).
"""

from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

from arrears.delinquency.quote import QuoteRequest, quote

CASES_DIR = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.json"))
REQUIRED_KEYS = {"description", "as_of", "request", "expected"}
TIME_LIMIT_SECONDS = 30


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    missing = REQUIRED_KEYS - case.keys()
    assert not missing, f"{path.name} lacks {sorted(missing)}"
    return case


def _same(expected: Any, actual: Any) -> bool:
    """Equal values; numbers written as strings compare as Decimals ("0.138" == "0.1380")."""
    if isinstance(expected, str) and isinstance(actual, str):
        try:
            return Decimal(expected) == Decimal(actual)
        except InvalidOperation:
            return expected == actual
    return bool(type(expected) is type(actual) and expected == actual)


def _compare(expected: Any, actual: Any, where: str, problems: list[str]) -> None:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            problems.append(f"{where}: expected an object, got {actual!r}")
            return
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}.{key}: no such field in the result")
                continue
            _compare(value, actual[key], f"{where}.{key}", problems)
    elif isinstance(expected, list) and where.endswith(".installments"):
        by_number = {item["number"]: item for item in actual}
        for item in expected:
            if item["number"] not in by_number:
                problems.append(f"{where}: no installment {item['number']}")
                continue
            _compare(item, by_number[item["number"]], f"{where}[{item['number']}]", problems)
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            problems.append(f"{where}: expected {len(expected)} entries, got {actual!r}")
            return
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            _compare(left, right, f"{where}[{index}]", problems)
    elif not _same(expected, actual):
        problems.append(f"{where}: expected {expected!r}, got {actual!r}")


def _run(request: dict[str, Any], as_of: str) -> dict[str, Any]:
    """Quote in a daemon thread, so that an engine that never ends fails the case
    (the engine once looped for ever on an open-ended hold, case 37) instead of
    hanging the whole run."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            result = quote(QuoteRequest.model_validate(request), as_of=date.fromisoformat(as_of))
            outcome["result"] = result.model_dump(mode="json")
        except Exception as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(TIME_LIMIT_SECONDS)
    assert not worker.is_alive(), f"no result after {TIME_LIMIT_SECONDS} s"
    if "error" in outcome:
        raise outcome["error"]
    dumped: dict[str, Any] = outcome["result"]
    return dumped


def test_there_are_enough_cases() -> None:
    assert len(CASE_FILES) >= 18


@pytest.mark.parametrize("path", CASE_FILES, ids=[path.stem for path in CASE_FILES])
def test_case_matches_hand_computation(path: Path) -> None:
    case = _load(path)
    actual = _run(case["request"], case["as_of"])
    problems: list[str] = []
    _compare(case["expected"], actual, "result", problems)
    assert not problems, f"{path.name}: {case['description']}\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "path",
    [path for path in CASE_FILES if "same_result_as" in _load(path)],
    ids=lambda path: path.stem,
)
def test_case_equals_its_equivalent_request(path: Path) -> None:
    case = _load(path)
    first = _run(case["request"], case["as_of"])
    second = _run(case["same_result_as"], case["as_of"])
    first.pop("loan_id")
    second.pop("loan_id")
    assert first == second


def test_comparison_catches_a_wrong_figure() -> None:
    """The comparator itself must fail on a wrong amount, a missing field and a wrong allocation list."""
    actual = {"a": "1.00", "cap": {"cut": "0.00"}, "allocations": [{"amount": "1.00"}], "installments": [{"number": 1}]}
    problems: list[str] = []
    _compare({"a": "1.01"}, actual, "result", problems)
    _compare({"cap": {"cut": "0.01"}}, actual, "result", problems)
    _compare({"missing": 1}, actual, "result", problems)
    _compare({"allocations": []}, actual, "result", problems)
    _compare({"installments": [{"number": 2}]}, actual, "result", problems)
    _compare({"a": 1}, actual, "result", problems)
    assert len(problems) == 6
