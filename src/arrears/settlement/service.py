"""Plans and evidence: reads and writes inside the caller's unit of work. Never commits; every change audited.

The flow of a plan (maker-checker, 双人复核):

    proposed --approve--> approved --effective date--> active --all paid--> kept
        \\--reject--> rejected                              \\--an instalment missed--> broken

A collector proposes; only a person whose role the authority matrix allows
approves, never the proposer. Approval writes a restructure fact to the ledger
(new instalments and waivers the engine replays); no balance or position is
edited. :func:`judge_plans` moves plans along as days pass; a broken plan is
recorded as a broken promise on the case, which the strategy's facts count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.compliance.models import Hold
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import PromiseToPay
from arrears.db.base import utcnow
from arrears.errors import Conflict, InvalidInput, NotFound
from arrears.ledger import service as ledger
from arrears.ledger.engine import (
    LoanPosition,
    LoanTerms,
    PauseWindow,
    PostedPayment,
    Restructure,
    ScheduledInstallment,
    compute_position,
)
from arrears.ledger.models import (
    Installment,
    Loan,
    LoanRestructure,
    Payment,
    Product,
    ProductRuleVersion,
    RestructuredInstallment,
)
from arrears.ledger.rules import ProductRules
from arrears.org.enums import Role
from arrears.settlement import authority as authority_matrix
from arrears.settlement import evidence as files
from arrears.settlement.enums import EvidenceKind, EvidenceStatus, PlanKind, PlanStatus
from arrears.settlement.exceptions import ApprovalRefused
from arrears.settlement.models import Evidence, Plan
from arrears.settlement.options import Balance, Option, PlanTerms, Waivers, build, default_propensity, quote
from arrears.settlement.schemas import PlanIn, QuoteIn
from arrears.strategy.models import CaseSegment

ZERO = Decimal("0.00")
GRACE_DAYS = 3
"""A plan instalment still unpaid this many days after its due date breaks the plan."""
WATCH_DAYS = 30
"""After the last instalment the plan stays watched this long (a late payment can still be judged)."""
OPEN_STATUSES = frozenset({PlanStatus.PROPOSED, PlanStatus.APPROVED, PlanStatus.ACTIVE})


@dataclass(frozen=True)
class Actor:
    """Who acts: the audit name, and the person behind it when there is one."""

    name: str
    user_id: int | None = None
    role: Role | None = None


# Reading the loan ----------------------------------------------------------------


def _case(db_session: Session, tenant_id: int, case_id: int) -> Case:
    case = db_session.get(Case, case_id)
    if case is None or case.tenant_id != tenant_id:
        raise NotFound(f"no case {case_id}", hint="check the case id")
    return case


def _loan_of(db_session: Session, case: Case, loan_id: int | None) -> Loan:
    loans = db_session.scalars(
        select(Loan).where(Loan.tenant_id == case.tenant_id, Loan.borrower_id == case.borrower_id).order_by(Loan.id)
    ).all()
    if loan_id is not None:
        for loan in loans:
            if loan.id == loan_id:
                return loan
        raise NotFound(f"case {case.id} has no loan {loan_id}", hint="name one of the case's loans")
    if len(loans) == 1:
        return loans[0]
    if not loans:
        raise NotFound(f"case {case.id} has no loans")
    raise InvalidInput(f"case {case.id} has {len(loans)} loans", where="loan_id", hint="name the loan the plan is for")


def position_of(db_session: Session, loan: Loan, *, as_of: date, adding: Restructure | None = None) -> LoanPosition:
    """The loan replayed to ``as_of`` from its facts, restructures included (and ``adding``, not yet written)."""
    rules = ProductRules.model_validate(db_session.get_one(ProductRuleVersion, loan.rule_version_id).rules)
    schedule = tuple(
        ScheduledInstallment(row.number, row.due_date, row.principal_due, row.interest_due)
        for row in db_session.scalars(select(Installment).where(Installment.loan_id == loan.id))
    )
    payments = [
        PostedPayment(row.reference, row.value_date, row.amount, row.reversed_at is not None)
        for row in db_session.scalars(
            select(Payment).where(Payment.loan_id == loan.id).order_by(Payment.value_date, Payment.id)
        )
    ]
    terms = LoanTerms(loan.principal, loan.disbursed_on, loan.contract_date, schedule, rules)
    restructures = ledger.restructures_of(db_session=db_session, loan_ids=[loan.id]).get(loan.id, [])
    if adding is not None:
        restructures = [*restructures, adding]
    return compute_position(
        terms, payments, as_of=as_of, holds=_pause_windows(db_session, loan), restructures=restructures
    )


def _pause_windows(db_session: Session, loan: Loan) -> list[PauseWindow]:
    """The holds the daily pass applies to this loan (via the borrower's case in the loan's tenant)."""
    stmt = (
        select(Hold.starts_on, Hold.ends_on, Hold.pauses_aging, Hold.pauses_charges)
        .join(Case, Case.id == Hold.case_id)
        .where(Case.tenant_id == loan.tenant_id, Case.borrower_id == loan.borrower_id)
        .where((Hold.pauses_aging.is_(True)) | (Hold.pauses_charges.is_(True)))
    )
    return [PauseWindow(*row) for row in db_session.execute(stmt)]


def balance_from(position: LoanPosition) -> Balance:
    """What a plan on ``position.as_of`` takes over: principal, interest due, payable charges."""
    interest = sum(
        (item.interest_outstanding for item in position.installments if item.effective_due_date <= position.as_of),
        ZERO,
    )
    return Balance(
        principal=position.principal_outstanding,
        interest=interest,
        charges=position.charges_outstanding,
        overdue=position.overdue_total,
        days_past_due=position.days_past_due,
        currency=position.currency,
    )


def snapshot(position: LoanPosition, balance: Balance) -> dict[str, Any]:
    return {
        "as_of": position.as_of.isoformat(),
        "status": position.status.value,
        "days_past_due": position.days_past_due,
        "currency": position.currency,
        "principal": str(balance.principal),
        "interest": str(balance.interest),
        "charges": str(balance.charges),
        "overdue": str(position.overdue_total),
        "payoff": str(position.payoff_amount),
        "total": str(balance.total),
    }


def propensity_of(db_session: Session, case_id: int, *, as_of: date, days_past_due: int) -> tuple[Decimal, str]:
    """The case's propensity to pay from its latest segment on or before ``as_of``, else the documented default."""
    row = db_session.execute(
        select(CaseSegment.propensity, CaseSegment.propensity_source)
        .where(CaseSegment.case_id == case_id, CaseSegment.as_of <= as_of)
        .order_by(CaseSegment.as_of.desc())
        .limit(1)
    ).first()
    if row is not None:
        return Decimal(row[0]), f"segment:{row[1]}"
    return default_propensity(days_past_due), "default:age"


