"""Products, loans, schedules, payments and what the engine derived from them.

Contract facts (schedule, payments) are written by imports and flows. Derived
rows (allocations, charges, positions) are the engine's output for the last pass
and are replaced wholesale for a loan when it is recomputed: they are never
edited by hand, so they cannot drift from the facts.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arrears.db.base import Base, Money, UtcDateTime, utcnow
from arrears.db.types import DecimalText, enum_column
from arrears.ledger.enums import ChargeKind, Component, LoanStatus


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    bucket_set_id: Mapped[int | None] = mapped_column(ForeignKey("bucket_sets.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProductRuleVersion(Base):
    """One version of a product's rules; a loan pins the version it was made under."""

    __tablename__ = "product_rule_versions"
    __table_args__ = (UniqueConstraint("product_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, doc="ProductRules as JSON; rates as strings")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Loan(Base):
    __tablename__ = "loans"
    __table_args__ = (UniqueConstraint("tenant_id", "account_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    rule_version_id: Mapped[int] = mapped_column(ForeignKey("product_rule_versions.id"))
    account_number: Mapped[str] = mapped_column(String(64), doc="the lender's loan number: the natural key")
    principal: Mapped[Decimal] = mapped_column(Money)
    annual_interest_rate: Mapped[Decimal | None] = mapped_column(DecimalText, doc="contract rate, for display")
    contract_date: Mapped[date] = mapped_column(Date)
    disbursed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[LoanStatus] = mapped_column(enum_column(LoanStatus), default=LoanStatus.ACTIVE, index=True)
    status_changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Installment(Base):
    """One period (期) of the contractual schedule."""

    __tablename__ = "installments"
    __table_args__ = (UniqueConstraint("loan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    principal_due: Mapped[Decimal] = mapped_column(Money)
    interest_due: Mapped[Decimal] = mapped_column(Money)


class Payment(Base):
    """Money received for a loan. Never deleted: a mistaken payment is reversed."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("loan_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(64), doc="the payment system's reference: the natural key")
    value_date: Mapped[date] = mapped_column(Date, doc="the day the money counts from")
    amount: Mapped[Decimal] = mapped_column(Money)
    channel: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reversed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reversal_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


class PaymentAllocation(Base):
    """How the engine split a payment (derived; replaced on every recompute of the loan)."""

    __tablename__ = "payment_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    installment_number: Mapped[int | None] = mapped_column(Integer)
    component: Mapped[Component] = mapped_column(enum_column(Component))
    amount: Mapped[Decimal] = mapped_column(Money)


class Charge(Base):
    """Charges accrued on one installment as of the last pass (derived)."""

    __tablename__ = "charges"
    __table_args__ = (UniqueConstraint("loan_id", "installment_number", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"), index=True)
    installment_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[ChargeKind] = mapped_column(enum_column(ChargeKind))
    accrued: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money)
    payable: Mapped[bool] = mapped_column(Boolean, doc="false while still inside grace days")
    as_of: Mapped[date] = mapped_column(Date, doc="the day the loan was last replayed: its position's window_from")
    exact: Mapped[int | None] = mapped_column(BigInteger, doc="accrued, exact, in the position's exact_unit")
    daily: Mapped[int | None] = mapped_column(BigInteger, doc="exact amount added each day of the window")


class LoanPosition(Base):
    """The loan's figures at the as-of date of the last pass (derived, one row per loan)."""

    __tablename__ = "loan_positions"

    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    days_past_due: Mapped[int] = mapped_column(Integer, index=True)
    bucket: Mapped[str | None] = mapped_column(String(40), index=True)
    oldest_unpaid_due_date: Mapped[date | None] = mapped_column(Date)
    overdue_principal: Mapped[Decimal] = mapped_column(Money)
    overdue_interest: Mapped[Decimal] = mapped_column(Money)
    overdue_charges: Mapped[Decimal] = mapped_column(Money)
    charges_accrued: Mapped[Decimal] = mapped_column(Money)
    cap_cut: Mapped[Decimal] = mapped_column(Money)
    principal_outstanding: Mapped[Decimal] = mapped_column(Money)
    payoff_amount: Mapped[Decimal] = mapped_column(Money)
    paid_total: Mapped[Decimal] = mapped_column(Money)
    accelerated_on: Mapped[date | None] = mapped_column(Date)
    # The window (有效期, see arrears.ledger.columnar.Window): from window_from to valid_until the figures
    # are rolled forward by the pass without a replay. Empty when the loan is replayed every night.
    window_from: Mapped[date | None] = mapped_column(Date, doc="the day the loan was last replayed")
    valid_until: Mapped[date | None] = mapped_column(Date, doc="the last day the figures roll forward")
    exact_unit: Mapped[int | None] = mapped_column(BigInteger, doc="exact charge units per minor unit")
    minor_cents: Mapped[int | None] = mapped_column(Integer, doc="cents per minor unit of the currency")
    cut_exact: Mapped[int | None] = mapped_column(BigInteger, doc="what the cost cap cut, exact")
    cut_daily: Mapped[int | None] = mapped_column(BigInteger, doc="what the cap cuts each day of the window")
    payments_seen: Mapped[int | None] = mapped_column(Integer, doc="standing payments replayed")
    payments_key: Mapped[int | None] = mapped_column(BigInteger, doc="sum of their ids: a new or reversed one differs")
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    @property
    def overdue_total(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.overdue_charges


class LoanRestructure(Base):
    """A restructure of the loan (债务重组) from an approved plan: a fact the engine replays.

    Never edited once written, except ``freeze_ends_on``: a broken plan ends its
    charge freeze on the day it broke. See :class:`arrears.ledger.engine.Restructure`.
    """

    __tablename__ = "loan_restructures"
    __table_args__ = (UniqueConstraint("loan_id", "effective_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"), index=True)
    effective_on: Mapped[date] = mapped_column(Date)
    waive_charges: Mapped[Decimal] = mapped_column(Money)
    waive_interest: Mapped[Decimal] = mapped_column(Money)
    waive_principal: Mapped[Decimal] = mapped_column(Money)
    charges_frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    freeze_ends_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(64), doc="what made it, e.g. plan:12")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RestructuredInstallment(Base):
    """One installment of a restructure's new schedule, numbered after the loan's earlier ones."""

    __tablename__ = "restructured_installments"
    __table_args__ = (UniqueConstraint("restructure_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    restructure_id: Mapped[int] = mapped_column(ForeignKey("loan_restructures.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    principal_due: Mapped[Decimal] = mapped_column(Money)
    interest_due: Mapped[Decimal] = mapped_column(Money)
