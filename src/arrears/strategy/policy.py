"""Strategy policies as data: an ordered list of states, the first whose conditions hold wins.

A policy file (催收策略) is YAML, one per tenant and product family, versioned and
validated before it can be stored. The shape follows Kill Bill's overdue file: states
in priority order, each with the conditions that put a case there, the treatments it
gets, whom besides the debtor may be called and when it escalates. Beyond the types,
the schema holds the escalation principles of DOMAIN.md: exactly one clear state,
escalation only upwards, and each step of the ladder heavier than the last.

Errors name the line of the file: the document is composed with ``yaml.compose`` so
every node keeps its position, and the location pydantic reports is walked down the
node tree (:func:`line_of`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from arrears.compliance.enums import HoldType
from arrears.contact.enums import Outcome
from arrears.errors import ArrearsError, InvalidInput
from arrears.files import read_text
from arrears.strategy.enums import WEIGHTS, PhoneTarget, Quadrant, ThirdPartyUse, Timing, Treatment

SAMPLE_POLICY = "consumer-cn"
"""The bundled policy used when a tenant has loaded none (``policies/consumer-cn.yaml``)."""

ALL_PRODUCTS = "*"
DOCS_HINT = "see docs/strategy.md for the policy format"

Loc = tuple[str | int, ...]


class PolicyRuleError(ValueError):
    """A rule of the policy format broken across fields or states; ``loc`` points into the document."""

    def __init__(self, message: str, *, loc: Loc = (), hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.hint = hint


def _refuse_float(value: object) -> object:
    """Amounts are written as strings ("5000.00") or whole numbers: a YAML float is not exact."""
    if isinstance(value, float):
        raise PolicyRuleError(
            f"amount {value!r} is a floating-point number", hint='write amounts as quoted decimals, e.g. "5000.00"'
        )
    return value


Amount = Annotated[Decimal, BeforeValidator(_refuse_float), Field(ge=0)]
Probability = Annotated[Decimal, Field(ge=0, le=1)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=60)]
Words = Annotated[tuple[str, ...], Field(min_length=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromiseCondition(StrEnum):
    """What a state asks of the case's promises to pay (承诺还款)."""

    OPEN = "open"  # an open promise falling due today or later
    DUE_TODAY = "due_today"  # an open promise falling due today
    NONE = "none"  # no open promise


class Label(_Frozen):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Conditions(_Frozen):
    """What must ALL hold for a case to be in a state; an empty set matches every case."""

    dpd_at_least: int | None = Field(default=None, ge=0)
    dpd_at_most: int | None = Field(default=None, ge=0)
    buckets: Words | None = None
    overdue_at_least: Amount | None = None
    overdue_at_most: Amount | None = None
    balance_at_least: Amount | None = None
    balance_at_most: Amount | None = None
    quadrants: Annotated[tuple[Quadrant, ...], Field(min_length=1)] | None = None
    personas: Words | None = None
    reasons: Words | None = None
    holds_any: Annotated[tuple[HoldType, ...], Field(min_length=1)] | None = None
    no_holds: bool | None = None
    promise: PromiseCondition | None = None
    broken_promises_at_least: int | None = Field(default=None, ge=1)
    last_outcomes: Annotated[tuple[Outcome, ...], Field(min_length=1)] | None = None
    failed_attempts_at_least: int | None = Field(default=None, ge=1)
    habitual_late: bool | None = None
    propensity_at_least: Probability | None = None
    propensity_at_most: Probability | None = None
    products: Words | None = None

    @model_validator(mode="after")
    def _ranges_are_not_empty(self) -> Conditions:
        pairs = (
            ("dpd_at_least", "dpd_at_most"),
            ("overdue_at_least", "overdue_at_most"),
            ("balance_at_least", "balance_at_most"),
            ("propensity_at_least", "propensity_at_most"),
        )
        for low_name, high_name in pairs:
            low, high = getattr(self, low_name), getattr(self, high_name)
            if low is not None and high is not None and low > high:
                raise PolicyRuleError(
                    f"{low_name} {low} is above {high_name} {high}: no case can match",
                    loc=(low_name,),
                    hint=f"lower {low_name} or raise {high_name}",
                )
        if self.holds_any is not None and self.no_holds:
            raise PolicyRuleError(
                "holds_any and no_holds: true contradict each other", loc=("no_holds",), hint="keep one of them"
            )
        return self

    def given(self) -> dict[str, Any]:
        """The conditions the file sets, in the order of the schema."""
        return {name: value for name, value in self if value is not None}


