"""``arrears compliance``: ask the contact guard, list a pack's rules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from arrears.compliance.guard import Decision, decide
from arrears.compliance.pack import PACKS, load_pack
from arrears.compliance.schemas import parse_check_input
from arrears.errors import InvalidInput
from arrears.files import read_text

app = typer.Typer(no_args_is_help=True, help="The compliance guard and its rule packs.")
console = Console(highlight=False, soft_wrap=True)

EXIT_BLOCKED = 3


def _read_json(source: str) -> object:
    text = sys.stdin.read() if source == "-" else read_text(Path(source), what="a compliance check JSON file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
            where=source,
            hint="see docs/compliance.md for the shape",
        ) from None


def _pack_id(value: str) -> str:
    if value not in PACKS:
        raise InvalidInput(f"unknown rule pack '{value}'", where="--pack", hint=f"choose one of: {', '.join(PACKS)}")
    return value


@app.command("check")
def check(
    pack: Annotated[str, typer.Option("--pack", help="rule pack: cn (default) or us")] = "cn",
    input_file: Annotated[str, typer.Option("--input", help="the check as a JSON file, or - for stdin")] = "-",
    as_json: Annotated[bool, typer.Option("--json", help="print the decision as JSON")] = False,
) -> None:
    """May this contact happen now? Exit 0 when allowed, 3 when blocked, 2 on malformed input."""
    rule_pack = load_pack(_pack_id(pack))
    question = parse_check_input(_read_json(input_file), where=input_file)
    decision = decide(rule_pack, *question.to_facts())
    if as_json:
        typer.echo(json.dumps(decision.as_json(), ensure_ascii=False))
    else:
        _print_decision(decision)
    if not decision.allowed:
        raise typer.Exit(EXIT_BLOCKED)


def _print_decision(decision: Decision) -> None:
    if decision.allowed:
        console.print(f"[green]allowed[/] (pack {decision.pack} {decision.pack_version})")
        for condition in decision.conditions:
            console.print(f"  condition: {condition}")
        return
    console.print(f"[bold red]blocked[/] (pack {decision.pack} {decision.pack_version})")
    for violation in decision.violations:
        console.print(f"  [bold]{violation.rule}[/]: {violation.message_zh}")
        console.print(f"    {violation.message_en}")
        console.print(f"    [dim]source: {violation.source}[/]")
    when = decision.next_allowed_at.isoformat() if decision.next_allowed_at else "never, until the cause is removed"
    console.print(f"  next allowed: {when}")


@app.command("rules")
def rules(pack: Annotated[str, typer.Option("--pack", help="rule pack: cn or us")] = "cn") -> None:
    """List a pack's rules with their sources."""
    rule_pack = load_pack(_pack_id(pack))
    table = Table(
        title=f"{rule_pack.title} — {rule_pack.id} {rule_pack.version}, records kept {rule_pack.retention_years} years"
    )
    for column in ("rule", "kind", "applies to", "source"):
        table.add_column(column)
    for rule in rule_pack.rules:
        scope = (
            ", ".join(sorted(c.value for c in rule.channels)) + " / " + ", ".join(sorted(p.value for p in rule.parties))
        )
        table.add_row(rule.id, rule.kind, scope, rule.source)
    console.print(table)
