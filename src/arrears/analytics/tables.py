"""A measure's result as one plain table, and its CSV and XLSX exports.

Cells are ``str`` (names, and amounts and rates written exactly), ``int``,
``date`` or ``None``; rates are :class:`fractions.Fraction` in Python and are
written as decimal strings rounded to :data:`RATE_PLACES` places only on output.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import xlsxwriter  # type: ignore[import-untyped]

Cell = str | int | Decimal | Fraction | date | bool | None

RATE_PLACES = 6


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> Fraction | None:
    """``numerator / denominator`` exactly; ``None`` when there is nothing to divide by."""
    if not denominator:
        return None
    return Fraction(numerator) / Fraction(denominator)


def text(cell: Cell) -> str | int | bool | None:
    """A cell as JSON and CSV carry it: amounts and rates as exact strings, dates in ISO form."""
    if isinstance(cell, Fraction):
        quantum = Decimal(1).scaleb(-RATE_PLACES)
        value = Decimal(cell.numerator) / Decimal(cell.denominator)
        return str(value.quantize(quantum, rounding=ROUND_HALF_UP))
    if isinstance(cell, Decimal):
        return str(cell)
    if isinstance(cell, date):
        return cell.isoformat()
    return cell


@dataclass(frozen=True)
class Table:
    """One measure: named columns, rows in a stated order, and the filters it could not honour."""

    measure: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    ignored: tuple[str, ...] = field(default=())

    def records(self) -> list[dict[str, str | int | bool | None]]:
        return [dict(zip(self.columns, (text(cell) for cell in row), strict=True)) for row in self.rows]

    def column(self, name: str) -> list[Cell]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def row(self, **keys: Cell) -> tuple[Cell, ...]:
        """The one row whose named cells equal ``keys`` (for tests and drill-downs)."""
        positions = {self.columns.index(name): value for name, value in keys.items()}
        found = [row for row in self.rows if all(row[i] == value for i, value in positions.items())]
        if len(found) != 1:
            raise LookupError(f"{len(found)} rows of {self.measure} match {keys}")
        return found[0]

    def cell(self, name: str, **keys: Cell) -> Cell:
        return self.row(**keys)[self.columns.index(name)]


def to_csv(table: Table) -> str:
    """UTF-8 CSV with a header row (a spreadsheet opens it as it is)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if cell is None else text(cell) for cell in row])
    return buffer.getvalue()


def to_xlsx(tables: list[Table]) -> bytes:
    """One worksheet per table, named after its measure; amounts and rates as numbers, dates as ISO text."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    for table in tables:
        sheet = workbook.add_worksheet(table.measure[:31])
        sheet.write_row(0, 0, table.columns, bold)
        for r, row in enumerate(table.rows, start=1):
            for c, cell in enumerate(row):
                if cell is None:
                    continue
                if isinstance(cell, bool):
                    sheet.write_boolean(r, c, cell)
                elif isinstance(cell, int):
                    sheet.write_number(r, c, cell)
                elif isinstance(cell, Decimal | Fraction):
                    shown = text(cell)
                    assert isinstance(shown, str)
                    # A spreadsheet cell holds a binary double: it gets the rounded decimal text's value.
                    sheet.write_number(r, c, float(Decimal(shown)))
                else:
                    sheet.write_string(r, c, str(text(cell)))
        sheet.set_column(0, len(table.columns) - 1, 14)
    workbook.close()
    return buffer.getvalue()
