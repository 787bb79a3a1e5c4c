"""The approvals inbox (``/supervisor/approvals``, the approver's start page):
proposed plans waiting for a decision, and hardship evidence waiting for verification.

A team lead sees their team's cases, an approver the tenant (``case_clause``); nobody
sees their own proposals or uploads among the things to decide. Deciding goes through
:mod:`arrears.settlement.service`, which applies the authority matrix and audits.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.errors import NotFound
from arrears.settlement import service
from arrears.settlement.enums import EvidenceStatus, PlanStatus
from arrears.settlement.evidence import path_of
from arrears.settlement.models import Evidence
from arrears.web.auth import Principal, require
from arrears.web.deps import DbSession
from arrears.web.routes.settlement import DataDir, PathId
from arrears.web.scoping import case_clause, visible_case
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)

Approver = Annotated[Principal, Depends(require("plans:approve"))]
Verifier = Annotated[Principal, Depends(require("evidence:verify"))]
Reader = Annotated[Principal, Depends(require("cases:read"))]


def _actor(caller: Principal) -> service.Actor:
    return service.Actor(caller.actor, caller.user_id, caller.role)


def _not_mine(caller: Principal, by_id: int | None, by_name: str) -> bool:
    return not ((caller.user_id is not None and by_id == caller.user_id) or by_name == caller.actor)


@router.get("/supervisor/approvals", response_class=HTMLResponse)
def approvals(request: Request, db_session: DbSession, caller: Approver) -> Response:
    """Proposals to decide and documents to verify, on the cases the caller reaches."""
    scoped = select(Case.id).where(case_clause(caller))
    proposals = [
        plan
        for plan in service.list_plans(
            db_session=db_session, tenant_id=caller.tenant_id, status=PlanStatus.PROPOSED, case_ids=scoped
        )
        if _not_mine(caller, plan.proposed_by_id, plan.proposed_by)
    ]
    evidence = []
    if caller.can("evidence:verify"):
        rows = db_session.scalars(
            select(Evidence)
            .where(Evidence.tenant_id == caller.tenant_id, Evidence.status == EvidenceStatus.PENDING)
            .where(Evidence.case_id.in_(scoped))
            .order_by(Evidence.id)
        )
        evidence = [row for row in rows if _not_mine(caller, row.uploaded_by_id, row.uploaded_by)]
    context = {"proposals": proposals, "evidence": evidence}
    return render(request, "plans/inbox.html", context, principal=caller)


def _decided(request: Request, caller: Principal, message: str, detail: str) -> Response:
    if request.headers.get("HX-Request"):
        return render(request, "plans/_decided.html", {"message": message, "detail": detail}, principal=caller)
    return RedirectResponse("/supervisor/approvals", status_code=303)


@router.post("/supervisor/approvals/plans/{plan_id}/approve", response_class=HTMLResponse)
def approve(
    request: Request, plan_id: PathId, db_session: DbSession, caller: Approver, reason: Annotated[str, Form()]
) -> Response:
    plan = service.get(db_session=db_session, tenant_id=caller.tenant_id, plan_id=plan_id)
    visible_case(db_session=db_session, principal=caller, case_id=plan.case_id)
    service.approve(
        db_session=db_session, tenant_id=caller.tenant_id, plan_id=plan_id, actor=_actor(caller), reason=reason
    )
    return _decided(request, caller, "Plan approved", f"#{plan_id}")


@router.post("/supervisor/approvals/plans/{plan_id}/reject", response_class=HTMLResponse)
def reject(
    request: Request, plan_id: PathId, db_session: DbSession, caller: Approver, reason: Annotated[str, Form()]
) -> Response:
    plan = service.get(db_session=db_session, tenant_id=caller.tenant_id, plan_id=plan_id)
    visible_case(db_session=db_session, principal=caller, case_id=plan.case_id)
    service.reject(
        db_session=db_session, tenant_id=caller.tenant_id, plan_id=plan_id, actor=_actor(caller), reason=reason
    )
    return _decided(request, caller, "Plan rejected", f"#{plan_id}")


@router.post("/supervisor/approvals/evidence/{evidence_id}/verify", response_class=HTMLResponse)
def verify(
    request: Request,
    evidence_id: PathId,
    db_session: DbSession,
    caller: Verifier,
    status: Annotated[EvidenceStatus, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    row = service.get_evidence(db_session=db_session, tenant_id=caller.tenant_id, evidence_id=evidence_id)
    visible_case(db_session=db_session, principal=caller, case_id=row.case_id)
    service.verify_evidence(
        db_session=db_session,
        tenant_id=caller.tenant_id,
        evidence_id=evidence_id,
        status=status,
        actor=_actor(caller),
        note=note,
    )
    message = "Evidence verified" if status is EvidenceStatus.VERIFIED else "Evidence rejected"
    return _decided(request, caller, message, f"#{evidence_id}")


@router.get("/supervisor/approvals/evidence/{evidence_id}/file")
def evidence_file(evidence_id: PathId, db_session: DbSession, caller: Reader, data_dir: DataDir) -> Response:
    """The stored document, to a caller who reaches its case; every viewing is audited (it is personal data)."""
    row = service.get_evidence(db_session=db_session, tenant_id=caller.tenant_id, evidence_id=evidence_id)
    visible_case(db_session=db_session, principal=caller, case_id=row.case_id)
    stored = path_of(row.sha256, data_dir=data_dir)
    try:
        content = stored.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"the file of evidence {row.id} is missing from the data directory") from None
    audit.record(
        db_session=db_session,
        actor=caller.actor,
        actor_user_id=caller.user_id,
        action="evidence.viewed",
        subject_type="evidence",
        subject_id=row.id,
        tenant_id=caller.tenant_id,
        details={"case_id": row.case_id},
    )
    headers = {
        "Content-Disposition": f'inline; filename="evidence-{row.id}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return Response(content, media_type=row.media_type, headers=headers)