# Quote and proposal -------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    case_id: int
    loan_id: int
    effective_on: date
    balance: Balance
    position: LoanPosition
    propensity: Decimal
    propensity_source: str
    options: list[Option]


def quote_options(*, db_session: Session, tenant_id: int, case_id: int, quote_in: QuoteIn) -> Quote:
    """Each kind of plan for the case's loan on the effective date; nothing is written."""
    case = _case(db_session, tenant_id, case_id)
    loan = _loan_of(db_session, case, quote_in.loan_id)
    _check_effective_on(db_session, loan, quote_in.effective_on)
    position = position_of(db_session, loan, as_of=quote_in.effective_on)
    balance = balance_from(position)
    p, source = propensity_of(db_session, case.id, as_of=quote_in.effective_on, days_past_due=position.days_past_due)
    options = quote(
        balance,
        effective_on=quote_in.effective_on,
        propensity=p,
        periods=quote_in.periods,
        annual_rate=quote_in.annual_rate,
        amount_now=quote_in.amount_now,
        settlement_amount=quote_in.settlement_amount,
    )
    return Quote(case.id, loan.id, quote_in.effective_on, balance, position, p, source, options)


MAX_YEARS_AFTER_DISBURSEMENT = 50
"""A plan's effective date beyond this is a typing mistake, not a plan (and would run off the calendar)."""


def _check_effective_on(db_session: Session, loan: Loan, effective_on: date) -> None:
    if effective_on.year > loan.disbursed_on.year + MAX_YEARS_AFTER_DISBURSEMENT:
        raise InvalidInput(
            f"{effective_on} is more than {MAX_YEARS_AFTER_DISBURSEMENT} years after the loan's disbursement",
            where="effective_on",
        )
    if effective_on <= loan.disbursed_on:
        raise InvalidInput(
            f"the plan must start after the loan's disbursement on {loan.disbursed_on}", where="effective_on"
        )
    latest = db_session.scalar(select(func.max(LoanRestructure.effective_on)).where(LoanRestructure.loan_id == loan.id))
    if latest is not None and effective_on <= latest:
        raise InvalidInput(
            f"the loan was restructured on {latest}; a new plan must start after it", where="effective_on"
        )


