"""Set-based writes for the run's stages: COPY on PostgreSQL, one bulk INSERT on SQLite.

Rows come in storage form (money as integer cents, enums as their values,
times aware), which is what COPY takes; an executemany INSERT goes through
the statement machinery once per row, which was most of the time of the
stages that write a row per case.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from arrears.db.base import Money


def insert_rows(db_session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``; returns how many."""
    if not rows:
        return 0
    connection = db_session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)
    money = [isinstance(table.c[name].type, Money) for name in columns]
    db_session.execute(
        insert(table),
        [
            {
                name: Decimal(value).scaleb(-2) if is_money and value is not None else value
                for name, value, is_money in zip(columns, row, money, strict=True)
            }
            for row in rows
        ],
    )
    return len(rows)
