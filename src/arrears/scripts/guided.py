"""The guided call (引导式通话): the steps of a call, the four core tasks, and what the debtor said.

A pure state machine the workbench drives. It knows the order of steps for
each kind of call (DOMAIN.md: verify identity -> introduce yourself with your
staff number -> ask for payment today -> listen for the reason -> costs and
benefits -> secure a promise -> record), keeps the checklist of the four core
tasks of a first call, and turns what the debtor said (through the intent
classifier) into the reason for delay and the terms of a promise. Recording
goes through :func:`arrears.contact.flows.record_contact`, so the compliance
guard decides first, as for every contact.

A third-party call has no payment steps: its only purpose is to ask the
person to pass on a callback request, and it never carries a promise or a
mention of the debt.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from arrears.contact.enums import ContactChannel, Outcome
from arrears.contact.schemas import ContactIn, PromiseIn
from arrears.errors import Conflict, InvalidInput
from arrears.scripts.intents import Classification, Intent
from arrears.scripts.library.enums import CallStep, Objection, Persona, ScriptParty


class CallKind(StrEnum):
    FIRST_CALL = "first_call"  # 首次催收
    FOLLOW_UP = "follow_up"  # 跟进
    PROMISE_BROKEN = "promise_broken"  # 毁约后
    THIRD_PARTY = "third_party"  # 联系人: only to locate the debtor


class CoreTask(StrEnum):
    """The four tasks of a first call (DOMAIN.md)."""

    ASK_PAYMENT_TODAY = "ask_payment_today"
    LEARN_REASON = "learn_reason"
    COSTS_AND_BENEFITS = "costs_and_benefits"
    PROMISE = "promise"


STEPS: dict[CallKind, tuple[CallStep, ...]] = {
    CallKind.FIRST_CALL: (
        CallStep.VERIFY_IDENTITY,
        CallStep.INTRODUCE,
        CallStep.ASK_PAYMENT_TODAY,
        CallStep.LISTEN_REASON,
        CallStep.COSTS_BENEFITS,
        CallStep.SECURE_PROMISE,
        CallStep.RECORD,
        CallStep.CLOSE,
    ),
    CallKind.FOLLOW_UP: (
        CallStep.VERIFY_IDENTITY,
        CallStep.INTRODUCE,
        CallStep.ASK_PAYMENT_TODAY,
        CallStep.SECURE_PROMISE,
        CallStep.RECORD,
        CallStep.CLOSE,
    ),
    CallKind.PROMISE_BROKEN: (
        CallStep.VERIFY_IDENTITY,
        CallStep.INTRODUCE,
        CallStep.LISTEN_REASON,
        CallStep.COSTS_BENEFITS,
        CallStep.SECURE_PROMISE,
        CallStep.RECORD,
        CallStep.CLOSE,
    ),
    CallKind.THIRD_PARTY: (CallStep.VERIFY_IDENTITY, CallStep.INTRODUCE, CallStep.RECORD, CallStep.CLOSE),
}

TASK_OF_STEP: dict[CallStep, CoreTask] = {
    CallStep.ASK_PAYMENT_TODAY: CoreTask.ASK_PAYMENT_TODAY,
    CallStep.COSTS_BENEFITS: CoreTask.COSTS_AND_BENEFITS,
}
"""Steps whose completion is itself a core task; the reason and the promise need their facts."""

REASON_OF_INTENT: dict[Intent, str] = {
    Intent.NO_MONEY: "cash_shortage",
    Intent.HARDSHIP_ILLNESS: "illness",
    Intent.HARDSHIP_JOB_LOSS: "job_loss",
    Intent.BUSINESS_RECEIVABLES: "business_receivables",
    Intent.ALREADY_PAID: "claims_paid",
    Intent.NOT_MY_DEBT: "dispute",
    Intent.FEES_TOO_HIGH: "dispute",
    Intent.REFUSE_TO_PAY: "unwilling",
    Intent.WILL_COMPLAIN: "complaint",
}
"""The reason for delay (DOMAIN.md) an intent tells of; collectors can retag it."""


@dataclass(frozen=True)
class AgreedPromise:
    due_on: date
    amount: Decimal
    channel: str | None = None


@dataclass(frozen=True)
class Heard:
    text: str
    intent: Intent
    confidence: float


@dataclass(frozen=True)
class GuidedCall:
    """Where a call stands. Every change returns a new value; nothing is written until :meth:`contact_in`."""

    kind: CallKind
    case_id: int
    third_party_id: int | None = None
    position: int = 0
    done: frozenset[CoreTask] = frozenset()
    reason: str | None = None
    persona: Persona | None = None
    promise: AgreedPromise | None = None
    stop_requested: bool = False
    heard: tuple[Heard, ...] = field(default=())

    @property
    def party(self) -> ScriptParty:
        return ScriptParty.THIRD_PARTY if self.kind is CallKind.THIRD_PARTY else ScriptParty.DEBTOR

    @property
    def steps(self) -> tuple[CallStep, ...]:
        return STEPS[self.kind]

    @property
    def step(self) -> CallStep:
        return self.steps[min(self.position, len(self.steps) - 1)]

    @property
    def finished(self) -> bool:
        return self.position >= len(self.steps)

    @property
    def checklist(self) -> dict[CoreTask, bool]:
        """The four core tasks and whether each is done (third-party calls have none)."""
        if self.kind is CallKind.THIRD_PARTY:
            return {}
        return {task: task in self.done for task in CoreTask}

    def complete_step(self) -> GuidedCall:
        """The current step is done; move to the next one."""
        if self.finished:
            raise Conflict("the call is already finished")
        task = TASK_OF_STEP.get(self.step)
        done = self.done | {task} if task is not None and self.kind is not CallKind.THIRD_PARTY else self.done
        return replace(self, position=self.position + 1, done=done)

    def hear(self, text: str, classification: Classification) -> tuple[GuidedCall, Objection | None]:
        """What the debtor said: the objection to answer (if any), and what it tells of reason and promise."""
        heard = (*self.heard, Heard(text, classification.intent, classification.confidence))
        call = replace(self, heard=heard)
        if classification.intent is Intent.STOP_CONTACTING_OTHERS and self.kind is CallKind.THIRD_PARTY:
            call = replace(call, stop_requested=True)
        reason = REASON_OF_INTENT.get(classification.intent)
        if reason is not None and self.kind is not CallKind.THIRD_PARTY:
            call = call.tag(reason=reason)
        terms = classification.promise
        if classification.intent is Intent.PROMISE_TO_PAY and terms.date is not None and terms.amount is not None:
            call = call.agree(AgreedPromise(due_on=terms.date, amount=terms.amount))
        objection = _objection(classification.intent)
        return call, objection

    def tag(self, *, reason: str | None = None, persona: Persona | None = None) -> GuidedCall:
        """The collector's own tags (reason for delay, persona); a reason completes 'learn the reason'."""
        call = self
        if reason is not None:
            if self.kind is CallKind.THIRD_PARTY:
                raise InvalidInput("a third-party call records no reason for the debtor's delay", where="reason")
            call = replace(call, reason=reason, done=call.done | {CoreTask.LEARN_REASON})
        if persona is not None:
            call = replace(call, persona=persona)
        return call

    def agree(self, promise: AgreedPromise) -> GuidedCall:
        """A promise to pay with its date, amount and channel; completes the last core task."""
        if self.kind is CallKind.THIRD_PARTY:
            raise InvalidInput("a third party is never asked to promise payment", where="promise")
        if promise.amount <= 0:
            raise InvalidInput("a promise needs a positive amount", where="promise.amount")
        return replace(self, promise=promise, done=self.done | {CoreTask.PROMISE})

    def contact_in(
        self, *, at: datetime, number: str | None, notes: str | None = None, duration_seconds: int | None = None
    ) -> ContactIn:
        """The contact to record (through the guard) for this call as it stands."""
        outcome = Outcome.PROMISE if self.promise is not None else Outcome.ANSWERED
        promise = (
            PromiseIn(amount=self.promise.amount, due_on=self.promise.due_on, channel=self.promise.channel)
            if self.promise is not None
            else None
        )
        return ContactIn(
            case_id=self.case_id,
            channel=ContactChannel.CALL,
            at=at,
            outcome=outcome,
            third_party_id=self.third_party_id,
            number=number,
            conversation=self.party is ScriptParty.DEBTOR,
            right_party=self.party is ScriptParty.DEBTOR,
            stop_requested=self.stop_requested,
            purpose="location" if self.party is ScriptParty.THIRD_PARTY else None,
            duration_seconds=duration_seconds,
            reason_code=self.reason,
            persona=self.persona.value if self.persona else None,
            notes=notes,
            promise=promise,
        )


def start(kind: CallKind, *, case_id: int, third_party_id: int | None = None) -> GuidedCall:
    if (kind is CallKind.THIRD_PARTY) != (third_party_id is not None):
        raise InvalidInput("a third-party call names the third party, and only a third-party call does", where="kind")
    return GuidedCall(kind=kind, case_id=case_id, third_party_id=third_party_id)


def _objection(intent: Intent) -> Objection | None:
    try:
        return Objection(intent.value)
    except ValueError:
        return None
