"""Debtor intent classification (意图识别): one utterance, one intent, and the terms of any promise.

``classify(text, today=...)`` reads Simplified or Traditional Chinese or English
and answers with an :class:`Intent`, a confidence and the promise's date and
amount when the debtor names them. Runs offline from parameters shipped with
the package. See docs/classifier.md.
"""

from arrears.scripts.intents.intents import Intent
from arrears.scripts.intents.promise import parse_amount, parse_promise_date

__all__ = ["Intent", "parse_amount", "parse_promise_date"]
