"""The authority matrix (审批权限矩阵) as data: who may approve which plan, by role, product and amount.

The matrix ships as ``authority.yaml`` beside this module, versioned and validated
when loaded: a mistake in it is one line naming the rule and field, never a
traceback and never a silently wider limit. :func:`decide` is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from arrears.errors import ConfigurationError
from arrears.money import check_currency
from arrears.org.enums import Role
from arrears.settlement.enums import PlanKind
from arrears.settlement.options import MAX_PERIODS, Waivers

SHIPPED = Path(__file__).with_name("authority.yaml")


class AuthorityRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=40)
    role: Role
    products: tuple[str, ...] = ("*",)
    kinds: tuple[PlanKind, ...] = tuple(PlanKind)
    max_periods: int = Field(ge=1, le=MAX_PERIODS)
    waive_charges_up_to: Decimal = Field(ge=0)
    waive_interest_up_to: Decimal = Field(ge=0)
    waive_principal_up_to: Decimal = Field(ge=0)

    @field_validator("role")
    @classmethod
    def _not_a_collector(cls, value: Role) -> Role:
        if value is Role.COLLECTOR:
            raise ValueError("collectors propose plans and may never approve them")
        return value

    @field_validator("waive_charges_up_to", "waive_interest_up_to", "waive_principal_up_to", mode="before")
    @classmethod
    def _amount_as_text(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError('write amounts in quotes, e.g. "2000.00", so no float rounding creeps in')
        return value

    def covers_product(self, product_code: str) -> bool:
        return "*" in self.products or product_code in self.products


class AuthorityMatrix(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    currency: str = "CNY"
    rules: tuple[AuthorityRule, ...] = Field(min_length=1)

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return check_currency(value)

    @model_validator(mode="after")
    def _unique_ids(self) -> AuthorityMatrix:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id '{rule.id}' appears twice")
            seen.add(rule.id)
        return self


@dataclass(frozen=True)
class AuthorityDecision:
    allowed: bool
    rule: str | None
    reason: str

    @property
    def label(self) -> str:
        return f"authority v{self.version}:{self.rule}" if self.rule else ""

    version: int = 0


def parse(text: str, *, source: str) -> AuthorityMatrix:
    """The matrix in ``text``; a mistake is a ConfigurationError naming the rule and field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{source}: the matrix must be a mapping with version, currency and rules")
    try:
        return AuthorityMatrix.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "(matrix)"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigurationError(f"{source}: {location}: {message}", hint="fix the authority matrix") from None


def load(path: Path) -> AuthorityMatrix:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the authority matrix {path}: {exc.strerror}") from None
    return parse(text, source=path.name)


@lru_cache(maxsize=1)
def shipped() -> AuthorityMatrix:
    """The matrix that ships with Arrears."""
    return load(SHIPPED)


def decide(
    matrix: AuthorityMatrix, *, role: Role | None, product_code: str, kind: PlanKind, periods: int, waivers: Waivers
) -> AuthorityDecision:
    """Whether a person of ``role`` may approve this plan, and the first rule that lets them."""
    if role is None:
        return AuthorityDecision(False, None, "approving a plan needs a person with a role, not an API token")
    candidates = [rule for rule in matrix.rules if rule.role is role and rule.covers_product(product_code)]
    if not candidates:
        return AuthorityDecision(False, None, f"the role {role.value} may not approve plans on product {product_code}")
    refusals = []
    for rule in candidates:
        why = _exceeds(rule, kind, periods, waivers)
        if why is None:
            return AuthorityDecision(True, rule.id, f"within rule {rule.id}", version=matrix.version)
        refusals.append(f"{why} (rule {rule.id})")
    return AuthorityDecision(False, None, "; ".join(refusals), version=matrix.version)


def _exceeds(rule: AuthorityRule, kind: PlanKind, periods: int, waivers: Waivers) -> str | None:
    if kind not in rule.kinds:
        return f"{kind.value} plans are outside the {rule.role.value} limit"
    if periods > rule.max_periods:
        return f"{periods} periods exceed the {rule.role.value} limit of {rule.max_periods}"
    for name, asked, limit in (
        ("charges", waivers.charges, rule.waive_charges_up_to),
        ("interest", waivers.interest, rule.waive_interest_up_to),
        ("principal", waivers.principal, rule.waive_principal_up_to),
    ):
        if asked > limit:
            return f"waiving {asked} of {name} exceeds the {rule.role.value} limit of {limit}"
    return None
