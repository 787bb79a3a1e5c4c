"""The web app's languages: simplified Chinese first, traditional Chinese and English.

Templates are written with English message ids (``_("Today's queue")``); the
simplified Chinese catalogue (``locales/zh_CN.po``, read with Babel) translates
them, and traditional Chinese is derived from it with OpenCC (``s2twp``: Taiwan
phrasing), so there is one catalogue to keep. A test holds every id used in a
template to having a translation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import opencc
from babel.messages.pofile import read_po

LOCALES = ("zh-CN", "zh-TW", "en")
DEFAULT_LOCALE = "zh-CN"
LANGUAGE_NAMES = {"zh-CN": "简体中文", "zh-TW": "繁體中文", "en": "English"}
CATALOGUE = Path(__file__).parent / "locales" / "zh_CN.po"

Translate = Callable[[str], str]


@cache
def simplified_catalogue() -> dict[str, str]:
    """Message id -> simplified Chinese, for every translated message of the catalogue."""
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    return {str(message.id): str(message.string) for message in catalog if message.id and message.string}


@cache
def _catalogue(locale: str) -> dict[str, str]:
    if locale == "zh-CN":
        return simplified_catalogue()
    if locale == "zh-TW":
        converter = opencc.OpenCC("s2twp")
        return {key: converter.convert(value) for key, value in simplified_catalogue().items()}
    return {}


def translator(locale: str) -> Translate:
    """A ``_`` for ``locale``: the translation, or the English id when there is none."""
    catalogue = _catalogue(locale if locale in LOCALES else DEFAULT_LOCALE)

    def translate(message: str) -> str:
        return catalogue.get(message, message)

    return translate


def negotiate(requested: str | None, accept_language: str | None) -> str:
    """The locale to show: an explicit choice, else the browser's first supported language, else zh-CN."""
    if requested in LOCALES:
        return requested
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag in {"zh-tw", "zh-hk", "zh-hant", "zh-mo"}:
            return "zh-TW"
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE
