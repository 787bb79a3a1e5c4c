"""``arrears plan`` and ``arrears evidence``: repayment plans (maker-checker) and hardship evidence.

Whoever acts names themselves with ``--as`` (a login name): the role decides what
they may approve, and the proposer of a plan can never decide it. Nothing printed
for a proposal says it is granted: its status says proposed until someone approves.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.cli import context
from arrears.cli.options import parse_date
from arrears.compliance.pack import describe
from arrears.errors import InvalidInput, NotFound
from arrears.org import service as tenants
from arrears.settings import get_settings
from arrears.settlement import service
from arrears.settlement.enums import EvidenceKind, EvidenceStatus, PlanKind, PlanStatus
from arrears.settlement.models import Evidence, Plan
from arrears.settlement.schemas import EvidenceOut, OptionOut, PlanIn, PlanOut, QuoteIn

plan_app = typer.Typer(no_args_is_help=True, help="Repayment plans: quote, propose, approve or reject, show, judge.")
evidence_app = typer.Typer(no_args_is_help=True, help="Hardship evidence: add a document, verify it.")
console = Console(highlight=False, soft_wrap=True)

CaseOption = Annotated[int, typer.Option("--case", help="case id")]
AsOption = Annotated[str, typer.Option("--as", help="your login name: who proposes, decides or verifies")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]
LoanOption = Annotated[int | None, typer.Option("--loan", help="loan id, when the case has several")]
ReasonOption = Annotated[str, typer.Option("--reason", help="why (kept with the decision)")]
TenantOption = Annotated[str, typer.Option("--tenant", help="tenant code")]


def _validated(model: type[BaseModel], fields: dict[str, Any], command: str) -> Any:
    try:
        return model.model_validate({key: value for key, value in fields.items() if value is not None})
    except ValidationError as error:
        raise InvalidInput(describe(error), hint=f"see `arrears {command} --help`") from None


def _case(db_session: Session, case_id: int) -> Case:
    found = db_session.get(Case, case_id)
    if found is None:
        raise NotFound(f"no case {case_id}", hint="check the case id")
    return found


def _actor(db_session: Session, username: str, tenant_id: int) -> service.Actor:
    """The person acting, who must belong to the tenant whose case or plan it is."""
    user = tenants.get_user_by_username(db_session=db_session, username=username)
    if user.tenant_id != tenant_id:
        raise NotFound(f"no user '{username}' in this tenant", hint="act as a user of the lender the case belongs to")
    return service.Actor(f"user:{user.username}", user.id, user.role)


def _echo_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, default=str))


def _print_plan(out: PlanOut) -> None:
    granted = "[green]granted[/]" if out.granted else "[yellow]not granted[/]"
    console.print(f"plan {out.id} on case {out.case_id}: {out.kind.value}, [bold]{out.status.value}[/] ({granted})")
    console.print(
        f"  waived: charges {out.waive_charges}, interest {out.waive_interest}, principal {out.waive_principal};"
        f" debtor pays {out.debtor_total}; expected recovery {out.expected_recovery}"
    )
    table = Table(show_header=True)
    for column in ("#", "due", "principal", "interest"):
        table.add_column(column)
    for row in out.schedule:
        table.add_row(str(row["number"]), row["due_on"], row["principal"], row["interest"])
    console.print(table)


@plan_app.command("quote")
def quote_command(
    case: CaseOption,
    effective_on: Annotated[str, typer.Option("--effective-on", help="the day the plan would start, YYYY-MM-DD")],
    loan: LoanOption = None,
    periods: Annotated[int, typer.Option("--periods", help="monthly instalments")] = 12,
    rate: Annotated[str, typer.Option("--rate", help="plan interest per year on what is capitalised")] = "0",
    amount_now: Annotated[str | None, typer.Option("--amount-now", help="pay_now: the sum paid now")] = None,
    settlement_amount: Annotated[str | None, typer.Option("--settlement-amount", help="settle_for_less")] = None,
    as_json: JsonOption = False,
) -> None:
    """Compare the options for a case: the debtor's total cost and the lender's expected recovery. Writes nothing."""
    quote_in = _validated(
        QuoteIn,
        {
            "effective_on": parse_date(effective_on, option="--effective-on"),
            "loan_id": loan,
            "periods": periods,
            "annual_rate": rate,
            "amount_now": amount_now,
            "settlement_amount": settlement_amount,
        },
        "plan quote",
    )
    with context.session() as db_session:
        found = _case(db_session, case)
        quote = service.quote_options(db_session=db_session, tenant_id=found.tenant_id, case_id=case, quote_in=quote_in)
    options = [OptionOut.of(option) for option in quote.options]
    if as_json:
        _echo_json(
            {
                "case_id": quote.case_id,
                "loan_id": quote.loan_id,
                "effective_on": quote.effective_on.isoformat(),
                "propensity": str(quote.propensity),
                "propensity_source": quote.propensity_source,
                "options": [option.model_dump(mode="json") for option in options],
            }
        )
        return
    balance = quote.balance
    console.print(
        f"case {quote.case_id}, loan {quote.loan_id} on {quote.effective_on}: principal {balance.principal},"
        f" interest {balance.interest}, charges {balance.charges} (total {balance.total});"
        f" propensity {quote.propensity} ({quote.propensity_source})"
    )
    table = Table(title="options (a quote grants nothing)")
    for column in ("kind", "periods", "waived", "first instalment", "debtor pays", "expected recovery"):
        table.add_column(column)
    for option in options:
        waived = sum(map(Decimal, (option.waive_charges, option.waive_interest, option.waive_principal)))
        table.add_row(
            option.kind.value,
            str(option.periods),
            str(waived),
            str(option.schedule[0].total),
            option.debtor_total,
            option.expected_recovery,
        )
    console.print(table)


@plan_app.command("propose")
def propose_command(
    case: CaseOption,
    kind: Annotated[PlanKind, typer.Option("--kind")],
    effective_on: Annotated[str, typer.Option("--effective-on", help="YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason", help="the hardship, in your words")],
    as_user: AsOption,
    loan: LoanOption = None,
    periods: Annotated[int, typer.Option("--periods")] = 1,
    amount: Annotated[str | None, typer.Option("--amount", help="pay_now / settle_for_less: the sum")] = None,
    waive_charges: Annotated[str, typer.Option("--waive-charges")] = "0",
    waive_interest: Annotated[str, typer.Option("--waive-interest")] = "0",
    waive_principal: Annotated[str, typer.Option("--waive-principal")] = "0",
    rate: Annotated[str, typer.Option("--rate", help="plan interest per year")] = "0",
    first_due_on: Annotated[str | None, typer.Option("--first-due-on", help="YYYY-MM-DD")] = None,
    pay_within_days: Annotated[int, typer.Option("--pay-within-days")] = 7,
    as_json: JsonOption = False,
) -> None:
    """Propose a plan. It is not granted: tell the debtor only that it has been referred for approval."""
    plan_in = _validated(
        PlanIn,
        {
            "kind": kind,
            "effective_on": parse_date(effective_on, option="--effective-on"),
            "reason": reason,
            "loan_id": loan,
            "periods": periods,
            "amount": amount,
            "waive_charges": waive_charges,
            "waive_interest": waive_interest,
            "waive_principal": waive_principal,
            "annual_rate": rate,
            "first_due_on": parse_date(first_due_on, option="--first-due-on") if first_due_on else None,
            "pay_within_days": pay_within_days,
        },
        "plan propose",
    )
    with context.session() as db_session, db_session.begin():
        found = _case(db_session, case)
        plan = service.propose(
            db_session=db_session,
            tenant_id=found.tenant_id,
            case_id=case,
            plan_in=plan_in,
            actor=_actor(db_session, as_user, found.tenant_id),
        )
        out = PlanOut.of(plan)
    _show(out, as_json)


def _show(out: PlanOut, as_json: bool) -> None:
    if as_json:
        _echo_json(out.model_dump(mode="json"))
    else:
        _print_plan(out)


def _tenant_of_plan(db_session: Session, plan_id: int) -> int:
    plan = db_session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}", hint="list plans with `arrears plan list`")
    return plan.tenant_id


@plan_app.command("approve")
def approve_command(
    plan_id: Annotated[int, typer.Argument(help="plan id")],
    as_user: AsOption,
    reason: ReasonOption,
    as_json: JsonOption = False,
) -> None:
    """Approve a plan within your authority; its schedule goes to the ledger."""
    with context.session() as db_session, db_session.begin():
        tenant_id = _tenant_of_plan(db_session, plan_id)
        plan = service.approve(
            db_session=db_session,
            tenant_id=tenant_id,
            plan_id=plan_id,
            actor=_actor(db_session, as_user, tenant_id),
            reason=reason,
        )
        out = PlanOut.of(plan)
    _show(out, as_json)


@plan_app.command("reject")
def reject_command(
    plan_id: Annotated[int, typer.Argument(help="plan id")],
    as_user: AsOption,
    reason: ReasonOption,
    as_json: JsonOption = False,
) -> None:
    """Reject a proposal, saying why."""
    with context.session() as db_session, db_session.begin():
        tenant_id = _tenant_of_plan(db_session, plan_id)
        plan = service.reject(
            db_session=db_session,
            tenant_id=tenant_id,
            plan_id=plan_id,
            actor=_actor(db_session, as_user, tenant_id),
            reason=reason,
        )
        out = PlanOut.of(plan)
    _show(out, as_json)


@plan_app.command("list")
def list_command(
    tenant: TenantOption,
    status: Annotated[PlanStatus | None, typer.Option("--status", help="e.g. proposed: the approvers' inbox")] = None,
    as_json: JsonOption = False,
) -> None:
    """The tenant's plans, newest first."""
    with context.session() as db_session:
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        plans = [
            PlanOut.of(plan) for plan in service.list_plans(db_session=db_session, tenant_id=owner.id, status=status)
        ]
    if as_json:
        _echo_json([plan.model_dump(mode="json") for plan in plans])
        return
    table = Table(title=f"plans of {tenant}")
    for column in ("id", "case", "kind", "status", "effective", "waived", "debtor pays", "proposed by", "decided by"):
        table.add_column(column)
    for plan in plans:
        waived = sum(map(Decimal, (plan.waive_charges, plan.waive_interest, plan.waive_principal)))
        table.add_row(
            str(plan.id),
            str(plan.case_id),
            plan.kind.value,
            plan.status.value,
            plan.effective_on.isoformat(),
            str(waived),
            plan.debtor_total,
            plan.proposed_by,
            plan.decided_by or "",
        )
    console.print(table)


