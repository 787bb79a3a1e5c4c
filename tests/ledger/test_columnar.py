"""The columnar ledger path against the row engine, the oracle: every field equal, to the cent.

(a) every hand-computed case in tests/ledger/cases, (b) random loans, payments and
as-of dates (hypothesis), (c) many loans of different rules in one batch. A loan
the columnar path leaves to the row engine must say why; the tests also make sure
most loans are really computed by the columnar path, so the comparisons compare.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrears.delinquency.quote import QuoteRequest
from arrears.ledger.columnar import ROUTES, LoanInput, compute_figures, compute_positions, figures_of
from arrears.ledger.engine import (
    LoanPosition,
    LoanTerms,
    PauseWindow,
    PostedPayment,
    Restructure,
    ScheduledInstallment,
    compute_position,
)
from arrears.ledger.rules import ProductRules
from tests.ledger.test_properties import Loan, loans

ZERO = Decimal(0)
CASES = sorted((Path(__file__).parent / "cases").glob("*.json"))


def _both(loan: LoanInput, as_of: date) -> tuple[LoanPosition, LoanPosition | None, str | None]:
    expected = compute_position(loan.terms, loan.payments, as_of=as_of, holds=loan.holds)
    batch = compute_positions([loan], as_of=as_of)
    reason = next(iter(batch.reasons), None)
    return expected, batch.positions.get(loan.key), reason


def _differences(expected: LoanPosition, actual: LoanPosition) -> list[str]:
    problems = []
    for name in LoanPosition.__dataclass_fields__:
        want, got = getattr(expected, name), getattr(actual, name)
        if name == "installments":
            for left, right in zip(want, got, strict=True):
                problems += [
                    f"installment {left.number}.{field}: {getattr(left, field)!r} != {getattr(right, field)!r}"
                    for field in left.__dataclass_fields__
                    if getattr(left, field) != getattr(right, field)
                ]
            if len(want) != len(got):
                problems.append(f"installments: {len(want)} != {len(got)}")
        elif want != got:
            problems.append(f"{name}: {want!r} != {got!r}")
    return problems


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_hand_computed_case_is_the_same_through_both_paths(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    request = QuoteRequest.model_validate(case["request"])
    as_of = date.fromisoformat(case["as_of"])
    loan = LoanInput(1, request.terms(), request.posted_payments(), request.pause_windows())
    expected, actual, reason = _both(loan, as_of)
    if actual is None:
        assert reason in ROUTES
        # A case with holds goes to the row engine; without them, the columnar path takes it.
        assert loan.holds or reason != "holds"
        stripped = replace(loan, holds=())
        expected = compute_position(stripped.terms, stripped.payments, as_of=as_of)
        actual = compute_positions([stripped], as_of=as_of).positions.get(1)
        if actual is None:
            return
    assert not _differences(expected, actual), "\n".join(_differences(expected, actual))


def test_the_hand_computed_cases_mostly_take_the_columnar_path() -> None:
    taken = 0
    for path in CASES:
        case = json.loads(path.read_text(encoding="utf-8"))
        request = QuoteRequest.model_validate(case["request"])
        loan = LoanInput(1, request.terms(), request.posted_payments(), request.pause_windows())
        taken += 1 in compute_positions([loan], as_of=date.fromisoformat(case["as_of"])).positions
    assert len(CASES) >= 40
    assert taken >= len(CASES) * 2 // 3


PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(loan=loans(), keep_holds=st.booleans())
def test_random_loan_is_the_same_through_both_paths(loan: Loan, keep_holds: bool) -> None:
    """For any loan, payments and as-of date, the columnar position equals the row engine's in
    every field (amounts to the cent, dates, status, allocations in order), or the loan is
    routed to the row engine with a stated reason."""
    terms, payments, holds, as_of = loan
    item = LoanInput(7, terms, payments, holds if keep_holds else [])
    try:
        expected = compute_position(item.terms, item.payments, as_of=as_of, holds=item.holds)
    except Exception:
        assert 7 not in compute_positions([item], as_of=as_of).positions
        return
    batch = compute_positions([item], as_of=as_of)
    if 7 not in batch.positions:
        assert list(batch.reasons) and set(batch.reasons) <= set(ROUTES)
        return
    problems = _differences(expected, batch.positions[7])
    assert not problems, "\n".join(problems)
    assert compute_figures([item], as_of=as_of).figures == [figures_of(7, expected)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(loans(), min_size=2, max_size=12))
def test_a_batch_gives_each_loan_what_it_gets_alone(batch: list[Loan]) -> None:
    """Loans of different rules and lengths replayed together do not disturb one another."""
    as_of = max(as_of for *_, as_of in batch)
    inputs = [LoanInput(key, terms, payments) for key, (terms, payments, _, _) in enumerate(batch)]
    together = compute_positions(inputs, as_of=as_of)
    for item in inputs:
        alone = compute_positions([item], as_of=as_of)
        assert (item.key in together.positions) == (item.key in alone.positions)
        if item.key in alone.positions:
            assert together.positions[item.key] == alone.positions[item.key]


RULES = ProductRules.model_validate(
    {
        "charges": {"penalty_annual_rate": "0.18", "late_fee_daily_rate": "0.0005", "grace_days": 3},
        "cost_cap": {"kind": "annual_rate", "annual_rate": "0.36"},
        "acceleration": {"after_dpd": 90, "demand_days": 3},
    }
)


def _twelve(disbursed: date, principal: int) -> LoanTerms:
    from arrears.dates import add_months

    part = principal // 12
    schedule = tuple(
        ScheduledInstallment(
            n,
            add_months(disbursed, n),
            Decimal(part if n < 12 else principal - 11 * part),
            Decimal(principal * 2 // 100),
        )
        for n in range(1, 13)
    )
    return LoanTerms(Decimal(principal), disbursed, disbursed, schedule, RULES)


def benchmark_like_book(as_of: date, count: int, *, spacing: int) -> list[LoanInput]:
    """Twelve-installment loans paid on time, a few days late, or not at all after some period, disbursed
    ``spacing`` days apart going back from ``as_of`` (as the benchmark's book)."""
    inputs = []
    for key in range(count):
        disbursed = as_of - timedelta(days=40 + key * spacing)
        terms = _twelve(disbursed, 3000 + key * 100)
        stop = 12 if key % 3 else key % 12
        payments = [
            PostedPayment(
                f"P{key}-{item.number}",
                item.due_date + timedelta(days=(0, 1, 2, 6)[key % 4]),
                item.principal + item.interest,
            )
            for item in terms.schedule[:stop]
            if item.due_date + timedelta(days=6) <= as_of
        ]
        inputs.append(LoanInput(key, terms, payments))
    return inputs


def test_a_portfolio_like_the_benchmark_is_the_same_through_both_paths() -> None:
    as_of = date(2026, 6, 30)
    inputs = benchmark_like_book(as_of, 60, spacing=7)
    batch = compute_positions(inputs, as_of=as_of)
    assert not batch.routed
    for item in inputs:
        expected = compute_position(item.terms, item.payments, as_of=as_of)
        problems = _differences(expected, batch.positions[item.key])
        assert not problems, f"loan {item.key}:\n" + "\n".join(problems)
    figures = compute_figures(inputs, as_of=as_of).figures
    assert figures == [figures_of(item.key, batch.positions[item.key]) for item in inputs]
    assert any(item.charges for item in figures) and any(item.allocations for item in figures)


def test_holds_and_same_day_payments_go_to_the_row_engine() -> None:
    terms = _twelve(date(2025, 1, 10), 6000)
    due = terms.schedule[0].due_date
    held = LoanInput(1, terms, (), (PauseWindow(due, None),))
    twice = LoanInput(2, terms, (PostedPayment("a", due, Decimal(10)), PostedPayment("b", due, Decimal(20))))
    plain = LoanInput(3, terms, (PostedPayment("a", due, Decimal(10)),))
    batch = compute_positions([held, twice, plain], as_of=date(2025, 6, 1))
    assert sorted(batch.routed) == [1, 2]
    assert batch.reasons == {"holds": 1, "same_day_payments": 1}
    assert list(batch.positions) == [3]


Change = Callable[[LoanTerms], tuple[tuple[PostedPayment, ...], dict[str, Any]]]


@pytest.mark.parametrize(
    ("reason", "change"),
    [
        ("disbursement_day_payment", lambda terms: ((PostedPayment("a", terms.disbursed_on, Decimal(10)),), {})),
        ("sub_unit_amount", lambda terms: ((PostedPayment("a", date(2025, 3, 1), Decimal("10.005")),), {})),
        ("invalid", lambda terms: ((PostedPayment("a", date(2025, 3, 1), Decimal("-1")),), {})),
        ("invalid", lambda terms: ((), {"schedule": terms.schedule[1:]})),
        (
            "restructured",
            lambda terms: (
                (),
                {
                    "restructures": (
                        Restructure(date(2025, 4, 1), (ScheduledInstallment(13, date(2025, 5, 1), ZERO, ZERO),)),
                    )
                },
            ),
        ),
    ],
)
def test_each_reason_to_use_the_row_engine_is_counted(reason: str, change: Change) -> None:
    terms = _twelve(date(2025, 1, 10), 6000)
    payments, edits = change(terms)
    restructures = edits.pop("restructures", ())
    loan = LoanInput(1, replace(terms, **edits), payments, (), restructures)
    batch = compute_positions([loan], as_of=date(2025, 6, 1))
    assert batch.routed == [1]
    assert batch.reasons == {reason: 1}
    assert reason in ROUTES
