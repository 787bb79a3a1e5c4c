"""Agency placement: one agency at a time, recall by hand or at the period's end, commission on recoveries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.errors import Conflict, InvalidInput
from arrears.legal import placements
from arrears.legal.enums import PlacementStatus
from arrears.legal.models import AgencyPlacement
from arrears.legal.schemas import PlacementIn
from arrears.org.enums import TenantKind
from arrears.org.models import Tenant
from arrears.strategy.run import RunContext
from arrears.strategy.stages import STAGES, stage_placements
from tests.factories import Factories
from tests.legal.helpers import MAKER, audit_actions, legal_case

START, END = date(2026, 3, 1), date(2026, 5, 31)


def agency(factories: Factories) -> Tenant:
    tenant = factories.tenant()
    tenant.kind = TenantKind.AGENCY
    factories.db_session.flush()
    return tenant


def place(db_session: Session, case_id: int, agency_id: int, rate: str = "0.25", **period: date) -> AgencyPlacement:
    return placements.place(
        db_session=db_session,
        placement_in=PlacementIn(
            case_id=case_id,
            agency_tenant_id=agency_id,
            starts_on=period.get("starts_on", START),
            ends_on=period.get("ends_on", END),
            commission_rate=Decimal(rate),
        ),
        actor=MAKER,
    )


def test_commission_counts_payments_valued_while_the_agency_held_the_case(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    firm = agency(factories)
    placement = place(db_session, subject.case.id, firm.id, rate="0.18")
    factories.payment(subject.loan, "500.00", date(2026, 2, 28))  # before: the lender's own work
    factories.payment(subject.loan, "333.33", date(2026, 3, 1))
    factories.payment(subject.loan, "0.10", date(2026, 4, 15))
    reversed_payment = factories.payment(subject.loan, "999.00", date(2026, 4, 16))
    from arrears.db.base import utcnow

    reversed_payment.reversed_at = utcnow()
    factories.payment(subject.loan, "100.00", date(2026, 4, 20))  # after the recall day
    placements.recall(
        db_session=db_session, placement_id=placement.id, on=date(2026, 4, 15), reason="投诉", actor=MAKER
    )
    statement = placements.statement(db_session=db_session, placement_id=placement.id, as_of=date(2026, 6, 30))
    assert statement.held_until == date(2026, 4, 15)
    assert (statement.recovered, statement.payments) == (Decimal("333.43"), 2)
    assert statement.commission == Decimal("60.02")  # 333.43 * 0.18 = 60.0174
    assert audit_actions(db_session, "agency_placement", placement.id) == ["agency.placed", "agency.recalled"]


def test_a_case_is_with_one_agency_at_a_time_and_only_agencies_take_cases(
    db_session: Session, factories: Factories
) -> None:
    subject = legal_case(factories)
    first, second = agency(factories), agency(factories)
    placement = place(db_session, subject.case.id, first.id)
    with pytest.raises(Conflict, match="already placed"):
        place(db_session, subject.case.id, second.id, starts_on=date(2026, 5, 31), ends_on=date(2026, 8, 31))
    place(db_session, subject.case.id, second.id, starts_on=date(2026, 6, 1), ends_on=date(2026, 8, 31))
    lender = factories.tenant()
    with pytest.raises(InvalidInput, match="not an agency"):
        place(db_session, legal_case(factories).case.id, lender.id)
    placements.recall(db_session=db_session, placement_id=placement.id, on=START, reason="r", actor=MAKER)
    with pytest.raises(Conflict, match="already recalled"):
        placements.recall(db_session=db_session, placement_id=placement.id, on=START, reason="r", actor=MAKER)


def test_placement_input_refuses_bad_periods_and_rates() -> None:
    with pytest.raises(ValidationError, match="ends_on is before starts_on"):
        PlacementIn(case_id=1, agency_tenant_id=2, starts_on=END, ends_on=START, commission_rate=Decimal("0.2"))
    for rate in ("1.5", "-0.1", "abc", "NaN", "0.1234567"):
        with pytest.raises(ValidationError):
            PlacementIn(case_id=1, agency_tenant_id=2, starts_on=START, ends_on=END, commission_rate=rate)
    with pytest.raises(ValidationError, match="never as a float"):
        PlacementIn(case_id=1, agency_tenant_id=2, starts_on=START, ends_on=END, commission_rate=0.2)


def test_recall_outside_the_period_is_refused(db_session: Session, factories: Factories) -> None:
    subject = legal_case(factories)
    placement = place(db_session, subject.case.id, agency(factories).id)
    with pytest.raises(InvalidInput, match="outside the placement"):
        placements.recall(
            db_session=db_session, placement_id=placement.id, on=date(2026, 6, 1), reason="r", actor=MAKER
        )


def test_placements_past_their_end_are_recalled_automatically(db_session: Session, factories: Factories) -> None:
    subject = legal_case(factories)
    firm = agency(factories)
    placement = place(db_session, subject.case.id, firm.id)
    assert placements.expire_due(db_session=db_session, as_of=END, actor="system", tenant_id=subject.tenant.id) == []
    expired = placements.expire_due(
        db_session=db_session, as_of=date(2026, 6, 1), actor="system", tenant_id=subject.tenant.id
    )
    assert [p.id for p in expired] == [placement.id]
    assert (placement.status, placement.recalled_on) == (PlacementStatus.EXPIRED, END)
    assert audit_actions(db_session, "agency_placement", placement.id)[-1] == "agency.expired"
    assert (
        placements.expire_due(
            db_session=db_session, as_of=date(2026, 6, 2), actor="system", tenant_id=subject.tenant.id
        )
        == []
    )


def test_the_live_placement_clause_keeps_only_live_cases_of_that_agency(
    db_session: Session, factories: Factories
) -> None:
    placed, other = legal_case(factories), legal_case(factories)
    firm, rival = agency(factories), agency(factories)
    placement = place(db_session, placed.case.id, firm.id)
    place(db_session, other.case.id, rival.id)

    def reached(agency_id: int, on: date) -> list[int]:
        clause = placements.live_placement_clause(agency_tenant_id=agency_id, on=on)
        return list(db_session.scalars(select(Case.id).where(clause)))

    assert reached(firm.id, date(2026, 4, 1)) == [placed.case.id]
    assert reached(firm.id, date(2026, 2, 28)) == []
    assert reached(firm.id, date(2026, 6, 1)) == []
    placements.recall(db_session=db_session, placement_id=placement.id, on=date(2026, 4, 1), reason="r", actor=MAKER)
    assert reached(firm.id, date(2026, 4, 1)) == []
    assert reached(rival.id, date(2026, 4, 1)) == [other.case.id]


def test_the_end_of_day_run_recalls_placements_whose_period_ended(db_session: Session, factories: Factories) -> None:
    subject = legal_case(factories)
    placement = place(db_session, subject.case.id, agency(factories).id)
    context = RunContext(
        run_id=0, tenant_id=subject.tenant.id, tenant_code=subject.tenant.code, as_of=date(2026, 6, 1), actor="run"
    )
    assert "placements" in [stage.name for stage in STAGES]
    assert stage_placements(db_session, context, range(0)) == {"recalled": 1}
    assert placement.status is PlacementStatus.EXPIRED
