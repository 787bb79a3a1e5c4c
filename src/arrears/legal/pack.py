"""The document pack (诉讼材料包) of a referred case: one PDF for the lawyer or the court.

It gathers the facts the record holds (the loan contracts, schedules, payments,
the contact history and the letters sent, the referral's checklist and the
proceedings so far) into :class:`PackFacts`, renders the Jinja2 template beside
this module and prints it with WeasyPrint in a CJK font. Building a pack is an
export of personal data, so it is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.comms import service as comms
from arrears.comms.enums import MessageChannel, MessageStatus
from arrears.contact.enums import ContactChannel
from arrears.contact.models import ContactAttempt
from arrears.errors import NotFound
from arrears.ledger.models import Installment, Loan, LoanPosition, Payment, Product
from arrears.legal import rules, service
from arrears.legal.models import LegalReferral
from arrears.org.models import Tenant
from arrears.portfolio.models import Borrower

LETTER_SENT = frozenset({MessageStatus.SENT, MessageStatus.DELIVERED})
FONT_FAMILIES = '"Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", sans-serif'


@dataclass(frozen=True)
class ScheduleLine:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal


@dataclass(frozen=True)
class PaymentLine:
    value_date: date
    amount: Decimal
    reference: str
    reversed: bool


@dataclass(frozen=True)
class LoanFacts:
    account_number: str
    product: str
    currency: str
    principal: Decimal
    annual_interest_rate: Decimal | None
    contract_date: date
    disbursed_on: date
    schedule: list[ScheduleLine]
    payments: list[PaymentLine]
    position_as_of: date | None
    days_past_due: int | None
    overdue_total: Decimal | None
    payoff_amount: Decimal | None


@dataclass(frozen=True)
class ContactLine:
    at: str
    channel: str
    party: str
    outcome: str


@dataclass(frozen=True)
class LetterLine:
    at: str
    kind: str
    subject: str
    status: str
    source: str


@dataclass(frozen=True)
class ProceedingLine:
    id: int
    kind: str
    status: str
    court: str
    court_reference: str
    opened_on: date
    served_on: date | None
    objection_deadline: date | None
    hearing_on: date | None
    events: list[tuple[date, str, str]]
    amounts: list[tuple[date, str, str, Decimal]]


@dataclass(frozen=True)
class PackFacts:
    lender: str
    case_id: int
    borrower_name: str
    borrower_number: str
    resident_id: str
    address: str
    referral_id: int
    referral_status: str
    referred_on: date
    reason: str
    checklist: list[tuple[str, str, str]]
    loans: list[LoanFacts]
    contacts: list[ContactLine]
    letters: list[LetterLine]
    proceedings: list[ProceedingLine]
    generated_at: str
    generated_by: str
    notes: list[str] = field(default_factory=list)


def mask_resident_id(value: str | None) -> str:
    """Only the last four characters: the pack travels outside the lender."""
    if not value:
        return "—"
    return "*" * (len(value) - 4) + value[-4:] if len(value) > 4 else "****"


def gather(
    *, db_session: Session, referral_id: int, at: datetime, actor: str, tenant_id: int | None = None
) -> PackFacts:
    """Everything the pack shows, read from the record; nothing is computed that the record does not hold."""
    referral = service.get_referral(db_session=db_session, referral_id=referral_id, tenant_id=tenant_id)
    case = db_session.get_one(Case, referral.case_id)
    borrower = db_session.get_one(Borrower, case.borrower_id)
    tenant = db_session.get_one(Tenant, case.tenant_id)
    zone = ZoneInfo(tenant.timezone)
    loans = [_loan_facts(db_session, loan) for loan in _loans(db_session, case)]
    contacts = list(
        db_session.scalars(
            select(ContactAttempt).where(ContactAttempt.case_id == case.id).order_by(ContactAttempt.attempted_at)
        )
    )
    contact_lines = [_contact_line(attempt, zone) for attempt in contacts]
    letters = _letters(db_session, case, contacts, zone)
    return PackFacts(
        lender=tenant.name,
        case_id=case.id,
        borrower_name=borrower.name,
        borrower_number=borrower.external_id,
        resident_id=mask_resident_id(borrower.resident_id),
        address=borrower.address or "—",
        referral_id=referral.id,
        referral_status=referral.status.value,
        referred_on=referral.referred_on,
        reason=referral.reason,
        checklist=[_checklist_line(referral, item) for item in rules.CHECKLIST],
        loans=loans,
        contacts=contact_lines,
        letters=letters,
        proceedings=[
            _proceeding_line(db_session, p.id)
            for p in service.get_proceedings(db_session=db_session, referral_id=referral.id)
        ],
        generated_at=at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
        generated_by=actor,
    )


def render_html(facts: PackFacts) -> str:
    environment = Environment(
        loader=PackageLoader("arrears.legal", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["money"] = lambda amount: "—" if amount is None else f"{amount:,.2f}"
    return environment.get_template("pack.html.j2").render(facts=facts, fonts=FONT_FAMILIES)


def render_pdf(facts: PackFacts) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # heavy: imported only to print

    pdf: bytes = HTML(string=render_html(facts)).write_pdf()
    return pdf


def build_pack(
    *,
    db_session: Session,
    referral_id: int,
    at: datetime,
    actor: str,
    actor_user_id: int | None = None,
    tenant_id: int | None = None,
) -> bytes:
    """The referral's document pack as PDF bytes; the export is audited."""
    facts = gather(db_session=db_session, referral_id=referral_id, at=at, actor=actor, tenant_id=tenant_id)
    pdf = render_pdf(facts)
    referral = db_session.get_one(LegalReferral, referral_id)
    audit.record(
        db_session=db_session,
        actor=actor,
        actor_user_id=actor_user_id,
        action="legal.pack_generated",
        subject_type="legal_referral",
        subject_id=referral.id,
        tenant_id=referral.tenant_id,
        details={
            "case_id": referral.case_id,
            "loans": len(facts.loans),
            "contacts": len(facts.contacts),
            "letters": len(facts.letters),
            "proceedings": len(facts.proceedings),
            "bytes": len(pdf),
        },
    )
    return pdf