def propose(*, db_session: Session, tenant_id: int, case_id: int, plan_in: PlanIn, actor: Actor) -> Plan:
    """Write a proposal (status proposed). Nothing is granted: the debtor may not be told it is."""
    _lock_plans(db_session)
    case = _case(db_session, tenant_id, case_id)
    loan = _loan_of(db_session, case, plan_in.loan_id)
    # One open plan per loan: two proposals made at once must not both pass the check below.
    db_session.execute(select(Loan.id).where(Loan.id == loan.id).with_for_update())
    open_plan = db_session.scalar(
        select(Plan.id).where(Plan.loan_id == loan.id, Plan.status.in_(OPEN_STATUSES)).limit(1)
    )
    if open_plan is not None:
        raise Conflict(
            f"loan {loan.account_number} already has plan {open_plan} open",
            hint="reject it, or wait until it is kept or broken",
        )
    _check_effective_on(db_session, loan, plan_in.effective_on)
    position = position_of(db_session, loan, as_of=plan_in.effective_on)
    balance = balance_from(position)
    p, source = propensity_of(db_session, case.id, as_of=plan_in.effective_on, days_past_due=position.days_past_due)
    option = build(
        balance,
        PlanTerms(
            kind=plan_in.kind,
            effective_on=plan_in.effective_on,
            periods=plan_in.periods,
            amount=plan_in.amount,
            waivers=Waivers(plan_in.waive_charges, plan_in.waive_interest, plan_in.waive_principal),
            annual_rate=plan_in.annual_rate,
            first_due_on=plan_in.first_due_on,
            pay_within_days=plan_in.pay_within_days,
        ),
        propensity=p,
    )
    plan = Plan(
        tenant_id=tenant_id,
        case_id=case.id,
        loan_id=loan.id,
        kind=option.kind,
        status=PlanStatus.PROPOSED,
        effective_on=option.effective_on,
        periods=option.periods,
        annual_rate=option.annual_rate,
        waive_charges=option.waivers.charges,
        waive_interest=option.waivers.interest,
        waive_principal=option.waivers.principal,
        waived_total=option.waivers.total,
        debtor_total=option.debtor_total,
        expected_recovery=option.expected_recovery,
        propensity=p,
        propensity_source=source,
        snapshot=snapshot(position, balance),
        treatments=option.treatments,
        schedule=[
            {
                "number": item.number,
                "due_on": item.due_on.isoformat(),
                "principal": str(item.principal),
                "interest": str(item.interest),
            }
            for item in option.schedule
        ],
        reason=plan_in.reason.strip(),
        proposed_by=actor.name,
        proposed_by_id=actor.user_id,
    )
    db_session.add(plan)
    db_session.flush()
    _audit(db_session, plan, actor, "plan.proposed", {"kind": plan.kind.value, "waived": str(plan.waived_total)})
    return plan


def _audit(db_session: Session, plan: Plan, actor: Actor, action: str, details: dict[str, Any]) -> None:
    audit.record(
        db_session=db_session,
        actor=actor.name,
        actor_user_id=actor.user_id,
        action=action,
        subject_type="plan",
        subject_id=plan.id,
        tenant_id=plan.tenant_id,
        details={"case_id": plan.case_id, "loan_id": plan.loan_id, "status": plan.status.value, **details},
    )


# Decisions -----------------------------------------------------------------------


def get(*, db_session: Session, tenant_id: int, plan_id: int) -> Plan:
    plan = db_session.get(Plan, plan_id)
    if plan is None or plan.tenant_id != tenant_id:
        raise NotFound(f"no plan {plan_id}", hint="list plans with `arrears plan list`")
    return plan


def _lock_plans(db_session: Session) -> None:
    """Take the right to decide plans until this transaction ends, so two deciders cannot both see a proposal.

    PostgreSQL: the plan row is selected FOR UPDATE by the caller. SQLite: our engine
    begins transactions with a deferred BEGIN; an insert that inserts nothing takes the
    database write lock now, so a second decider waits and then reads the first one's
    decision (the same device as the audit chain's).
    """
    if db_session.get_bind().dialect.name == "sqlite":
        db_session.execute(text("INSERT INTO settlement_plans (id) SELECT 0 WHERE 0"))


