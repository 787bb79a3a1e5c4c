"""Negotiation on the case page (协商还款): the plan calculator, proposals, and hardship evidence.

The section is loaded into the case page by ``workbench/_negotiation.html``. A
collector compares what each kind of plan costs the debtor and what the lender can
expect to recover, proposes one (status proposed: nothing is granted until another
person approves it on ``/supervisor/approvals``) and uploads the hardship evidence
the approver will verify. Everything goes through :mod:`arrears.settlement.service`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.errors import InvalidInput
from arrears.ledger.models import Loan
from arrears.org import service as tenants
from arrears.settlement import service
from arrears.settlement.enums import EvidenceKind, PlanKind
from arrears.settlement.evidence import MAX_BYTES
from arrears.settlement.models import Evidence, Plan
from arrears.settlement.options import MAX_PERIODS
from arrears.settlement.schemas import PlanIn, QuoteIn
from arrears.web.auth import Principal, require
from arrears.web.deps import DbSession, Now
from arrears.web.routes.settlement import DataDir, PathId
from arrears.web.scoping import visible_case
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(require("cases:read"))]
Proposer = Annotated[Principal, Depends(require("plans:propose"))]

DEFAULT_PERIODS = 12


@dataclass(frozen=True)
class LoanQuote:
    """One loan's calculator: its options, or the one line saying why there are none."""

    loan: Loan
    quote: service.Quote | None
    problem: str | None


def _today(db_session: Session, caller: Principal, moment: datetime) -> date:
    """The tenant's calendar day now: the default effective date of a plan."""
    zone = ZoneInfo(tenants.get(db_session=db_session, tenant_id=caller.tenant_id).timezone)
    return moment.astimezone(zone).date()


def _actor(caller: Principal) -> service.Actor:
    return service.Actor(caller.actor, caller.user_id, caller.role)


def _loans(db_session: Session, case: Case) -> list[Loan]:
    return list(
        db_session.scalars(
            select(Loan).where(Loan.tenant_id == case.tenant_id, Loan.borrower_id == case.borrower_id).order_by(Loan.id)
        )
    )


def _quote(db_session: Session, caller: Principal, case: Case, loan: Loan, quote_in: QuoteIn) -> LoanQuote:
    try:
        found = service.quote_options(
            db_session=db_session, tenant_id=caller.tenant_id, case_id=case.id, quote_in=quote_in
        )
    except InvalidInput as error:
        return LoanQuote(loan, None, error.one_line())
    return LoanQuote(loan, found, None)


def _plans(db_session: Session, caller: Principal, case: Case) -> list[Plan]:
    return service.list_plans(
        db_session=db_session, tenant_id=caller.tenant_id, case_ids=select(Case.id).where(Case.id == case.id)
    )


def _evidence(db_session: Session, case: Case) -> list[Evidence]:
    return list(db_session.scalars(select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.id.desc())))


def _back_to_case(case: Case) -> Response:
    """A form posted without HTMX (scripts off): back to the case page, which lists what was just added."""
    return RedirectResponse(f"/cases/{case.id}#negotiation", status_code=303)


@router.get("/cases/{case_id}/negotiation", response_class=HTMLResponse)
def negotiation_section(
    request: Request, db_session: DbSession, caller: Reader, moment: Now, case_id: PathId
) -> Response:
    """The section of the case page: each loan's options (for proposers), the case's plans and evidence."""
    case = visible_case(db_session=db_session, principal=caller, case_id=case_id)
    today = _today(db_session, caller, moment)
    loans = _loans(db_session, case)
    can_propose = caller.can("plans:propose")
    quotes = []
    if can_propose:
        for loan in loans:
            quote_in = QuoteIn(effective_on=today, loan_id=loan.id, periods=DEFAULT_PERIODS)
            quotes.append(_quote(db_session, caller, case, loan, quote_in))
    context = {
        "case_id": case.id,
        "today": today,
        "loans": loans,
        "quotes": quotes,
        "plans": _plans(db_session, caller, case),
        "evidence": _evidence(db_session, case),
        "can_propose": can_propose,
        "plan_kinds": list(PlanKind),
        "evidence_kinds": list(EvidenceKind),
        "max_periods": MAX_PERIODS,
        "default_periods": DEFAULT_PERIODS,
        "periods_asked": DEFAULT_PERIODS,
        "max_megabytes": MAX_BYTES // (1024 * 1024),
    }
    return render(request, "workbench/_negotiation_body.html", context, principal=caller)


def _decimal(value: str, where: str) -> Decimal | None:
    text = value.strip().replace(",", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"{value.strip()} is not an amount like 1200.00", where=where) from None


def _percent(value: str, where: str = "annual_rate") -> Decimal:
    """A rate typed as a percentage (12 or 12.5) as the fraction the calculator takes (0.12, 0.125)."""
    rate = _decimal(value, where)
    return Decimal("0") if rate is None else rate / 100


def _validated(model: type[QuoteIn] | type[PlanIn], fields: dict[str, object]) -> Any:
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "form"
        raise InvalidInput(f"{where}: {first['msg']}", where=where) from None


