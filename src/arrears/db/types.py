"""Small column helpers shared by the domain models."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, String
from sqlalchemy.types import TypeDecorator


def enum_column(enum: type[StrEnum], length: int = 32) -> Enum:
    """A StrEnum stored as its value in VARCHAR, without a database CHECK.

    New values then need no schema migration; Python validates on the way in.
    """
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class DecimalText(TypeDecorator[Any]):
    """An exact Decimal (a rate) kept as text, identical on SQLite and PostgreSQL."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        from decimal import Decimal

        return None if value is None else Decimal(value)
