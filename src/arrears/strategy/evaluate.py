"""Deciding a case's state: first matching state, then at most one escalation step. Pure, no I/O.

The decision keeps its reasons: every state tried before the winner with the
conditions that failed (field, expected, actual), and the escalation that fired,
so ``arrears policy explain`` can say why a case gets what it gets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import encode_basestring_ascii
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


def _at_least(bound: Any, actual: Any) -> bool:
    return actual is not None and actual >= bound


def _at_most(bound: Any, actual: Any) -> bool:
    return actual is not None and actual <= bound


def _one_of(allowed: tuple[Any, ...], actual: Any) -> bool:
    return actual is not None and actual in allowed


def _promise_value(facts: CaseFacts) -> tuple[bool, bool]:
    return facts.promise_open, facts.promise_due_today


def _promise_holds(expected: PromiseCondition, promise: tuple[bool, bool]) -> bool:
    open_, due_today = promise
    if expected is PromiseCondition.NONE:
        return not open_
    return due_today if expected is PromiseCondition.DUE_TODAY else open_


def _promise_text(promise: tuple[bool, bool]) -> str:
    open_, due_today = promise
    return "due_today" if due_today else "open" if open_ else "none"


@dataclass(frozen=True, slots=True)
class FieldCheck:
    """How one condition field is judged: the fact it reads, whether it holds, and the fact as explained."""

    value: Callable[[CaseFacts], Any]
    holds: Callable[[Any, Any], bool]  # (the condition's value, the fact) -> does it hold
    text: Callable[[Any], str] = _text


FIELDS: dict[str, FieldCheck] = {
    "dpd_at_least": FieldCheck(lambda f: f.days_past_due, _at_least),
    "dpd_at_most": FieldCheck(lambda f: f.days_past_due, _at_most),
    "buckets": FieldCheck(lambda f: f.bucket, _one_of),
    "overdue_at_least": FieldCheck(lambda f: f.overdue_total, _at_least),
    "overdue_at_most": FieldCheck(lambda f: f.overdue_total, _at_most),
    "balance_at_least": FieldCheck(lambda f: f.balance, _at_least),
    "balance_at_most": FieldCheck(lambda f: f.balance, _at_most),
    "quadrants": FieldCheck(lambda f: f.quadrant, _one_of),
    "personas": FieldCheck(lambda f: f.persona, _one_of),
    "reasons": FieldCheck(lambda f: f.reason, _one_of),
    "holds_any": FieldCheck(lambda f: f.active_holds, lambda wanted, held: bool(held & set(wanted))),
    "no_holds": FieldCheck(lambda f: f.active_holds, lambda wanted, held: not held if wanted else bool(held)),
    "promise": FieldCheck(_promise_value, _promise_holds, _promise_text),
    "broken_promises_at_least": FieldCheck(lambda f: f.broken_promises, _at_least),
    "last_outcomes": FieldCheck(lambda f: f.last_outcome, _one_of),
    "failed_attempts_at_least": FieldCheck(lambda f: f.failed_attempts, _at_least),
    "habitual_late": FieldCheck(lambda f: f.habitual_late, lambda wanted, late: late is wanted),
    "propensity_at_least": FieldCheck(lambda f: f.propensity, _at_least),
    "propensity_at_most": FieldCheck(lambda f: f.propensity, _at_most),
    "products": FieldCheck(lambda f: f.product_codes, lambda allowed, codes: bool(codes & set(allowed))),
}
"""One entry per condition field. :data:`CHECKS` and :class:`Evaluator` both judge through it, so they cannot differ."""


def _check(spec: FieldCheck) -> Check:
    def check(expected: Any, facts: CaseFacts) -> tuple[bool, str]:
        actual = spec.value(facts)
        return spec.holds(expected, actual), spec.text(actual)

    return check


CHECKS: dict[str, Check] = {name: _check(spec) for name, spec in FIELDS.items()}
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


def json_text(value: Any) -> str:
    """``json.dumps(value)`` for the flat values explanations hold, without the encoder's set-up per call.

    Strings go through the same C escaper json.dumps uses (``ensure_ascii``),
    whole numbers through ``int.__repr__``; anything else is left to json.dumps.
    """
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is list:
        return "[" + ", ".join(json_text(item) for item in value) + "]"
    if kind is dict:
        return "{" + ", ".join(f"{json_text(str(key))}: {json_text(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)


_SLOT = "<<arrears-slot:{}>>"
_SLOT_TOKEN = re.compile(r'"<<arrears-slot:(\d+)>>"')


@dataclass(frozen=True, slots=True)
class _Template:
    """A JSON text with holes: the literal parts between them, and which value fills each hole."""

    parts: tuple[str, ...]
    holes: tuple[int, ...]

    @classmethod
    def of(cls, document: Any) -> _Template:
        """``document`` holds ``_SLOT`` strings where values go; json.dumps is compositional, so filling a hole
        with json.dumps(value) gives exactly json.dumps of the document holding that value."""
        pieces = _SLOT_TOKEN.split(json.dumps(document))
        return cls(tuple(pieces[0::2]), tuple(int(hole) for hole in pieces[1::2]))

    def fill(self, values: list[str]) -> str:
        """``values`` are JSON texts, indexed by slot number."""
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            out.append(values[hole])
            out.append(part)
        return "".join(out)


@dataclass(frozen=True, slots=True)
class DecisionShape:
    """A decision without the case's own values: the same for every case whose conditions come out the same.

    The winner, the states tried with the conditions that failed, the fallback and
    the escalation depend only on which conditions hold; what differs between such
    cases is the case id, the previous state and the facts quoted as ``actual``.
    """

    policy: Policy
    state: State
    matched_state: str
    checks: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (state, ((field, expected), ...))
    escalation: tuple[str, str, str, int] | None  # (trigger, from, to, threshold)
    fallback: bool
    quoted: tuple[str, ...]  # the fields whose values the decision quotes, in slot order after the fixed ones
    template: _Template
    quoting: tuple[FieldCheck, ...] = ()  # the quoted fields' checks, looked up once

    @classmethod
    def of(cls, decision: PolicyDecision, policy: Policy) -> DecisionShape:
        checks = tuple((c.state, tuple((f.field, f.expected) for f in c.failures)) for c in decision.checks)
        step = decision.escalation
        quoted: list[str] = []
        document = decision.as_json()
        document["case_id"] = _SLOT.format(0)
        document["previous_state"] = _SLOT.format(1)
        if document["escalation"] is not None:
            document["escalation"]["actual"] = _SLOT.format(2)
        for tried in document["tried"]:
            for failed in tried["failed"]:
                if failed["field"] not in quoted:
                    quoted.append(failed["field"])
                failed["actual"] = _SLOT.format(3 + quoted.index(failed["field"]))
        return cls(
            policy=policy,
            state=decision.state,
            matched_state=decision.matched_state,
            checks=checks,
            escalation=None if step is None else (step.trigger, step.from_state, step.to_state, step.threshold),
            fallback=decision.fallback,
            quoted=tuple(quoted),
            template=_Template.of(document),
            quoting=tuple(FIELDS[field] for field in quoted),
        )

    def _escalation_actual(self, facts: CaseFacts) -> int:
        assert self.escalation is not None
        return facts.broken_promises if self.escalation[0] == "broken_promise" else facts.failed_attempts

    def decision(self, facts: CaseFacts, previous_state: str | None = None) -> PolicyDecision:
        """The decision :func:`evaluate` gives for ``facts`` (whose conditions come out as this shape's)."""
        texts = {field: FIELDS[field].text(FIELDS[field].value(facts)) for field in self.quoted}
        step = None
        if self.escalation is not None:
            trigger, from_state, to_state, threshold = self.escalation
            step = EscalationStep(trigger, from_state, to_state, self._escalation_actual(facts), threshold)
        return PolicyDecision(
            policy_code=self.policy.code,
            policy_version=self.policy.version,
            case_id=facts.case_id,
            as_of=facts.as_of.isoformat(),
            state=self.state,
            matched_state=self.matched_state,
            checks=tuple(
                StateCheck(name, tuple(ConditionFailure(field, expected, texts[field]) for field, expected in failed))
                for name, failed in self.checks
            ),
            escalation=step,
            fallback=self.fallback,
            previous_state=previous_state,
        )

    def as_json_text(self, facts: CaseFacts, previous_state: str | None = None) -> str:
        """``json.dumps(self.decision(facts, previous_state).as_json())``, without building the decision."""
        values = [
            json_text(facts.case_id),
            json_text(previous_state),
            json_text(self._escalation_actual(facts)) if self.escalation is not None else "null",
        ]
        values += [encode_basestring_ascii(check.text(check.value(facts))) for check in self.quoting]
        return self.template.fill(values)


class Evaluator:
    """:func:`evaluate` for many cases under one policy, each distinct outcome of its conditions worked out once.

    A case's key is whether each condition of the policy holds for it, and
    whether each escalation trigger fires: that decides the winner, the
    failures and the escalation (see :class:`DecisionShape`). The first case
    with a key is evaluated in full; the rest reuse its shape.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        conditions: list[tuple[str, Any]] = []
        for state in policy.states:
            for item in state.when.given().items():
                if item not in conditions:
                    conditions.append(item)
        self._tests = tuple((FIELDS[field].value, FIELDS[field].holds, expected) for field, expected in conditions)
        self._counts = tuple(
            sorted(
                {
                    state.escalation.after_failed_attempts.count
                    for state in policy.states
                    if state.escalation is not None and state.escalation.after_failed_attempts is not None
                }
            )
        )
        self._shapes: dict[tuple[bool, ...], DecisionShape] = {}

    def shape(self, facts: CaseFacts) -> DecisionShape:
        key = (
            *(holds(expected, value(facts)) for value, holds, expected in self._tests),
            facts.broken_promises >= 1,
            *(facts.failed_attempts >= count for count in self._counts),
        )
        found = self._shapes.get(key)
        if found is None:
            found = DecisionShape.of(evaluate(self.policy, facts), self.policy)
            self._shapes[key] = found
        return found

    def evaluate(self, facts: CaseFacts, *, previous_state: str | None = None) -> PolicyDecision:
        return self.shape(facts).decision(facts, previous_state)
