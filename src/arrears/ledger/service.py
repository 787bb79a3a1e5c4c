"""Reads and writes of products and their rule versions. Never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ARRAY, any_, bindparam, func, select, update
from sqlalchemy.orm import Session

from arrears.errors import InvalidInput, NotFound
from arrears.ledger.engine import Restructure, ScheduledInstallment
from arrears.ledger.models import (
    LoanPosition,
    LoanRestructure,
    Product,
    ProductRuleVersion,
    RestructuredInstallment,
)
from arrears.ledger.rules import ProductRules


def forget_windows(*, db_session: Session, loan_ids: Sequence[int]) -> None:
    """Make the next pass replay these loans: their contract changed (a schedule or the loan re-imported).

    A position's window (``LoanPosition.valid_until``) promises that nothing but the
    day changes its figures until then; the pass checks payments, holds and
    restructures itself, and relies on this for the contract.
    """
    if loan_ids:
        db_session.execute(
            update(LoanPosition).where(LoanPosition.loan_id.in_(sorted(set(loan_ids)))).values(valid_until=None)
        )


def parse_rules(raw: dict[str, Any], *, where: str) -> ProductRules:
    try:
        return ProductRules.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(rules)"
        raise InvalidInput(first["msg"].removeprefix("Value error, "), where=f"{where}: {field}") from None


def get_by_code(*, db_session: Session, tenant_id: int, code: str) -> Product:
    product = db_session.scalar(select(Product).where(Product.tenant_id == tenant_id, Product.code == code))
    if product is None:
        raise NotFound(f"no product with code '{code}'", hint="load it first with `arrears product load`")
    return product


def current_rule_version(*, db_session: Session, product_id: int, on: date | None = None) -> ProductRuleVersion:
    """The rule version in force on ``on`` (the latest when None)."""
    stmt = select(ProductRuleVersion).where(ProductRuleVersion.product_id == product_id)
    if on is not None:
        stmt = stmt.where(ProductRuleVersion.effective_from <= on)
    version = db_session.scalar(stmt.order_by(ProductRuleVersion.version.desc()).limit(1))
    if version is None:
        raise NotFound(f"product {product_id} has no rules in force on {on}")
    return version


def upsert(
    *,
    db_session: Session,
    tenant_id: int,
    code: str,
    name: str,
    rules: ProductRules,
    effective_from: date,
    bucket_set_id: int | None = None,
) -> tuple[Product, ProductRuleVersion]:
    """Create the product, or add a rule version when its rules changed. Same rules: nothing new."""
    product = db_session.scalar(select(Product).where(Product.tenant_id == tenant_id, Product.code == code))
    if product is None:
        product = Product(tenant_id=tenant_id, code=code, name=name, currency=rules.currency)
        db_session.add(product)
        db_session.flush()
    product.name = name
    product.bucket_set_id = bucket_set_id
    if product.currency != rules.currency:
        raise InvalidInput(
            f"product {code} is in {product.currency}; its rules cannot switch to {rules.currency}",
            hint="create a new product for another currency",
        )
    payload = rules.model_dump(mode="json")
    latest_number = db_session.scalar(
        select(func.max(ProductRuleVersion.version)).where(ProductRuleVersion.product_id == product.id)
    )
    if latest_number is not None:
        latest = current_rule_version(db_session=db_session, product_id=product.id)
        if latest.rules == payload:
            return product, latest
    version = ProductRuleVersion(
        product_id=product.id, version=(latest_number or 0) + 1, effective_from=effective_from, rules=payload
    )
    db_session.add(version)
    db_session.flush()
    return product, version


def _among(db_session: Session, column: Any, ids: Sequence[int]) -> Any:
    """``column IN ids``; on PostgreSQL one array parameter, not one bound parameter per id
    (the daily pass asks for the restructures of a whole chunk of loans at once)."""
    if db_session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(column.type)))
    return column.in_(ids)


def restructures_of(*, db_session: Session, loan_ids: Sequence[int]) -> dict[int, list[Restructure]]:
    """The restructures of these loans, as the engine replays them (``compute_position(restructures=...)``)."""
    if not loan_ids:
        return {}
    rows = db_session.scalars(
        select(LoanRestructure)
        .where(_among(db_session, LoanRestructure.loan_id, loan_ids))
        .order_by(LoanRestructure.effective_on)
    ).all()
    schedules: dict[int, list[ScheduledInstallment]] = defaultdict(list)
    if rows:
        stmt = (
            select(RestructuredInstallment)
            .where(_among(db_session, RestructuredInstallment.restructure_id, [row.id for row in rows]))
            .order_by(RestructuredInstallment.number)
        )
        for item in db_session.scalars(stmt):
            schedules[item.restructure_id].append(
                ScheduledInstallment(item.number, item.due_date, item.principal_due, item.interest_due)
            )
    found: dict[int, list[Restructure]] = defaultdict(list)
    for row in rows:
        found[row.loan_id].append(
            Restructure(
                effective_on=row.effective_on,
                schedule=tuple(schedules[row.id]),
                waive_charges=row.waive_charges,
                waive_interest=row.waive_interest,
                waive_principal=row.waive_principal,
                charges_frozen=row.charges_frozen,
                freeze_ends_on=row.freeze_ends_on,
            )
        )
    return dict(found)


def add_restructure(*, db_session: Session, loan_id: int, restructure: Restructure, source: str) -> LoanRestructure:
    """Write a restructure fact and its new installments (the caller audits and recomputes)."""
    row = LoanRestructure(
        loan_id=loan_id,
        effective_on=restructure.effective_on,
        waive_charges=restructure.waive_charges,
        waive_interest=restructure.waive_interest,
        waive_principal=restructure.waive_principal,
        charges_frozen=restructure.charges_frozen,
        freeze_ends_on=restructure.freeze_ends_on,
        source=source,
    )
    db_session.add(row)
    db_session.flush()
    for item in restructure.schedule:
        db_session.add(
            RestructuredInstallment(
                restructure_id=row.id,
                number=item.number,
                due_date=item.due_date,
                principal_due=item.principal,
                interest_due=item.interest,
            )
        )
    db_session.flush()
    return row