@plan_app.command("show")
def show_command(plan_id: Annotated[int, typer.Argument(help="plan id")], as_json: JsonOption = False) -> None:
    """One plan: its status (whether anything is granted), waivers, schedule and decision."""
    with context.session() as db_session:
        out = PlanOut.of(
            service.get(db_session=db_session, tenant_id=_tenant_of_plan(db_session, plan_id), plan_id=plan_id)
        )
    _show(out, as_json)
    if not as_json and out.decided_by:
        console.print(f"  decided by {out.decided_by} ({out.authority or 'rejected'}): {out.decision_reason}")


@plan_app.command("judge")
def judge_command(
    tenant: TenantOption,
    as_of: Annotated[str, typer.Option("--as-of", help="the day that has ended, YYYY-MM-DD")],
) -> None:
    """Activate approved plans and mark active ones kept or broken at the end of a day (idempotent)."""
    day = parse_date(as_of, option="--as-of")
    with context.session() as db_session, db_session.begin():
        owner = tenants.get_by_code(db_session=db_session, code=tenant)
        counts = service.judge_plans(db_session, owner.id, day, actor="cli:plan-judge")
    summary = ", ".join(f"{name} {counts[name]}" for name in ("activated", "kept", "broken"))
    console.print(f"plans of {tenant} judged at the end of {day}: {summary}")


