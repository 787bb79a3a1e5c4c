"""Curated patterns (high precision), loaded from ``patterns.yaml`` and validated once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from arrears.compliance.lint.context import ContextFlag, LintContext
from arrears.compliance.lint.rules import RULES
from arrears.errors import ConfigurationError

Language = Literal["zh", "en"]
_CLAUSE_END = re.compile(r"[,。!?;\n]")
_SENTENCE_END = re.compile(r"[。!?;\n]|(?<!\d)\.|\.(?!\d)")


def _checked(regex: str) -> str:
    try:
        re.compile(regex)
    except re.error as error:
        raise ValueError(f"bad regex {regex!r}: {error}") from None
    return regex


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("regex", check_fields=False)
    @classmethod
    def _compiles(cls, value: str) -> str:
        return _checked(value)

    @field_validator("rule", check_fields=False)
    @classmethod
    def _known_rule(cls, value: str) -> str:
        if value not in RULES:
            raise ValueError(f"unknown rule {value!r}")
        return value


class PatternSpec(_Spec):
    rule: str
    lang: Language
    regex: str
    message: str | None = None
    unless: ContextFlag | None = None
    negatable: bool = False


class ExemptionSpec(_Spec):
    rule: str
    lang: Language
    when: ContextFlag
    regex: str


class PatternFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    negators: dict[Language, str]
    negation_window: dict[Language, int]
    clause_negators: dict[Language, str] = Field(default_factory=dict)
    negation_breaks: dict[Language, str] = Field(default_factory=dict)
    coordinators: dict[Language, str] = Field(default_factory=dict)
    after_negators: dict[Language, str] = Field(default_factory=dict)
    patterns: list[PatternSpec] = Field(min_length=1)
    exemptions: list[ExemptionSpec] = Field(default_factory=list)

    @field_validator("negators", "clause_negators", "negation_breaks", "coordinators", "after_negators")
    @classmethod
    def _all_compile(cls, regexes: dict[Language, str]) -> dict[Language, str]:
        for regex in regexes.values():
            _checked(regex)
        return regexes


@dataclass(frozen=True)
class Negation:
    """How one language marks a match as negated ("请勿转到个人账户", "so please don't")."""

    negators: re.Pattern[str]
    window: int
    clause_negators: re.Pattern[str] | None = None
    breaks: re.Pattern[str] | None = None
    coordinators: re.Pattern[str] | None = None
    after: re.Pattern[str] | None = None

    def before(self, text: str, start: int) -> bool:
        """A negator shortly before ``start`` in its clause, not cut off by a consequence ("要是不能还就…")."""
        clause = _CLAUSE_END.split(text[:start])[-1]
        if self.clause_negators is not None and self.clause_negators.search(clause):
            return True
        window = clause[max(0, len(clause) - self.window) :]
        negators = list(self.negators.finditer(window))
        if not negators:
            return False
        return self.breaks is None or self.breaks.search(window[negators[-1].end() :]) is None

    def following(self, text: str, end: int) -> bool:
        """The sentence ends by forbidding what it just named ("…a loan shark, so please don't.")."""
        if self.after is None:
            return False
        rest = _SENTENCE_END.split(text[end:], maxsplit=1)[0]
        return self.after.search(rest) is not None

    def coordinated(self, text: str, previous_end: int, start: int) -> bool:
        """Only a coordinator ("or", "或者") between an earlier negated match and this one."""
        if self.coordinators is None or previous_end > start:
            return False
        gap = text[previous_end:start]
        return _CLAUSE_END.search(gap) is None and self.coordinators.search(gap) is not None


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern; ``unless`` names the context fact that makes the words lawful."""

    rule: str
    lang: Language
    regex: re.Pattern[str]
    message: str
    unless: ContextFlag | None
    negation: Negation | None


@dataclass(frozen=True)
class Exemption:
    """A model finding of ``rule`` is dropped when ``when`` holds and its sentence matches."""

    rule: str
    lang: Language
    when: ContextFlag
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Hit:
    rule: str
    start: int
    end: int
    message: str


@dataclass(frozen=True)
class PatternSet:
    patterns: tuple[Pattern, ...]
    exemptions: tuple[Exemption, ...]

    def hits(self, text: str, *, lang: str, context: LintContext) -> Iterator[Hit]:
        """Every match in ``text`` (already normalised) that the context does not excuse."""
        negated_ends: dict[str, list[int]] = {}
        candidates: list[tuple[Pattern, int, int]] = []
        for pattern in self.patterns:
            if pattern.lang != lang or (pattern.unless and context.holds(pattern.unless)):
                continue
            for match in pattern.regex.finditer(text):
                if match.end() <= match.start():
                    continue
                if _negated(text, match.start(), match.end(), pattern):
                    negated_ends.setdefault(pattern.rule, []).append(match.end())
                else:
                    candidates.append((pattern, match.start(), match.end()))
        for pattern, start, end in candidates:
            negation = pattern.negation
            ends = negated_ends.get(pattern.rule, [])
            if negation is not None and any(negation.coordinated(text, before, start) for before in ends):
                continue
            yield Hit(pattern.rule, start, end, pattern.message)

    def exempt(self, rule: str, sentence: str, *, lang: str, context: LintContext) -> bool:
        """True when a context fact makes a model finding of ``rule`` on ``sentence`` lawful."""
        return any(
            exemption.rule == rule
            and exemption.lang == lang
            and context.holds(exemption.when)
            and exemption.regex.search(sentence)
            for exemption in self.exemptions
        )


def _negated(text: str, start: int, end: int, pattern: Pattern) -> bool:
    """Negated before the match in the same clause ("请勿转到个人账户"), or forbidden after it in the sentence."""
    if pattern.negation is None:
        return False
    return pattern.negation.before(text, start) or pattern.negation.following(text, end)


def parse(document: object) -> PatternSet:
    """Validate a loaded ``patterns.yaml`` document and compile it."""
    try:
        spec = PatternFile.model_validate(document)
    except ValidationError as error:
        raise ConfigurationError(f"patterns.yaml is invalid: {error}") from None
    negations = {
        lang: Negation(
            negators=re.compile(regex, re.IGNORECASE),
            window=spec.negation_window.get(lang, 0),
            clause_negators=_optional(spec.clause_negators, lang),
            breaks=_optional(spec.negation_breaks, lang),
            coordinators=_optional(spec.coordinators, lang),
            after=_optional(spec.after_negators, lang),
        )
        for lang, regex in spec.negators.items()
    }
    patterns = tuple(
        Pattern(
            rule=item.rule,
            lang=item.lang,
            regex=re.compile(item.regex, re.IGNORECASE),
            message=item.message or RULES[item.rule].message,
            unless=item.unless,
            negation=negations.get(item.lang) if item.negatable else None,
        )
        for item in spec.patterns
    )
    exemptions = tuple(
        Exemption(item.rule, item.lang, item.when, re.compile(item.regex, re.IGNORECASE)) for item in spec.exemptions
    )
    return PatternSet(patterns, exemptions)


def _optional(regexes: dict[Language, str], lang: Language) -> re.Pattern[str] | None:
    regex = regexes.get(lang)
    return None if regex is None else re.compile(regex, re.IGNORECASE)


@cache
def load() -> PatternSet:
    """The packaged patterns, read and validated once per process."""
    source = resources.files(__package__).joinpath("patterns.yaml").read_text(encoding="utf-8")
    return parse(yaml.safe_load(source))
