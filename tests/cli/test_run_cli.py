"""``arrears run`` from the command line: a day that has not ended is refused in one line."""

from __future__ import annotations

from pathlib import Path

from tests.arrears_cli import run_arrears


def test_the_run_refuses_a_day_that_has_not_ended(data_dir: Path) -> None:
    done = run_arrears("run", "--as-of", "2999-01-01", "--tenant", "acme", env={"ARREARS_DATA_DIR": str(data_dir)})
    assert done.returncode == 2
    assert "has not ended yet" in done.stderr and "Traceback" not in done.stderr


def test_a_step_size_below_one_is_refused_before_anything_runs(data_dir: Path) -> None:
    done = run_arrears("run", "--as-of", "2026-01-01", "--loans-per-step", "0", env={"ARREARS_DATA_DIR": str(data_dir)})
    assert done.returncode == 2
    assert "--loans-per-step" in done.stderr and "Traceback" not in done.stderr
