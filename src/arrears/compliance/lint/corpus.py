"""The labelled corpus the model learns from: ``corpus/*.yaml``, written for Arrears.

Each entry is ``{text, lang: zh-CN|zh-TW|en, labels: [rule ids]}``; an empty
``labels`` list marks a compliant sentence, often a near miss of a rule. Labels
assume the default :class:`LintContext` (the lender is not a bank, no lawsuit filed).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from arrears.compliance.lint.rules import RULES
from arrears.errors import ConfigurationError

CorpusLanguage = Literal["zh-CN", "zh-TW", "en"]


class _EntrySpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=2)
    lang: CorpusLanguage
    labels: list[str]

    @field_validator("labels")
    @classmethod
    def _known(cls, labels: list[str]) -> list[str]:
        unknown = [label for label in labels if label not in RULES]
        if unknown:
            raise ValueError(f"unknown rules {unknown}")
        return labels


@dataclass(frozen=True)
class Example:
    """One labelled sentence."""

    text: str
    lang: CorpusLanguage
    labels: frozenset[str]

    @property
    def family(self) -> str:
        return self.lang.split("-", 1)[0]


def parse(document: object, *, source: str) -> list[Example]:
    """Validate one corpus file's entries."""
    if not isinstance(document, list):
        raise ConfigurationError(f"{source}: expected a list of entries")
    examples = []
    for index, item in enumerate(document):
        try:
            entry = _EntrySpec.model_validate(item)
        except ValidationError as error:
            raise ConfigurationError(f"{source} entry {index + 1} is invalid: {error}") from None
        examples.append(Example(entry.text, entry.lang, frozenset(entry.labels)))
    return examples


@cache
def load() -> tuple[Example, ...]:
    """Every packaged corpus file, in file-name order then entry order (the split depends on it)."""
    folder = resources.files(__package__).joinpath("corpus")
    files = sorted((item for item in folder.iterdir() if item.name.endswith(".yaml")), key=lambda item: item.name)
    examples: list[Example] = []
    for item in files:
        examples.extend(parse(yaml.safe_load(item.read_text(encoding="utf-8")), source=item.name))
    return tuple(examples)


def split(examples: tuple[Example, ...], *, every: int = 5) -> tuple[list[Example], list[Example]]:
    """Fixed split: every ``every``-th example (the 5th, 10th, ...) is held out for evaluation."""
    train = [example for index, example in enumerate(examples) if (index + 1) % every]
    held_out = [example for index, example in enumerate(examples) if not (index + 1) % every]
    return train, held_out
