"""Parsing of option values shared by commands, with one-line errors."""

from __future__ import annotations

from datetime import date, datetime

from arrears.errors import InvalidInput


def parse_date(text: str, *, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date", where=option, hint="write it as YYYY-MM-DD") from None


def parse_moment(text: str | None, *, option: str) -> datetime:
    """An ISO time with its UTC offset (e.g. 2026-03-03T09:00:00+08:00); ``None`` means now."""
    if text is None:
        return datetime.now().astimezone()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"'{text}' is not a time", where=option, hint="write it as 2026-03-03T09:00:00+08:00"
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput(f"'{text}' has no UTC offset", where=option, hint="add one, e.g. +08:00") from None
    return moment
