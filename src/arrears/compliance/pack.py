"""Rule packs: the versioned data that says what the guard enforces in a jurisdiction.

A pack is a YAML file in ``compliance/packs/`` (``cn`` is the default, ``us``
follows Regulation F). A tenant picks a pack and may add overrides that only
tighten it: a lower limit, a shorter calling window, an extra rule. Anything
that would loosen the pack is refused, naming the rule and the field.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from arrears.compliance.rules import AnyRule
from arrears.errors import InvalidInput, NotFound

PACKS = ("cn", "us")
DEFAULT_PACK = "cn"


class RulePack(BaseModel):
    """One jurisdiction's rules, in the order the guard reports them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    version: str = Field(min_length=1)
    title: str
    effective_from: date
    retention_years: int = Field(ge=1, description="contact records and audit kept at least this long")
    complaint_sla_days: int = Field(default=15, ge=1, description="days to resolve a complaint")
    rules: tuple[AnyRule, ...]

    @model_validator(mode="after")
    def _rule_ids_are_unique(self) -> RulePack:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id '{rule.id}' appears twice")
            seen.add(rule.id)
        return self

    def rule(self, rule_id: str) -> AnyRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise NotFound(f"pack '{self.id}' has no rule '{rule_id}'", hint=f"rules: {', '.join(self.rule_ids)}")

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.rules]


class PackOverrides(BaseModel):
    """A tenant's tightening of a pack: changed parameters per rule id, extra rules, longer retention."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)
    add: tuple[AnyRule, ...] = ()
    retention_years: int | None = Field(default=None, ge=1)
    complaint_sla_days: int | None = Field(default=None, ge=1)

    def fingerprint(self) -> str:
        """A short digest that versions the tenant's effective pack."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


_RULE_ADAPTER: TypeAdapter[AnyRule] = TypeAdapter(AnyRule)


def describe(error: ValidationError) -> str:
    """The first problem of a validation error, as 'where: what'."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "top level"
    return f"{where}: {first['msg']}"


def parse_pack(data: Any, *, where: str) -> RulePack:
    try:
        return RulePack.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(f"invalid rule pack: {describe(error)}", where=where) from None


@cache
def load_pack(pack_id: str) -> RulePack:
    """A bundled pack by id ('cn', 'us')."""
    if pack_id not in PACKS:
        raise InvalidInput(f"unknown rule pack '{pack_id}'", hint=f"choose one of: {', '.join(PACKS)}")
    text = resources.files("arrears.compliance.packs").joinpath(f"{pack_id}.yaml").read_text(encoding="utf-8")
    return parse_pack(yaml.safe_load(text), where=f"packs/{pack_id}.yaml")


def tighten(pack: RulePack, overrides: PackOverrides) -> RulePack:
    """``pack`` with a tenant's overrides applied; refuses any override that would loosen it."""
    rules = []
    for rule in pack.rules:
        changes = overrides.rules.get(rule.id)
        if changes is None:
            rules.append(rule)
            continue
        merged = _merge_rule(rule, changes)
        loosened = rule.loosened_in(merged)
        if loosened:
            raise InvalidInput(
                f"override of rule '{rule.id}' would loosen {', '.join(loosened)}",
                where="compliance overrides",
                hint="a tenant may only tighten its pack",
            )
        rules.append(merged)
    unknown = set(overrides.rules) - set(pack.rule_ids)
    if unknown:
        raise InvalidInput(
            f"override names rules the pack does not have: {', '.join(sorted(unknown))}",
            where="compliance overrides",
            hint=f"rules of '{pack.id}': {', '.join(pack.rule_ids)}; use 'add' for new rules",
        )
    retention = overrides.retention_years or pack.retention_years
    if retention < pack.retention_years:
        raise InvalidInput(
            f"retention of {retention} years is shorter than the pack's {pack.retention_years}",
            where="compliance overrides",
            hint="a tenant may only keep records longer",
        )
    sla = overrides.complaint_sla_days or pack.complaint_sla_days
    if sla > pack.complaint_sla_days:
        raise InvalidInput(
            f"a complaint deadline of {sla} days is longer than the pack's {pack.complaint_sla_days}",
            where="compliance overrides",
            hint="a tenant may only answer complaints sooner",
        )
    data = {
        **pack.model_dump(exclude={"rules"}),
        "version": f"{pack.version}+{overrides.fingerprint()}",
        "retention_years": retention,
        "complaint_sla_days": sla,
    }
    return parse_pack({**data, "rules": [*rules, *overrides.add]}, where="compliance overrides")


def _merge_rule(rule: AnyRule, changes: dict[str, Any]) -> AnyRule:
    if ("id" in changes and changes["id"] != rule.id) or ("kind" in changes and changes["kind"] != rule.kind):
        raise InvalidInput(f"override of rule '{rule.id}' may not change its id or kind", where="compliance overrides")
    try:
        return _RULE_ADAPTER.validate_python({**rule.model_dump(), **changes})
    except ValidationError as error:
        raise InvalidInput(
            f"invalid override of rule '{rule.id}': {describe(error)}", where="compliance overrides"
        ) from None
