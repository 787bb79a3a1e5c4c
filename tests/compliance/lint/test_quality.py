"""The corpus and the model stay good enough: a bad corpus or pattern edit fails here."""

from __future__ import annotations

from collections import Counter

import pytest

from arrears.compliance.lint import RULES
from arrears.compliance.lint import corpus as corpus_module
from arrears.compliance.lint import patterns as patterns_module
from arrears.compliance.lint.corpus import load, split
from arrears.compliance.lint.evaluate import evaluate, predictor
from arrears.compliance.lint.model import SentenceModel, train
from arrears.compliance.lint.patterns import PatternSet
from arrears.errors import ConfigurationError


@pytest.fixture(scope="module")
def held_out_model() -> SentenceModel:
    train_part, _ = split(load())
    return train(train_part)


def test_the_corpus_is_large_and_covers_every_rule_in_every_language() -> None:
    examples = load()
    assert len(examples) >= 600
    counts = Counter((label, example.lang) for example in examples for label in example.labels)
    for rule in RULES:
        for lang in ("zh-CN", "zh-TW", "en"):
            assert counts[(rule, lang)] >= 8, (rule, lang)
    assert sum(1 for example in examples if not example.labels) >= 200


def test_the_corpus_has_no_duplicate_sentences() -> None:
    texts = [example.text for example in load()]
    assert len(texts) == len(set(texts))


def test_held_out_precision_and_recall_stay_above_their_floors(held_out_model: SentenceModel) -> None:
    _, held_out = split(load())
    result = evaluate(held_out, predictor(held_out_model))
    assert result.overall.precision >= 0.9
    assert result.overall.recall >= 0.85
    assert result.compliant_flagged <= 2


def test_the_model_alone_stays_precise_on_held_out_sentences(held_out_model: SentenceModel) -> None:
    """Without patterns the model finds less, but what it flags must stay mostly right."""
    _, held_out = split(load())
    result = evaluate(held_out, predictor(held_out_model, pattern_set=PatternSet((), ())))
    assert result.overall.precision >= 0.85
    assert result.overall.recall >= 0.15


def test_training_on_the_whole_corpus_is_deterministic() -> None:
    """Two trainings give the same probabilities (how long training takes is measured in docs/linter.md)."""
    examples = load()
    first = train(examples)
    second = train(examples)
    sentences = ["你不还钱我们就去你家", "we will be in touch"]
    assert first.probabilities(sentences[:1], lang="zh") == second.probabilities(sentences[:1], lang="zh")
    assert first.probabilities(sentences[1:], lang="en") == second.probabilities(sentences[1:], lang="en")


@pytest.mark.parametrize(
    "document",
    [
        {"negators": {}, "negation_window": {}, "patterns": [{"rule": "nope", "lang": "zh", "regex": "x"}]},
        {"negators": {}, "negation_window": {}, "patterns": [{"rule": "insult", "lang": "zh", "regex": "(("}]},
        {"negators": {}, "negation_window": {}, "patterns": [{"rule": "insult", "lang": "fr", "regex": "x"}]},
    ],
)
def test_a_bad_pattern_file_is_refused(document: object) -> None:
    with pytest.raises(ConfigurationError):
        patterns_module.parse(document)


def test_a_corpus_entry_with_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="entry 1"):
        corpus_module.parse([{"text": "你好", "lang": "zh-CN", "labels": ["rude"]}], source="test.yaml")
