"""The schema migrates both ways and holds money and times exactly on every back end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from arrears.db.migrate import downgrade, upgrade
from arrears.db.registry import metadata
from arrears.ledger.models import Payment


def test_migrations_create_every_table(engine: Engine) -> None:
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_money_round_trips_to_the_cent(db_session: Session, factories: object) -> None:
    loan = factories.loan()  # type: ignore[attr-defined]
    factories.payment(loan, "0.10", loan.disbursed_on + timedelta(days=1), reference="a")  # type: ignore[attr-defined]
    factories.payment(loan, "0.20", loan.disbursed_on + timedelta(days=1), reference="b")  # type: ignore[attr-defined]
    db_session.expire_all()
    amounts = db_session.scalars(select(Payment.amount).where(Payment.loan_id == loan.id)).all()
    assert sum(amounts, Decimal(0)) == Decimal("0.30")


def test_times_come_back_in_utc(db_session: Session, factories: object) -> None:
    loan = factories.loan()  # type: ignore[attr-defined]
    shanghai = timezone(timedelta(hours=8))
    payment = factories.payment(loan, "1.00", loan.disbursed_on)  # type: ignore[attr-defined]
    payment.received_at = datetime(2026, 3, 1, 9, 30, tzinfo=shanghai)
    db_session.flush()
    db_session.expire_all()
    stored = db_session.get(Payment, payment.id)
    assert stored is not None
    assert stored.received_at == datetime(2026, 3, 1, 1, 30, tzinfo=UTC)


def test_float_money_is_refused(db_session: Session, factories: object) -> None:
    loan = factories.loan()  # type: ignore[attr-defined]
    db_session.add(Payment(loan_id=loan.id, reference="f", value_date=loan.disbursed_on, amount=0.1))
    with pytest.raises(Exception, match="never float"):
        db_session.flush()


def test_downgrade_to_base_and_back(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/down.sqlite3"
    upgrade(url)
    downgrade(url)
    upgrade(url)
