"""``arrears import`` as a user runs it: exit codes and one-line messages, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.arrears_cli import Completed, run_arrears
from tests.conftest import copy_sqlite


@pytest.fixture(scope="module")
def database(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_sqlite(sqlite_template, tmp_path_factory.mktemp("cli") / "arrears.sqlite3")


def arrears(database: str, *args: str, cwd: Path) -> Completed:
    """``arrears`` run from ``cwd`` on ``database``, with no ARREARS_TENANT to fall back on."""
    return run_arrears(*args, env={"ARREARS_DATABASE_URL": database}, cwd=cwd)


def test_good_file_then_reimport(database: str, tmp_path: Path) -> None:
    path = tmp_path / "borrowers.csv"
    path.write_text("external_id,name\nC1,张三\nC2,李四\n", encoding="utf-8")
    first = arrears(database, "import", "borrowers", str(path), "--tenant", "CLI1", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "2 new, 0 unchanged" in first.stdout
    again = arrears(database, "import", "borrowers", str(path), "--tenant", "CLI1", cwd=tmp_path)
    assert "0 new, 2 unchanged" in again.stdout


def test_bad_row_exits_2_with_a_summary(database: str, tmp_path: Path) -> None:
    path = tmp_path / "borrowers.csv"
    path.write_text("external_id,name,birth_date\nC1,张三,2026-13-01\nC2,李四,\n", encoding="utf-8")
    result = arrears(database, "import", "borrowers", str(path), "--tenant", "CLI2", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout.strip() == f"1 of 2 rows are invalid; nothing was imported; see {path}.errors.csv"
    assert "birth_date" in (tmp_path / "borrowers.csv.errors.csv").read_text(encoding="utf-8-sig")

    skipped = arrears(database, "import", "borrowers", str(path), "--tenant", "CLI2", "--skip-invalid", cwd=tmp_path)
    assert skipped.returncode == 0
    assert "1 new" in skipped.stdout and "1 of 2 rows are invalid and were skipped" in skipped.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["import", "borrowers", "missing.csv"], 2, "file not found"),
        (["import", "loans", "loans.csv", "--tenant", "NOWHERE"], 4, "no tenant with code 'NOWHERE'"),
        (["import", "borrowers", "loans.txt"], 2, "give a .csv or .xlsx file"),
        (["import", "borrowers", "loans.csv"], 2, "missing column(s): external_id, name"),
        (["import", "mortgages", "loans.csv"], 2, "No such command"),
    ],
)
def test_user_errors_are_one_line(database: str, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    (tmp_path / "loans.csv").write_text("account_number\nL1\n", encoding="utf-8")
    (tmp_path / "loans.txt").write_text("account_number\nL1\n", encoding="utf-8")
    result = arrears(database, *args, cwd=tmp_path)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
