"""``arrears legal`` and ``arrears agency`` end to end on a fresh SQLite database: one line per mistake."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from arrears.db.session import create_db_engine
from arrears.org.enums import Role
from tests.arrears_cli import Completed, run_arrears
from tests.factories import Factories
from tests.legal.helpers import legal_case

Run = Callable[..., Completed]


@pytest.fixture
def case_id(data_dir: Path) -> int:
    url = f"sqlite:///{data_dir}/arrears.sqlite3"
    engine = create_db_engine(url)
    with Session(engine) as db_session, db_session.begin():
        factories = Factories(db_session)
        subject = legal_case(factories, factories.tenant("acme"))
        approver = factories.user(subject.tenant, role=Role.APPROVER)
        approver.username = "wang"
        found = subject.case.id
    engine.dispose()
    return found


@pytest.fixture
def run(data_dir: Path) -> Run:
    def invoke(*args: str) -> Completed:
        return run_arrears(*args, env={"ARREARS_DATA_DIR": str(data_dir)})

    return invoke


def test_refer_sign_off_serve_alert_and_pack_from_the_command_line(run: Run, case_id: int, tmp_path: Path) -> None:
    referred = run("legal", "refer", "--case", str(case_id), "--on", "2026-03-02", "--reason", "失联")
    assert referred.returncode == 0, referred.stderr
    for item in ("documents_gathered", "amount_confirmed", "debtor_notified", "non_legal_exhausted"):
        assert run("legal", "tick", "1", item, "--on", "2026-03-02").returncode == 0
    own = run("legal", "tick", "1", "approver_signoff", "--on", "2026-03-02")
    assert own.returncode == 5
    assert "cannot sign off" in own.stderr and "Traceback" not in own.stderr
    signed = run("legal", "tick", "1", "approver_signoff", "--on", "2026-03-02", "--by", "wang")
    assert signed.returncode == 0 and "ready" in signed.stdout

    assert run("legal", "proceeding", "1", "--kind", "payment_order", "--on", "2026-03-02").returncode == 0
    assert run("legal", "advance", "1", "issue", "--on", "2026-03-03").returncode == 0
    served = run("legal", "advance", "1", "serve", "--on", "2026-03-06")
    assert "objections until 2026-03-23" in served.stdout

    illegal = run("legal", "advance", "1", "judge", "--on", "2026-03-07", "--outcome", "won")
    assert illegal.returncode == 5
    assert illegal.stderr.count("\n") == 1 and "cannot 'judge' a payment order that is served" in illegal.stderr

    first = json.loads(run("legal", "alerts", "--tenant", "acme", "--as-of", "2026-03-16", "--json").stdout)
    assert [(a["kind"], a["due_on"], a["days_left"], a["new"]) for a in first] == [
        ("objection_deadline", "2026-03-23", 7, True)
    ]
    again = json.loads(run("legal", "alerts", "--tenant", "acme", "--as-of", "2026-03-17", "--json").stdout)
    assert [a["new"] for a in again] == [False]

    fee = run(
        "legal", "amount", "1", "--kind", "fee", "--category", "court_fee", "--amount", "25.00", "--on", "2026-03-07"
    )
    assert fee.returncode == 0, fee.stderr
    outcomes = json.loads(run("legal", "outcomes", "--tenant", "acme", "--json").stdout)
    assert [(o["kind"], o["open"], o["fees"]) for o in outcomes] == [("payment_order", 1, "25.00")]
    shown = json.loads(run("legal", "show", "1", "--json").stdout)
    assert shown["status"] == "ready"
    assert shown["proceedings"][0]["objection_deadline"] == "2026-03-23"
    assert shown["proceedings"][0]["allowed_events"] == ["lapse", "object", "settle", "withdraw"]
    still_running = run("legal", "close", "1", "--on", "2026-03-30")
    assert still_running.returncode == 5 and "still has proceedings under way" in still_running.stderr

    out = tmp_path / "pack.pdf"
    packed = run("legal", "pack", "1", "--out", str(out))
    assert packed.returncode == 0, packed.stderr
    assert out.read_bytes().startswith(b"%PDF-")

    bad_date = run("legal", "alerts", "--tenant", "acme", "--as-of", "16/03/2026")
    assert bad_date.returncode == 2 and "--as-of: '16/03/2026' is not a date" in bad_date.stderr


def test_place_list_and_recall_with_an_agency(run: Run, case_id: int) -> None:
    assert run("tenant", "create", "firm", "--kind", "agency").returncode == 0
    refused = run(
        "agency",
        "place",
        "--case",
        str(case_id),
        "--agency",
        "acme",
        "--from",
        "2026-03-01",
        "--to",
        "2026-05-31",
        "--rate",
        "0.2",
    )
    assert refused.returncode == 2 and "not an agency" in refused.stderr
    bad_rate = run(
        "agency",
        "place",
        "--case",
        str(case_id),
        "--agency",
        "firm",
        "--from",
        "2026-03-01",
        "--to",
        "2026-05-31",
        "--rate",
        "20%",
    )
    assert bad_rate.returncode == 2 and "commission_rate" in bad_rate.stderr
    placed = run(
        "agency",
        "place",
        "--case",
        str(case_id),
        "--agency",
        "firm",
        "--from",
        "2026-03-01",
        "--to",
        "2026-05-31",
        "--rate",
        "0.2",
    )
    assert placed.returncode == 0, placed.stderr
    listed = json.loads(run("agency", "list", "--tenant", "acme", "--as-of", "2026-04-01", "--json").stdout)
    assert [(p["status"], p["commission_rate"], p["recovered"]) for p in listed] == [("live", "0.2", "0.00")]
    assert run("agency", "recall", "1", "--on", "2026-04-01", "--reason", "投诉").returncode == 0
    twice = run("agency", "recall", "1", "--on", "2026-04-02", "--reason", "again")
    assert twice.returncode == 5 and "already recalled" in twice.stderr
    expired = run("agency", "expire", "--as-of", "2026-06-01")
    assert "0 placement(s)" in expired.stdout
