"""Recording contacts: the guard decides first, a blocked contact writes nothing but its audited refusal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.cases.models import Case
from arrears.contact.enums import ContactChannel, Outcome
from arrears.contact.flows import check_contact, record_contact
from arrears.contact.models import ContactAttempt
from arrears.contact.schemas import ContactIn
from arrears.errors import ContactBlocked, InvalidInput
from arrears.portfolio.enums import Relation
from tests.factories import Factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER = "+8613800138000"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def contact(case: Case, when: str, outcome: Outcome = Outcome.ANSWERED, **fields: Any) -> ContactIn:
    data = {"case_id": case.id, "channel": ContactChannel.CALL, "at": local(when), "outcome": outcome, "number": NUMBER}
    return ContactIn.model_validate({**data, **fields})


def record(db_session: Session, contact_in: ContactIn) -> Any:
    return record_contact(db_session=db_session, contact_in=contact_in, actor="test:collector")


def attempts(db_session: Session, case: Case) -> int:
    return db_session.scalar(select(func.count()).where(ContactAttempt.case_id == case.id)) or 0


def audits(db_session: Session, action: str) -> list[AuditRecord]:
    return list(db_session.scalars(select(AuditRecord).where(AuditRecord.action == action)))


def test_an_allowed_call_is_recorded_with_the_pack_that_allowed_it(db_session: Session, factories: Factories) -> None:
    case = factories.case()
    result = record(db_session, contact(case, "2026-03-03 10:00", conversation=True))
    attempt = result.raise_if_blocked()
    assert attempt.connected and attempt.number == NUMBER
    assert attempt.pack_version.startswith("cn ")
    assert [a.action for a in audits(db_session, "contact.allowed")] == ["contact.allowed"]
    assert audits(db_session, "contact.recorded")[0].subject_id == str(attempt.id)


def test_a_blocked_decision_prevents_the_write_and_its_refusal_is_audited(
    db_session: Session, factories: Factories
) -> None:
    case = factories.case()
    for minute in ("10:00", "11:00", "12:00"):
        record(db_session, contact(case, f"2026-03-03 {minute}")).raise_if_blocked()
    result = record(db_session, contact(case, "2026-03-03 15:00"))
    assert result.attempt is None
    assert attempts(db_session, case) == 3
    refusal = audits(db_session, "contact.blocked")
    assert len(refusal) == 1
    assert refusal[0].details["violations"][0]["rule"] == "daily_connected_calls"
    with pytest.raises(ContactBlocked) as blocked:
        result.raise_if_blocked()
    assert blocked.value.rules == ["daily_connected_calls"]
    assert blocked.value.next_allowed_at == local("2026-03-04 08:00").isoformat()


def test_quiet_hours_are_judged_in_the_borrowers_own_time_zone(db_session: Session, factories: Factories) -> None:
    case = factories.case(factories.borrower(timezone="America/New_York"))
    nine_pm_shanghai = local("2026-03-03 21:00")  # 08:00 in New York
    assert record(db_session, contact(case, "2026-03-03 21:00")).attempt is not None
    assert nine_pm_shanghai.astimezone(ZoneInfo("America/New_York")).hour == 8
    assert record(db_session, contact(case, "2026-03-03 12:00")).attempt is None  # 23:00 in New York


def test_a_contact_who_asked_not_to_be_called_is_refused_from_the_database_history(
    db_session: Session, factories: Factories
) -> None:
    borrower = factories.borrower()
    case = factories.case(borrower)
    sister = factories.third_party(borrower, Relation.SIBLING)
    first = contact(case, "2026-03-03 10:00", third_party_id=sister.id, purpose="location", stop_requested=True)
    assert record(db_session, first).attempt is not None
    again = contact(case, "2026-03-10 10:00", third_party_id=sister.id, purpose="location")
    assert record(db_session, again).decision.rule_ids == ["third_party_stop_request"]


def test_an_allowed_third_party_call_carries_the_no_disclosure_condition(
    db_session: Session, factories: Factories
) -> None:
    borrower = factories.borrower()
    case = factories.case(borrower)
    friend = factories.third_party(borrower, Relation.FRIEND)
    attempt = record(db_session, contact(case, "2026-03-03 10:00", third_party_id=friend.id)).raise_if_blocked()
    assert attempt.conditions == ["no_debt_disclosure"]
    told = contact(case, "2026-03-04 10:00", third_party_id=friend.id, discloses_debt=True)
    assert record(db_session, told).decision.rule_ids == ["third_party_disclosure"]


def test_a_guarantor_may_be_asked_to_pay(db_session: Session, factories: Factories) -> None:
    borrower = factories.borrower()
    case = factories.case(borrower)
    guarantor = factories.third_party(borrower, Relation.GUARANTOR)
    asked = contact(case, "2026-03-03 10:00", third_party_id=guarantor.id, purpose="collection")
    assert record(db_session, asked).attempt is not None


def test_a_visit_records_both_collectors(db_session: Session, factories: Factories) -> None:
    case = factories.case()
    alone = contact(case, "2026-03-03 10:00", channel=ContactChannel.VISIT, number=None, collectors=["S001"])
    assert record(db_session, alone).decision.rule_ids == ["visit_two_collectors"]
    pair = contact(case, "2026-03-03 10:00", channel=ContactChannel.VISIT, number=None, collectors=["S001", "S002"])
    assert record(db_session, pair).raise_if_blocked().collectors == ["S001", "S002"]


def test_notes_the_linter_flags_are_kept_as_evidence_and_marked_for_review(
    db_session: Session, factories: Factories
) -> None:
    case = factories.case()
    note = "客户说下周还。我告诉他不还钱就让警察去抓他。"
    attempt = record(db_session, contact(case, "2026-03-03 10:00", notes=note)).raise_if_blocked()
    assert attempt.flagged
    assert {finding["rule"] for finding in attempt.note_findings} & {"threat_criminal", "impersonation"}
    clean = record(db_session, contact(case, "2026-03-03 11:00", notes="客户承诺周五通过官方APP还款。"))
    assert clean.raise_if_blocked().flagged is False


def test_checking_before_dialling_audits_the_decision_and_writes_no_attempt(
    db_session: Session, factories: Factories
) -> None:
    case = factories.case()
    decision = check_contact(db_session=db_session, contact_in=contact(case, "2026-03-03 23:00"), actor="test")
    assert decision.rule_ids == ["quiet_hours"]
    assert attempts(db_session, case) == 0
    assert len(audits(db_session, "contact.blocked")) == 1


def test_a_third_party_of_another_borrower_is_refused(db_session: Session, factories: Factories) -> None:
    case = factories.case()
    stranger = factories.third_party(factories.borrower())
    with pytest.raises(InvalidInput, match="not a contact"):
        record(db_session, contact(case, "2026-03-03 10:00", third_party_id=stranger.id))


def test_the_history_counts_contacts_logged_by_every_collector_and_agency(
    db_session: Session, factories: Factories
) -> None:
    case = factories.case()
    agency_user = factories.user()
    start = local("2026-03-03 09:00")
    for hour in range(6):
        contact_in = ContactIn(
            case_id=case.id,
            channel=ContactChannel.CALL,
            at=start + timedelta(hours=hour),
            outcome=Outcome.NO_ANSWER,
            number=NUMBER,
        )
        record_contact(db_session=db_session, contact_in=contact_in, actor="agency", user_id=agency_user.id)
    assert record(db_session, contact(case, "2026-03-03 16:00", Outcome.NO_ANSWER)).decision.rule_ids == [
        "daily_unanswered_attempts"
    ]
