"""``/api/v1/plans``: quote, propose, the approvers' inbox, approve, reject; hardship evidence upload and verification.

Thin adapters over :mod:`arrears.settlement.service`. Every plan and document is
reached through its case, so the caller's case scope applies (out of scope is 404).
A plan's ``status`` and ``granted`` say what is granted: a proposal never is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.settlement import service
from arrears.settlement.enums import EvidenceKind, PlanStatus
from arrears.settlement.evidence import MAX_BYTES
from arrears.settlement.models import Evidence, Plan
from arrears.settlement.schemas import (
    MAX_ROW_ID,
    DecisionIn,
    EvidenceOut,
    OptionOut,
    PlanIn,
    PlanOut,
    QuoteIn,
    QuoteOut,
    VerifyIn,
)
from arrears.web.auth import Principal, require
from arrears.web.deps import DbSession
from arrears.web.scoping import case_clause, visible_case

router = APIRouter(prefix="/api/v1/plans", tags=["plans"])

Reader = Annotated[Principal, Depends(require("cases:read"))]
Proposer = Annotated[Principal, Depends(require("plans:propose"))]
Approver = Annotated[Principal, Depends(require("plans:approve"))]
Verifier = Annotated[Principal, Depends(require("evidence:verify"))]


PathId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID)]


class ProposeIn(PlanIn):
    case_id: int = Field(ge=1, le=MAX_ROW_ID)


def evidence_dir(request: Request) -> Path:
    """Where evidence files go: ``<data_dir>/evidence``, outside anything served over HTTP."""
    data_dir: Path = request.app.state.settings.data_dir
    return data_dir


DataDir = Annotated[Path, Depends(evidence_dir)]


def _actor(principal: Principal) -> service.Actor:
    return service.Actor(principal.actor, principal.user_id, principal.role)


def _plan_in_scope(db_session: Session, principal: Principal, plan_id: int) -> Plan:
    plan = service.get(db_session=db_session, tenant_id=principal.tenant_id, plan_id=plan_id)
    visible_case(db_session=db_session, principal=principal, case_id=plan.case_id)
    return plan


def _scoped_cases(principal: Principal) -> object:
    return select(Case.id).where(case_clause(principal))


@router.post("/cases/{case_id}/quote", response_model=QuoteOut)
def quote_plans(case_id: PathId, quote_in: QuoteIn, db_session: DbSession, principal: Proposer) -> QuoteOut:
    """Each kind of plan for the case: the debtor's total cost and the lender's expected recovery. Grants nothing."""
    visible_case(db_session=db_session, principal=principal, case_id=case_id)
    quote = service.quote_options(
        db_session=db_session, tenant_id=principal.tenant_id, case_id=case_id, quote_in=quote_in
    )
    balance = quote.balance
    return QuoteOut(
        case_id=quote.case_id,
        loan_id=quote.loan_id,
        effective_on=quote.effective_on,
        balance={
            "principal": str(balance.principal),
            "interest": str(balance.interest),
            "charges": str(balance.charges),
            "overdue": str(balance.overdue),
            "total": str(balance.total),
            "days_past_due": balance.days_past_due,
            "currency": balance.currency,
        },
        propensity=str(quote.propensity),
        propensity_source=quote.propensity_source,
        options=[OptionOut.of(option) for option in quote.options],
    )


@router.post("", response_model=PlanOut, status_code=201)
def propose_plan(propose_in: ProposeIn, db_session: DbSession, principal: Proposer) -> PlanOut:
    """Propose a plan for approval. Its status is ``proposed``: nothing is granted until someone else approves."""
    visible_case(db_session=db_session, principal=principal, case_id=propose_in.case_id)
    plan_in = PlanIn.model_validate(propose_in.model_dump(exclude={"case_id"}))
    plan = service.propose(
        db_session=db_session,
        tenant_id=principal.tenant_id,
        case_id=propose_in.case_id,
        plan_in=plan_in,
        actor=_actor(principal),
    )
    return PlanOut.of(plan)


@router.get("", response_model=list[PlanOut])
def list_plans(db_session: DbSession, principal: Reader, status: PlanStatus | None = None) -> list[PlanOut]:
    """Plans on the cases the caller reaches, newest first."""
    plans = service.list_plans(
        db_session=db_session, tenant_id=principal.tenant_id, status=status, case_ids=_scoped_cases(principal)
    )
    return [PlanOut.of(plan) for plan in plans]


@router.get("/inbox", response_model=list[PlanOut])
def approval_inbox(db_session: DbSession, principal: Approver) -> list[PlanOut]:
    """Proposals waiting for a decision, on cases the caller reaches, less the caller's own."""
    plans = service.list_plans(
        db_session=db_session,
        tenant_id=principal.tenant_id,
        status=PlanStatus.PROPOSED,
        case_ids=_scoped_cases(principal),
    )
    mine = _actor(principal)
    return [
        PlanOut.of(plan)
        for plan in plans
        if not ((mine.user_id is not None and plan.proposed_by_id == mine.user_id) or plan.proposed_by == mine.name)
    ]