@router.get("/cases/{case_id}/negotiation/options", response_class=HTMLResponse)
def options_fragment(
    request: Request,
    db_session: DbSession,
    caller: Proposer,
    moment: Now,
    case_id: PathId,
    loan_id: int | None = None,
    effective_on: str = "",
    periods: str = "",
    annual_rate: str = "",
    amount_now: str = "",
    settlement_amount: str = "",
) -> Response:
    """The options again for other terms (effective date, periods, rate, the sums paid now or to settle)."""
    case = visible_case(db_session=db_session, principal=caller, case_id=case_id)
    loans = _loans(db_session, case)
    loan = next((row for row in loans if row.id == loan_id), None) if loan_id is not None else None
    if loan is None:
        if loan_id is not None or len(loans) != 1:
            raise InvalidInput("choose one of the case's loans", where="loan_id")
        loan = loans[0]
    fields: dict[str, object] = {
        "effective_on": effective_on.strip() or _today(db_session, caller, moment),
        "loan_id": loan.id,
        "periods": periods.strip() or DEFAULT_PERIODS,
        "annual_rate": _percent(annual_rate),
        "amount_now": _decimal(amount_now, "amount_now"),
        "settlement_amount": _decimal(settlement_amount, "settlement_amount"),
    }
    quote_in: QuoteIn = _validated(QuoteIn, fields)
    row = _quote(db_session, caller, case, loan, quote_in)
    status = 422 if row.problem else 200  # terms the calculator refuses are bad input, said once
    return render(
        request,
        "workbench/_negotiation_options.html",
        {"q": row, "case_id": case.id, "periods_asked": quote_in.periods},
        principal=caller,
        status_code=status,
    )


@router.get("/cases/{case_id}/negotiation/proposal-form", response_class=HTMLResponse)
def proposal_form(
    request: Request,
    db_session: DbSession,
    caller: Proposer,
    moment: Now,
    case_id: PathId,
    kind: PlanKind | None = None,
    loan_id: int | None = None,
    periods: Annotated[int, Query(ge=1, le=MAX_PERIODS)] = DEFAULT_PERIODS,
    effective_on: date | None = None,
    amount: Annotated[str, Query(max_length=20)] = "",
    annual_rate: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The proposal form filled with one option's terms (chosen beside the calculator); it writes nothing."""
    case = visible_case(db_session=db_session, principal=caller, case_id=case_id)
    loans = _loans(db_session, case)
    if not loans:
        raise InvalidInput(f"case {case.id} has no loan to plan", where="loan_id")
    draft: dict[str, object] = {
        "kind": kind,
        "loan_id": loan_id,
        "periods": periods,
        "effective_on": effective_on or _today(db_session, caller, moment),
        "amount": amount.strip(),
        "annual_rate": annual_rate.strip(),
    }
    context = {
        "case_id": case.id,
        "loans": loans,
        "plan_kinds": list(PlanKind),
        "max_periods": MAX_PERIODS,
        "default_periods": DEFAULT_PERIODS,
        "today": draft["effective_on"],
        "draft": draft,
    }
    return render(request, "workbench/_negotiation_propose_form.html", context, principal=caller)


@router.post("/cases/{case_id}/negotiation/plans", response_class=HTMLResponse)
def propose_plan(
    request: Request,
    db_session: DbSession,
    caller: Proposer,
    case_id: PathId,
    kind: Annotated[PlanKind, Form()],
    effective_on: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=2000)],
    loan_id: Annotated[int | None, Form(ge=1)] = None,
    periods: Annotated[str, Form(max_length=4)] = "",
    amount: Annotated[str, Form(max_length=20)] = "",
    waive_charges: Annotated[str, Form(max_length=20)] = "",
    waive_interest: Annotated[str, Form(max_length=20)] = "",
    waive_principal: Annotated[str, Form(max_length=20)] = "",
    annual_rate: Annotated[str, Form(max_length=10)] = "",
    first_due_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Propose a plan: it is written as proposed and waits for an approver. Nothing is granted here."""
    case = visible_case(db_session=db_session, principal=caller, case_id=case_id)
    fields: dict[str, object] = {
        "kind": kind,
        "effective_on": effective_on.strip(),
        "reason": reason.strip(),
        "loan_id": loan_id,
        "periods": periods.strip() or 1,
        "amount": _decimal(amount, "amount"),
        "waive_charges": _decimal(waive_charges, "waive_charges") or Decimal("0"),
        "waive_interest": _decimal(waive_interest, "waive_interest") or Decimal("0"),
        "waive_principal": _decimal(waive_principal, "waive_principal") or Decimal("0"),
        "annual_rate": _percent(annual_rate),
        "first_due_on": first_due_on.strip() or None,
    }
    plan_in: PlanIn = _validated(PlanIn, fields)
    plan = service.propose(
        db_session=db_session, tenant_id=caller.tenant_id, case_id=case.id, plan_in=plan_in, actor=_actor(caller)
    )
    if not request.headers.get("HX-Request"):
        return _back_to_case(case)
    context = {"plan": plan, "plans": _plans(db_session, caller, case), "case_id": case.id}
    response = render(request, "workbench/_negotiation_proposed.html", context, principal=caller)
    response.headers["HX-Trigger"] = "plan-proposed"
    return response


@router.post("/cases/{case_id}/negotiation/evidence", response_class=HTMLResponse)
def upload_evidence(
    request: Request,
    db_session: DbSession,
    caller: Proposer,
    data_dir: DataDir,
    case_id: PathId,
    file: Annotated[UploadFile, File()],
    kind: Annotated[EvidenceKind, Form()],
) -> Response:
    """A hardship document, checked by its content (PDF, JPEG, PNG), waiting for someone else to verify it."""
    case = visible_case(db_session=db_session, principal=caller, case_id=case_id)
    content = file.file.read(MAX_BYTES + 1)  # one byte over the limit is enough to refuse
    row = service.add_evidence(
        db_session=db_session,
        tenant_id=caller.tenant_id,
        case_id=case.id,
        kind=kind,
        filename=file.filename or "",
        content=content,
        data_dir=data_dir,
        actor=_actor(caller),
    )
    if not request.headers.get("HX-Request"):
        return _back_to_case(case)
    context = {"added": row, "evidence": _evidence(db_session, case), "case_id": case.id}
    return render(request, "workbench/_negotiation_uploaded.html", context, principal=caller)
