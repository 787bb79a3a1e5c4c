"""Stream the rows of a CSV or XLSX file with their spreadsheet row numbers.

The header is row 1, so the first data row is row 2, as a user sees it in Excel
or WPS. Files are never read into memory whole: CSV is decoded as it is read and
XLSX is opened in openpyxl's read-only (streaming) mode.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arrears.errors import InvalidInput
from arrears.portfolio.importing.fields import Cell

SUPPORTED_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, Cell]


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else GB18030."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as stream:
            while block := stream.read(1 << 16):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _normalise_header(raw: list[Any]) -> list[str]:
    return [("" if cell is None else str(cell)).strip().lower() for cell in raw]


def check_header(header: list[str], *, required: tuple[str, ...], known: tuple[str, ...], source: str) -> None:
    missing = [name for name in required if name not in header]
    if missing:
        raise InvalidInput(
            f"missing column(s): {', '.join(missing)}", where=f"{source} row 1", hint="see docs/import.md"
        )
    unknown = [name for name in header if name and name not in known]
    if unknown:
        raise InvalidInput(
            f"unknown column(s): {', '.join(unknown)}",
            where=f"{source} row 1",
            hint=f"known columns are {', '.join(known)}",
        )
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise InvalidInput(f"column '{name}' appears twice", where=f"{source} row 1")
        seen.add(name)


def _blank(values: list[Any]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as stream:
        yield from csv.reader(stream)


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InvalidInput(f"cannot read {path.name} as an XLSX workbook: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        workbook.close()


def check_file(path: Path) -> None:
    if not path.is_file():
        raise InvalidInput(f"file not found: {path}")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InvalidInput(f"cannot import '{path.name}'", hint="give a .csv or .xlsx file")


def read_rows(path: Path, *, required: tuple[str, ...], known: tuple[str, ...]) -> Iterator[Row]:
    """Check the header, then yield each non-blank data row as column -> cell."""
    check_file(path)
    suffix = path.suffix.lower()
    rows = _csv_rows(path) if suffix == ".csv" else _xlsx_rows(path)
    try:
        first = next(rows, None)
        if first is None:
            raise InvalidInput("the file is empty", where=path.name, hint="the first row must name the columns")
        header = _normalise_header(first)
        check_header(header, required=required, known=known, source=path.name)
        width = len(header)
        for index, values in enumerate(rows, start=2):
            if _blank(values):
                continue
            if len(values) > width and not _blank(values[width:]):
                raise InvalidInput(
                    f"row {index} has {len(values)} cells but the header names {width} columns", where=path.name
                )
            padded = list(values[:width]) + [None] * (width - len(values))
            yield Row(
                number=index,
                values={name: value for name, value in zip(header, padded, strict=True) if name},
            )
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