@router.get("/{plan_id}", response_model=PlanOut)
def get_plan(plan_id: PathId, db_session: DbSession, principal: Reader) -> PlanOut:
    return PlanOut.of(_plan_in_scope(db_session, principal, plan_id))


@router.post("/{plan_id}/approve", response_model=PlanOut)
def approve_plan(plan_id: PathId, decision: DecisionIn, db_session: DbSession, principal: Approver) -> PlanOut:
    """Approve within the caller's authority (a person, never the proposer); the new schedule goes to the ledger."""
    _plan_in_scope(db_session, principal, plan_id)
    plan = service.approve(
        db_session=db_session,
        tenant_id=principal.tenant_id,
        plan_id=plan_id,
        actor=_actor(principal),
        reason=decision.reason,
    )
    return PlanOut.of(plan)


@router.post("/{plan_id}/reject", response_model=PlanOut)
def reject_plan(plan_id: PathId, decision: DecisionIn, db_session: DbSession, principal: Approver) -> PlanOut:
    _plan_in_scope(db_session, principal, plan_id)
    plan = service.reject(
        db_session=db_session,
        tenant_id=principal.tenant_id,
        plan_id=plan_id,
        actor=_actor(principal),
        reason=decision.reason,
    )
    return PlanOut.of(plan)


@router.post("/cases/{case_id}/evidence", response_model=EvidenceOut, status_code=201)
def upload_evidence(
    case_id: PathId,
    db_session: DbSession,
    principal: Proposer,
    data_dir: DataDir,
    file: Annotated[UploadFile, File(description=f"PDF, JPEG or PNG, at most {MAX_BYTES} bytes")],
    kind: Annotated[EvidenceKind, Form()],
    plan_id: Annotated[int | None, Form(ge=1, le=MAX_ROW_ID)] = None,
) -> EvidenceOut:
    """Upload a hardship document; it is checked by its content and waits for verification."""
    visible_case(db_session=db_session, principal=principal, case_id=case_id)
    content = file.file.read(MAX_BYTES + 1)  # one byte more than allowed is enough to refuse
    row = service.add_evidence(
        db_session=db_session,
        tenant_id=principal.tenant_id,
        case_id=case_id,
        kind=kind,
        filename=file.filename or "",
        content=content,
        data_dir=data_dir,
        actor=_actor(principal),
        plan_id=plan_id,
    )
    return EvidenceOut.of(row)


@router.get("/cases/{case_id}/evidence", response_model=list[EvidenceOut])
def list_evidence(case_id: PathId, db_session: DbSession, principal: Reader) -> list[EvidenceOut]:
    visible_case(db_session=db_session, principal=principal, case_id=case_id)
    rows = db_session.scalars(select(Evidence).where(Evidence.case_id == case_id).order_by(Evidence.id))
    return [EvidenceOut.of(row) for row in rows]


@router.post("/evidence/{evidence_id}/verify", response_model=EvidenceOut)
def verify_evidence(
    evidence_id: PathId, verify_in: VerifyIn, db_session: DbSession, principal: Verifier
) -> EvidenceOut:
    """Mark a document verified or rejected (a rejection says why); never one's own upload."""
    row = service.get_evidence(db_session=db_session, tenant_id=principal.tenant_id, evidence_id=evidence_id)
    visible_case(db_session=db_session, principal=principal, case_id=row.case_id)
    row = service.verify_evidence(
        db_session=db_session,
        tenant_id=principal.tenant_id,
        evidence_id=evidence_id,
        status=verify_in.status,
        actor=_actor(principal),
        note=verify_in.note,
    )
    return EvidenceOut.of(row)
