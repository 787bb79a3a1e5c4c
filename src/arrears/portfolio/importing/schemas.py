"""What each kind of import file holds: its columns and how one row becomes a record.

Parsing here is pure (no database): references to borrowers, loans and products
are checked by the flow, in bulk, one chunk at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from arrears.portfolio.enums import Channel, ContactLabel, Education, Gender, MaritalStatus, Relation
from arrears.portfolio.importing import fields as f
from arrears.portfolio.importing.fields import Cell, RowError


class Kind(StrEnum):
    BORROWERS = "borrowers"
    LOANS = "loans"
    INSTALLMENTS = "installments"
    PAYMENTS = "payments"
    CONTACTS = "contacts"


class Party(StrEnum):
    SELF = "self"
    THIRD_PARTY = "third_party"


@dataclass(frozen=True)
class BorrowerRecord:
    external_id: str
    name: str
    resident_id: str | None
    gender: Gender | None
    birth_date: date | None
    marital_status: MaritalStatus | None
    children: int | None
    owns_home: bool | None
    is_local: bool | None
    employer: str | None
    monthly_income: Decimal | None
    education: Education | None
    address: str | None
    timezone: str | None


@dataclass(frozen=True)
class LoanRecord:
    account_number: str
    borrower_external_id: str
    product_code: str
    principal: Decimal
    contract_date: date
    disbursed_on: date
    annual_interest_rate: Decimal | None


@dataclass(frozen=True)
class InstallmentRecord:
    account_number: str
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal


@dataclass(frozen=True)
class PaymentRecord:
    account_number: str
    reference: str
    value_date: date
    amount: Decimal
    channel: str | None


@dataclass(frozen=True)
class ContactRecord:
    borrower_external_id: str
    party: Party
    name: str | None
    relation: Relation | None
    knows_about_loan: bool | None
    channel: Channel
    label: ContactLabel | None
    value: str


def parse_borrower(row: dict[str, Cell]) -> BorrowerRecord:
    resident_id = f.resident_id(row.get("resident_id"), "resident_id")
    gender = f.choice(row.get("gender"), "gender", Gender)
    birth_date = f.day(row.get("birth_date"), "birth_date")
    if resident_id is not None:
        implied_birth = f.resident_birth_date(resident_id)
        implied_gender = f.resident_gender(resident_id)
        if birth_date is not None and birth_date != implied_birth:
            raise RowError("birth_date", f"contradicts resident_id, which gives {implied_birth}", row["birth_date"])
        if gender not in (None, Gender.UNKNOWN, implied_gender):
            raise RowError("gender", f"contradicts resident_id, which gives {implied_gender}", row["gender"])
        birth_date, gender = implied_birth, implied_gender
    return BorrowerRecord(
        external_id=f.required_text(row.get("external_id"), "external_id", max_length=64),
        name=f.required_text(row.get("name"), "name", max_length=100),
        resident_id=resident_id,
        gender=gender,
        birth_date=birth_date,
        marital_status=f.choice(row.get("marital_status"), "marital_status", MaritalStatus),
        children=f.integer(row.get("children"), "children"),
        owns_home=f.boolean(row.get("owns_home"), "owns_home"),
        is_local=f.boolean(row.get("is_local"), "is_local"),
        employer=f.text(row.get("employer"), "employer", max_length=200),
        monthly_income=f.amount(row.get("monthly_income"), "monthly_income"),
        education=f.choice(row.get("education"), "education", Education),
        address=f.text(row.get("address"), "address", max_length=300),
        timezone=f.timezone(row.get("timezone"), "timezone"),
    )


def parse_loan(row: dict[str, Cell]) -> LoanRecord:
    contract_date = f.required_day(row.get("contract_date"), "contract_date")
    disbursed_on = f.required_day(row.get("disbursed_on"), "disbursed_on")
    if disbursed_on < contract_date:
        raise RowError("disbursed_on", f"is before the contract date {contract_date}", row.get("disbursed_on"))
    return LoanRecord(
        account_number=f.required_text(row.get("account_number"), "account_number", max_length=64),
        borrower_external_id=f.required_text(row.get("borrower_external_id"), "borrower_external_id", max_length=64),
        product_code=f.required_text(row.get("product_code"), "product_code", max_length=40),
        principal=f.required_amount(row.get("principal"), "principal", positive=True),
        contract_date=contract_date,
        disbursed_on=disbursed_on,
        annual_interest_rate=f.rate(row.get("annual_interest_rate"), "annual_interest_rate"),
    )


def parse_installment(row: dict[str, Cell]) -> InstallmentRecord:
    return InstallmentRecord(
        account_number=f.required_text(row.get("account_number"), "account_number", max_length=64),
        number=f.required_integer(row.get("number"), "number", minimum=1),
        due_date=f.required_day(row.get("due_date"), "due_date"),
        principal=f.required_amount(row.get("principal"), "principal"),
        interest=f.required_amount(row.get("interest"), "interest"),
    )


def parse_payment(row: dict[str, Cell]) -> PaymentRecord:
    return PaymentRecord(
        account_number=f.required_text(row.get("account_number"), "account_number", max_length=64),
        reference=f.required_text(row.get("reference"), "reference", max_length=64),
        value_date=f.required_day(row.get("value_date"), "value_date"),
        amount=f.required_amount(row.get("amount"), "amount", positive=True),
        channel=f.text(row.get("channel"), "channel", max_length=40),
    )


def parse_contact(row: dict[str, Cell]) -> ContactRecord:
    party = f.choice(row.get("party"), "party", Party, required=True)
    channel = f.choice(row.get("channel"), "channel", Channel, required=True)
    assert party is not None and channel is not None
    name = f.text(row.get("name"), "name", max_length=100)
    relation = f.choice(row.get("relation"), "relation", Relation)
    if party is Party.THIRD_PARTY:
        if name is None:
            raise RowError("name", "is required for a third party", row.get("name"))
        if relation is None:
            raise RowError("relation", "is required for a third party", row.get("relation"))
    raw_value = row.get("value")
    if channel is Channel.PHONE:
        value = f.phone(raw_value, "value")
    elif channel is Channel.EMAIL:
        value = f.email(raw_value, "value")
    else:
        value = f.required_text(raw_value, "value", max_length=300)
    return ContactRecord(
        borrower_external_id=f.required_text(row.get("borrower_external_id"), "borrower_external_id", max_length=64),
        party=party,
        name=name if party is Party.THIRD_PARTY else None,
        relation=relation if party is Party.THIRD_PARTY else None,
        knows_about_loan=f.boolean(row.get("knows_about_loan"), "knows_about_loan"),
        channel=channel,
        label=f.choice(row.get("label"), "label", ContactLabel),
        value=value,
    )


@dataclass(frozen=True)
class Schema:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    parse: Callable[[dict[str, Cell]], Any]

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional


SCHEMAS: dict[Kind, Schema] = {
    Kind.BORROWERS: Schema(
        required=("external_id", "name"),
        optional=(
            "resident_id",
            "gender",
            "birth_date",
            "marital_status",
            "children",
            "owns_home",
            "is_local",
            "employer",
            "monthly_income",
            "education",
            "address",
            "timezone",
        ),
        parse=parse_borrower,
    ),
    Kind.LOANS: Schema(
        required=(
            "account_number",
            "borrower_external_id",
            "product_code",
            "principal",
            "contract_date",
            "disbursed_on",
        ),
        optional=("annual_interest_rate",),
        parse=parse_loan,
    ),
    Kind.INSTALLMENTS: Schema(
        required=("account_number", "number", "due_date", "principal", "interest"),
        optional=(),
        parse=parse_installment,
    ),
    Kind.PAYMENTS: Schema(
        required=("account_number", "reference", "value_date", "amount"),
        optional=("channel",),
        parse=parse_payment,
    ),
    Kind.CONTACTS: Schema(
        required=("borrower_external_id", "party", "channel", "value"),
        optional=("name", "relation", "knows_about_loan", "label"),
        parse=parse_contact,
    ),
}
