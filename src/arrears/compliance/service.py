"""The guard's facts from the database: a tenant's pack, a case's debtor, holds and contact history.

Also the one place a decision is audited: :func:`check_contact` asks the
guard and writes the decision to the audit log, allowed or not.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.compliance.facts import ContactEvent, ContactHistory, Debtor, HoldFact, PlannedContact
from arrears.compliance.guard import Decision, decide
from arrears.compliance.models import Hold
from arrears.compliance.pack import PackOverrides, RulePack, describe, load_pack, tighten
from arrears.contact.enums import ContactChannel, Outcome, Party
from arrears.contact.models import ContactAttempt
from arrears.errors import ConfigurationError, InvalidInput
from arrears.org.models import Tenant
from arrears.portfolio.enums import Relation
from arrears.portfolio.models import Borrower, ThirdParty

_CALL_RESULTS = {Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.BUSY, Outcome.NOT_IN_SERVICE}


def pack_for_tenant(tenant: Tenant) -> RulePack:
    """The tenant's pack with its overrides applied."""
    pack = load_pack(tenant.compliance_pack)
    if not tenant.compliance_overrides:
        return pack
    try:
        overrides = PackOverrides.model_validate(tenant.compliance_overrides)
    except ValueError as error:
        raise ConfigurationError(f"tenant '{tenant.code}' has invalid compliance overrides: {error}") from None
    return tighten(pack, overrides)


def set_tenant_pack(
    *, db_session: Session, tenant: Tenant, pack_id: str, overrides: dict[str, Any] | None, actor: str
) -> RulePack:
    """Choose a tenant's pack and overrides; refused (nothing changes) if the overrides would loosen it."""
    try:
        parsed = PackOverrides.model_validate(overrides or {})
    except ValidationError as error:
        raise InvalidInput(f"invalid compliance overrides: {describe(error)}", where="overrides") from None
    effective = tighten(load_pack(pack_id), parsed)
    before = {"pack": tenant.compliance_pack, "overrides": tenant.compliance_overrides}
    tenant.compliance_pack = pack_id
    tenant.compliance_overrides = parsed.model_dump(mode="json") if overrides else None
    audit.record(
        db_session=db_session,
        actor=actor,
        action="tenant.compliance_pack_set",
        subject_type="tenant",
        subject_id=tenant.id,
        tenant_id=tenant.id,
        details={"before": before, "pack": pack_id, "version": effective.version},
    )
    return effective


def borrower_zone(borrower: Borrower) -> ZoneInfo:
    try:
        return ZoneInfo(borrower.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"borrower {borrower.external_id} has an unknown time zone '{borrower.timezone}'",
            hint="fix it with an IANA name such as Asia/Shanghai",
        ) from None


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def hold_fact(hold: Hold, zone: ZoneInfo) -> HoldFact:
    """A hold's dates (whole local days, end inclusive) as instants; a lifted hold ends when it was lifted."""
    ends_at = _day_start(hold.ends_on + timedelta(days=1), zone) if hold.ends_on is not None else None
    if hold.lifted_at is not None and (ends_at is None or hold.lifted_at < ends_at):
        ends_at = hold.lifted_at
    channel = ContactChannel(hold.channel) if hold.channel else None
    return HoldFact(type=hold.type, starts_at=_day_start(hold.starts_on, zone), ends_at=ends_at, channel=channel)


def debtor_facts(*, db_session: Session, case: Case) -> Debtor:
    borrower = db_session.get_one(Borrower, case.borrower_id)
    zone = borrower_zone(borrower)
    holds = db_session.scalars(select(Hold).where(Hold.case_id == case.id))
    return Debtor(timezones=(zone,), holds=tuple(hold_fact(hold, zone) for hold in holds))


def party_key(*, borrower_id: int, third_party: ThirdParty | None) -> tuple[Party, str]:
    """Who the guard sees: the debtor, or a third party. A guarantor (担保人) is liable, so counts as the debtor."""
    if third_party is None or third_party.relation is Relation.GUARANTOR:
        return Party.DEBTOR, f"borrower:{borrower_id}" if third_party is None else f"guarantor:{third_party.id}"
    return Party.THIRD_PARTY, f"third_party:{third_party.id}"


def _result(attempt: ContactAttempt) -> str | None:
    if attempt.channel is ContactChannel.CALL:
        if attempt.connected or attempt.conversation:
            return "answered"
        return attempt.outcome.value if attempt.outcome in _CALL_RESULTS else "no_answer"
    return attempt.outcome.value


