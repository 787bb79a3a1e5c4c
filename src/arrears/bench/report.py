"""What every benchmark report shares: the commit and machine measured, and its section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import subprocess
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


def commit() -> str:
    """The short hash of the checked-out commit (read it before measuring: HEAD may move meanwhile)."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def machine() -> str:
    """Operating system, architecture, cores and CPU model, and memory, for the figures' heading."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({model}), {memory:.0f} GiB RAM"
