"""The statistical model: TF-IDF over :func:`features.features`, then multinomial logistic regression.

Fitting needs scikit-learn, whose import alone takes over a second on our
machines, longer than the whole load budget. So the fitted parameters (the
vocabulary, each feature's IDF and its weight per intent, the intercepts) are
written to ``model.json`` by ``python -m arrears.scripts.intents.build``, and
classifying reads that file and scores in plain Python: TF-IDF with sublinear
term frequency and L2 norm, then a softmax, exactly what scikit-learn computes.
The file carries a fingerprint of the corpus, the featuriser and the settings
below; a test refuses a file whose fingerprint no longer matches. The corpus
(YAML, pydantic) is imported only to fit, for the same reason.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from arrears.errors import ConfigurationError
from arrears.scripts.intents.features import features
from arrears.scripts.intents.intents import Intent
from arrears.scripts.intents.normalise import normalise

if TYPE_CHECKING:
    from arrears.scripts.intents.corpus import Example

FORMAT = 1
PARAMETERS_FILE = "model.json"
SETTINGS: dict[str, float | int] = {"C": 20.0, "min_df": 2, "max_iter": 5000, "decimals": 5}
"""Regularisation, the rarest feature kept, and the precision weights are stored with."""


@dataclass(frozen=True)
class LinearModel:
    """Fitted parameters: ``weights[feature] = (idf, weight for intents[0], weight for intents[1], ...)``."""

    intents: tuple[Intent, ...]
    intercepts: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    fingerprint: str

    def probabilities(self, text: str) -> dict[Intent, float]:
        """Intent -> probability for one raw utterance (normalised here)."""
        counts = Counter(feature for feature in features(normalise(text)) if feature in self.weights)
        tf_idf = {feature: (1.0 + math.log(count)) * self.weights[feature][0] for feature, count in counts.items()}
        norm = math.sqrt(sum(value * value for value in tf_idf.values())) or 1.0
        scores = list(self.intercepts)
        for feature, value in tf_idf.items():
            row = self.weights[feature]
            scaled = value / norm
            for index in range(len(scores)):
                scores[index] += scaled * row[index + 1]
        top = max(scores)
        exponentials = [math.exp(score - top) for score in scores]
        total = sum(exponentials)
        return {intent: exponential / total for intent, exponential in zip(self.intents, exponentials, strict=True)}

    def to_json(self) -> str:
        """One feature per line, so a corpus edit shows as a readable diff."""
        head = {"format": FORMAT, "fingerprint": self.fingerprint, "intents": list(self.intents)}
        lines = [json.dumps(head, ensure_ascii=False)[:-1] + ","]
        lines.append(f'"intercepts": {json.dumps(list(self.intercepts))},')
        lines.append('"weights": {')
        rows = [f"{json.dumps(key, ensure_ascii=False)}: {json.dumps(list(row))}" for key, row in self.weights.items()]
        lines.append(",\n".join(rows))
        lines.append("}}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LinearModel:
        document = json.loads(text)
        if document.get("format") != FORMAT:
            raise ConfigurationError(f"{PARAMETERS_FILE}: format {document.get('format')} is not {FORMAT}")
        return cls(
            intents=tuple(Intent(name) for name in document["intents"]),
            intercepts=tuple(document["intercepts"]),
            weights={feature: tuple(row) for feature, row in document["weights"].items()},
            fingerprint=document["fingerprint"],
        )


def fingerprint() -> str:
    """What the parameters depend on: the corpus, the featuriser's and normaliser's code, and :data:`SETTINGS`."""
    from arrears.scripts.intents.corpus import corpus_digest

    digest = hashlib.sha256(corpus_digest().encode("ascii"))
    package = resources.files(__package__)
    for module in ("features.py", "normalise.py"):
        digest.update(package.joinpath(module).read_bytes())
    digest.update(json.dumps(SETTINGS, sort_keys=True).encode("ascii"))
    return digest.hexdigest()


def fit(examples: Iterable[Example], *, stamp: str = "") -> LinearModel:
    """Fit on ``examples`` with scikit-learn (deterministic: lbfgs, no sampling) and export the parameters."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    items = list(examples)
    vectoriser = TfidfVectorizer(analyzer=features, min_df=SETTINGS["min_df"], sublinear_tf=True)
    matrix = vectoriser.fit_transform([normalise(example.text) for example in items])
    classifier = LogisticRegression(C=SETTINGS["C"], max_iter=int(SETTINGS["max_iter"]))
    classifier.fit(matrix, [example.intent.value for example in items])
    return _export(vectoriser, classifier, stamp=stamp)


def _export(vectoriser: Any, classifier: Any, *, stamp: str) -> LinearModel:
    decimals = int(SETTINGS["decimals"])
    coefficients = classifier.coef_
    weights: dict[str, tuple[float, ...]] = {}
    for feature, column in sorted(vectoriser.vocabulary_.items()):
        idf = round(float(vectoriser.idf_[column]), decimals)
        weights[feature] = (idf, *(round(float(value), decimals) for value in coefficients[:, column]))
    return LinearModel(
        intents=tuple(Intent(name) for name in classifier.classes_),
        intercepts=tuple(round(float(value), decimals) for value in classifier.intercept_),
        weights=weights,
        fingerprint=stamp,
    )


def build() -> LinearModel:
    """The model on the whole corpus, stamped with the current fingerprint."""
    from arrears.scripts.intents.corpus import load

    return fit(load(), stamp=fingerprint())


@cache
def shipped() -> LinearModel:
    """The parameters packaged in ``model.json``, read once per process."""
    text = resources.files(__package__).joinpath(PARAMETERS_FILE).read_text(encoding="utf-8")
    return LinearModel.from_json(text)


def top(probabilities: dict[Intent, float]) -> tuple[Intent, float]:
    """The most probable intent; ties go to the first in :class:`Intent` order, so the answer is stable."""
    order: Sequence[Intent] = list(Intent)
    best = max(order, key=lambda intent: (probabilities.get(intent, 0.0), -order.index(intent)))
    return best, probabilities.get(best, 0.0)
