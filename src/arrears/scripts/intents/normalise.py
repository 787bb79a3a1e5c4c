"""What the classifier and the promise parser read: one spelling for many.

NFKC folds full-width letters and digits (３０００, ｐａｙ) to ASCII, OpenCC turns
Traditional into Simplified Chinese (the linter's length-keeping conversion is
reused), and English is lowercased. Offsets do not matter here, so NFKC may
change the length.
"""

from __future__ import annotations

import re
import unicodedata

from arrears.compliance.lint.normalise import to_simplified

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, Simplified Chinese, lowercase, runs of white space collapsed to one space."""
    folded = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", to_simplified(folded).lower()).strip()
