"""``arrears scripts``: collection scripts and what debtors say to them.

``classify`` exit codes: 0 classified, 2 bad input (empty text, unreadable
stdin, bad date or language). See docs/classifier.md.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from arrears.cli import context
from arrears.cli.lint import read_stdin
from arrears.cli.options import parse_date
from arrears.compliance.lint.normalise import detect_language
from arrears.errors import InvalidInput
from arrears.scripts.intents import DESCRIPTIONS, Classification, classify
from arrears.scripts.library import cli_support as library

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


@app.command("seed")
def seed_command() -> None:
    """Load the shipped script library (tenant NULL, approved by 'library'); unchanged scripts are left alone."""
    with context.session() as db_session, db_session.begin():
        report = library.seed(db_session=db_session)
    console.print(f"seeded {len(report.created)} script(s), {len(report.unchanged)} unchanged")


@app.command("list")
def list_command(
    stage: Annotated[str | None, typer.Option("--stage")] = None,
    party: Annotated[str | None, typer.Option("--party", help="debtor or third_party")] = None,
    step: Annotated[str | None, typer.Option("--step")] = None,
    objection: Annotated[str | None, typer.Option("--objection")] = None,
    locale: Annotated[str | None, typer.Option("--locale", help="zh-CN, zh-TW or en")] = None,
    status: Annotated[str | None, typer.Option("--status", help="draft, approved or retired")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="tenant code; default: the shipped library")] = None,
) -> None:
    """Every version of the scripts that match, one line each: id, key, version, status, locales."""
    where = library.script_filter(
        stage=stage, party=party, step=step, objection=objection, locale=locale, status=status
    )
    with context.session() as db_session:
        for line in library.list_lines(db_session=db_session, tenant_code=tenant, where=where):
            typer.echo(line)


@app.command("show")
def show_command(
    key: Annotated[str, typer.Argument(help="stage/party/step/persona/objection")],
    locale: Annotated[str | None, typer.Option("--locale", help="default: every locale")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="tenant code; default: the shipped library")] = None,
) -> None:
    """The newest version of a script and its templates."""
    with context.session() as db_session:
        typer.echo(library.show_text(db_session=db_session, key=key, tenant_code=tenant, locale=locale))


@app.command("render")
def render_command(
    key: Annotated[str, typer.Argument(help="stage/party/step/persona/objection")],
    case: Annotated[int, typer.Option("--case", help="case id")],
    locale: Annotated[str, typer.Option("--locale")] = "zh-CN",
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD [default: today]")] = None,
    collector: Annotated[str | None, typer.Option("--collector", help="username [default: assigned]")] = None,
    settings: Annotated[str | None, typer.Option("--settings", help="YAML with hotline and channels")] = None,
) -> None:
    """The script in force for the scenario, filled in with the case's figures (fallback: docs/scripts.md)."""
    day = parse_date(as_of, option="--as-of") if as_of else date.today()
    with context.session() as db_session:
        text = library.render_for_case(
            db_session=db_session,
            key=key,
            case_id=case,
            locale=locale,
            as_of=day,
            collector=collector,
            settings=settings,
        )
    typer.echo(text)


@app.command("import")
def import_command(
    file: Annotated[str, typer.Argument(help="a script library YAML file")],
    author: Annotated[str, typer.Option("--author", help="username of the maker; scripts go to their tenant")],
    effective_from: Annotated[str | None, typer.Option("--effective-from", help="YYYY-MM-DD [default: today]")] = None,
) -> None:
    """Save every script of the file as a draft (linted); unchanged texts add no version."""
    day = parse_date(effective_from, option="--effective-from") if effective_from else date.today()
    with context.session() as db_session, db_session.begin():
        report = library.import_file(db_session=db_session, path=file, author=author, effective_from=day)
    console.print(f"saved {len(report.saved)} draft(s), {len(report.unchanged)} unchanged")


@app.command("export")
def export_command(
    tenant: Annotated[str | None, typer.Option("--tenant", help="tenant code; default: the shipped library")] = None,
) -> None:
    """The newest non-retired version of every script as YAML on standard output."""
    with context.session() as db_session:
        typer.echo(library.export_text(db_session=db_session, tenant_code=tenant), nl=False)


