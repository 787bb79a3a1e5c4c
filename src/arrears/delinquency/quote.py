"""Quote a loan given as JSON, without a database (``arrears ledger quote``).

The JSON shape of the request and of the answer live here; docs/quote.md shows both.

Amounts travel as strings ("1234.56") so no JSON parser turns them into floats;
plain JSON numbers are accepted on input only when they are integers.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from arrears.delinquency.buckets import BucketSet, BucketSpec, check_ranges
from arrears.errors import ArrearsError, InvalidInput
from arrears.files import read_text
from arrears.ledger.engine import (
    InstallmentPosition,
    LoanPosition,
    LoanTerms,
    PauseWindow,
    PostedPayment,
    ScheduledInstallment,
    compute_position,
)
from arrears.ledger.rules import ProductRules
from arrears.money import parse_amount


def _exact_amount(value: Any) -> Decimal:
    if isinstance(value, float):
        raise ValueError('write amounts as strings such as "1234.56", not as JSON floats')
    try:
        return parse_amount(value)
    except InvalidInput as exc:
        # As a ValueError, pydantic reports it with the field's location.
        raise ValueError(exc.one_line()) from None


Amount = Annotated[Decimal, BeforeValidator(_exact_amount), PlainSerializer(str, return_type=str)]
MoneyOut = Annotated[Decimal, PlainSerializer(lambda value: f"{value:.2f}", return_type=str)]
RateOut = Annotated[Decimal, PlainSerializer(str, return_type=str)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstallmentIn(_In):
    number: int = Field(ge=1)
    due_date: date
    principal: Amount
    interest: Amount = Decimal("0.00")


class PaymentIn(_In):
    ref: str = Field(min_length=1, max_length=64)
    value_date: date
    amount: Amount
    reversed: bool = False


class HoldIn(_In):
    type: str = Field(min_length=1, description="dispute, hardship_pause, deceased, bankruptcy, ...")
    from_: date = Field(alias="from")
    to: date | None = None
    pauses_aging: bool = True
    pauses_charges: bool = False

    @model_validator(mode="after")
    def _ends_after_start(self) -> HoldIn:
        if self.to is not None and self.to < self.from_:
            raise ValueError(f"hold ends on {self.to}, before it starts on {self.from_}")
        return self


class ProductIn(ProductRules):
    buckets: tuple[BucketSpec, ...] = ()

    @field_validator("buckets")
    @classmethod
    def _valid_set(cls, value: tuple[BucketSpec, ...]) -> tuple[BucketSpec, ...]:
        if value:
            try:
                check_ranges(value)
            except InvalidInput as exc:
                raise ValueError(exc.one_line()) from None
        return value


class QuoteRequest(_In):
    loan_id: str = Field("loan", min_length=1, max_length=64)
    principal: Amount
    disbursed_on: date
    contract_date: date | None = None
    product: ProductIn = ProductIn()
    schedule: list[InstallmentIn] = Field(min_length=1)
    payments: list[PaymentIn] = []
    holds: list[HoldIn] = []

    @field_validator("payments")
    @classmethod
    def _unique_refs(cls, value: list[PaymentIn]) -> list[PaymentIn]:
        refs = [payment.ref for payment in value]
        repeated = sorted({ref for ref in refs if refs.count(ref) > 1})
        if repeated:
            raise ValueError(f"payment refs repeat: {', '.join(repeated)}; a payment reference is unique per loan")
        return value

    def terms(self) -> LoanTerms:
        rules = ProductRules.model_validate(self.product.model_dump(exclude={"buckets"}))
        return LoanTerms(
            principal=self.principal,
            disbursed_on=self.disbursed_on,
            contract_date=self.contract_date or self.disbursed_on,
            schedule=tuple(
                ScheduledInstallment(item.number, item.due_date, item.principal, item.interest)
                for item in self.schedule
            ),
            rules=rules,
        )

    def posted_payments(self) -> list[PostedPayment]:
        return [PostedPayment(item.ref, item.value_date, item.amount, item.reversed) for item in self.payments]

    def pause_windows(self) -> list[PauseWindow]:
        return [PauseWindow(item.from_, item.to, item.pauses_aging, item.pauses_charges) for item in self.holds]


class AllocationOut(BaseModel):
    payment_ref: str
    installment: int | None
    component: str
    amount: MoneyOut


class InstallmentOut(BaseModel):
    number: int
    due_date: date
    effective_due_date: date
    accelerated: bool
    principal_due: MoneyOut
    interest_due: MoneyOut
    principal_paid: MoneyOut
    interest_paid: MoneyOut
    interest_waived: MoneyOut
    penalty_accrued: MoneyOut
    penalty_paid: MoneyOut
    late_fee_accrued: MoneyOut
    late_fee_paid: MoneyOut
    paid_off_on: date | None

    @classmethod
    def of(cls, item: InstallmentPosition) -> InstallmentOut:
        return cls.model_validate(item, from_attributes=True)


class QuoteResult(BaseModel):
    loan_id: str
    as_of: date
    currency: str
    status: str
    days_past_due: int
    bucket: str | None
    oldest_unpaid_due_date: date | None
    overdue_principal: MoneyOut
    overdue_interest: MoneyOut
    overdue_penalty: MoneyOut
    overdue_late_fee: MoneyOut
    overdue_charges: MoneyOut
    overdue_total: MoneyOut
    charges_in_grace: MoneyOut
    charges_accrued: MoneyOut
    charges_paid: MoneyOut
    principal_outstanding: MoneyOut
    payoff_amount: MoneyOut
    paid_total: MoneyOut
    overpayment: MoneyOut
    cap: CapOut
    accelerated_on: date | None
    installments: list[InstallmentOut]
    allocations: list[AllocationOut]


class CapOut(BaseModel):
    applies: bool
    annual_rate: RateOut | None
    cost_limit: MoneyOut | None
    interest_counted: MoneyOut
    charges_counted: MoneyOut
    cut: MoneyOut
    applied: bool = Field(description="true when the cap cut some charge")


def quote_result(loan_id: str, position: LoanPosition, bucket: str | None) -> QuoteResult:
    return QuoteResult(
        loan_id=loan_id,
        as_of=position.as_of,
        currency=position.currency,
        status=position.status.value,
        days_past_due=position.days_past_due,
        bucket=bucket,
        oldest_unpaid_due_date=position.oldest_unpaid_due_date,
        overdue_principal=position.overdue_principal,
        overdue_interest=position.overdue_interest,
        overdue_penalty=position.penalty_outstanding,
        overdue_late_fee=position.late_fee_outstanding,
        overdue_charges=position.charges_outstanding,
        overdue_total=position.overdue_total,
        charges_in_grace=position.charges_in_grace,
        charges_accrued=position.charges_accrued,
        charges_paid=position.charges_paid,
        principal_outstanding=position.principal_outstanding,
        payoff_amount=position.payoff_amount,
        paid_total=position.paid_total,
        overpayment=position.overpayment,
        cap=CapOut(
            applies=position.cap_annual_rate is not None,
            annual_rate=position.cap_annual_rate,
            cost_limit=position.cost_limit,
            interest_counted=position.interest_counted,
            charges_counted=position.charges_accrued,
            cut=position.cap_cut,
            applied=position.cap_cut > 0,
        ),
        accelerated_on=position.accelerated_on,
        installments=[InstallmentOut.of(item) for item in position.installments],
        allocations=[
            AllocationOut(
                payment_ref=item.payment_ref,
                installment=item.installment,
                component=item.component.value,
                amount=item.amount,
            )
            for item in position.allocations
        ],
    )


QuoteResult.model_rebuild()


def describe_validation_error(error: ValidationError, *, source: str) -> InvalidInput:
    """The first problem pydantic found, as one line naming the field."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    ctx_error = first.get("ctx", {}).get("error")
    if isinstance(ctx_error, ArrearsError):
        message = ctx_error.one_line()
    more = len(error.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return InvalidInput(message + suffix, where=f"{source}: {where}")


def load_request(path: Path) -> QuoteRequest:
    """Read and validate a loan file; every problem becomes one InvalidInput line."""
    text = read_text(path, what="a loan JSON file")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}", hint="see docs/quote.md for the shape") from None
    try:
        return QuoteRequest.model_validate(raw)
    except ValidationError as exc:
        raise describe_validation_error(exc, source=str(path)) from None


def quote(request: QuoteRequest, *, as_of: date) -> QuoteResult:
    """Compute the position and bucket of the loan in ``request`` at the end of ``as_of``."""
    terms = request.terms()
    if as_of < terms.disbursed_on:
        raise InvalidInput(f"as-of date {as_of} is before disbursement on {terms.disbursed_on}", where="--as-of")
    position = compute_position(terms, request.posted_payments(), as_of=as_of, holds=request.pause_windows())
    bucket = None
    if request.product.buckets:
        bucket = BucketSet(name="product", buckets=request.product.buckets).bucket_for(position.days_past_due)
    return quote_result(request.loan_id, position, bucket)
