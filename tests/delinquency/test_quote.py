"""The quote request file and ``arrears ledger quote``: a bad file is one clear line and
exit code 2, never a traceback; a good one gives the result docs/quote.md shows."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from arrears.delinquency.quote import QuoteRequest, load_request, quote
from arrears.errors import InvalidInput
from tests.arrears_cli import Completed, run_arrears

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "quote-loan.json"
EXAMPLE_RESULT = ROOT / "docs" / "examples" / "quote-loan.result.json"
EXAMPLE_AS_OF = "2026-05-10"

GOOD: dict[str, Any] = {
    "loan_id": "L1",
    "principal": "9000.00",
    "disbursed_on": "2026-01-15",
    "product": {"charges": {"late_fee_daily_rate": "0.01"}, "cost_cap": {"kind": "none"}},
    "schedule": [
        {"number": 1, "due_date": "2026-02-15", "principal": "3000.00"},
        {"number": 2, "due_date": "2026-03-15", "principal": "3000.00"},
        {"number": 3, "due_date": "2026-04-15", "principal": "3000.00"},
    ],
    "payments": [{"ref": "P1", "value_date": "2026-02-20", "amount": "1000.00"}],
}


def variant(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    data.update(changes)
    return data


def write(tmp_path: Path, content: dict[str, Any] | str) -> Path:
    path = tmp_path / "loan.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def load_and_quote(path: Path, as_of: str = "2026-03-01") -> None:
    quote(load_request(path), as_of=date.fromisoformat(as_of))


BAD_FILES: list[tuple[str, dict[str, Any] | str, str]] = [
    ("invalid_json", '{"principal": "9000.00",', "is not valid JSON"),
    ("not_an_object", "[1, 2]", "(top level)"),
    ("float_amount", variant(principal=9000.5), 'principal: write amounts as strings such as "1234.56"'),
    ("three_decimals", variant(principal="9000.001"), "principal: amount '9000.001' has more than two decimals"),
    ("text_amount", variant(principal="lots"), "principal: amount 'lots' is not a number"),
    ("bool_amount", variant(payments=[{"ref": "P", "value_date": "2026-02-20", "amount": True}]), "payments.0.amount"),
    (
        "schedule_not_summing",
        variant(principal="9500.00"),
        "installment principal adds up to 9000.00, not the loan principal 9500.00",
    ),
    (
        "due_dates_not_rising",
        variant(
            schedule=[
                {"number": 1, "due_date": "2026-03-15", "principal": "4500.00"},
                {"number": 2, "due_date": "2026-02-15", "principal": "4500.00"},
            ]
        ),
        "schedule[2]: due date 2026-02-15 is not after 2026-03-15",
    ),
    (
        "due_before_disbursement",
        variant(schedule=[{"number": 1, "due_date": "2026-01-15", "principal": "9000.00"}]),
        "due date 2026-01-15 is not after 2026-01-15",
    ),
    (
        "repeated_installment_number",
        variant(
            schedule=[
                {"number": 1, "due_date": "2026-02-15", "principal": "4500.00"},
                {"number": 1, "due_date": "2026-03-15", "principal": "4500.00"},
            ]
        ),
        "installment numbers repeat",
    ),
    ("unknown_field", variant(princpal="9000.00"), "princpal: Extra inputs are not permitted"),
    ("unknown_nested_field", variant(product={"charges": {"grace": 3}}), "product.charges.grace"),
    ("missing_field", {k: v for k, v in GOOD.items() if k != "disbursed_on"}, "disbursed_on: Field required"),
    ("empty_schedule", variant(schedule=[]), "schedule"),
    (
        "two_penalty_rates",
        variant(product={"charges": {"penalty_daily_rate": "0.0005", "penalty_annual_rate": "0.18"}}),
        "give penalty_daily_rate or penalty_annual_rate, not both",
    ),
    ("unknown_currency", variant(product={"currency": "XYZ"}), "currency 'XYZ' is not supported"),
    (
        "overlapping_buckets",
        variant(product={"buckets": [{"name": "a", "min_dpd": 1, "max_dpd": 10}, {"name": "b", "min_dpd": 5}]}),
        "buckets a and b overlap",
    ),
    (
        "hold_ending_before_it_starts",
        variant(holds=[{"type": "dispute", "from": "2026-02-20", "to": "2026-02-10"}]),
        "hold ends on 2026-02-10, before it starts on 2026-02-20",
    ),
    (
        "negative_payment",
        variant(payments=[{"ref": "P9", "value_date": "2026-02-20", "amount": "-5.00"}]),
        "payments[P9]: payment P9 has a non-positive amount",
    ),
    (
        "repeated_payment_ref",
        variant(
            payments=[
                {"ref": "P1", "value_date": "2026-02-20", "amount": "5.00"},
                {"ref": "P1", "value_date": "2026-02-21", "amount": "6.00"},
            ]
        ),
        "payments: payment refs repeat: P1",
    ),
    (
        "payment_before_disbursement",
        variant(payments=[{"ref": "P0", "value_date": "2026-01-01", "amount": "5.00"}]),
        "is dated 2026-01-01, before disbursement on 2026-01-15",
    ),
]


@pytest.mark.parametrize(("content", "message"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_a_bad_file_is_one_line_of_invalid_input(tmp_path: Path, content: dict[str, Any] | str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_and_quote(write(tmp_path, content))
    line = caught.value.one_line()
    assert message in line
    assert "\n" not in line


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        load_request(tmp_path / "absent.json")


def test_a_directory_is_not_a_loan_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        load_request(tmp_path)


def test_as_of_before_disbursement_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_and_quote(write(tmp_path, GOOD), as_of="2026-01-14")
    assert caught.value.one_line() == "--as-of: as-of date 2026-01-14 is before disbursement on 2026-01-15"


def test_as_of_the_disbursement_day_is_accepted(tmp_path: Path) -> None:
    result = quote(load_request(write(tmp_path, GOOD)), as_of=date(2026, 1, 15))
    assert (result.status, result.days_past_due, result.payoff_amount) == ("active", 0, 9000)


def test_integer_amounts_are_exact_and_money_comes_back_as_strings(tmp_path: Path) -> None:
    request = QuoteRequest.model_validate(variant(principal=9000, payments=[]))
    dumped = quote(request, as_of=date(2026, 2, 16)).model_dump(mode="json")
    assert dumped["principal_outstanding"] == "9000.00"
    assert dumped["overdue_late_fee"] == "30.00"
    assert dumped["cap"]["cost_limit"] is None


def test_the_documented_example_gives_the_documented_result() -> None:
    """docs/quote.md shows docs/examples/quote-loan.json and this result: they must not drift."""
    result = quote(load_request(EXAMPLE), as_of=date.fromisoformat(EXAMPLE_AS_OF))
    assert result.model_dump(mode="json") == json.loads(EXAMPLE_RESULT.read_text(encoding="utf-8"))


def test_docs_quote_md_shows_the_example_file_and_its_real_result() -> None:
    """The request in docs/quote.md is the example file, and every figure of the result
    it shows (an excerpt) is the real one."""
    text = (ROOT / "docs" / "quote.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in text.split("```json\n")[1:]]
    shown_request, shown_result = (json.loads(block) for block in blocks)
    assert shown_request == json.loads(EXAMPLE.read_text(encoding="utf-8"))
    real = json.loads(EXAMPLE_RESULT.read_text(encoding="utf-8"))
    for key, value in shown_result.items():
        if key in ("installments", "allocations"):
            assert all(item in real[key] for item in value)
        else:
            assert real[key] == value, key


# The command line ---------------------------------------------------------------------


def run_quote(*args: str) -> Completed:
    return run_arrears("ledger", "quote", *args)


@pytest.mark.parametrize(
    "name", ["invalid_json", "float_amount", "schedule_not_summing", "due_dates_not_rising", "unknown_field"]
)
def test_cli_bad_file_exits_2_with_one_line(tmp_path: Path, name: str) -> None:
    content, message = next(case[1:] for case in BAD_FILES if case[0] == name)
    done = run_quote("--loan-file", str(write(tmp_path, content)), "--as-of", "2026-03-01")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--loan-file", "does/not/exist.json", "--as-of", "2026-03-01"), "no such file"),
        (("--loan-file", ".", "--as-of", "2026-03-01"), "cannot read"),
        (("--as-of", "2026-13-01"), "--as-of: '2026-13-01' is not a date"),
        (("--as-of", "2026-01-01"), "before disbursement"),
    ],
)
def test_cli_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    if "--loan-file" not in args:
        args = ("--loan-file", str(write(tmp_path, GOOD)), *args)
    done = run_quote(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr


def test_cli_json_output_is_the_quote_result() -> None:
    done = run_quote("--loan-file", str(EXAMPLE), "--as-of", EXAMPLE_AS_OF, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(EXAMPLE_RESULT.read_text(encoding="utf-8"))


def test_cli_table_output_shows_the_key_figures() -> None:
    done = run_quote("--loan-file", str(EXAMPLE), "--as-of", EXAMPLE_AS_OF)
    assert done.returncode == 0, done.stderr
    for label in ("days past due", "bucket", "overdue total", "payoff"):
        assert label in done.stdout


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    loan = tmp_path / "loan.json"
    loan.write_bytes(b'{"principal": "\xff"}')
    with pytest.raises(InvalidInput, match="is not UTF-8 text"):
        load_request(loan)
