"""Import of borrowers, loans, schedules, payments and contacts from CSV or XLSX files."""

from arrears.portfolio.importing.flows import ImportResult, import_file
from arrears.portfolio.importing.schemas import Kind

__all__ = ["ImportResult", "Kind", "import_file"]
