"""Tenants and products from the command line: versions only when rules change, one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.arrears_cli import Completed, run_arrears

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "product-cash12.yaml"

Run = Callable[..., Completed]


@pytest.fixture
def run(data_dir: Path) -> Run:
    def invoke(*args: str) -> Completed:
        return run_arrears(*args, env={"ARREARS_DATA_DIR": str(data_dir)})

    return invoke


def test_loading_the_same_rules_twice_keeps_one_version(run: Run, tmp_path: Path) -> None:
    assert run("tenant", "create", "acme").returncode == 0
    first = run("product", "load", str(EXAMPLE), "--tenant", "acme")
    again = run("product", "load", str(EXAMPLE), "--tenant", "acme")
    assert "rules version 1" in first.stdout
    assert "rules version 1" in again.stdout
    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE.read_text(encoding="utf-8").replace("grace_days: 3", "grace_days: 5"), encoding="utf-8")
    assert "rules version 2" in run("product", "load", str(changed), "--tenant", "acme").stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("code: [X\n", "not valid YAML"),
        ("code: X\n", "name: Field required"),
        ("code: X\nname: y\neffective_from: 2026-01-01\nrules: {charges: {grace_days: -1}}\n", "grace_days"),
        ("\udcff", "is not UTF-8 text"),
        (
            "code: X\nname: y\neffective_from: 2026-01-01\nbucket_set: {name: s, buckets: "
            "[{name: a, min_dpd: 1, max_dpd: 10}, {name: b, min_dpd: 5}]}\n",
            "overlap",
        ),
    ],
)
def test_a_bad_product_file_gets_one_line_and_exit_2(run: Run, tmp_path: Path, content: str, message: str) -> None:
    run("tenant", "create", "acme")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content.encode("utf-8", errors="surrogateescape"))
    result = run("product", "load", str(bad), "--tenant", "acme")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unknown_tenant_is_not_found(run: Run) -> None:
    result = run("product", "load", str(EXAMPLE), "--tenant", "nobody")
    assert result.returncode == 4
    assert "arrears tenant create" in result.stderr


def _bare(tmp_path: Path, *args: str, **env: str) -> Completed:
    """``arrears`` on an empty data directory: no database file, no schema."""
    return run_arrears(*args, env={"ARREARS_DATA_DIR": str(tmp_path), **env})


def test_a_database_without_the_schema_says_to_upgrade(tmp_path: Path) -> None:
    result = _bare(tmp_path, "summary", "--tenant", "demo")
    assert result.returncode == 6
    assert "run `arrears db upgrade` first" in result.stderr


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = _bare(
        tmp_path, "summary", "--tenant", "demo", ARREARS_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    assert result.returncode == 6
    assert "cannot open the database" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_directory_is_not_a_product_file(run: Run, tmp_path: Path) -> None:
    run("tenant", "create", "acme")
    result = run("product", "load", str(tmp_path), "--tenant", "acme")
    assert result.returncode == 2
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_revision_is_one_line(tmp_path: Path) -> None:
    result = _bare(tmp_path, "db", "downgrade", "nonsense")
    assert result.returncode == 2
    assert "Can't locate revision" in result.stderr
    assert "Traceback" not in result.stderr
