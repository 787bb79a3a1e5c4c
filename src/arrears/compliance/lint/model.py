"""The statistical half of the linter: TF-IDF features and one-vs-rest logistic regression.

Patterns are precise but literal; the model catches paraphrase. One model per
language family: character n-grams (``char_wb`` 1-4) for Chinese, which has no
spaces to split words on, and words plus character n-grams for English. Training
is deterministic (fixed ``random_state``, ``liblinear``) and takes well under a
second on the packaged corpus, so it happens lazily on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from arrears.compliance.lint.corpus import Example, load
from arrears.compliance.lint.normalise import normalise
from arrears.compliance.lint.rules import RULE_IDS

THRESHOLD = 0.6
"""Probability above which a sentence is flagged; chosen on the held-out split to keep precision high."""

RANDOM_STATE = 20261123


@dataclass(frozen=True)
class LanguageModel:
    """A fitted pipeline for one language family, and the rule ids its outputs stand for."""

    pipeline: Any
    rules: tuple[str, ...]

    def probabilities(self, sentences: Sequence[str]) -> list[dict[str, float]]:
        """Rule id -> probability for each (normalised) sentence."""
        if not sentences:
            return []
        rows = self.pipeline.predict_proba(list(sentences))
        return [{rule: float(row[index]) for index, rule in enumerate(self.rules)} for row in rows]


@dataclass(frozen=True)
class SentenceModel:
    """Language family -> fitted model; a family without training data has none."""

    models: dict[str, LanguageModel]

    def probabilities(self, sentences: Sequence[str], *, lang: str) -> list[dict[str, float]]:
        model = self.models.get(lang)
        if model is None:
            return [{} for _ in sentences]
        return model.probabilities(sentences)


def _vectoriser(family: str) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    if family == "zh":
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )


def _fit(family: str, examples: Sequence[Example]) -> LanguageModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MultiLabelBinarizer

    rules = tuple(rule for rule in RULE_IDS if any(rule in example.labels for example in examples))
    targets = MultiLabelBinarizer(classes=list(rules)).fit_transform([example.labels for example in examples])
    classifier = LogisticRegression(C=10.0, class_weight="balanced", solver="liblinear", random_state=RANDOM_STATE)
    pipeline = Pipeline([("features", _vectoriser(family)), ("classify", OneVsRestClassifier(classifier))])
    pipeline.fit([normalise(example.text) for example in examples], targets)
    return LanguageModel(pipeline, rules)


def train(examples: Iterable[Example]) -> SentenceModel:
    """Fit one model per language family present in ``examples``."""
    by_family: dict[str, list[Example]] = {}
    for example in examples:
        by_family.setdefault(example.family, []).append(example)
    return SentenceModel({family: _fit(family, items) for family, items in by_family.items() if _learnable(items)})


def _learnable(examples: Sequence[Example]) -> bool:
    """At least one violating and one compliant example: otherwise there is nothing to learn."""
    return any(example.labels for example in examples) and any(not example.labels for example in examples)


@cache
def default_model() -> SentenceModel:
    """The model trained on the whole packaged corpus, once per process."""
    return train(load())
