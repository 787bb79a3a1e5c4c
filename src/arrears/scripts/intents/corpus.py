"""The labelled utterances the classifier learns from: ``corpus/<lang>.yaml``, written for Arrears.

Each entry is ``{text, intent}``; the file name gives the language. Near misses
between close intents are written on purpose (docs/classifier.md).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from arrears.errors import ConfigurationError
from arrears.scripts.intents.intents import Intent

CorpusLanguage = Literal["zh-CN", "zh-TW", "en"]
LANGUAGES: tuple[CorpusLanguage, ...] = ("en", "zh-CN", "zh-TW")
"""In file-name order: the held-out split depends on it."""


class _EntrySpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=1)
    intent: Intent


@dataclass(frozen=True)
class Example:
    """One labelled utterance."""

    text: str
    intent: Intent
    lang: CorpusLanguage


def parse(document: object, *, source: str, lang: CorpusLanguage) -> list[Example]:
    """Validate one corpus file's entries."""
    if not isinstance(document, list):
        raise ConfigurationError(f"{source}: expected a list of entries")
    examples = []
    for index, item in enumerate(document):
        try:
            entry = _EntrySpec.model_validate(item)
        except ValidationError as error:
            raise ConfigurationError(f"{source} entry {index + 1} is invalid: {error}") from None
        examples.append(Example(entry.text, entry.intent, lang))
    return examples


def _files() -> list[tuple[CorpusLanguage, Traversable]]:
    folder = resources.files(__package__).joinpath("corpus")
    return [(lang, folder.joinpath(f"{lang}.yaml")) for lang in LANGUAGES]


@cache
def load() -> tuple[Example, ...]:
    """Every packaged corpus file, in file-name order then entry order."""
    examples: list[Example] = []
    for lang, item in _files():
        document = yaml.safe_load(item.read_text(encoding="utf-8"))
        examples.extend(parse(document, source=item.name, lang=lang))
    return tuple(examples)


def corpus_digest() -> str:
    """SHA-256 over the corpus files' names and bytes: what the shipped model was fitted on."""
    digest = hashlib.sha256()
    for _, item in _files():
        digest.update(item.name.encode("utf-8"))
        digest.update(item.read_bytes())
    return digest.hexdigest()


def split(examples: Sequence[Example], *, every: int = 5) -> tuple[list[Example], list[Example]]:
    """Fixed split: each intent's 5th, 10th, ... example is held out, so every intent is scored."""
    seen: Counter[Intent] = Counter()
    train: list[Example] = []
    held_out: list[Example] = []
    for example in examples:
        seen[example.intent] += 1
        (held_out if seen[example.intent] % every == 0 else train).append(example)
    return train, held_out
