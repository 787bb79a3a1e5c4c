"""Parsing of option values shared by commands, with one-line errors."""

from __future__ import annotations

from datetime import date

from arrears.errors import InvalidInput


def parse_date(text: str, *, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date", where=option, hint="write it as YYYY-MM-DD") from None
