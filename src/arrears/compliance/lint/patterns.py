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


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("regex", check_fields=False)
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"bad regex {value!r}: {error}") from None
        return value

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
    patterns: list[PatternSpec] = Field(min_length=1)
    exemptions: list[ExemptionSpec] = Field(default_factory=list)


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern; ``unless`` names the context fact that makes the words lawful."""

    rule: str
    lang: Language
    regex: re.Pattern[str]
    message: str
    unless: ContextFlag | None
    negation: re.Pattern[str] | None
    negation_window: int


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
        for pattern in self.patterns:
            if pattern.lang != lang or (pattern.unless and context.holds(pattern.unless)):
                continue
            for match in pattern.regex.finditer(text):
                if match.end() > match.start() and not _negated(text, match.start(), pattern):
                    yield Hit(pattern.rule, match.start(), match.end(), pattern.message)

    def exempt(self, rule: str, sentence: str, *, lang: str, context: LintContext) -> bool:
        """True when a context fact makes a model finding of ``rule`` on ``sentence`` lawful."""
        return any(
            exemption.rule == rule
            and exemption.lang == lang
            and context.holds(exemption.when)
            and exemption.regex.search(sentence)
            for exemption in self.exemptions
        )


def _negated(text: str, start: int, pattern: Pattern) -> bool:
    """A negator just before the match, in the same clause ("请勿转到个人账户")."""
    if pattern.negation is None:
        return False
    before = text[max(0, start - pattern.negation_window) : start]
    clause = _CLAUSE_END.split(before)[-1]
    return pattern.negation.search(clause) is not None


def parse(document: object) -> PatternSet:
    """Validate a loaded ``patterns.yaml`` document and compile it."""
    try:
        spec = PatternFile.model_validate(document)
    except ValidationError as error:
        raise ConfigurationError(f"patterns.yaml is invalid: {error}") from None
    negators = {lang: re.compile(regex, re.IGNORECASE) for lang, regex in spec.negators.items()}
    patterns = tuple(
        Pattern(
            rule=item.rule,
            lang=item.lang,
            regex=re.compile(item.regex, re.IGNORECASE),
            message=item.message or RULES[item.rule].message,
            unless=item.unless,
            negation=negators.get(item.lang) if item.negatable else None,
            negation_window=spec.negation_window.get(item.lang, 0),
        )
        for item in spec.patterns
    )
    exemptions = tuple(
        Exemption(item.rule, item.lang, item.when, re.compile(item.regex, re.IGNORECASE)) for item in spec.exemptions
    )
    return PatternSet(patterns, exemptions)


@cache
def load() -> PatternSet:
    """The packaged patterns, read and validated once per process."""
    source = resources.files(__package__).joinpath("patterns.yaml").read_text(encoding="utf-8")
    return parse(yaml.safe_load(source))
