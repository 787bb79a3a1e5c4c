"""Policies on the database: versions stored by checksum, the active one per code, explaining a case. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.cases.models import Case
from arrears.errors import ConfigurationError, Conflict, NotFound
from arrears.org.models import Tenant
from arrears.strategy import policy as policies
from arrears.strategy.enums import Arm
from arrears.strategy.evaluate import PolicyDecision, evaluate
from arrears.strategy.experiment import assign_arm, experiment_name
from arrears.strategy.facts import CaseFacts, load_case_facts
from arrears.strategy.models import StrategyPolicy
from arrears.strategy.policy import ALL_PRODUCTS, SAMPLE_POLICY, Policy


def load_policy_file(path: Path) -> Policy:
    """A validated policy from a YAML file (one-line errors naming the line)."""
    return policies.load_policy_file(path)


def policy_of(row: StrategyPolicy) -> Policy:
    """The policy a stored version holds, validated again (the schema may have tightened since)."""
    return Policy.model_validate(row.document)


def get_active(*, db_session: Session, tenant_id: int, code: str) -> StrategyPolicy | None:
    """The version of policy ``code`` the tenant uses now, if it loaded one."""
    return db_session.scalar(
        select(StrategyPolicy)
        .where(StrategyPolicy.tenant_id == tenant_id, StrategyPolicy.code == code, StrategyPolicy.active.is_(True))
        .order_by(StrategyPolicy.version.desc())
        .limit(1)
    )


def get_all_active(*, db_session: Session, tenant_id: int) -> list[StrategyPolicy]:
    stmt = (
        select(StrategyPolicy)
        .where(StrategyPolicy.tenant_id == tenant_id, StrategyPolicy.active.is_(True))
        .order_by(StrategyPolicy.code)
    )
    return list(db_session.scalars(stmt))


def store_policy(*, db_session: Session, tenant_id: int, policy: Policy, actor: str) -> StrategyPolicy:
    """Store ``policy`` as the tenant's active version of its code; the same content again adds nothing.

    A changed document must carry a higher ``version`` than any stored one, so a
    version number always means one content. A champion's challenger must be
    loaded first, so the split can never point at a missing policy.
    """
    checksum = policy.checksum()
    latest = db_session.scalar(
        select(StrategyPolicy)
        .where(StrategyPolicy.tenant_id == tenant_id, StrategyPolicy.code == policy.code)
        .order_by(StrategyPolicy.version.desc())
        .limit(1)
    )
    if latest is not None and latest.checksum == checksum and latest.version == policy.version:
        return latest
    if latest is not None and policy.version <= latest.version:
        problem = (
            "is already loaded with other content"
            if policy.version == latest.version
            else f"is older than the stored version {latest.version}"
        )
        raise Conflict(
            f"policy {policy.code} version {policy.version} {problem}",
            hint=f"set version: {latest.version + 1} in the file to load the change",
        )
    if (
        policy.challenger is not None
        and get_active(db_session=db_session, tenant_id=tenant_id, code=policy.challenger.code) is None
    ):
        raise Conflict(
            f"policy {policy.code} names challenger {policy.challenger.code}, which this tenant has not loaded",
            hint="load the challenger's file first",
        )
    for row in get_all_active(db_session=db_session, tenant_id=tenant_id):
        if row.code == policy.code:
            row.active = False
    row = StrategyPolicy(
        tenant_id=tenant_id,
        code=policy.code,
        version=policy.version,
        effective_from=policy.effective_from,
        document=policy.document(),
        checksum=checksum,
        active=True,
        loaded_by=actor,
    )
    db_session.add(row)
    db_session.flush()
    audit.record(
        db_session=db_session,
        actor=actor,
        action="strategy.policy_loaded",
        subject_type="strategy_policy",
        subject_id=row.id,
        tenant_id=tenant_id,
        details={
            "code": policy.code,
            "version": policy.version,
            "checksum": checksum,
            "replaced_version": latest.version if latest is not None else None,
        },
    )
    return row


def count_versions(*, db_session: Session, tenant_id: int, code: str) -> int:
    return (
        db_session.scalar(
            select(func.count())
            .select_from(StrategyPolicy)
            .where(StrategyPolicy.tenant_id == tenant_id, StrategyPolicy.code == code)
        )
        or 0
    )


@dataclass(frozen=True, slots=True)
class ChosenPolicy:
    """The policy that governs a case and where it came from ("tenant" or "bundled")."""

    policy: Policy
    source: str


@dataclass(frozen=True, slots=True)
class CaseExplanation:
    """Everything ``arrears policy explain`` shows: the facts, the arm, the decision, and notes."""

    tenant_code: str
    facts: CaseFacts
    champion: ChosenPolicy
    arm: Arm
    experiment: str | None
    decision: PolicyDecision
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant_code,
            "source": self.champion.source,
            "champion": self.champion.policy.code,
            "arm": self.arm.value,
            "experiment": self.experiment,
            "facts": facts_json(self.facts),
            "decision": self.decision.as_json(),
            "notes": self.notes,
        }


def facts_json(facts: CaseFacts) -> dict[str, Any]:
    """The facts the decision was made on, JSON-ready (amounts as strings)."""
    return {
        "case_id": facts.case_id,
        "as_of": facts.as_of.isoformat(),
        "days_past_due": facts.days_past_due,
        "bucket": facts.bucket,
        "overdue_total": str(facts.overdue_total),
        "balance": str(facts.balance),
        "products": sorted(facts.product_codes),
        "quadrant": facts.quadrant.value if facts.quadrant else None,
        "persona": facts.persona,
        "reason": facts.reason,
        "propensity": str(facts.propensity) if facts.propensity is not None else None,
        "holds": sorted(hold.value for hold in facts.active_holds),
        "promise_open": facts.promise_open,
        "promise_due_today": facts.promise_due_today,
        "broken_promises": facts.broken_promises,
        "last_outcome": facts.last_outcome.value if facts.last_outcome else None,
        "failed_attempts": facts.failed_attempts,
        "habitual_late": facts.habitual_late,
    }


def choose_policy(
    *, db_session: Session, tenant_id: int, product_codes: frozenset[str], code: str | None = None
) -> ChosenPolicy:
    """The tenant's active policy for a case's products; the bundled sample when the tenant has loaded none.

    A policy naming one of the case's products is preferred to one for every
    product ("*"); two candidates at the same level are ambiguous and refused.
    """
    if code is not None:
        row = get_active(db_session=db_session, tenant_id=tenant_id, code=code)
        if row is None:
            raise NotFound(f"this tenant has no active policy '{code}'", hint="load it with `arrears policy load`")
        return ChosenPolicy(policy_of(row), "tenant")
    active = [policy_of(row) for row in get_all_active(db_session=db_session, tenant_id=tenant_id)]
    if not active:
        return ChosenPolicy(policies.bundled_policy(SAMPLE_POLICY), "bundled")
    return ChosenPolicy(pick_champion(active, product_codes), "tenant")


def pick_champion(active: Sequence[Policy], product_codes: frozenset[str]) -> Policy:
    """Among active policies, the champion that governs a case with these products (pure; the run uses it too).

    A policy naming one of the case's products is preferred to one for every
    product ("*"); two candidates at the same level are ambiguous and refused.
    """
    challengers = {policy.challenger.code for policy in active if policy.challenger is not None}
    champions = [policy for policy in active if policy.code not in challengers]
    specific = [policy for policy in champions if product_codes & set(policy.products)]
    general = [policy for policy in champions if ALL_PRODUCTS in policy.products]
    candidates = specific or general
    if not candidates:
        raise NotFound(
            f"no active policy covers the products {', '.join(sorted(product_codes)) or '(none)'}",
            hint="load a policy for these products or one with products: ['*']",
        )
    if len(candidates) > 1:
        raise Conflict(
            f"several policies could govern this case: {', '.join(p.code for p in candidates)}",
            hint="name one with --policy",
        )
    return candidates[0]


def _challenger_policy(*, db_session: Session, tenant_id: int, chosen: ChosenPolicy, code: str) -> Policy:
    if chosen.source == "bundled":
        return policies.bundled_policy(code)
    row = get_active(db_session=db_session, tenant_id=tenant_id, code=code)
    if row is None:
        raise ConfigurationError(
            f"policy {chosen.policy.code} names challenger {code}, which is not active",
            hint="load the challenger with `arrears policy load`",
        )
    return policy_of(row)


def explain_case(
    *,
    db_session: Session,
    case_id: int,
    as_of: date,
    tenant_code: str | None = None,
    policy_code: str | None = None,
) -> CaseExplanation:
    """Why a case is in its state on ``as_of``: its facts, its arm, and the policy's decision."""
    case = db_session.get(Case, case_id)
    tenant = db_session.get(Tenant, case.tenant_id) if case is not None else None
    if case is None or tenant is None or (tenant_code is not None and tenant.code != tenant_code):
        raise NotFound(
            f"no case {case_id}" + (f" for tenant {tenant_code}" if tenant_code else ""), hint="check the case id"
        )
    facts = load_case_facts(db_session=db_session, case_id=case_id, as_of=as_of)
    chosen = choose_policy(
        db_session=db_session, tenant_id=tenant.id, product_codes=facts.product_codes, code=policy_code
    )
    notes: list[str] = []
    if chosen.source == "bundled":
        notes.append(f"tenant {tenant.code} has loaded no policy: using the bundled sample {SAMPLE_POLICY}")
    experiment = experiment_name(chosen.policy)
    arm = Arm.CHAMPION
    governing = chosen.policy
    challenger = chosen.policy.challenger
    if challenger is not None and experiment is not None:
        arm = assign_arm(case_id, experiment, challenger.share)
        if arm is Arm.CHALLENGER:
            governing = _challenger_policy(
                db_session=db_session, tenant_id=tenant.id, chosen=chosen, code=challenger.code
            )
    if as_of < governing.effective_from:
        notes.append(f"policy {governing.code} takes effect on {governing.effective_from}, after {as_of}")
    decision = evaluate(governing, facts)
    return CaseExplanation(
        tenant_code=tenant.code,
        facts=facts,
        champion=chosen,
        arm=arm,
        experiment=experiment,
        decision=decision,
        notes=notes,
    )