@app.command("approve")
def approve_command(
    script_id: Annotated[int, typer.Argument(help="script id (see `arrears scripts list`)")],
    by: Annotated[str, typer.Option("--by", help="username of a compliance user who did not write it")],
) -> None:
    """Publish a draft: maker-checker, compliance role only; the previous approved version is retired."""
    with context.session() as db_session, db_session.begin():
        script = library.approve_by(db_session=db_session, script_id=script_id, username=by)
    console.print(f"approved script {script.id}: {script.key} version {script.version}")


_E = TypeVar("_E", bound=StrEnum)


@app.command("suggest")
def suggest_command(
    case: Annotated[int, typer.Option("--case", help="case id")],
    utterance: Annotated[str, typer.Option("--utterance", help="what the debtor just said, or - for stdin")],
    locale: Annotated[str, typer.Option("--locale", help="zh-CN, zh-TW or en")] = "zh-CN",
    step: Annotated[str, typer.Option("--step", help="the call step you are at")] = "ask_payment_today",
    today: Annotated[str | None, typer.Option("--today", help="YYYY-MM-DD; default the machine's date")] = None,
    collector: Annotated[str | None, typer.Option("--collector", help="username; default the case's")] = None,
    settings: Annotated[str | None, typer.Option("--settings", help="hotline and channels YAML")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The recommended next script for a case, from what the debtor just said."""
    from arrears.scripts.library.enums import CallStep, Locale
    from arrears.scripts.suggest import suggest

    text = read_stdin() if utterance == "-" else utterance
    chosen_locale = _enum_value(Locale, locale, "--locale")
    chosen_step = _enum_value(CallStep, step, "--step")
    day = _today(today)
    with context.session() as db_session:
        answer = suggest(
            db_session=db_session,
            case_id=case,
            utterance=text,
            today=day,
            settings=library.settings_from(settings),
            locale=chosen_locale,
            step=chosen_step,
            collector_user_id=library.collector_for(db_session, case, collector),
        )
    if as_json:
        typer.echo(json.dumps(answer.as_dict(), ensure_ascii=False))
        return
    print_classification(answer.classification, lang="en" if chosen_locale == "en" else "zh")
    console.print(f"[dim]{answer.key} (script {answer.script_id})[/]")
    console.print(answer.text)


def _enum_value(enum: type[_E], value: str, option: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidInput(f"'{value}' is not one of {choices}", where=option) from None


@app.command("practise")
def practise_command(
    persona: Annotated[str, typer.Option("--persona", help="hostile, victim, overconfident, stubborn, ...")],
    lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
    seed: Annotated[int, typer.Option("--seed", help="same seed, same debtor")] = 0,
    today: Annotated[str | None, typer.Option("--today", help="YYYY-MM-DD; default the machine's date")] = None,
) -> None:
    """Practise a first call against a simulated debtor: type your line for each step; scored at the end."""
    import sys

    from arrears.scripts.library.enums import Persona
    from arrears.scripts.training import practise

    if lang not in ("zh", "en"):
        raise InvalidInput(f"'{lang}' is not a practice language", where="--lang", hint="use zh or en")
    session = practise(_enum_value(Persona, persona, "--persona"), lang=lang, today=_today(today), seed=seed)
    while not session.finished:
        console.print(f"[bold]{session.call.step.value}[/] >")
        line = sys.stdin.readline()
        if not line:
            break
        turn = session.say(line.strip())
        for finding in turn.findings:
            console.print(f"  [red]{finding.rule}[/]: {finding.excerpt} — {finding.message}")
        if turn.reply:
            console.print(f"  debtor: {turn.reply}")
    score = session.score()
    console.print(
        f"score {score.points}/100; core tasks: "
        + ", ".join(f"{k} {'✓' if v else '✗'}" for k, v in score.tasks.items())
    )
    console.print(
        f"introduced with a staff number: {'yes' if score.introduced_with_staff_number else 'no'}; "
        f"compliance findings: {score.findings}"
    )
