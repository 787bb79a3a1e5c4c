"""Writing a benchmark's section into docs/benchmarks.md between its own markers."""

from __future__ import annotations

from pathlib import Path


def write_section(report: Path, section: str, *, start: str, end: str) -> None:
    """Replace the text between ``start`` and ``end`` (both included in ``section``), or append the section."""
    existing = report.read_text(encoding="utf-8") if report.exists() else "# Benchmarks\n"
    if start in existing:
        head, rest = existing.split(start, 1)
        tail = rest.split(end, 1)[1] if end in rest else ""
        updated = head + section + tail
    else:
        updated = existing.rstrip("\n") + "\n\n" + section + "\n"
    report.write_text(updated, encoding="utf-8")