def _loans(db_session: Session, case: Case) -> list[Loan]:
    stmt = select(Loan).where(Loan.tenant_id == case.tenant_id, Loan.borrower_id == case.borrower_id)
    found = list(db_session.scalars(stmt.order_by(Loan.contract_date, Loan.id)))
    if not found:
        raise NotFound(f"case {case.id} has no loans to put in a pack")
    return found


def _loan_facts(db_session: Session, loan: Loan) -> LoanFacts:
    product = db_session.get_one(Product, loan.product_id)
    schedule = db_session.scalars(
        select(Installment).where(Installment.loan_id == loan.id).order_by(Installment.number)
    )
    payments = db_session.scalars(
        select(Payment).where(Payment.loan_id == loan.id).order_by(Payment.value_date, Payment.id)
    )
    position = db_session.get(LoanPosition, loan.id)
    overdue = position.overdue_principal + position.overdue_interest + position.overdue_charges if position else None
    return LoanFacts(
        account_number=loan.account_number,
        product=product.name,
        currency=product.currency,
        principal=loan.principal,
        annual_interest_rate=loan.annual_interest_rate,
        contract_date=loan.contract_date,
        disbursed_on=loan.disbursed_on,
        schedule=[ScheduleLine(i.number, i.due_date, i.principal_due, i.interest_due) for i in schedule],
        payments=[PaymentLine(p.value_date, p.amount, p.reference, p.reversed_at is not None) for p in payments],
        position_as_of=position.as_of if position else None,
        days_past_due=position.days_past_due if position else None,
        overdue_total=overdue,
        payoff_amount=position.payoff_amount if position else None,
    )


def _contact_line(attempt: ContactAttempt, zone: ZoneInfo) -> ContactLine:
    return ContactLine(
        at=attempt.attempted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        channel=attempt.channel.value,
        party=attempt.party.value,
        outcome=attempt.outcome.value,
    )


def _letters(db_session: Session, case: Case, contacts: list[ContactAttempt], zone: ZoneInfo) -> list[LetterLine]:
    """Letters the outbox sent (comms), then letter contacts recorded by hand that no outbox message explains."""
    sent = [
        message
        for message in comms.get_messages(
            db_session=db_session, tenant_id=case.tenant_id, case_id=case.id, limit=10_000
        )
        if message.channel is MessageChannel.LETTER and message.status in LETTER_SENT
    ]
    explained = {message.contact_attempt_id for message in sent}
    lines = [
        LetterLine(
            at=(message.sent_at or message.created_at).astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            kind=message.kind.value,
            subject=message.subject or "—",
            status=message.status.value,
            source="outbox",
        )
        for message in sent
    ]
    lines += [
        LetterLine(
            at=attempt.attempted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            kind="letter",
            subject="—",
            status=attempt.outcome.value,
            source="contact history",
        )
        for attempt in contacts
        if attempt.channel is ContactChannel.LETTER and attempt.id not in explained
    ]
    return sorted(lines, key=lambda line: line.at)


def _checklist_line(referral: LegalReferral, item: rules.ChecklistItem) -> tuple[str, str, str]:
    done = referral.checklist.get(item.key)
    state = f"{done['on']} · {done['by']}" if done else "未完成 / open"
    return item.zh, item.en, state


def _proceeding_line(db_session: Session, proceeding_id: int) -> ProceedingLine:
    proceeding = service.get_proceeding(db_session=db_session, proceeding_id=proceeding_id)
    events = service.get_events(db_session=db_session, proceeding_id=proceeding.id)
    amounts = service.get_amounts(db_session=db_session, proceeding_id=proceeding.id)
    return ProceedingLine(
        id=proceeding.id,
        kind=proceeding.kind.value,
        status=proceeding.status.value,
        court=proceeding.court or "—",
        court_reference=proceeding.court_reference or "—",
        opened_on=proceeding.opened_on,
        served_on=proceeding.served_on,
        objection_deadline=proceeding.objection_deadline,
        hearing_on=proceeding.hearing_on,
        events=[(e.happened_on, e.event, e.to_status.value) for e in events],
        amounts=[(a.happened_on, a.kind.value, a.category, a.amount) for a in amounts],
    )
