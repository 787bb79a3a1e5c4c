"""Product rules (产品规则): how a product charges, caps, accelerates and allocates.

Rules are versioned data: a loan pins the version in force when it was made, and
the same model validates a rule file, a database row and a quote request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arrears.errors import InvalidInput
from arrears.ledger.enums import AllocationOrder, Component
from arrears.money import check_currency

DEFAULT_COMPONENTS = (Component.LATE_FEE, Component.PENALTY, Component.INTEREST, Component.PRINCIPAL)


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChargeRules(_Rule):
    """Overdue charges (逾期费用)."""

    penalty_daily_rate: Decimal | None = Field(
        None, ge=0, le=Decimal("0.01"), description="罚息: daily rate on the penalty base, e.g. 0.0005"
    )
    penalty_annual_rate: Decimal | None = Field(
        None, ge=0, le=Decimal("3"), description="罚息 given as an annual rate; daily = annual / days_in_year"
    )
    penalty_base: Literal["principal", "principal_and_interest"] = "principal"
    late_fee_daily_rate: Decimal = Field(
        Decimal(0), ge=0, le=Decimal("0.05"), description="违约金: share of the installment per day late, e.g. 0.01"
    )
    late_fee_base: Literal["installment_outstanding", "installment_amount"] = "installment_outstanding"
    grace_days: int = Field(0, ge=0, le=90, description="宽限期: paid within these days after the due date, no charges")
    accrue_from: Literal["due_date", "grace_end"] = Field(
        "due_date", description="once grace is over, charge from the due date or only from the grace end"
    )

    @model_validator(mode="after")
    def _one_penalty_rate(self) -> ChargeRules:
        if self.penalty_daily_rate is not None and self.penalty_annual_rate is not None:
            raise ValueError("give penalty_daily_rate or penalty_annual_rate, not both")
        return self


class CostCap(_Rule):
    """Ceiling on the total annualised cost: interest + penalty + fees."""

    kind: Literal["lpr_multiple", "annual_rate", "none"] = "lpr_multiple"
    multiple: Decimal = Field(Decimal(4), gt=0, le=10)
    annual_rate: Decimal | None = Field(None, gt=0, le=10)

    @model_validator(mode="after")
    def _rate_when_fixed(self) -> CostCap:
        if self.kind == "annual_rate" and self.annual_rate is None:
            raise ValueError("cost_cap of kind annual_rate needs annual_rate")
        return self


class Acceleration(_Rule):
    """提前到期: once DPD exceeds ``after_dpd`` the whole principal falls due."""

    after_dpd: int | None = Field(None, ge=1, le=3650)
    demand_days: int = Field(0, ge=0, le=90, description="days the borrower is given to pay the whole balance")


class Waterfall(_Rule):
    components: tuple[Component, ...] = DEFAULT_COMPONENTS
    order: AllocationOrder = AllocationOrder.INSTALLMENT_FIRST

    @field_validator("components")
    @classmethod
    def _each_component_once(cls, value: tuple[Component, ...]) -> tuple[Component, ...]:
        expected = set(DEFAULT_COMPONENTS)
        if Component.OVERPAYMENT in value or set(value) != expected or len(value) != len(expected):
            raise ValueError("components must list late_fee, penalty, interest and principal, each once")
        return value


class ProductRules(_Rule):
    currency: str = "CNY"
    days_in_year: Literal[360, 365] = 365
    charges: ChargeRules = ChargeRules()
    cost_cap: CostCap = CostCap()
    acceleration: Acceleration = Acceleration()
    waterfall: Waterfall = Waterfall()
    dpd_tolerance: Decimal = Field(
        Decimal(0), ge=0, description="an installment owing no more than this does not count as unpaid for DPD"
    )

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        try:
            return check_currency(value)
        except InvalidInput as exc:
            raise ValueError(exc.one_line()) from None
