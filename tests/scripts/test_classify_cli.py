"""``arrears scripts classify`` as a user or an integration runs it: exit codes 0 and 2, and the JSON shape."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from arrears.cli.main import app
from tests.arrears_cli import run_arrears

runner = CliRunner()


def test_json_has_exactly_the_documented_keys() -> None:
    result = runner.invoke(app, ["scripts", "classify", "--json", "--today", "2026-11-23", "下周五还三千"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert set(answer) == {"intent", "confidence", "promise"}
    assert answer["intent"] == "promise_to_pay"
    assert answer["promise"] == {"date": "2026-12-04", "amount": "3000.00"}
    assert answer["confidence"] == round(answer["confidence"], 3)


def test_a_dash_reads_standard_input() -> None:
    result = runner.invoke(app, ["scripts", "classify", "--json", "-"], input="I lost my job last month\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["intent"] == "hardship_job_loss"


def test_readable_output_names_the_intent_in_the_chosen_language() -> None:
    result = runner.invoke(app, ["scripts", "classify", "--lang", "zh", "I already paid this"])
    assert result.exit_code == 0, result.output
    assert "already_paid" in result.output
    assert "称已经还款" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["scripts", "classify", "  "], b"", "the text is empty"),
        (["scripts", "classify", "-"], b"", "the text is empty"),
        (["scripts", "classify", "-"], b"\xff\xfe\x00", "not UTF-8"),
        (["scripts", "classify", "--today", "2026-13-01", "明天还"], b"", "is not a date"),
        (["scripts", "classify", "--lang", "fr", "bonjour"], b"", "unknown language"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], stdin: bytes, message: str) -> None:
    result = run_arrears(*args, stdin=stdin)
    error = result.stderr
    assert result.returncode == 2, error
    assert message in error
    assert len(error.strip().splitlines()) == 1
    assert "Traceback" not in error
