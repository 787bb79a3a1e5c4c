"""The guard benchmark runs end to end on a small history and writes its section into the report."""

from __future__ import annotations

from pathlib import Path

from arrears.bench.guard import MARKER_END, MARKER_START, measure, render, write_report


def test_the_guard_benchmark_reports_every_scenario_and_replaces_its_section(tmp_path: Path) -> None:
    rows = measure(events=50, repeats=20)
    assert {row["pack"] for row in rows} == {"cn", "us"}
    assert all(float(str(row["median_us"])) > 0 for row in rows)
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n\nkept\n", encoding="utf-8")
    write_report(report, render(rows, events=50, repeats=20))
    write_report(report, render(rows, events=50, repeats=20))
    text = report.read_text(encoding="utf-8")
    assert text.count(MARKER_START) == 1 and text.count(MARKER_END) == 1
    assert "kept" in text
