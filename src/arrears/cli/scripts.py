"""``arrears scripts``: collection scripts and what debtors say to them.

``classify`` exit codes: 0 classified, 2 bad input (empty text, unreadable
stdin, bad date or language). See docs/classifier.md.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.console import Console

from arrears.cli.lint import read_stdin
from arrears.compliance.lint.normalise import detect_language
from arrears.errors import InvalidInput
from arrears.scripts.intents import DESCRIPTIONS, Classification, classify

app = typer.Typer(no_args_is_help=True, help="Collection scripts and conversation intelligence.")
console = Console(highlight=False, soft_wrap=True)

UtteranceArgument = Annotated[str, typer.Argument(help="what the debtor said, or - to read it from standard input")]
JsonOption = Annotated[bool, typer.Option("--json", help="print intent, confidence and promise as JSON")]
TodayOption = Annotated[
    str | None, typer.Option("--today", help="YYYY-MM-DD that 下周五, 15号, next Friday count from [default: today]")
]
LangOption = Annotated[
    str | None, typer.Option("--lang", help="zh or en: language of the readable output [default: the text's]")
]


@app.command("classify")
def classify_command(
    text: UtteranceArgument,
    as_json: JsonOption = False,
    today: TodayOption = None,
    lang: LangOption = None,
) -> None:
    """Map one debtor utterance to an intent, with any promised date and amount."""
    content = read_stdin() if text == "-" else text
    if not content.strip():
        raise InvalidInput("nothing to classify: the text is empty", hint="give the utterance, or - to read stdin")
    language = _language(lang, content)
    result = classify(content, today=_today(today))
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        print_classification(result, lang=language)


def _today(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"--today {value!r} is not a date", hint="use YYYY-MM-DD") from None


def _language(value: str | None, content: str) -> str:
    if value is None:
        return detect_language(content)
    if value not in ("zh", "en"):
        raise InvalidInput(f"unknown language {value!r}", hint="use zh or en")
    return value


def print_classification(result: Classification, *, lang: str) -> None:
    """Intent with its description, confidence, and the promise's terms when there are any."""
    description = DESCRIPTIONS[result.intent]
    console.print(
        f"[bold]{result.intent}[/] {result.confidence:.3f}  {description.zh if lang == 'zh' else description.en}"
    )
    terms = result.promise.as_dict()
    if any(terms.values()):
        console.print(f"promise: date {terms['date'] or '-'}, amount {terms['amount'] or '-'}")