@evidence_app.command("add")
def add_evidence_command(
    path: Annotated[Path, typer.Argument(help="a PDF, JPEG or PNG file")],
    case: CaseOption,
    kind: Annotated[EvidenceKind, typer.Option("--kind")],
    as_user: AsOption,
    plan: Annotated[int | None, typer.Option("--plan", help="the plan it supports")] = None,
    as_json: JsonOption = False,
) -> None:
    """Store a hardship document (checked by content, kept by SHA-256) as pending verification."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", hint="give the path of a PDF, JPEG or PNG") from None
    with context.session() as db_session, db_session.begin():
        found = _case(db_session, case)
        row = service.add_evidence(
            db_session=db_session,
            tenant_id=found.tenant_id,
            case_id=case,
            kind=kind,
            filename=path.name,
            content=content,
            data_dir=get_settings().data_dir,
            actor=_actor(db_session, as_user, found.tenant_id),
            plan_id=plan,
        )
        out = EvidenceOut.of(row)
    if as_json:
        _echo_json(out.model_dump(mode="json"))
    else:
        console.print(f"evidence {out.id} ({out.media_type}, {out.size_bytes} bytes) added: pending verification")


@evidence_app.command("verify")
def verify_evidence_command(
    evidence_id: Annotated[int, typer.Argument(help="evidence id")],
    as_user: AsOption,
    status: Annotated[EvidenceStatus, typer.Option("--status", help="verified or rejected")],
    note: Annotated[str | None, typer.Option("--note", help="what was checked; required to reject")] = None,
) -> None:
    """Verify or reject a document (not your own upload)."""
    with context.session() as db_session, db_session.begin():
        found = db_session.get(Evidence, evidence_id)
        if found is None:
            raise NotFound(f"no evidence {evidence_id}")
        row = service.verify_evidence(
            db_session=db_session,
            tenant_id=found.tenant_id,
            evidence_id=evidence_id,
            status=status,
            actor=_actor(db_session, as_user, found.tenant_id),
            note=note,
        )
        console.print(f"evidence {row.id} {row.status.value} by {row.verified_by}")
