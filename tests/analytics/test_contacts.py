"""Contact, promise, complaint, guard-block and productivity measures on one hand-built month (March 2026).

The month, shared by the tests below:
- team X has collector U1, team Y has collector U2; a team lead L (team X) did nothing.
- case K1 (U1's until 03-15 00:00 UTC, U2's after): U1 calls 03-02 (no answer), 03-03 (connected,
  wrong person), 03-04 (right party, promise P1 of 300 due 04-10, open), 03-05 (right party, promise
  P2 cancelled).
- case K2 (U2's from 03-01 12:00): U2 calls 03-10 (right party, promise P3 of 200 due 03-12, kept)
  and 03-31 23:00 (no answer); calls at 02-28 23:59 and 04-01 00:00 fall outside March.
- complaints: harassment about U1 on 03-06, privacy about U2 on 03-31 23:30, one about U1 on 04-01.
- payments: K1's loan 100 on 03-10 and 50 on 03-14 (U1 held it), 70 on 03-15 (U2 did); K2's loan 30
  on 03-01 (U2 was assigned at noon that day), 500 on 04-02 (outside), 80 on 03-20 reversed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy.orm import Session

from arrears.analytics.contacts import complaint_rate, compliance_blocks, contact_rates, promises_kept
from arrears.analytics.filters import Filters
from arrears.analytics.productivity import productivity
from arrears.audit.service import record_many
from arrears.compliance.enums import ComplaintCategory
from arrears.contact.enums import PromiseStatus
from arrears.org.enums import Role
from arrears.org.models import Team, Tenant, User
from tests.analytics.book import Book, at
from tests.factories import Factories

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@dataclass
class Month:
    tenant: Tenant
    u1: User
    u2: User
    lead: User
    team_x: int
    team_y: int


def _team(db_session: Session, tenant: Tenant, name: str) -> int:
    team = Team(tenant_id=tenant.id, name=name)
    db_session.add(team)
    db_session.flush()
    return team.id


@pytest.fixture
def month(db_session: Session, factories: Factories) -> Month:
    book = Book(db_session, factories)
    tenant = factories.tenant()
    team_x, team_y = _team(db_session, tenant, "X"), _team(db_session, tenant, "Y")
    u1 = factories.user(tenant, team_id=team_x)
    u2 = factories.user(tenant, team_id=team_y)
    lead = factories.user(tenant, Role.TEAM_LEAD, team_id=team_x)
    factories.user(tenant, Role.COMPLIANCE)
    for user, name in ((u1, "甲"), (u2, "乙"), (lead, "丙")):
        user.display_name = name
    k1_loan, k2_loan = factories.loan(tenant=tenant), factories.loan(tenant=tenant)
    k1, k2 = book.case_of(k1_loan), book.case_of(k2_loan)
    book.assign(k1, u1, at(date(2026, 2, 1), 0), at(date(2026, 3, 15), 0))
    book.assign(k1, u2, at(date(2026, 3, 15), 0))
    book.assign(k2, u2, at(date(2026, 3, 1), 12))

    book.contact(k1, u1, at(date(2026, 3, 2)))
    book.contact(k1, u1, at(date(2026, 3, 3)), connected=True)
    p1 = book.contact(k1, u1, at(date(2026, 3, 4)), connected=True, right_party=True)
    book.promise(k1, "300.00", date(2026, 4, 10), PromiseStatus.OPEN, by=u1, attempt=p1)
    p2 = book.contact(k1, u1, at(date(2026, 3, 5)), connected=True, right_party=True)
    book.promise(k1, "100.00", date(2026, 3, 7), PromiseStatus.CANCELLED, by=u1, attempt=p2)
    p3 = book.contact(k2, u2, at(date(2026, 3, 10)), connected=True, right_party=True)
    book.promise(k2, "200.00", date(2026, 3, 12), PromiseStatus.KEPT, paid="200.00", by=u2, attempt=p3)
    book.contact(k2, u2, at(date(2026, 3, 31), 23))
    book.contact(k2, u2, datetime(2026, 2, 28, 23, 59, tzinfo=UTC))
    book.contact(k2, u2, at(date(2026, 4, 1), 0))

    book.complaint(k1, at(date(2026, 3, 6)), about=u1)
    book.complaint(k2, datetime(2026, 3, 31, 23, 30, tzinfo=UTC), about=u2, category=ComplaintCategory.PRIVACY)
    book.complaint(k1, at(date(2026, 4, 1), 1), about=u1)

    factories.payment(k1_loan, "100.00", date(2026, 3, 10))
    factories.payment(k1_loan, "50.00", date(2026, 3, 14))
    factories.payment(k1_loan, "70.00", date(2026, 3, 15))
    factories.payment(k2_loan, "30.00", date(2026, 3, 1))
    factories.payment(k2_loan, "500.00", date(2026, 4, 2))
    factories.payment(k2_loan, "80.00", date(2026, 3, 20)).reversed_at = at(date(2026, 3, 21))
    db_session.flush()
    return Month(tenant, u1, u2, lead, team_x, team_y)


def test_contact_rates_over_the_month(db_session: Session, month: Month) -> None:
    """6 attempts in March; 4 connected (03-03, 03-04, 03-05, 03-10) -> 2/3; 3 right party -> 1/2;
    promises P1 and P3 (P2 cancelled) over 3 right-party contacts -> 2/3.
    """
    table = contact_rates(db_session=db_session, filters=Filters(month.tenant.id, *MARCH))

    assert table.rows == [(6, 4, Fraction(2, 3), 3, Fraction(1, 2), 2, Fraction(2, 3))]


def test_contact_rates_of_one_collector_and_of_one_team(db_session: Session, month: Month) -> None:
    """U1: 4 attempts, 3 connected (3/4), 2 right party (1/2), 1 promise (1/2).
    Team Y is U2: 2 attempts, 1 connected (1/2), 1 right party (1/2), 1 promise (1/1).
    """
    mine = contact_rates(db_session=db_session, filters=Filters(month.tenant.id, *MARCH, collector_id=month.u1.id))
    team = contact_rates(db_session=db_session, filters=Filters(month.tenant.id, *MARCH, team_id=month.team_y))

    assert mine.rows == [(4, 3, Fraction(3, 4), 2, Fraction(1, 2), 1, Fraction(1, 2))]
    assert team.rows == [(2, 1, Fraction(1, 2), 1, Fraction(1, 2), 1, Fraction(1))]


def test_contact_rates_with_no_contacts_are_empty_not_zero(db_session: Session, month: Month) -> None:
    table = contact_rates(db_session=db_session, filters=Filters(month.tenant.id, date(2025, 1, 1), date(2025, 1, 31)))

    assert table.rows == [(0, 0, None, 0, None, 0, None)]


def test_promises_kept_and_amount_promised_against_paid(db_session: Session, factories: Factories) -> None:
    """Due in March and resolved: 1,000 kept (1,000 paid), 600 partly kept (200), 400 broken (0), 500 kept (500).
    Left out: an open one, a cancelled one, one due 04-01.
    4 resolved, 2 kept -> 1/2; promised 2,500, paid 1,700 -> 17/25.
    """
    book = Book(db_session, factories)
    tenant = factories.tenant()
    case = book.case_of(factories.loan(tenant=tenant))
    book.promise(case, "1000.00", date(2026, 3, 5), PromiseStatus.KEPT, paid="1000.00")
    book.promise(case, "600.00", date(2026, 3, 10), PromiseStatus.PARTLY_KEPT, paid="200.00")
    book.promise(case, "400.00", date(2026, 3, 20), PromiseStatus.BROKEN)
    book.promise(case, "500.00", date(2026, 3, 31), PromiseStatus.KEPT, paid="500.00")
    book.promise(case, "300.00", date(2026, 3, 15), PromiseStatus.OPEN)
    book.promise(case, "700.00", date(2026, 3, 12), PromiseStatus.CANCELLED)
    book.promise(case, "900.00", date(2026, 4, 1), PromiseStatus.KEPT, paid="900.00")

    table = promises_kept(db_session=db_session, filters=Filters(tenant.id, *MARCH))

    assert table.rows == [(4, 2, 1, 1, Fraction(1, 2), Decimal("2500.00"), Decimal("1700.00"), Fraction(17, 25))]


def test_complaints_per_thousand_contacts(db_session: Session, month: Month) -> None:
    """2 complaints in March over 6 contacts -> 2,000 / 6 = 333.33...; harassment 1 -> 166.66...
    U1 alone: 1 complaint over 4 contacts -> 250.
    """
    table = complaint_rate(db_session=db_session, filters=Filters(month.tenant.id, *MARCH))
    mine = complaint_rate(db_session=db_session, filters=Filters(month.tenant.id, *MARCH, collector_id=month.u1.id))

    assert table.row(category="all") == ("all", 2, 6, Fraction(1000, 3))
    assert table.row(category="harassment") == ("harassment", 1, 6, Fraction(500, 3))
    assert table.row(category="privacy")[1] == 1
    assert table.row(category="threat")[1] == 0
    assert table.records()[0]["per_1000_contacts"] == "333.333333"
    assert mine.row(category="all") == ("all", 1, 4, Fraction(250))


def test_compliance_blocks_by_rule_from_the_audit_log(db_session: Session, factories: Factories) -> None:
    """Three refusals in March: (hours, frequency), (hours), (third party) -> hours 2 of 3, the others 1 each.
    Not counted: an allowed contact, a refusal on 04-01, a refusal in another tenant.
    """
    tenant, other = factories.tenant(), factories.tenant()

    def decision(tenant_id: int, when: datetime, allowed: bool, *rules: str) -> dict[str, object]:
        return {
            "actor": "test",
            "action": "contact.allowed" if allowed else "contact.blocked",
            "subject_type": "case",
            "subject_id": 1,
            "tenant_id": tenant_id,
            "occurred_at": when,
            "details": {"allowed": allowed, "violations": [{"rule": r, "message": "m"} for r in rules]},
        }

    record_many(
        db_session=db_session,
        rows=[
            decision(tenant.id, at(date(2026, 3, 2)), False, "cn.hours", "cn.frequency"),
            decision(tenant.id, at(date(2026, 3, 3)), False, "cn.hours"),
            decision(tenant.id, datetime(2026, 3, 31, 23, 59, tzinfo=UTC), False, "cn.third_party"),
            decision(tenant.id, at(date(2026, 3, 4)), True),
            decision(tenant.id, at(date(2026, 4, 1), 0), False, "cn.hours"),
            decision(other.id, at(date(2026, 3, 5)), False, "cn.hours"),
        ],
    )

    table = compliance_blocks(db_session=db_session, filters=Filters(tenant.id, *MARCH))

    assert table.rows == [
        ("all", 3, Fraction(1)),
        ("cn.hours", 2, Fraction(2, 3)),
        ("cn.frequency", 1, Fraction(1, 3)),
        ("cn.third_party", 1, Fraction(1, 3)),
    ]


def test_productivity_puts_complaints_beside_recovery(db_session: Session, month: Month) -> None:
    """U1 (甲): 1 case, 4 contacts, 2 right party, 1 promise (P1, not yet due), recovered 100 + 50 = 150,
    1 complaint over 4 contacts = 250 per 1,000.
    U2 (乙): 1 case, 2 contacts, 1 right party, 1 promise, P3 kept (1 of 1), recovered 70 + 30 = 100,
    1 complaint over 2 contacts = 500 per 1,000.
    The lead (丙) did nothing; the compliance officer is not listed. Rows are in staff-number order.
    """
    table = productivity(db_session=db_session, filters=Filters(month.tenant.id, *MARCH))

    assert [row[1:] for row in table.rows] == [
        ("甲", month.u1.staff_number, month.team_x, 1, 4, 2, 1, 0, 0, None, Decimal("150.00"), 1, Fraction(250)),
        ("乙", month.u2.staff_number, month.team_y, 1, 2, 1, 1, 1, 1, Fraction(1), Decimal("100.00"), 1, Fraction(500)),
        ("丙", month.lead.staff_number, month.team_x, 0, 0, 0, 0, 0, 0, None, Decimal("0.00"), 0, None),
    ]


def test_productivity_of_one_team(db_session: Session, month: Month) -> None:
    table = productivity(db_session=db_session, filters=Filters(month.tenant.id, *MARCH, team_id=month.team_x))

    assert [row[0] for row in table.rows] == [month.u1.id, month.lead.id]
