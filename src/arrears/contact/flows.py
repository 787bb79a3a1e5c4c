"""Recording a contact: the guard first, then the record. There is no other way to write one.

Every decision is audited, allowed or blocked. A blocked contact writes no
attempt; the flow returns the decision so that the adapter can commit the
audit of the refusal and then report it (``ContactResult.raise_if_blocked``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.compliance import service as compliance
from arrears.compliance.facts import PlannedContact
from arrears.compliance.guard import Decision
from arrears.compliance.lint import lint
from arrears.contact import service
from arrears.contact.models import ContactAttempt, PromiseToPay
from arrears.contact.schemas import ContactIn
from arrears.errors import ContactBlocked, InvalidInput, NotFound
from arrears.ledger.models import Loan
from arrears.portfolio.models import ThirdParty


@dataclass(frozen=True)
class ContactResult:
    """The guard's decision and, when it allowed the contact, the attempt recorded."""

    decision: Decision
    attempt: ContactAttempt | None

    def raise_if_blocked(self) -> ContactAttempt:
        if self.attempt is None:
            next_at = self.decision.next_allowed_at
            raise ContactBlocked(
                "contact blocked by " + ", ".join(self.decision.rule_ids),
                rules=self.decision.rule_ids,
                next_allowed_at=next_at.isoformat() if next_at is not None else None,
            )
        return self.attempt


def _case(db_session: Session, case_id: int) -> Case:
    case = db_session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", hint="check the case id")
    return case


def _third_party(db_session: Session, case: Case, third_party_id: int | None) -> ThirdParty | None:
    if third_party_id is None:
        return None
    third_party = db_session.get(ThirdParty, third_party_id)
    if third_party is None or third_party.borrower_id != case.borrower_id:
        raise InvalidInput(
            f"third party {third_party_id} is not a contact of this case's borrower", where="third_party"
        )
    return third_party


def _check_loan(db_session: Session, case: Case, loan_id: int | None) -> None:
    if loan_id is None:
        return
    loan = db_session.get(Loan, loan_id)
    if loan is None or loan.borrower_id != case.borrower_id or loan.tenant_id != case.tenant_id:
        raise InvalidInput(f"loan {loan_id} is not a loan of this case's borrower", where="loan")


def planned_contact(db_session: Session, contact_in: ContactIn) -> tuple[Case, PlannedContact]:
    """The case and the guard's view of the contact ``contact_in`` describes."""
    case = _case(db_session, contact_in.case_id)
    third_party = _third_party(db_session, case, contact_in.third_party_id)
    _check_loan(db_session, case, contact_in.loan_id)
    party, party_id = compliance.party_key(borrower_id=case.borrower_id, third_party=third_party)
    return case, PlannedContact(
        at=contact_in.at,
        channel=contact_in.channel,
        party=party,
        party_id=party_id,
        number=contact_in.number,
        debt_id=str(contact_in.loan_id) if contact_in.loan_id is not None else None,
        consented=contact_in.consented,
        purpose=contact_in.purpose,
        discloses_debt=contact_in.discloses_debt,
        collectors=tuple(contact_in.collectors),
    )


def check_contact(
    *, db_session: Session, contact_in: ContactIn, actor: str, user_id: int | None = None, origin: str | None = None
) -> Decision:
    """Ask the guard before dialling or sending; the decision is audited and nothing else is written."""
    case, planned = planned_contact(db_session, contact_in)
    return compliance.check_contact(
        db_session=db_session, case=case, attempt=planned, actor=actor, actor_user_id=user_id, origin=origin
    )


def record_contact(
    *, db_session: Session, contact_in: ContactIn, actor: str, user_id: int | None = None, origin: str | None = None
) -> ContactResult:
    """Check a contact with the guard and, only if it is allowed, record it with its notes linted."""
    case, planned = planned_contact(db_session, contact_in)
    decision = compliance.check_contact(
        db_session=db_session, case=case, attempt=planned, actor=actor, actor_user_id=user_id, origin=origin
    )
    if not decision.allowed:
        return ContactResult(decision, None)
    findings = [finding.as_dict() for finding in lint(contact_in.notes)] if contact_in.notes else []
    attempt = service.create(
        db_session=db_session,
        contact_in=contact_in,
        user_id=user_id,
        pack_version=f"{decision.pack} {decision.pack_version}",
        conditions=list(decision.conditions),
        note_findings=findings,
    )
    promise = _take_promise(db_session, case, attempt, contact_in, user_id)
    audit.record(
        db_session=db_session,
        actor=actor,
        actor_user_id=user_id,
        action="contact.recorded",
        subject_type="contact_attempt",
        subject_id=attempt.id,
        tenant_id=case.tenant_id,
        origin=origin,
        details={
            "case_id": case.id,
            "channel": attempt.channel.value,
            "party": attempt.party.value,
            "outcome": attempt.outcome.value,
            "collectors": attempt.collectors,
            "flagged_rules": sorted({str(finding["rule"]) for finding in findings}),
            "promise_id": promise.id if promise else None,
        },
    )
    return ContactResult(decision, attempt)


def _take_promise(
    db_session: Session, case: Case, attempt: ContactAttempt, contact_in: ContactIn, user_id: int | None
) -> PromiseToPay | None:
    promise_in = contact_in.promise
    if promise_in is None:
        return None
    if promise_in.due_on < contact_in.at.date():
        raise InvalidInput(f"the promise date {promise_in.due_on} is before the contact", where="promise.due_on")
    _check_loan(db_session, case, promise_in.loan_id)
    promise = PromiseToPay(
        case_id=case.id,
        loan_id=promise_in.loan_id,
        contact_attempt_id=attempt.id,
        amount=promise_in.amount,
        due_on=promise_in.due_on,
        channel=promise_in.channel,
        created_by_id=user_id,
        created_at=contact_in.at,
    )
    db_session.add(promise)
    db_session.flush()
    return promise