class TreatmentPlan(_Frozen):
    """One treatment a state asks for: what, when in the day, whom to call in which order, how often."""

    treatment: Treatment
    timing: Timing = Timing.ANY_TIME
    phone_order: tuple[PhoneTarget, ...] = ()
    template: str | None = Field(default=None, min_length=1, max_length=120)
    every_days: int = Field(default=1, ge=1, le=90, description="cadence: at most once every N days")

    @model_validator(mode="after")
    def _phone_order_fits(self) -> TreatmentPlan:
        if self.treatment is Treatment.CALL and not self.phone_order:
            raise PolicyRuleError(
                "a call needs a phone_order", loc=("phone_order",), hint="e.g. phone_order: [work, home, mobile]"
            )
        if self.phone_order and self.treatment not in (Treatment.CALL, Treatment.SMS_REMINDER):
            raise PolicyRuleError(
                f"{self.treatment.value} does not use a phone_order", loc=("phone_order",), hint="remove phone_order"
            )
        if len(set(self.phone_order)) != len(self.phone_order):
            raise PolicyRuleError("phone_order names a target twice", loc=("phone_order",), hint="list each once")
        if PhoneTarget.CONTACTS in self.phone_order[:-1]:
            raise PolicyRuleError(
                "contacts must come last in phone_order",
                loc=("phone_order",),
                hint="third parties are the last resort, after work, home and mobile",
            )
        return self

    @property
    def weight(self) -> int:
        return WEIGHTS[self.treatment]


class FailedAttempts(_Frozen):
    count: int = Field(ge=1)
    to: Name


class Escalation(_Frozen):
    """Where a case goes from this state on a broken promise (毁约) or after N failed attempts."""

    on_broken_promise: Name | None = None
    after_failed_attempts: FailedAttempts | None = None

    @model_validator(mode="after")
    def _says_something(self) -> Escalation:
        if self.on_broken_promise is None and self.after_failed_attempts is None:
            raise PolicyRuleError(
                "escalation names no trigger", hint="give on_broken_promise, after_failed_attempts, or remove it"
            )
        return self


class State(_Frozen):
    """One state of the policy: who is in it (``when``) and what they get."""

    name: Name
    label: Label
    stage: int = Field(ge=0, le=99, description="severity rank; 0 for the clear state")
    clear: bool = False
    pause: bool = Field(default=False, description="beside the ladder (holds, a pending promise): no weight rule")
    when: Conditions = Conditions()
    treatments: tuple[TreatmentPlan, ...] = ()
    third_parties: ThirdPartyUse = ThirdPartyUse.NEVER
    escalation: Escalation | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=60, description="team stage label")

    @model_validator(mode="after")
    def _state_is_consistent(self) -> State:
        if self.clear and self.pause:
            raise PolicyRuleError("a state cannot be both clear and a pause", loc=("pause",), hint="keep one flag")
        if self.clear and self.stage != 0:
            raise PolicyRuleError("the clear state has stage 0", loc=("stage",), hint="set stage: 0")
        if not self.clear and self.stage == 0:
            raise PolicyRuleError("stage 0 belongs to the clear state", loc=("stage",), hint="use stage 1 or more")
        if self.clear and self.treatments:
            raise PolicyRuleError("the clear state asks for no treatments", loc=("treatments",), hint="remove them")
        if (self.clear or self.pause) and self.escalation is not None:
            raise PolicyRuleError(
                "clear and pause states do not escalate", loc=("escalation",), hint="remove the escalation"
            )
        if not (self.clear or self.pause) and not self.treatments:
            raise PolicyRuleError(
                "a collection state needs at least one treatment",
                loc=("treatments",),
                hint="only the clear state and pause states may ask for nothing",
            )
        if self.third_parties is ThirdPartyUse.NEVER:
            for index, plan in enumerate(self.treatments):
                if PhoneTarget.CONTACTS in plan.phone_order:
                    raise PolicyRuleError(
                        "phone_order calls contacts while third_parties is never",
                        loc=("treatments", index, "phone_order"),
                        hint="remove contacts or set third_parties: when_unreachable",
                    )
        return self

    @property
    def weight(self) -> int:
        """The heaviest treatment of the state (0 for a state that asks for nothing)."""
        return max((plan.weight for plan in self.treatments), default=0)

    @property
    def kinds(self) -> frozenset[Treatment]:
        return frozenset(plan.treatment for plan in self.treatments)

    @property
    def phone_targets(self) -> frozenset[PhoneTarget]:
        return frozenset(target for plan in self.treatments for target in plan.phone_order)

    @property
    def on_ladder(self) -> bool:
        """A step of the escalation ladder: neither the clear state nor a pause."""
        return not (self.clear or self.pause)