def case_history(*, db_session: Session, case: Case) -> ContactHistory:
    """Every recorded contact on the case, as the guard sees it."""
    rows = db_session.execute(
        select(ContactAttempt, ThirdParty)
        .outerjoin(ThirdParty, ThirdParty.id == ContactAttempt.third_party_id)
        .where(ContactAttempt.case_id == case.id)
    )
    return ContactHistory.of(_event(attempt, third_party, case.borrower_id) for attempt, third_party in rows)


def _event(attempt: ContactAttempt, third_party: ThirdParty | None, borrower_id: int) -> ContactEvent:
    party, party_id = party_key(borrower_id=borrower_id, third_party=third_party)
    return ContactEvent(
        at=attempt.attempted_at,
        channel=attempt.channel,
        party=party,
        party_id=party_id,
        number=attempt.number,
        debt_id=str(attempt.loan_id) if attempt.loan_id is not None else None,
        result=_result(attempt),
        conversation=attempt.conversation,
        consented=attempt.consented,
        stop_requested=attempt.stop_requested,
    )


def check_contact(
    *,
    db_session: Session,
    case: Case,
    attempt: PlannedContact,
    actor: str,
    actor_user_id: int | None = None,
    origin: str | None = None,
) -> Decision:
    """Ask the guard about a contact on ``case`` and audit the decision, whatever it is."""
    tenant = db_session.get_one(Tenant, case.tenant_id)
    decision = decide(
        pack_for_tenant(tenant),
        debtor_facts(db_session=db_session, case=case),
        attempt,
        case_history(db_session=db_session, case=case),
    )
    audit.record(
        db_session=db_session,
        actor=actor,
        actor_user_id=actor_user_id,
        action="contact.allowed" if decision.allowed else "contact.blocked",
        subject_type="case",
        subject_id=case.id,
        tenant_id=case.tenant_id,
        origin=origin,
        details={
            "channel": attempt.channel.value,
            "party": attempt.party.value,
            "party_id": attempt.party_id,
            "at": attempt.at.isoformat(),
            **decision.as_audit(),
        },
    )
    return decision


def active_holds(*, db_session: Session, case_id: int, on: date) -> list[Hold]:
    stmt = select(Hold).where(
        Hold.case_id == case_id,
        Hold.lifted_at.is_(None),
        Hold.starts_on <= on,
        (Hold.ends_on.is_(None)) | (Hold.ends_on >= on),
    )
    return list(db_session.scalars(stmt))


GUARD_LOOKBACK_DAYS = 8
"""Enough history for every debtor-facing frequency rule (per day, 7 in 7, 7 days after a conversation)."""


def debtor_guard_facts(
    *, db_session: Session, case_ids: range, until: datetime
) -> dict[int, tuple[Debtor, ContactHistory, str]]:
    """For every case in ``case_ids``: the debtor, their recent history and their party id, read in bulk.

    Used by the end-of-day run to plan tomorrow's debtor contacts without one
    query per case. Only the last :data:`GUARD_LOOKBACK_DAYS` days of contacts
    are read, which is all the debtor-facing rules look at; third-party
    contacts are always checked with the full history at contact time.
    """
    in_range = (Case.id >= case_ids.start) & (Case.id < case_ids.stop)
    cases = db_session.execute(
        select(Case.id, Case.borrower_id, Borrower.timezone)
        .join(Borrower, Borrower.id == Case.borrower_id)
        .where(in_range)
    ).all()
    holds: dict[int, list[Hold]] = {}
    for hold in db_session.scalars(select(Hold).where(Hold.case_id >= case_ids.start, Hold.case_id < case_ids.stop)):
        holds.setdefault(hold.case_id, []).append(hold)
    since = until - timedelta(days=GUARD_LOOKBACK_DAYS)
    events: dict[int, list[ContactEvent]] = {}
    rows = db_session.execute(
        select(ContactAttempt, ThirdParty)
        .outerjoin(ThirdParty, ThirdParty.id == ContactAttempt.third_party_id)
        .where(ContactAttempt.case_id >= case_ids.start, ContactAttempt.case_id < case_ids.stop)
        .where(ContactAttempt.attempted_at >= since, ContactAttempt.attempted_at < until)
    )
    borrower_of = {case_id: borrower_id for case_id, borrower_id, _ in cases}
    for attempt, third_party in rows:
        events.setdefault(attempt.case_id, []).append(_event(attempt, third_party, borrower_of[attempt.case_id]))
    found = {}
    for case_id, borrower_id, timezone in cases:
        zone = _zone(timezone)
        debtor = Debtor(timezones=(zone,), holds=tuple(hold_fact(h, zone) for h in holds.get(case_id, ())))
        history = ContactHistory.of(events.get(case_id, ()))
        found[case_id] = (debtor, history, f"borrower:{borrower_id}")
    return found


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"unknown time zone '{name}' on a borrower", hint="fix it with an IANA name") from None
