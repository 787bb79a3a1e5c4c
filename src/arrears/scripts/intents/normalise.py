"""What the classifier and the promise parser read: one spelling for many.

NFKC folds full-width letters and digits (３０００, ｐａｙ) to ASCII, OpenCC's
t2s turns Traditional into Simplified Chinese, and English is lowercased.
Offsets do not matter here, so unlike the linter's normaliser this one may
change the length; it also does not import the linter, whose package brings
the database layer with it and would cost most of the classifier's load budget.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import opencc

_SPACES = re.compile(r"\s+")


@cache
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """NFKC, Simplified Chinese, lowercase, runs of white space collapsed to one space."""
    folded = unicodedata.normalize("NFKC", text)
    simplified: str = _to_simplified().convert(folded)
    return _SPACES.sub(" ", simplified.lower()).strip()
