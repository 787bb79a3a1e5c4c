"""Deciding a case's state: first matching state, then at most one escalation step. Pure, no I/O.

The decision keeps its reasons: every state tried before the winner with the
conditions that failed (field, expected, actual), and the escalation that fired,
so ``arrears policy explain`` can say why a case gets what it gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from arrears.strategy.enums import ThirdPartyUse, Timing, Treatment
from arrears.strategy.facts import CaseFacts
from arrears.strategy.policy import Conditions, Policy, PromiseCondition, State, TreatmentPlan


@dataclass(frozen=True, slots=True)
class ConditionFailure:
    """One condition of a state the case did not meet."""

    field: str
    expected: str
    actual: str


@dataclass(frozen=True, slots=True)
class StateCheck:
    """One state tried in order: the conditions that failed (none for the winner)."""

    state: str
    failures: tuple[ConditionFailure, ...]

    @property
    def matched(self) -> bool:
        return not self.failures


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """An escalation that moved the case up: why, from where, to where."""

    trigger: str  # "broken_promise" or "failed_attempts"
    from_state: str
    to_state: str
    actual: int
    threshold: int


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    policy_code: str
    policy_version: int
    case_id: int
    as_of: str
    state: State
    matched_state: str
    checks: tuple[StateCheck, ...]
    escalation: EscalationStep | None
    fallback: bool
    previous_state: str | None

    @property
    def name(self) -> str:
        return self.state.name

    @property
    def stage(self) -> int:
        return self.state.stage

    @property
    def treatments(self) -> tuple[TreatmentPlan, ...]:
        return self.state.treatments

    @property
    def third_parties(self) -> ThirdPartyUse:
        return self.state.third_parties

    @property
    def rule(self) -> str:
        """The rule that produced the decision, as a short stable text."""
        where = f"{self.policy_code} v{self.policy_version}"
        step = self.escalation
        if step is not None:
            return f"{where} escalation {step.from_state}->{step.to_state} ({step.trigger})"
        if self.fallback:
            return f"{where} no state matched: clear state '{self.state.name}'"
        return f"{where} state '{self.state.name}'"

    @property
    def changed(self) -> bool:
        return self.previous_state is not None and self.previous_state != self.state.name

    def as_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy_code,
            "version": self.policy_version,
            "case_id": self.case_id,
            "as_of": self.as_of,
            "state": self.state.name,
            "stage": self.state.stage,
            "label": self.state.label.model_dump(),
            "rule": self.rule,
            "matched_state": self.matched_state,
            "fallback": self.fallback,
            "previous_state": self.previous_state,
            "owner": self.state.owner,
            "third_parties": self.state.third_parties.value,
            "treatments": [plan.model_dump(mode="json") for plan in self.state.treatments],
            "tried": [
                {
                    "state": check.state,
                    "matched": check.matched,
                    "failed": [{"field": f.field, "expected": f.expected, "actual": f.actual} for f in check.failures],
                }
                for check in self.checks
            ],
            "escalation": None
            if self.escalation is None
            else {
                "trigger": self.escalation.trigger,
                "from": self.escalation.from_state,
                "to": self.escalation.to_state,
                "actual": self.escalation.actual,
                "threshold": self.escalation.threshold,
            },
        }


def evaluate(policy: Policy, facts: CaseFacts, *, previous_state: str | None = None) -> PolicyDecision:
    """The state of the case described by ``facts`` under ``policy``.

    The first state whose conditions all hold wins; when none does the clear state
    applies and the decision says so. Then the winner's escalation may move the case
    up one step (never down). ``previous_state`` does not change the outcome: there is
    no stickiness besides escalation; it is carried so explanations can say "moved".
    """
    checks: list[StateCheck] = []
    winner: State | None = None
    for state in policy.states:
        check = StateCheck(state=state.name, failures=tuple(failures(state.when, facts)))
        checks.append(check)
        if check.matched:
            winner = state
            break
    fallback = winner is None
    matched = winner or policy.clear_state
    step = _escalation(policy, matched, facts)
    final = policy.state(step.to_state) if step else matched
    return PolicyDecision(
        policy_code=policy.code,
        policy_version=policy.version,
        case_id=facts.case_id,
        as_of=facts.as_of.isoformat(),
        state=final,
        matched_state=matched.name,
        checks=tuple(checks),
        escalation=step,
        fallback=fallback,
        previous_state=previous_state,
    )


def _escalation(policy: Policy, state: State, facts: CaseFacts) -> EscalationStep | None:
    """The escalation that fires from ``state``, the higher target when both do; none moves a case down."""
    rules = state.escalation
    if rules is None:
        return None
    candidates: list[EscalationStep] = []
    if rules.on_broken_promise is not None and facts.broken_promises >= 1:
        candidates.append(
            EscalationStep("broken_promise", state.name, rules.on_broken_promise, facts.broken_promises, 1)
        )
    attempts = rules.after_failed_attempts
    if attempts is not None and facts.failed_attempts >= attempts.count:
        candidates.append(
            EscalationStep("failed_attempts", state.name, attempts.to, facts.failed_attempts, attempts.count)
        )
    upward = [step for step in candidates if policy.state(step.to_state).stage > state.stage]
    if not upward:
        return None
    return max(upward, key=lambda step: policy.state(step.to_state).stage)  # first of equals: the broken promise


Check = Callable[[Any, CaseFacts], tuple[bool, str]]


def _text(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset | set | tuple | list):
        return ", ".join(sorted(str(item) for item in value)) or "none"
    return str(value)


def _at_least(actual: Any, bound: Any) -> tuple[bool, str]:
    return actual is not None and actual >= bound, _text(actual)


def _at_most(actual: Any, bound: Any) -> tuple[bool, str]:
    return actual is not None and actual <= bound, _text(actual)


def _one_of(actual: Any, allowed: tuple[Any, ...]) -> tuple[bool, str]:
    return actual is not None and actual in allowed, _text(actual)


def _promise(expected: PromiseCondition, facts: CaseFacts) -> tuple[bool, str]:
    actual = "due_today" if facts.promise_due_today else "open" if facts.promise_open else "none"
    holds = {
        PromiseCondition.OPEN: facts.promise_open,
        PromiseCondition.DUE_TODAY: facts.promise_due_today,
        PromiseCondition.NONE: not facts.promise_open,
    }[expected]
    return holds, actual


CHECKS: dict[str, Check] = {
    "dpd_at_least": lambda bound, f: _at_least(f.days_past_due, bound),
    "dpd_at_most": lambda bound, f: _at_most(f.days_past_due, bound),
    "buckets": lambda allowed, f: _one_of(f.bucket, allowed),
    "overdue_at_least": lambda bound, f: _at_least(f.overdue_total, bound),
    "overdue_at_most": lambda bound, f: _at_most(f.overdue_total, bound),
    "balance_at_least": lambda bound, f: _at_least(f.balance, bound),
    "balance_at_most": lambda bound, f: _at_most(f.balance, bound),
    "quadrants": lambda allowed, f: _one_of(f.quadrant, allowed),
    "personas": lambda allowed, f: _one_of(f.persona, allowed),
    "reasons": lambda allowed, f: _one_of(f.reason, allowed),
    "holds_any": lambda wanted, f: (bool(f.active_holds & set(wanted)), _text(f.active_holds)),
    "no_holds": lambda wanted, f: (not f.active_holds if wanted else bool(f.active_holds), _text(f.active_holds)),
    "promise": _promise,
    "broken_promises_at_least": lambda bound, f: _at_least(f.broken_promises, bound),
    "last_outcomes": lambda allowed, f: _one_of(f.last_outcome, allowed),
    "failed_attempts_at_least": lambda bound, f: _at_least(f.failed_attempts, bound),
    "habitual_late": lambda wanted, f: (f.habitual_late is wanted, _text(f.habitual_late)),
    "propensity_at_least": lambda bound, f: _at_least(f.propensity, bound),
    "propensity_at_most": lambda bound, f: _at_most(f.propensity, bound),
    "products": lambda allowed, f: (bool(f.product_codes & set(allowed)), _text(f.product_codes)),
}
"""One check per condition field: (does it hold, the case's value as text)."""


def expected_text(field: str, value: Any) -> str:
    """A condition's expectation in a neutral notation (≥ 6, ≤ 0, one of a, b, yes)."""
    if field == "no_holds":
        return "no active hold" if value else "an active hold"
    if field.endswith("_at_least"):
        return f"≥ {value}"
    if field.endswith("_at_most"):
        return f"≤ {value}"
    if isinstance(value, tuple):
        return "one of " + ", ".join(str(item) for item in value)
    if isinstance(value, Decimal):
        return str(value)
    return _text(value)


def failures(when: Conditions, facts: CaseFacts) -> list[ConditionFailure]:
    """Every condition of ``when`` that ``facts`` do not meet (empty: the state matches)."""
    failed: list[ConditionFailure] = []
    for field, expected in when.given().items():
        holds, actual = CHECKS[field](expected, facts)
        if not holds:
            failed.append(ConditionFailure(field=field, expected=expected_text(field, expected), actual=actual))
    return failed


_TREATMENTS: dict[Treatment, tuple[str, str]] = {
    Treatment.SMS_REMINDER: ("短信提醒", "SMS reminder"),
    Treatment.EMAIL_REMINDER: ("邮件提醒", "email reminder"),
    Treatment.CALL: ("电话催收", "call"),
    Treatment.LETTER: ("催收函", "formal letter"),
    Treatment.VISIT: ("上门", "visit"),
    Treatment.AGENCY_PLACEMENT: ("委外", "outside agency placement"),
    Treatment.LEGAL_REFERRAL: ("转法务", "legal referral"),
}

_TIMINGS: dict[Timing, tuple[str, str]] = {
    Timing.FIRST_PASS: ("第一轮（10:00 前）", "first pass (before 10:00)"),
    Timing.SECOND_PASS: ("第二轮（约 14:30）", "second pass (about 14:30)"),
    Timing.PROMISE_RECHECK: ("承诺复核（16:00 前）", "promise re-check (before 16:00)"),
    Timing.ANY_TIME: ("当日任意时段", "any time of the day"),
}

_THIRD_PARTIES: dict[ThirdPartyUse, tuple[str, str]] = {
    ThirdPartyUse.NEVER: ("不联系第三方", "no third parties"),
    ThirdPartyUse.WHEN_UNREACHABLE: (
        "仅在债务人失联时联系第三方以查找其下落，不得透露债务",
        "third parties only to locate a debtor who cannot be reached, never telling them of the debt",
    ),
    ThirdPartyUse.GUARANTOR_ONLY: ("仅联系担保人", "the guarantor only"),
}

_TRIGGERS: dict[str, tuple[str, str]] = {
    "broken_promise": ("30 天内有 {actual} 次毁约", "{actual} broken promise(s) in the last 30 days"),
    "failed_attempts": (
        "连续 {actual} 次未联系上（阈值 {threshold}）",
        "{actual} attempts in a row without reaching the debtor (threshold {threshold})",
    ),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def explain_text(decision: PolicyDecision, lang: str = "en") -> str:
    """The decision as lines a team lead can read, in ``zh`` (zh-CN) or ``en``."""
    zh = lang == "zh"
    state = decision.state
    code, version = decision.policy_code, decision.policy_version
    lines = [
        (
            f"案件 {decision.case_id}（{decision.as_of}）：策略 {code} 第 {version} 版，"
            f"状态 {state.name}「{state.label.zh}」，阶段 {state.stage}"
            if zh
            else f"Case {decision.case_id} on {decision.as_of}: policy {code} v{version}, "
            f"state {state.name} ({state.label.en}), stage {state.stage}"
        ),
        "依次检查的状态：" if zh else "States tried in order:",
    ]
    for number, check in enumerate(decision.checks, start=1):
        if check.matched:
            lines.append(f"  {number}. {check.state}: " + ("全部条件满足" if zh else "all conditions hold"))
            continue
        reasons = "; ".join(
            f"{f.field} {'应为' if zh else 'wants'} {f.expected}, {'实际' if zh else 'is'} {f.actual}"
            for f in check.failures
        )
        lines.append(f"  {number}. {check.state}: {reasons}")
    if decision.fallback:
        lines.append(
            "  没有状态匹配，按结清状态处理（请检查策略是否覆盖此类案件）"
            if zh
            else "  no state matched: the clear state applies (check that the policy covers such cases)"
        )
    step = decision.escalation
    if step is not None:
        why = _pick(_TRIGGERS[step.trigger], lang).format(actual=step.actual, threshold=step.threshold)
        lines.append(
            f"升级：{why}，由 {step.from_state} 升至 {step.to_state}"
            if zh
            else f"Escalation: {why}, moved up from {step.from_state} to {step.to_state}"
        )
    if decision.changed:
        lines.append(
            f"状态变化：{decision.previous_state} → {state.name}"
            if zh
            else f"Changed from {decision.previous_state} to {state.name}"
        )
    if state.owner:
        lines.append(f"负责团队：{state.owner}" if zh else f"Owner: {state.owner}")
    lines.append("措施：" if zh else "Treatments:")
    if not state.treatments:
        lines.append("  无（暂停）" if zh else "  none (paused)")
    for plan in state.treatments:
        lines.append("  - " + _plan_text(plan, lang))
    lines.append(("第三方：" if zh else "Third parties: ") + _pick(_THIRD_PARTIES[state.third_parties], lang))
    return "\n".join(lines)


def _plan_text(plan: TreatmentPlan, lang: str) -> str:
    zh = lang == "zh"
    parts = [_pick(_TREATMENTS[plan.treatment], lang), _pick(_TIMINGS[plan.timing], lang)]
    if plan.phone_order:
        parts.append(("拨打顺序 " if zh else "order ") + " → ".join(target.value for target in plan.phone_order))
    if plan.every_days > 1:
        parts.append(f"每 {plan.every_days} 天一次" if zh else f"every {plan.every_days} days")
    if plan.template:
        parts.append(("模板 " if zh else "template ") + plan.template)
    return ("，" if zh else ", ").join(parts)
