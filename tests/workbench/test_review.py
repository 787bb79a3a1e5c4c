"""The compliance desk, read side and the review it records, on both back ends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.audit.models import AuditRecord
from arrears.audit.verify import verify_chain
from arrears.cases.models import Case
from arrears.compliance.enums import HoldType
from arrears.compliance.models import Hold
from arrears.contact.enums import ContactChannel, Outcome, Party
from arrears.contact.models import ContactAttempt
from arrears.errors import Conflict, InvalidInput, NotFound
from arrears.org.models import Tenant
from arrears.workbench import review
from arrears.workbench.review import AuditQuery, ReviewOutcome
from tests.factories import Factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _entry(db_session: Session, tenant: Tenant, actor: str, at: datetime, action: str = "hold.placed") -> None:
    audit.record_many(
        db_session=db_session,
        rows=[{"actor": actor, "action": action, "subject_type": "case", "tenant_id": tenant.id, "occurred_at": at}],
    )


def _search(
    db_session: Session,
    tenant: Tenant,
    *,
    actor: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> list[str]:
    query = AuditQuery(actor=actor, action=action, since=since, until=until)
    found = review.search_audit(db_session=db_session, tenant_id=tenant.id, query=query, zone=SHANGHAI)
    return [entry.actor for entry in found.entries]


def test_actor_and_action_match_a_prefix_literally(db_session: Session) -> None:
    tenant = Factories(db_session).tenant()
    at = datetime(2026, 3, 2, tzinfo=UTC)
    for actor in ("a_b", "axb", "a%c", "zhang"):
        _entry(db_session, tenant, actor, at)
    assert _search(db_session, tenant, actor="a_") == ["a_b"]
    assert _search(db_session, tenant, actor="a%") == ["a%c"]
    assert _search(db_session, tenant, action="hold.") == ["zhang", "a%c", "axb", "a_b"]
    assert _search(db_session, tenant, action="hold_") == []


def test_dates_are_the_tenants_days_both_ends_included(db_session: Session) -> None:
    tenant = Factories(db_session).tenant()
    _entry(db_session, tenant, "late", datetime(2026, 3, 4, 16, 30, tzinfo=UTC))  # 00:30 on the 5th in Shanghai
    _entry(db_session, tenant, "early", datetime(2026, 3, 4, 15, 59, tzinfo=UTC))  # 23:59 on the 4th
    assert _search(db_session, tenant, since=date(2026, 3, 5), until=date(2026, 3, 5)) == ["late"]
    assert _search(db_session, tenant, until=date(2026, 3, 4)) == ["early"]
    assert _search(db_session, tenant, since=date(2026, 3, 4)) == ["early", "late"]  # by position in the chain


@pytest.mark.parametrize("fields", [{"page": 0}, {"since": date(2026, 3, 5), "until": date(2026, 3, 4)}])
def test_a_search_that_cannot_be_answered_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        AuditQuery(**fields)  # type: ignore[arg-type]


def _attempt(db_session: Session, case: Case, flagged: bool = True) -> ContactAttempt:
    attempt = ContactAttempt(
        case_id=case.id,
        channel=ContactChannel.CALL,
        party=Party.DEBTOR,
        attempted_at=datetime(2026, 3, 2, 2, tzinfo=UTC),
        outcome=Outcome.ANSWERED,
        pack_version="cn 1",
        notes="再不还就上门",
        note_findings=[{"rule": "threat_visit"}] if flagged else [],
        flagged=flagged,
    )
    db_session.add(attempt)
    db_session.flush()
    return attempt


def test_a_flagged_contact_is_reviewed_once_and_then_leaves_the_queue(db_session: Session) -> None:
    factories = Factories(db_session)
    case = factories.case()
    other = factories.case()
    first, second, clean = _attempt(db_session, case), _attempt(db_session, case), _attempt(db_session, case, False)
    theirs = _attempt(db_session, other)
    ours = Case.id == case.id
    assert review.flagged_contacts(db_session=db_session, cases=ours) == [first, second]
    with pytest.raises(InvalidInput):
        review.review_contact(
            db_session=db_session, cases=ours, attempt_id=first.id, outcome=ReviewOutcome.COACHING, note=" ", actor="qc"
        )
    entry = review.review_contact(
        db_session=db_session, cases=ours, attempt_id=first.id, outcome=ReviewOutcome.NO_ISSUE, note="", actor="qc"
    )
    assert entry.details["outcome"] == "no_issue" and entry.tenant_id == case.tenant_id
    assert review.flagged_contacts(db_session=db_session, cases=ours) == [second]
    with pytest.raises(Conflict):
        review.review_contact(
            db_session=db_session, cases=ours, attempt_id=first.id, outcome=ReviewOutcome.BREACH, note="x", actor="qc"
        )
    with pytest.raises(Conflict):
        review.review_contact(
            db_session=db_session, cases=ours, attempt_id=clean.id, outcome=ReviewOutcome.NO_ISSUE, note="", actor="qc"
        )
    with pytest.raises(NotFound):
        review.review_contact(
            db_session=db_session, cases=ours, attempt_id=theirs.id, outcome=ReviewOutcome.NO_ISSUE, note="", actor="qc"
        )
    assert db_session.scalar(select(AuditRecord.id).where(AuditRecord.subject_id == str(theirs.id))) is None


def test_active_holds_leave_out_lifted_and_ended_ones_but_keep_future_ones(db_session: Session) -> None:
    case = Factories(db_session).case()
    today = date(2026, 3, 3)
    holds = {
        "open": Hold(case_id=case.id, type=HoldType.DISPUTE, starts_on=date(2026, 3, 1)),
        "ends today": Hold(case_id=case.id, type=HoldType.HARDSHIP_PAUSE, starts_on=date(2026, 3, 1), ends_on=today),
        "ended": Hold(
            case_id=case.id, type=HoldType.HARDSHIP_PAUSE, starts_on=date(2026, 2, 1), ends_on=date(2026, 3, 2)
        ),
        "future": Hold(case_id=case.id, type=HoldType.ATTORNEY, starts_on=date(2026, 3, 9)),
        "lifted": Hold(
            case_id=case.id,
            type=HoldType.DISPUTE,
            starts_on=date(2026, 3, 1),
            lifted_at=datetime(2026, 3, 2, tzinfo=UTC),
        ),
    }
    db_session.add_all(holds.values())
    db_session.flush()
    found = review.active_holds(db_session=db_session, cases=Case.id == case.id, on=today)
    assert {hold.id for hold in found} == {holds[name].id for name in ("open", "ends today", "future")}
    assert review.hold_in_scope(db_session=db_session, cases=true(), hold_id=holds["ended"].id) is holds["ended"]
    with pytest.raises(NotFound):
        review.hold_in_scope(db_session=db_session, cases=Case.id != case.id, hold_id=holds["open"].id)


def test_a_review_that_lands_while_another_is_being_written_is_refused_and_leaves_nothing(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: another officer's review commits after the first check; the check under the chain's lock sees it."""
    case = Factories(db_session).case()
    attempt = _attempt(db_session, case)
    ours = Case.id == case.id
    review.review_contact(
        db_session=db_session, cases=ours, attempt_id=attempt.id, outcome=ReviewOutcome.NO_ISSUE, note="", actor="a"
    )
    real = review._review_of
    calls: list[int | None] = []

    def late(db_session: Session, attempt_id: int, besides: int | None = None) -> int | None:
        calls.append(besides)
        return None if len(calls) == 1 else real(db_session, attempt_id, besides)

    monkeypatch.setattr(review, "_review_of", late)
    with pytest.raises(Conflict):
        review.review_contact(
            db_session=db_session, cases=ours, attempt_id=attempt.id, outcome=ReviewOutcome.NO_ISSUE, note="", actor="b"
        )
    assert len(calls) == 2
    actors = db_session.scalars(select(AuditRecord.actor).where(AuditRecord.action == review.REVIEWED)).all()
    assert actors == ["a"]
    audit.record(db_session=db_session, actor="c", action="later.entry", subject_type="x")
    assert verify_chain(db_session=db_session).ok  # the rolled-back entry left no gap in the chain
