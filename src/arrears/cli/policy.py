"""``arrears policy``: validate and load strategy policies, explain a case's state."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from arrears.audit.service import cli_actor
from arrears.cli import context
from arrears.cli.options import parse_date
from arrears.errors import InvalidInput
from arrears.org import service as tenants
from arrears.strategy import arms, service
from arrears.strategy.evaluate import explain_text
from arrears.strategy.policy import Policy

app = typer.Typer(no_args_is_help=True, help="Strategy policies: validate, load, explain a case.")
console = Console(highlight=False, soft_wrap=True)

LANGS = ("zh", "en")


def _summary(policy: Policy) -> list[str]:
    products = ", ".join(policy.products)
    lines = [f"policy {policy.code} version {policy.version}, effective {policy.effective_from}, products {products}"]
    if policy.challenger is not None:
        lines.append(f"challenger {policy.challenger.code} on {policy.challenger.share * 100:.0f}% of cases")
    for number, state in enumerate(policy.states, start=1):
        kind = "clear" if state.clear else "pause" if state.pause else f"weight {state.weight}"
        treatments = ", ".join(plan.treatment.value for plan in state.treatments) or "-"
        lines.append(
            f"  {number:>2}. {state.name:<16} stage {state.stage}  {kind:<9} {treatments}"
            f"  [third parties: {state.third_parties.value}]"
        )
    return lines


@app.command("validate")
def validate(file: Annotated[Path, typer.Argument(help="policy YAML (docs/strategy.md)")]) -> None:
    """Check a policy file: exit 0 with a summary of its states, 2 with the first problem and its line."""
    policy = service.load_policy_file(file)
    for line in _summary(policy):
        typer.echo(line)


@app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="policy YAML (docs/strategy.md)")],
    tenant: Annotated[str, typer.Option("--tenant", envvar="ARREARS_TENANT")] = "default",
) -> None:
    """Store a policy as the tenant's active version; loading unchanged content adds nothing."""
    policy = service.load_policy_file(file)
    with context.session() as db_session, db_session.begin():
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        before = service.get_active(db_session=db_session, tenant_id=owner.id, code=policy.code)
        row = service.store_policy(db_session=db_session, tenant_id=owner.id, policy=policy, actor=cli_actor())
        unchanged = before is not None and before.id == row.id
    state = "unchanged at" if unchanged else "loaded as"
    typer.echo(f"policy {row.code} {state} version {row.version} for tenant {tenant} (checksum {row.checksum[:12]})")


@app.command("explain")
def explain(
    case: Annotated[int, typer.Option("--case", help="case id")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="tenant code the case must belong to")] = None,
    policy_code: Annotated[
        str | None, typer.Option("--policy", help="policy code; default: the one for the case")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
    as_json: Annotated[bool, typer.Option("--json", help="print the explanation as JSON")] = False,
) -> None:
    """Why a case is in its state and gets its treatments: each state tried, the escalation, the arm."""
    if lang not in LANGS:
        raise InvalidInput(f"unknown language '{lang}'", where="--lang", hint="choose zh or en")
    day = parse_date(as_of, option="--as-of") if as_of else date.today()
    with context.session() as db_session:
        result = service.explain_case(
            db_session=db_session, case_id=case, as_of=day, tenant_code=tenant, policy_code=policy_code
        )
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        return
    zh = lang == "zh"
    for note in result.notes:
        console.print(("[yellow]注意：[/]" if zh else "[yellow]note:[/] ") + note)
    if result.experiment is not None:
        console.print(
            f"实验 {result.experiment}：本案件在 {result.arm.value} 组（按案件编号稳定分组）"
            if zh
            else f"experiment {result.experiment}: this case is in the {result.arm.value} arm (stable by case id)"
        )
    console.print(explain_text(result.decision, lang), markup=False)


@app.command("compare")
def compare_command(
    start: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD")],
    tenant: Annotated[str, typer.Option("--tenant", envvar="ARREARS_TENANT")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Champion versus challenger over a period: recovery, cure and complaint rates with 95% intervals."""
    with context.session() as db_session:
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        report = arms.compare(
            db_session=db_session,
            tenant_id=owner.id,
            start=parse_date(start, option="--from"),
            end=parse_date(end, option="--to"),
        )
        cost = arms.actions_per_case(db_session=db_session, report=report, tenant_id=owner.id)
    rows = {
        outcome: {
            "champion": [c.champion.successes, c.champion.total, round(c.champion.rate, 4)],
            "challenger": [c.challenger.successes, c.challenger.total, round(c.challenger.rate, 4)],
            "difference": round(c.difference, 4),
            "interval": [round(c.low, 4), round(c.high, 4)],
            "significant": c.significant,
        }
        for outcome, c in report.comparisons.items()
    }
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "cases": {arm.value: n for arm, n in report.cases.items()},
                    "actions_per_case": {arm.value: round(v, 3) for arm, v in cost.items()},
                    "outcomes": rows,
                },
                ensure_ascii=False,
            )
        )
        return
    table = Table(title=f"champion vs challenger, {report.start} to {report.end}")
    for column in ("outcome", "champion", "challenger", "difference (95% CI)"):
        table.add_column(column)
    for outcome, c in report.comparisons.items():
        mark = " *" if c.significant else ""
        table.add_row(
            outcome,
            f"{c.champion.rate:.1%} of {c.champion.total:,}",
            f"{c.challenger.rate:.1%} of {c.challenger.total:,}",
            f"{c.difference:+.1%} ({c.low:+.1%} to {c.high:+.1%}){mark}",
        )
    console.print(table)
    console.print("actions per case: " + ", ".join(f"{arm.value} {value:.2f}" for arm, value in cost.items()))
    if not report.comparisons:
        console.print("one arm has no cases in this period: nothing to compare yet")
