"""``arrears lint`` as a user or an integration runs it: exit codes 0, 3 and 2, and the JSON shape."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from arrears.cli.main import app
from tests.arrears_cli import run_arrears

runner = CliRunner()


def test_clean_text_exits_0() -> None:
    result = runner.invoke(app, ["lint", "请通过官方APP还款，谢谢。"])
    assert result.exit_code == 0, result.output
    assert "no findings" in result.output


def test_findings_exit_3_with_json_offsets_into_the_original_text() -> None:
    text = "您好，他欠了我們兩萬塊。"
    result = runner.invoke(app, ["lint", "--json", text])
    assert result.exit_code == 3, result.output
    (finding,) = json.loads(result.output)["findings"]
    assert set(finding) == {"rule", "start", "end", "excerpt", "message", "severity"}
    assert finding["rule"] == "third_party_disclosure"
    assert finding["severity"] == "error"
    assert text[finding["start"] : finding["end"]] == finding["excerpt"]
    assert "/" in finding["message"]


def test_clean_json_is_an_empty_list() -> None:
    result = runner.invoke(app, ["lint", "--json", "--lang", "en", "Can you make a payment today?"])
    assert result.exit_code == 0
    assert json.loads(result.output) == {"findings": []}


def test_a_dash_reads_standard_input() -> None:
    result = runner.invoke(app, ["lint", "-"], input="Send it to my personal Venmo.\n")
    assert result.exit_code == 3
    assert "private_account" in result.output


def test_readable_output_names_rule_span_and_message() -> None:
    result = runner.invoke(app, ["lint", "明天警察就上门抓你"])
    assert result.exit_code == 3
    assert "threat_criminal" in result.output
    assert "[2:9]" in result.output
    assert "Threatening arrest" in result.output


@pytest.mark.parametrize(
    ("options", "text"),
    [(["--lender-is-bank"], "我是工商银行信用卡中心的。"), (["--legal-action-filed"], "我们已经向法院起诉你了。")],
)
def test_context_options_make_true_statements_clean(options: list[str], text: str) -> None:
    assert runner.invoke(app, ["lint", text]).exit_code == 3
    assert runner.invoke(app, ["lint", *options, text]).exit_code == 0


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["lint", "   "], b"", "the text is empty"),
        (["lint", "-"], b"", "the text is empty"),
        (["lint", "-"], b"\xff\xfe\x00", "not UTF-8"),
        (["lint", "--lang", "fr", "hello"], b"", "unknown language"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], stdin: bytes, message: str) -> None:
    result = run_arrears(*args, stdin=stdin)
    error = result.stderr
    assert result.returncode == 2, error
    assert message in error
    assert "Traceback" not in error
    assert len(error.strip().splitlines()) == 1
