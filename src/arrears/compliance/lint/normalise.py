"""Text normalisation that keeps every character where it was.

Findings point into the text the user gave, so normalisation must map one
character to exactly one character: Traditional to Simplified Chinese (OpenCC),
full-width ASCII to half-width, curly quotes to straight ones. Rules and the
model then only need to know Simplified Chinese and plain ASCII.
"""

from __future__ import annotations

import re
from functools import cache

import opencc

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_FULL_WIDTH_OFFSET = 0xFEE0
_PUNCTUATION = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u3000": " "})

LANGUAGES = ("zh", "en")


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def detect_language(text: str) -> str:
    """``zh`` when the text holds any CJK ideograph, else ``en``."""
    return "zh" if _CJK.search(text) else "en"


def language_family(lang: str) -> str:
    """``zh-CN``/``zh-TW``/``zh`` -> ``zh``; ``en``/``en-US`` -> ``en``; anything else -> ValueError."""
    family = lang.split("-", 1)[0].lower()
    if family not in LANGUAGES:
        raise ValueError(lang)
    return family


def fold_width(text: str) -> str:
    """Full-width ASCII (ＡＢＣ１２３！) to half-width, curly quotes to straight; same length."""
    folded = "".join(chr(ord(char) - _FULL_WIDTH_OFFSET) if "！" <= char <= "～" else char for char in text)
    return folded.translate(_PUNCTUATION)


def to_simplified(text: str) -> str:
    """Traditional -> Simplified, guaranteed to keep the length of ``text``.

    OpenCC's t2s is one character for one character for nearly all text; when a
    phrase rule changes the length, each character is converted alone instead,
    and a character whose conversion is not one character is kept as it is.
    """
    converter = _converter()
    converted: str = converter.convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(_one_char(converter.convert(char), char) for char in text)


def _one_char(converted: str, original: str) -> str:
    return converted if len(converted) == 1 else original


def normalise(text: str) -> str:
    """The text rules and the model read: same length as ``text``, same offsets."""
    return to_simplified(fold_width(text))
