"""``classify``: one debtor utterance to one intent, its confidence, and the promise's terms.

The confidence is the model's probability for the chosen intent. A promise's
date and amount are parsed only when the intent can carry one (promise to pay,
pay later, pay now): "我已经还了3000" is a payment made, not a promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from arrears.errors import InvalidInput
from arrears.scripts.intents.intents import PROMISE_INTENTS, Intent
from arrears.scripts.intents.model import LinearModel, shipped, top
from arrears.scripts.intents.promise import PromiseTerms, parse_promise


@dataclass(frozen=True)
class Classification:
    """What a debtor said, as the collector's screen and the contact record need it."""

    intent: Intent
    confidence: float
    promise: PromiseTerms

    def as_dict(self) -> dict[str, object]:
        """The documented JSON shape; the confidence rounded to 3 decimals."""
        return {"intent": self.intent.value, "confidence": round(self.confidence, 3), "promise": self.promise.as_dict()}


def classify(text: str, *, today: date, model: LinearModel | None = None) -> Classification:
    """Classify one utterance; relative dates (下周五, 15号, next Friday) are resolved against ``today``."""
    if not text.strip():
        raise InvalidInput("nothing to classify: the text is empty", hint="give one thing the debtor said")
    intent, confidence = top((model or shipped()).probabilities(text))
    promise = parse_promise(text, today=today) if intent in PROMISE_INTENTS else PromiseTerms()
    return Classification(intent, confidence, promise)
