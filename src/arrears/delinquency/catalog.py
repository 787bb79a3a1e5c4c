"""Loading a product definition file: rules, bucket set and code in one validated YAML document.

Example (docs/examples/product-cash12.yaml)::

    code: CASH12
    name: 12-month cash loan
    effective_from: 2026-01-01
    bucket_set:
      name: standard
      buckets:
        - {name: M1, min_dpd: 1, max_dpd: 30}
        - {name: M2+, min_dpd: 31}
    rules:
      currency: CNY
      charges: {penalty_annual_rate: "0.18", grace_days: 3}
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from arrears.delinquency.buckets import BucketSet
from arrears.delinquency.quote import describe_validation_error
from arrears.delinquency.service import upsert_bucket_set
from arrears.errors import InvalidInput
from arrears.files import read_text
from arrears.ledger import service as products
from arrears.ledger.models import Product, ProductRuleVersion
from arrears.ledger.rules import ProductRules


class ProductFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    effective_from: date
    bucket_set: BucketSet | None = None
    rules: ProductRules = ProductRules()


def read_product_file(path: Path) -> ProductFile:
    text = read_text(path, what="a product YAML file")
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InvalidInput(f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where) from None
    if not isinstance(raw, dict):
        raise InvalidInput("a product file must be a mapping with code, name, effective_from, rules", where=str(path))
    try:
        return ProductFile.model_validate(raw)
    except ValidationError as exc:
        raise describe_validation_error(exc, source=str(path)) from None


def load_product(
    *, db_session: Session, tenant_id: int, product_file: ProductFile
) -> tuple[Product, ProductRuleVersion]:
    """Create or update the product; a changed rule set becomes a new version. Does not commit."""
    bucket_set_id = None
    if product_file.bucket_set is not None:
        bucket_set_id = upsert_bucket_set(
            db_session=db_session, tenant_id=tenant_id, bucket_set=product_file.bucket_set
        ).id
    return products.upsert(
        db_session=db_session,
        tenant_id=tenant_id,
        code=product_file.code,
        name=product_file.name,
        rules=product_file.rules,
        effective_from=product_file.effective_from,
        bucket_set_id=bucket_set_id,
    )
