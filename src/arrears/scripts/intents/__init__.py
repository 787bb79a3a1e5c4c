"""Debtor intent classification (意图识别): one utterance, one intent, and the terms of any promise.

``classify(text, today=...)`` reads Simplified or Traditional Chinese or English
and answers with an :class:`Intent`, a confidence and the promise's date and
amount when the debtor names them. Runs offline from parameters shipped with
the package (``model.json``). See docs/classifier.md.
"""

from arrears.scripts.intents.classifier import Classification, classify
from arrears.scripts.intents.intents import DESCRIPTIONS, Intent
from arrears.scripts.intents.promise import PromiseTerms, parse_amount, parse_promise_date

__all__ = ["DESCRIPTIONS", "Classification", "Intent", "PromiseTerms", "classify", "parse_amount", "parse_promise_date"]
