"""The featuriser: the same function feeds training (scikit-learn) and the shipped classifier.

Chinese has no spaces, so each run of Han characters gives character 1- to
3-grams, padded with a space so that a run's first and last characters are
features of their own. Latin words give the word, the bigram with the previous
word and character 2- to 5-grams of the padded word, which absorbs typos
(``alredy``) and inflections. Numbers give one shape feature (so an amount or a
day counts, not its value) and a question mark one feature. Prefixes keep the
kinds apart.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"(?P<han>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|(?P<word>[a-z]+(?:'[a-z]+)?)|(?P<number>\d+)|\?"
)


def features(normalised: str) -> list[str]:
    """The features of one normalised utterance (see :func:`normalise.normalise`), repeats kept."""
    found: list[str] = []
    previous_word: str | None = None
    for match in _TOKEN.finditer(normalised):
        kind = match.lastgroup
        token = match.group()
        if kind == "han":
            found += _ngrams(f" {token} ", 1, 3, prefix="h:")
        elif kind == "word":
            found.append(f"w:{token}")
            if previous_word is not None:
                found.append(f"b:{previous_word} {token}")
            found += _ngrams(f" {token} ", 2, 5, prefix="c:")
        elif kind == "number":
            found.append("n:number")
        else:
            found.append("p:?")
        previous_word = token if kind == "word" else None
    return found


def _ngrams(padded: str, low: int, high: int, *, prefix: str) -> list[str]:
    grams = []
    for size in range(low, high + 1):
        for start in range(len(padded) - size + 1):
            gram = padded[start : start + size]
            if gram.strip():
                grams.append(prefix + gram)
    return grams
