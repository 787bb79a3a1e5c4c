"""Training mode (陪练): a collector practises a call against a simulated debtor of a chosen persona.

The simulated debtor is a small state machine: at each step of the guided
call it answers with an utterance from the intent corpus that its persona
would say (a hostile debtor refuses and threatens to complain, a victim
pleads hardship, a serial promiser promises readily...). Its answers go
through the classifier like a real debtor's, so the guided call captures the
reason and the promise as it would on a live call. Every line the trainee
says is run through the content linter. The score counts the four core tasks
done, the introduction with a staff number, and the compliance findings.

Nothing is recorded as a contact: practice never reaches a real person.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date

from arrears.compliance.lint import Finding, has_errors, lint
from arrears.scripts.guided import CallKind, CoreTask, GuidedCall, start
from arrears.scripts.intents import Intent, classify
from arrears.scripts.intents.corpus import load
from arrears.scripts.library.enums import CallStep, Persona

ANSWERS: dict[Persona, dict[CallStep, tuple[Intent, ...]]] = {
    Persona.HOSTILE: {
        CallStep.ASK_PAYMENT_TODAY: (Intent.REFUSE_TO_PAY, Intent.WILL_COMPLAIN),
        CallStep.LISTEN_REASON: (Intent.FEES_TOO_HIGH,),
        CallStep.COSTS_BENEFITS: (Intent.WILL_COMPLAIN, Intent.PAY_LATER),
        CallStep.SECURE_PROMISE: (Intent.PROMISE_TO_PAY,),
    },
    Persona.VICTIM: {
        CallStep.ASK_PAYMENT_TODAY: (Intent.NO_MONEY,),
        CallStep.LISTEN_REASON: (Intent.HARDSHIP_ILLNESS, Intent.HARDSHIP_JOB_LOSS),
        CallStep.COSTS_BENEFITS: (Intent.PAY_LATER,),
        CallStep.SECURE_PROMISE: (Intent.PROMISE_TO_PAY,),
    },
    Persona.OVERCONFIDENT: {
        CallStep.ASK_PAYMENT_TODAY: (Intent.ALREADY_PAID, Intent.NOT_MY_DEBT),
        CallStep.LISTEN_REASON: (Intent.FEES_TOO_HIGH,),
        CallStep.COSTS_BENEFITS: (Intent.PAY_LATER,),
        CallStep.SECURE_PROMISE: (Intent.PROMISE_TO_PAY,),
    },
    Persona.STUBBORN: {
        CallStep.ASK_PAYMENT_TODAY: (Intent.PAY_LATER, Intent.REFUSE_TO_PAY),
        CallStep.LISTEN_REASON: (Intent.WAIVE_PENALTY,),
        CallStep.COSTS_BENEFITS: (Intent.PAY_LATER,),
        CallStep.SECURE_PROMISE: (Intent.PROMISE_TO_PAY,),
    },
    Persona.SOPHISTICATED: {
        CallStep.ASK_PAYMENT_TODAY: (Intent.VERIFY_IDENTITY, Intent.OFFICE_ADDRESS),
        CallStep.LISTEN_REASON: (Intent.BUSINESS_RECEIVABLES,),
        CallStep.COSTS_BENEFITS: (Intent.WAIVE_PENALTY,),
        CallStep.SECURE_PROMISE: (Intent.PROMISE_TO_PAY,),
    },
    Persona.SERIAL_PROMISER: {
        CallStep.ASK_PAYMENT_TODAY: (Intent.PROMISE_TO_PAY,),
        CallStep.LISTEN_REASON: (Intent.NO_MONEY,),
        CallStep.COSTS_BENEFITS: (Intent.PROMISE_TO_PAY,),
        CallStep.SECURE_PROMISE: (Intent.PROMISE_TO_PAY,),
    },
}
"""What each persona tends to say at each step; drawn at random from the corpus lines of those intents."""

STAFF_NUMBER = re.compile(r"(工号|工號|staff (number|no\.?|id)|employee (number|id))\s*[:：]?\s*\w*\d", re.IGNORECASE)
"""The introduction must give a staff number the debtor can verify (DOMAIN.md)."""


@dataclass(frozen=True)
class Turn:
    step: CallStep
    said: str
    findings: tuple[Finding, ...]
    reply: str | None


@dataclass
class Practice:
    """One practice call. ``say`` the line for the current step; the simulated debtor answers."""

    persona: Persona
    lang: str
    today: date
    seed: int = 0
    call: GuidedCall = field(default_factory=lambda: start(CallKind.FIRST_CALL, case_id=0))
    turns: list[Turn] = field(default_factory=list)
    introduced_with_staff_number: bool = False

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lines = _lines_by_intent(self.lang)

    @property
    def finished(self) -> bool:
        return self.call.finished

    def say(self, line: str) -> Turn:
        """The trainee's line for the current step: linted, and answered by the debtor where the step calls for it."""
        step = self.call.step
        findings = tuple(lint(line)) if line.strip() else ()
        if step is CallStep.INTRODUCE and STAFF_NUMBER.search(line):
            self.introduced_with_staff_number = True
        reply = self._answer(step)
        if reply is not None:
            self.call, _ = self.call.hear(reply, classify(reply, today=self.today))
        self.call = self.call.complete_step()
        turn = Turn(step, line, findings, reply)
        self.turns.append(turn)
        return turn

    def _answer(self, step: CallStep) -> str | None:
        intents = ANSWERS[self.persona].get(step)
        if not intents:
            return None
        choices = [line for intent in intents for line in self._lines.get(intent, ())]
        if step is CallStep.SECURE_PROMISE and CoreTask.COSTS_AND_BENEFITS not in self.call.done:
            choices = list(self._lines.get(Intent.PAY_LATER, ())) or choices
        return self._random.choice(choices) if choices else None

    def score(self) -> Score:
        findings = [finding for turn in self.turns for finding in turn.findings]
        return Score(
            tasks={task.value: done for task, done in self.call.checklist.items()},
            introduced_with_staff_number=self.introduced_with_staff_number,
            findings=len(findings),
            errors=has_errors(findings),
        )


@dataclass(frozen=True)
class Score:
    tasks: dict[str, bool]
    introduced_with_staff_number: bool
    findings: int
    errors: bool

    @property
    def points(self) -> int:
        """Out of 100: 20 per core task, 20 for a verifiable introduction, nothing at all with a violation."""
        if self.errors:
            return 0
        return 20 * sum(self.tasks.values()) + (20 if self.introduced_with_staff_number else 0)


def _lines_by_intent(lang: str) -> dict[Intent, tuple[str, ...]]:
    wanted = {"zh": ("zh-CN", "zh-TW"), "en": ("en",)}.get(lang, ("zh-CN",))
    found: dict[Intent, list[str]] = {}
    for example in load():
        if example.lang in wanted:
            found.setdefault(example.intent, []).append(example.text)
    return {intent: tuple(lines) for intent, lines in found.items()}


def practise(persona: Persona, *, lang: str, today: date, seed: int = 0) -> Practice:
    return Practice(persona=persona, lang=lang, today=today, seed=seed)
