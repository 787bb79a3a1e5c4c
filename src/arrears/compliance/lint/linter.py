"""``lint``: find what a collector or a template must not say, with exact offsets.

Two sources of findings. Patterns give exact spans and high precision. The
model classifies each sentence (clause) and flags paraphrases the patterns miss;
its span is the whole sentence, and it stays silent on a rule that a pattern
already found inside that sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Literal

from arrears.compliance.lint import patterns
from arrears.compliance.lint.context import LintContext
from arrears.compliance.lint.model import THRESHOLD, SentenceModel, default_model
from arrears.compliance.lint.normalise import detect_language, language_family, normalise
from arrears.compliance.lint.rules import RULES, Severity
from arrears.errors import InvalidInput

Source = Literal["pattern", "model"]

# Sentence and clause ends; a full stop between two digits ("2.5万") is a decimal point.
_SENTENCE_END = re.compile(r"[。！？；!?;\n]|(?<!\d)\.|\.(?!\d)")


@dataclass(frozen=True)
class Finding:
    """One problem: ``text[start:end] == excerpt`` in the text that was linted."""

    rule: str
    start: int
    end: int
    excerpt: str
    message: str
    severity: Severity
    source: Source

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding must block saving or sending the text."""
    return any(finding.severity == "error" for finding in findings)


def lint(text: str, *, lang: str | None = None, context: LintContext | None = None) -> list[Finding]:
    """Findings in ``text``, ordered by position.

    ``lang`` is ``zh`` (Simplified or Traditional), ``en``, or None to detect it
    (any CJK character means Chinese). ``context`` says what is true of the case.
    """
    return find(text, lang=lang, context=context, model=default_model())


def find(
    text: str,
    *,
    lang: str | None,
    context: LintContext | None,
    model: SentenceModel,
    threshold: float = THRESHOLD,
    pattern_set: patterns.PatternSet | None = None,
) -> list[Finding]:
    """:func:`lint` with an explicit model, threshold and patterns (the evaluation varies them)."""
    family = _family(text, lang)
    facts = context or LintContext()
    normalised = normalise(text)
    chosen = patterns.load() if pattern_set is None else pattern_set
    hits = _merge(normalised, chosen.hits(normalised, lang=family, context=facts))
    found = [_pattern_finding(text, hit) for hit in hits]
    sentences = split_sentences(normalised)
    scores = model.probabilities([normalised[s.start : s.end] for s in sentences], lang=family)
    for sentence, probabilities in zip(sentences, scores, strict=True):
        flagged = [rule for rule, probability in probabilities.items() if probability >= threshold]
        for rule in flagged:
            excused = chosen.exempt(rule, normalised[sentence.start : sentence.end], lang=family, context=facts)
            if not excused and not _covered(found, rule, sentence):
                found.append(_model_finding(text, rule, sentence))
    return sorted(found, key=lambda finding: (finding.start, finding.end, finding.rule))


def split_sentences(text: str) -> list[Sentence]:
    """Non-blank sentences of ``text`` with surrounding whitespace trimmed."""
    sentences: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        sentences.extend(_trimmed(text, start, match.end()))
        start = match.end()
    sentences.extend(_trimmed(text, start, len(text)))
    return sentences


def _trimmed(text: str, start: int, end: int) -> Iterator[Sentence]:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        offset = start + len(piece) - len(piece.lstrip())
        yield Sentence(offset, offset + len(stripped))


def _family(text: str, lang: str | None) -> str:
    if lang is None:
        return detect_language(text)
    try:
        return language_family(lang)
    except ValueError:
        raise InvalidInput(f"unknown language '{lang}'", where="lang", hint="use zh or en") from None


def _merge(text: str, hits: Iterable[patterns.Hit]) -> list[patterns.Hit]:
    """One hit per rule for overlapping or touching pattern matches, spanning all of them."""
    merged: list[patterns.Hit] = []
    for hit in sorted(hits, key=lambda item: (item.rule, item.start, -item.end)):
        last = merged[-1] if merged else None
        if last and last.rule == hit.rule and not text[last.end : hit.start].strip():
            merged[-1] = replace(last, end=max(last.end, hit.end))
        else:
            merged.append(hit)
    return merged


def _covered(findings: Sequence[Finding], rule: str, sentence: Sentence) -> bool:
    return any(f.rule == rule and f.start < sentence.end and sentence.start < f.end for f in findings)


def _pattern_finding(text: str, hit: patterns.Hit) -> Finding:
    excerpt = text[hit.start : hit.end]
    return Finding(hit.rule, hit.start, hit.end, excerpt, hit.message, RULES[hit.rule].severity, "pattern")


def _model_finding(text: str, rule: str, sentence: Sentence) -> Finding:
    spec = RULES[rule]
    excerpt = text[sentence.start : sentence.end]
    return Finding(rule, sentence.start, sentence.end, excerpt, spec.message, spec.severity, "model")