class Challenger(_Frozen):
    """Another policy tried on a stable share of cases (champion/challenger)."""

    code: Code
    share: Decimal = Field(gt=0, lt=1, decimal_places=4)


class Policy(_Frozen):
    code: Code
    version: int = Field(ge=1)
    effective_from: date
    products: Annotated[tuple[str, ...], Field(min_length=1)] = (ALL_PRODUCTS,)
    states: Annotated[tuple[State, ...], Field(min_length=1)]
    challenger: Challenger | None = None

    @model_validator(mode="after")
    def _policy_is_consistent(self) -> Policy:
        if ALL_PRODUCTS in self.products and len(self.products) > 1:
            raise PolicyRuleError(
                '"*" already means every product', loc=("products",), hint='use ["*"] alone or list product codes'
            )
        if self.challenger is not None and self.challenger.code == self.code:
            raise PolicyRuleError("a policy cannot challenge itself", loc=("challenger", "code"))
        _check_names(self.states)
        _check_escalations(self.states)
        _check_weights(self.states)
        return self

    def state(self, name: str) -> State:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    @property
    def clear_state(self) -> State:
        return next(state for state in self.states if state.clear)

    def covers(self, product_codes: frozenset[str]) -> bool:
        return ALL_PRODUCTS in self.products or bool(product_codes & set(self.products))

    def document(self) -> dict[str, Any]:
        """The canonical JSON form, stored with the version and hashed for its checksum."""
        return self.model_dump(mode="json")

    def checksum(self) -> str:
        text = json.dumps(self.document(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_names(states: Sequence[State]) -> None:
    seen: set[str] = set()
    for index, state in enumerate(states):
        if state.name in seen:
            raise PolicyRuleError(
                f"state '{state.name}' appears twice",
                loc=("states", index, "name"),
                hint="give each state its own name",
            )
        seen.add(state.name)
    clear = [index for index, state in enumerate(states) if state.clear]
    if len(clear) != 1:
        where: Loc = ("states", clear[1], "clear") if clear else ("states",)
        raise PolicyRuleError(
            f"a policy has exactly one clear state, this one has {len(clear)}",
            loc=where,
            hint="mark the state for cases that owe nothing overdue with clear: true",
        )


def _check_escalations(states: Sequence[State]) -> None:
    by_name = {state.name: state for state in states}
    for index, state in enumerate(states):
        if state.escalation is None:
            continue
        targets: list[tuple[str, Loc]] = []
        if state.escalation.on_broken_promise is not None:
            targets.append((state.escalation.on_broken_promise, ("escalation", "on_broken_promise")))
        if state.escalation.after_failed_attempts is not None:
            targets.append((state.escalation.after_failed_attempts.to, ("escalation", "after_failed_attempts", "to")))
        for target_name, loc in targets:
            where: Loc = ("states", index, *loc)
            target = by_name.get(target_name)
            if target is None:
                raise PolicyRuleError(
                    f"state '{state.name}' escalates to '{target_name}', which the policy does not have",
                    loc=where,
                    hint=f"states: {', '.join(by_name)}",
                )
            if not target.on_ladder:
                raise PolicyRuleError(
                    f"state '{state.name}' escalates to '{target_name}', which is not a collection state",
                    loc=where,
                    hint="escalate to a state of the ladder, not to the clear state or a pause",
                )
            if target.stage <= state.stage:
                raise PolicyRuleError(
                    f"state '{state.name}' (stage {state.stage}) escalates to '{target_name}' "
                    f"(stage {target.stage}), which is not higher",
                    loc=where,
                    hint="escalation only moves a case up",
                )


def _check_weights(states: Sequence[State]) -> None:
    """Each step of the ladder carries at least the weight of the one below and adds something new.

    States sharing a stage are alternatives (agency or legal review): each is measured
    against every state of the nearest lower stage.
    """
    ladder = [(index, state) for index, state in enumerate(states) if state.on_ladder]
    stages = sorted({state.stage for _, state in ladder})
    for lower, upper in pairwise(stages):
        below = [state for _, state in ladder if state.stage == lower]
        for index, state in ((i, s) for i, s in ladder if s.stage == upper):
            for previous in below:
                _check_step(index, state, previous)


def _check_step(index: int, state: State, previous: State) -> None:
    if state.weight < previous.weight:
        raise PolicyRuleError(
            f"state '{state.name}' (stage {state.stage}) is lighter than '{previous.name}' (stage {previous.stage}): "
            f"its heaviest treatment weighs {state.weight}, theirs {previous.weight}",
            loc=("states", index, "treatments"),
            hint="a later stage keeps at least the pressure of the one before",
        )
    heavier = state.weight > previous.weight
    new_kinds = state.kinds - previous.kinds
    new_targets = state.phone_targets - previous.phone_targets
    if not (heavier or new_kinds or new_targets):
        raise PolicyRuleError(
            f"state '{state.name}' (stage {state.stage}) adds nothing to '{previous.name}' (stage {previous.stage})",
            loc=("states", index, "treatments"),
            hint="add a heavier treatment, a new kind of treatment or a new phone target, or merge the two states",
        )


def line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest node of ``node`` that ``loc`` reaches.

    A location that runs past the document (a missing field) stops at the mapping
    that should hold it, which is where the fix goes.
    """
    if node is None:
        return None
    current: yaml.Node = node
    for part in loc:
        child = _child(current, part)
        if child is None:
            break
        current = child
    return current.start_mark.line + 1


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value  # type: ignore[no-any-return]
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def parse_policy(text: str, *, source: str) -> Policy:
    """Validate a policy document; every problem becomes one line naming ``source`` and the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source} line {mark.line + 1}" if mark is not None else source
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InvalidInput(
            f"not valid YAML: {problem}", where=where, hint="check the indentation and quoting"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            "a policy must be a mapping with code, version, effective_from, products and states",
            where=source,
            hint=DOCS_HINT,
        )
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise _describe(error, data=data, node=node, source=source) from None


def _describe(error: ValidationError, *, data: dict[str, Any], node: yaml.Node | None, source: str) -> InvalidInput:
    """The first problem pydantic found, with the line it is on and the state it belongs to."""
    problems = error.errors()
    first = problems[0]
    loc: Loc = tuple(first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    hint: str | None = _hint_for(str(first["type"]))
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, PolicyRuleError):
        loc, message, hint = (*loc, *cause.loc), cause.message, cause.hint
    elif isinstance(cause, ArrearsError):
        message, hint = cause.message, cause.hint
    more = len(problems) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    line = line_of(node, loc)
    where = f"{source} line {line}" if line is not None else source
    path = ".".join(str(part) for part in loc) or "top level"
    state = _state_name(data, loc)
    named = f" (state '{state}')" if state and f"'{state}'" not in message else ""
    return InvalidInput(f"{path}{named}: {message}", where=where, hint=hint)


def _hint_for(error_type: str) -> str:
    hints = {
        "extra_forbidden": "remove the field or check its spelling; " + DOCS_HINT,
        "missing": "add the field; " + DOCS_HINT,
        "enum": "use one of the values listed",
        "literal_error": "use one of the values listed",
    }
    return hints.get(error_type, DOCS_HINT)


def _state_name(data: dict[str, Any], loc: Loc) -> str | None:
    if len(loc) < 2 or loc[0] != "states" or not isinstance(loc[1], int):
        return None
    states = data.get("states")
    if not isinstance(states, list) or not 0 <= loc[1] < len(states):
        return None
    state = states[loc[1]]
    name = state.get("name") if isinstance(state, dict) else None
    return name if isinstance(name, str) else None


def load_policy_file(path: Path) -> Policy:
    """A policy file from disk, validated; unreadable, not YAML and invalid files raise one line."""
    return parse_policy(read_text(path, what="a strategy policy YAML file"), source=str(path))


@cache
def bundled_policy(code: str) -> Policy:
    """A policy shipped with Arrears (``strategy/policies/<code>.yaml``); parsed once per process."""
    folder = resources.files("arrears.strategy.policies")
    names = sorted(entry.name.removesuffix(".yaml") for entry in folder.iterdir() if entry.name.endswith(".yaml"))
    if code not in names:
        raise InvalidInput(f"no bundled policy '{code}'", hint=f"bundled policies: {', '.join(names)}")
    text = folder.joinpath(f"{code}.yaml").read_text(encoding="utf-8")
    return parse_policy(text, source=f"policies/{code}.yaml")
