"""``arrears analytics`` from the command line: a measure as JSON and CSV, the workbook, mistakes in one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.contact.enums import PromiseStatus
from arrears.contact.models import PromiseToPay
from arrears.db.session import create_db_engine
from arrears.org import service as tenants
from arrears.portfolio.models import Borrower
from tests.arrears_cli import Completed, run_arrears

Run = Callable[..., Completed]
MARCH = ("--tenant", "acme", "--from", "2026-03-01", "--to", "2026-03-31")


@pytest.fixture
def run(data_dir: Path) -> Run:
    """A database with two promises due in March: 100 kept in full, 300 broken."""
    url = f"sqlite:///{data_dir}/arrears.sqlite3"
    engine = create_db_engine(url)
    with Session(engine) as db_session, db_session.begin():
        tenant = tenants.get_or_create(db_session=db_session, code="acme")
        borrower = Borrower(tenant_id=tenant.id, external_id="C1", name="张三")
        db_session.add(borrower)
        db_session.flush()
        case = Case(tenant_id=tenant.id, borrower_id=borrower.id, opened_on=date(2026, 3, 1))
        db_session.add(case)
        db_session.flush()
        for amount, paid, status in (("100.00", "100.00", PromiseStatus.KEPT), ("300.00", "0", PromiseStatus.BROKEN)):
            db_session.add(
                PromiseToPay(
                    case_id=case.id,
                    amount=Decimal(amount),
                    amount_paid=Decimal(paid),
                    due_on=date(2026, 3, 9),
                    status=status,
                )
            )
    engine.dispose()

    def invoke(*args: str) -> Completed:
        return run_arrears(*args, env={"ARREARS_DATA_DIR": str(data_dir)})

    return invoke


def test_a_measure_as_json_and_as_csv(run: Run) -> None:
    """2 resolved, 1 kept -> 0.5; 400 promised, 100 paid -> 0.25."""
    as_json = run("analytics", "show", "promises_kept", *MARCH, "--format", "json")
    as_csv = run("analytics", "show", "promises_kept", *MARCH, "--format", "csv")

    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["rows"] == [
        {
            "resolved": 2,
            "kept": 1,
            "partly_kept": 0,
            "broken": 1,
            "kept_rate": "0.500000",
            "promised": "400.00",
            "paid": "100.00",
            "paid_share": "0.250000",
        }
    ]
    assert as_csv.stdout.splitlines()[1] == "2,1,0,1,0.500000,400.00,100.00,0.250000"


def test_every_measure_into_one_workbook(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "march.xlsx"
    done = run("analytics", "export", "--out", str(out), *MARCH)

    assert done.returncode == 0, done.stderr
    assert "promises_kept" in openpyxl.load_workbook(out).sheetnames


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "promises", *MARCH), "no measure 'promises'"),
        (("show", "promises_kept", "--tenant", "acme", "--from", "2026-03-31", "--to", "2026-03-01"), "before it"),
        (("show", "promises_kept", *MARCH, "--team", "nobody"), "no team 'nobody'"),
        (("show", "recovery_curve", *MARCH, "--target", "7-0.6"), "target '7-0.6'"),
        (
            ("show", "promises_kept", "--tenant", "acme", "--from", "March", "--to", "2026-03-31"),
            "'March' is not a date",
        ),
    ],
)
def test_mistakes_are_one_line_and_exit_non_zero(run: Run, args: tuple[str, ...], message: str) -> None:
    done = run("analytics", *args)

    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_targets_are_set_as_versions_and_shown(run: Run) -> None:
    before = run("analytics", "targets", "show", "--tenant", "acme")
    first = run("analytics", "targets", "set", "--tenant", "acme", "7:0.5", "15:0.9")
    again = run("analytics", "targets", "set", "--tenant", "acme", "15:0.9", "7:0.5")
    second = run("analytics", "targets", "set", "--tenant", "acme", "7:0.55")
    shown = run("analytics", "targets", "show", "--tenant", "acme")
    as_json = json.loads(run("analytics", "targets", "show", "--tenant", "acme", "--json").stdout)

    assert "acme: 7:0.6, 15:0.8 (the defaults (none set))" in before.stdout
    assert "targets 7:0.5, 15:0.9 set as version 1" in first.stdout
    assert "unchanged at version 1" in again.stdout
    assert "set as version 2" in second.stdout
    assert "acme: 7:0.55 (version 2)" in shown.stdout
    assert "version 1: 7:0.5, 15:0.9, set " in shown.stdout
    assert as_json["current"] == [{"bucket": None, "day": 7, "share": "11/20"}]
    assert [v["version"] for v in as_json["versions"]] == [2, 1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("7:sixty",), "needs a whole day and a share"),
        (("7:0.5", "7:0.6"), "two targets for day 7"),
        (("40:0.5",), "a target day must be 0..30"),
    ],
)
def test_bad_targets_are_one_line_with_exit_2_and_write_nothing(run: Run, args: tuple[str, ...], message: str) -> None:
    refused = run("analytics", "targets", "set", "--tenant", "acme", *args)
    shown = run("analytics", "targets", "show", "--tenant", "acme")
    assert refused.returncode == 2
    assert message in refused.stderr and "Traceback" not in refused.stderr
    assert "(the defaults (none set))" in shown.stdout
