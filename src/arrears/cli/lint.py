"""``arrears lint``: check a script, SMS, letter or note before it is sent or saved.

Exit codes: 0 clean, 3 findings, 2 bad input (empty text, unreadable stdin,
unknown language). See docs/linter.md.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from arrears.compliance.lint import Finding, LintContext, lint
from arrears.errors import InvalidInput

EXIT_FINDINGS = 3
JSON_KEYS = ("rule", "start", "end", "excerpt", "message", "severity")

console = Console(highlight=False, soft_wrap=True)

TextArgument = Annotated[str, typer.Argument(help="the text to check, or - to read it from standard input")]
LangOption = Annotated[
    str | None, typer.Option("--lang", help="zh (Simplified or Traditional) or en [default: detect]")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print the findings as JSON")]
BankOption = Annotated[
    bool, typer.Option("--lender-is-bank", help="the lender is a bank: naming it is not impersonation")
]
FiledOption = Annotated[
    bool, typer.Option("--legal-action-filed", help="a lawsuit has been filed: saying so is not a false claim")
]


def lint_command(
    text: TextArgument,
    lang: LangOption = None,
    as_json: JsonOption = False,
    lender_is_bank: BankOption = False,
    legal_action_filed: FiledOption = False,
) -> None:
    """Check text a collector or template may send or say; exit 3 when anything is found."""
    content = read_stdin() if text == "-" else text
    if not content.strip():
        raise InvalidInput("nothing to lint: the text is empty", hint="give the text, or - to read standard input")
    context = LintContext(lender_is_bank=lender_is_bank, legal_action_filed=legal_action_filed)
    findings = lint(content, lang=lang, context=context)
    if as_json:
        typer.echo(json.dumps({"findings": [_as_json(finding) for finding in findings]}, ensure_ascii=False))
    else:
        print_findings(findings)
    if findings:
        raise typer.Exit(EXIT_FINDINGS)


def read_stdin() -> str:
    """Standard input as UTF-8 text; anything else is one clear line, not a traceback."""
    try:
        data: bytes = typer.get_binary_stream("stdin").read()
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("standard input is not UTF-8 text", hint="convert it to UTF-8") from None
    except OSError as error:
        raise InvalidInput(f"cannot read standard input: {error.strerror}") from None


def _as_json(finding: Finding) -> dict[str, object]:
    fields = finding.as_dict()
    return {key: fields[key] for key in JSON_KEYS}


def print_findings(findings: list[Finding]) -> None:
    """One block per finding: where, which rule, the words, and why they may not be used."""
    if not findings:
        console.print("no findings")
        return
    for finding in findings:
        console.print(
            f"[bold red]{finding.severity}[/] [bold]{finding.rule}[/] [{finding.start}:{finding.end}] "
            f"{escape(finding.excerpt)} [dim]({finding.source})[/]"
        )
        console.print(f"    {escape(finding.message)}")
    console.print(f"{len(findings)} finding(s)")