def _open_for_decision(db_session: Session, tenant_id: int, plan_id: int, actor: Actor) -> Plan:
    _lock_plans(db_session)
    plan = db_session.scalars(
        select(Plan)
        .where(Plan.id == plan_id, Plan.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if plan is None:
        raise NotFound(f"no plan {plan_id}", hint="list plans with `arrears plan list`")
    if plan.status is not PlanStatus.PROPOSED:
        raise Conflict(f"plan {plan.id} is {plan.status.value}, not proposed", hint="only a proposal can be decided")
    mine = (actor.user_id is not None and actor.user_id == plan.proposed_by_id) or actor.name == plan.proposed_by
    if mine:
        raise ApprovalRefused(
            f"plan {plan.id} was proposed by you: the proposer can never decide their own plan",
            hint="another approver must decide it",
        )
    return plan


def approve(
    *,
    db_session: Session,
    tenant_id: int,
    plan_id: int,
    actor: Actor,
    reason: str,
    matrix: authority_matrix.AuthorityMatrix | None = None,
) -> Plan:
    """Approve within the actor's authority: the restructure goes to the ledger, the plan is watched."""
    plan = _open_for_decision(db_session, tenant_id, plan_id, actor)
    if not reason.strip():
        raise InvalidInput("a reason is needed to approve a plan", where="reason")
    loan = db_session.get_one(Loan, plan.loan_id)
    product = db_session.get_one(Product, loan.product_id)
    waivers = Waivers(plan.waive_charges, plan.waive_interest, plan.waive_principal)
    chosen = matrix or authority_matrix.shipped()
    decision = authority_matrix.decide(
        chosen, role=actor.role, product_code=product.code, kind=plan.kind, periods=plan.periods, waivers=waivers
    )
    if not decision.allowed:
        _audit(db_session, plan, actor, "plan.approval_refused", {"why": decision.reason})
        raise ApprovalRefused(
            f"you may not approve plan {plan.id}: {decision.reason}",
            hint="refer it to someone with a higher authority",
        )
    if (waivers.total > ZERO or plan.kind is PlanKind.FREEZE) and not _has_verified_evidence(db_session, plan):
        raise Conflict(
            f"plan {plan.id} grants a concession but case {plan.case_id} has no verified hardship evidence",
            hint="upload the evidence (`arrears evidence add`) and have it verified first",
        )
    _check_effective_on(db_session, loan, plan.effective_on)
    restructure = _restructure_for(db_session, plan, loan)
    # Replay before writing: a plan the engine cannot replay is refused now, not in tonight's pass.
    position_after = position_of(db_session, loan, as_of=plan.effective_on, adding=restructure)
    row = ledger.add_restructure(
        db_session=db_session, loan_id=loan.id, restructure=restructure, source=f"plan:{plan.id}"
    )
    last_due = max(item.due_date for item in restructure.schedule)
    plan.status = PlanStatus.APPROVED
    plan.restructure_id = row.id
    plan.decided_by = actor.name
    plan.decided_by_id = actor.user_id
    plan.decided_at = utcnow()
    plan.decision_reason = reason.strip()
    plan.authority = f"v{decision.version}:{decision.rule}"
    plan.watch_until = last_due + timedelta(days=WATCH_DAYS)
    _audit(
        db_session,
        plan,
        actor,
        "plan.approved",
        {
            "authority": plan.authority,
            "restructure_id": row.id,
            "reason": plan.decision_reason,
            "payoff_after": str(position_after.payoff_amount),
        },
    )
    return plan


def reject(*, db_session: Session, tenant_id: int, plan_id: int, actor: Actor, reason: str) -> Plan:
    plan = _open_for_decision(db_session, tenant_id, plan_id, actor)
    if not reason.strip():
        raise InvalidInput("a reason is needed to reject a plan", where="reason")
    plan.status = PlanStatus.REJECTED
    plan.decided_by = actor.name
    plan.decided_by_id = actor.user_id
    plan.decided_at = utcnow()
    plan.decision_reason = reason.strip()
    _audit(db_session, plan, actor, "plan.rejected", {"reason": plan.decision_reason})
    return plan


def _has_verified_evidence(db_session: Session, plan: Plan) -> bool:
    found = db_session.scalar(
        select(Evidence.id)
        .where(Evidence.case_id == plan.case_id, Evidence.status == EvidenceStatus.VERIFIED)
        .where((Evidence.plan_id.is_(None)) | (Evidence.plan_id == plan.id))
        .limit(1)
    )
    return found is not None


def _restructure_for(db_session: Session, plan: Plan, loan: Loan) -> Restructure:
    base = db_session.scalar(select(func.max(Installment.number)).where(Installment.loan_id == loan.id)) or 0
    existing = ledger.restructures_of(db_session=db_session, loan_ids=[loan.id]).get(loan.id, [])
    for earlier in existing:
        base = max([base, *(item.number for item in earlier.schedule)])
    schedule = tuple(
        ScheduledInstallment(
            base + int(item["number"]),
            date.fromisoformat(item["due_on"]),
            Decimal(item["principal"]),
            Decimal(item["interest"]),
        )
        for item in plan.schedule
    )
    return Restructure(
        effective_on=plan.effective_on,
        schedule=schedule,
        waive_charges=plan.waive_charges,
        waive_interest=plan.waive_interest,
        waive_principal=plan.waive_principal,
        charges_frozen=plan.kind is PlanKind.FREEZE,
    )


# Watching plans as days pass ----------------------------------------------------


def judge_plans(db_session: Session, tenant_id: int, as_of: date, *, actor: str = "system:plans") -> Counter[str]:
    """Move the tenant's approved and active plans along at the end of ``as_of``; idempotent for a date.

    An approved plan becomes active on its effective date. An active plan is kept
    once every instalment is paid, and broken once one is still unpaid
    :data:`GRACE_DAYS` days after its due date. A broken plan ends its charge
    freeze and is recorded as a broken promise on the case, so the strategy sees it.
    """
    who = Actor(actor)
    counts: Counter[str] = Counter()
    plans = db_session.scalars(
        select(Plan)
        .where(Plan.tenant_id == tenant_id, Plan.status.in_([PlanStatus.APPROVED, PlanStatus.ACTIVE]))
        .order_by(Plan.id)
    ).all()
    for plan in plans:
        if plan.status is PlanStatus.APPROVED:
            if as_of < plan.effective_on:
                continue
            plan.status = PlanStatus.ACTIVE
            _audit(db_session, plan, who, "plan.activated", {"as_of": as_of.isoformat()})
            counts["activated"] += 1
        _judge_active(db_session, plan, as_of, who, counts)
    return counts


def _judge_active(db_session: Session, plan: Plan, as_of: date, who: Actor, counts: Counter[str]) -> None:
    loan = db_session.get_one(Loan, plan.loan_id)
    restructure = db_session.get_one(LoanRestructure, plan.restructure_id)
    position = position_of(db_session, loan, as_of=as_of)
    numbers = set(
        db_session.scalars(
            select(RestructuredInstallment.number).where(RestructuredInstallment.restructure_id == restructure.id)
        )
    )
    mine = sorted((item for item in position.installments if item.number in numbers), key=lambda item: item.number)
    kept = sum(1 for item in mine if item.paid_off_on is not None and item.paid_off_on <= as_of)
    if kept != plan.instalments_kept:
        plan.instalments_kept = kept
        _audit(db_session, plan, who, "plan.progress", {"as_of": as_of.isoformat(), "instalments_kept": kept})
    if mine and kept == len(mine):
        plan.status = PlanStatus.KEPT
        plan.resolved_on = as_of
        _audit(db_session, plan, who, "plan.kept", {"as_of": as_of.isoformat()})
        counts["kept"] += 1
        return
    missed = [item for item in mine if item.paid_off_on is None and item.due_date + timedelta(days=GRACE_DAYS) < as_of]
    if not missed:
        return
    first = missed[0]
    owed = first.principal_outstanding + first.interest_outstanding
    plan.status = PlanStatus.BROKEN
    plan.resolved_on = as_of
    plan.broken_instalment = first.number
    if restructure.charges_frozen and restructure.freeze_ends_on is None:
        restructure.freeze_ends_on = as_of  # charges run again from the day after the break
    amount = first.principal_due + first.interest_due
    db_session.add(
        PromiseToPay(
            case_id=plan.case_id,
            loan_id=plan.loan_id,
            amount=amount,
            due_on=first.due_date,
            channel=f"plan:{plan.id}",
            status=PromiseStatus.BROKEN,
            amount_paid=amount - owed,
            resolved_on=as_of,
        )
    )
    _audit(
        db_session,
        plan,
        who,
        "plan.broken",
        {
            "as_of": as_of.isoformat(),
            "instalment": first.number,
            "due_on": first.due_date.isoformat(),
            "owed": str(owed),
        },
    )
    counts["broken"] += 1


def list_plans(
    *, db_session: Session, tenant_id: int, status: PlanStatus | None = None, case_ids: Any = None
) -> list[Plan]:
    """The tenant's plans, newest first; ``case_ids`` is an optional select of case ids (a caller's scope)."""
    stmt = select(Plan).where(Plan.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(Plan.status == status)
    if case_ids is not None:
        stmt = stmt.where(Plan.case_id.in_(case_ids))
    return list(db_session.scalars(stmt.order_by(Plan.id.desc())))


# Evidence ------------------------------------------------------------------------


def add_evidence(
    *,
    db_session: Session,
    tenant_id: int,
    case_id: int,
    kind: EvidenceKind,
    filename: str,
    content: bytes,
    data_dir: Path,
    actor: Actor,
    plan_id: int | None = None,
) -> Evidence:
    """Check the file, store it by its SHA-256 and record it as pending verification."""
    case = _case(db_session, tenant_id, case_id)
    if plan_id is not None:
        plan = get(db_session=db_session, tenant_id=tenant_id, plan_id=plan_id)
        if plan.case_id != case.id:
            raise InvalidInput(f"plan {plan_id} is not on case {case.id}", where="plan_id")
    checked = files.check(filename, content)
    files.store(content, checked, data_dir=data_dir)
    row = Evidence(
        tenant_id=tenant_id,
        case_id=case.id,
        plan_id=plan_id,
        kind=kind,
        filename=checked.filename,
        media_type=checked.media_type,
        size_bytes=checked.size_bytes,
        sha256=checked.sha256,
        status=EvidenceStatus.PENDING,
        uploaded_by=actor.name,
        uploaded_by_id=actor.user_id,
    )
    db_session.add(row)
    db_session.flush()
    audit.record(
        db_session=db_session,
        actor=actor.name,
        actor_user_id=actor.user_id,
        action="evidence.added",
        subject_type="evidence",
        subject_id=row.id,
        tenant_id=tenant_id,
        details={"case_id": case.id, "kind": kind.value, "sha256": checked.sha256, "media_type": checked.media_type},
    )
    return row


def get_evidence(*, db_session: Session, tenant_id: int, evidence_id: int) -> Evidence:
    row = db_session.get(Evidence, evidence_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound(f"no evidence {evidence_id}")
    return row


def verify_evidence(
    *, db_session: Session, tenant_id: int, evidence_id: int, status: EvidenceStatus, actor: Actor, note: str | None
) -> Evidence:
    """Mark evidence verified or rejected; never by the person who uploaded it."""
    row = get_evidence(db_session=db_session, tenant_id=tenant_id, evidence_id=evidence_id)
    if status is EvidenceStatus.PENDING:
        raise InvalidInput("verify as verified or rejected", where="status")
    if row.status is not EvidenceStatus.PENDING:
        raise Conflict(f"evidence {row.id} is already {row.status.value}")
    if (actor.user_id is not None and actor.user_id == row.uploaded_by_id) or actor.name == row.uploaded_by:
        raise ApprovalRefused(
            f"evidence {row.id} was uploaded by you: someone else must verify it", hint="ask an approver"
        )
    if status is EvidenceStatus.REJECTED and not (note or "").strip():
        raise InvalidInput("say why the evidence is rejected", where="note")
    row.status = status
    row.verified_by = actor.name
    row.verified_by_id = actor.user_id
    row.verified_at = utcnow()
    row.verification_note = (note or "").strip() or None
    audit.record(
        db_session=db_session,
        actor=actor.name,
        actor_user_id=actor.user_id,
        action=f"evidence.{status.value}",
        subject_type="evidence",
        subject_id=row.id,
        tenant_id=tenant_id,
        details={"case_id": row.case_id, "note": row.verification_note},
    )
    return row
