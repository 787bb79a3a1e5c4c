"""Contacts, holds and complaints from the command line: blocked is exit 3, mistakes are one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from arrears.cases.models import Case
from arrears.db.session import create_db_engine
from arrears.org import service as tenants
from arrears.portfolio.models import Borrower
from tests.arrears_cli import Completed, run_arrears

Run = Callable[..., Completed]


@pytest.fixture
def case_id(data_dir: Path) -> int:
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
        found = case.id
    engine.dispose()
    return found


@pytest.fixture
def run(data_dir: Path) -> Run:
    def invoke(*args: str) -> Completed:
        return run_arrears(*args, env={"ARREARS_DATA_DIR": str(data_dir)})

    return invoke


def test_a_contact_is_logged_then_refused_at_night_with_the_time_it_reopens(run: Run, case_id: int) -> None:
    case = str(case_id)
    logged = run(
        "contact",
        "log",
        "--case",
        case,
        "--channel",
        "call",
        "--outcome",
        "answered",
        "--at",
        "2026-03-03T10:00:00+08:00",
        "--number",
        "13800138000",
        "--conversation",
    )
    assert logged.returncode == 0, logged.stderr
    assert "recorded contact" in logged.stdout
    night = run("contact", "check", "--case", case, "--channel", "sms", "--at", "2026-03-03T22:30:00+08:00", "--json")
    assert night.returncode == 3
    assert json.loads(night.stdout)["next_allowed_at"] == "2026-03-04T08:00:00+08:00"


def test_a_complaint_holds_the_case_until_resolved(run: Run, case_id: int) -> None:
    case = str(case_id)
    added = run(
        "complaint",
        "add",
        "--case",
        case,
        "--channel",
        "phone",
        "--category",
        "harassment",
        "--complainant",
        "借款人",
        "--description",
        "电话太多",
        "--received-at",
        "2026-03-03T09:00:00+08:00",
    )
    assert added.returncode == 0, added.stderr
    blocked = run("contact", "check", "--case", case, "--channel", "call", "--at", "2026-03-04T10:00:00+08:00")
    assert blocked.returncode == 3 and "hold_complaint" in blocked.stdout
    listed = run("complaint", "list", "--tenant", "acme", "--open", "--json")
    complaint_id = json.loads(listed.stdout)[0]["id"]
    resolved = run("complaint", "resolve", str(complaint_id), "--resolution", "已核实并向客户说明", "--not-upheld")
    assert resolved.returncode == 0, resolved.stderr
    assert "rejected" in resolved.stdout


def test_holds_are_placed_listed_and_lifted(run: Run, case_id: int) -> None:
    case = str(case_id)
    placed = run(
        "hold",
        "add",
        "--case",
        case,
        "--type",
        "channel_opt_out",
        "--channel",
        "sms",
        "--from",
        "2026-03-01",
        "--reason",
        "客户退订短信",
    )
    assert placed.returncode == 0, placed.stderr
    sms = run("contact", "check", "--case", case, "--channel", "sms", "--at", "2026-03-04T10:00:00+08:00")
    assert sms.returncode == 3 and "channel_opt_out" in sms.stdout
    assert "客户退订短信" in run("hold", "list", "--case", case).stdout
    hold_id = placed.stdout.split()[1]
    assert run("hold", "lift", hold_id, "--reason", "客户重新订阅").returncode == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("contact", "check", "--case", "999", "--channel", "call"), "no case 999"),
        (("contact", "check", "--case", "{case}", "--channel", "call", "--at", "2026-03-03T10:00"), "no UTC offset"),
        (("contact", "check", "--case", "{case}", "--channel", "call", "--number", "12"), "not a valid phone"),
        (
            (
                "hold",
                "add",
                "--case",
                "{case}",
                "--type",
                "dispute",
                "--from",
                "2026-03-05",
                "--to",
                "2026-03-01",
                "--reason",
                "x",
            ),
            "ends_on is before starts_on",
        ),
        (("complaint", "resolve", "999", "--resolution", "x", "--upheld"), "no complaint 999"),
    ],
)
def test_mistakes_get_one_line_and_a_non_zero_exit(run: Run, case_id: int, args: tuple[str, ...], says: str) -> None:
    done = run(*(arg.replace("{case}", str(case_id)) for arg in args))
    assert done.returncode not in (0, 3)
    assert says in done.stderr
    assert "Traceback" not in done.stderr
