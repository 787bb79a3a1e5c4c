"""``arrears plan`` and ``arrears evidence`` end to end on a fresh database: one-line errors, nothing granted early."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from arrears.db.session import create_db_engine
from arrears.org.enums import Role
from arrears.portfolio.models import Borrower
from tests.arrears_cli import Completed, run_arrears
from tests.factories import Factories

Run = Callable[..., Completed]


@pytest.fixture
def case_id(data_dir: Path) -> int:
    url = f"sqlite:///{data_dir}/arrears.sqlite3"
    engine = create_db_engine(url)
    with Session(engine) as db_session, db_session.begin():
        make = Factories(db_session)
        tenant = make.tenant("acme")
        for name, role in (("wang", Role.COLLECTOR), ("li", Role.TEAM_LEAD)):
            make.user(tenant, role).username = name
        make.user(make.tenant("other-lender"), Role.APPROVER).username = "zhao"
        product = make.product(tenant, charges={"late_fee_daily_rate": "0.01"}, cost_cap={"kind": "none"})
        loan = make.loan(tenant=tenant, product=product, installment_principal=Decimal("1000.00"))
        found = make.case(db_session.get_one(Borrower, loan.borrower_id)).id
    engine.dispose()
    return found


@pytest.fixture
def run(data_dir: Path) -> Run:
    def invoke(*args: str) -> Completed:
        return run_arrears(*args, env={"ARREARS_DATA_DIR": str(data_dir)})

    return invoke


def test_quote_propose_refuse_then_approve_with_evidence_and_judge(run: Run, case_id: int, tmp_path: Path) -> None:
    case = str(case_id)
    quoted = run("plan", "quote", "--case", case, "--effective-on", "2026-02-11", "--periods", "4", "--json")
    assert quoted.returncode == 0, quoted.stderr
    kinds = {option["kind"]: option for option in json.loads(quoted.stdout)["options"]}
    assert kinds["settle_for_less"]["debtor_total"] == "3050.00"
    assert json.loads(quoted.stdout)["propensity_source"] == "default:age"

    proposed = run(
        "plan", "propose", "--case", case, "--kind", "instalments", "--effective-on", "2026-02-11",
        "--periods", "4", "--waive-charges", "105.00", "--first-due-on", "2026-03-11",
        "--reason", "生病住院两个月", "--as", "wang", "--json",
    )  # fmt: skip
    assert proposed.returncode == 0, proposed.stderr
    plan = json.loads(proposed.stdout)
    assert (plan["status"], plan["granted"]) == ("proposed", False)
    plan_id = str(plan["id"])

    own = run("plan", "approve", plan_id, "--as", "wang", "--reason", "ok")
    assert own.returncode == 1
    assert own.stderr.strip().startswith("error: plan") and "can never decide their own plan" in own.stderr
    assert "Traceback" not in own.stderr

    elsewhere = run("plan", "approve", plan_id, "--as", "zhao", "--reason", "ok")
    assert elsewhere.returncode == 4 and "no user 'zhao' in this tenant" in elsewhere.stderr

    no_evidence = run("plan", "approve", plan_id, "--as", "li", "--reason", "ok")
    assert no_evidence.returncode == 5 and "no verified hardship evidence" in no_evidence.stderr

    fake = tmp_path / "payslip.pdf"
    fake.write_bytes(b"GIF89a pretending")
    refused = run("evidence", "add", str(fake), "--case", case, "--kind", "income_statement", "--as", "wang")
    assert refused.returncode == 2 and "is not a PDF, JPEG or PNG file" in refused.stderr

    real = tmp_path / "diagnosis.png"
    real.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    added = run("evidence", "add", str(real), "--case", case, "--kind", "medical_certificate", "--as", "wang", "--json")
    assert added.returncode == 0, added.stderr
    evidence = json.loads(added.stdout)
    assert (tmp_path / "evidence" / evidence["sha256"]).read_bytes() == real.read_bytes()
    verified = run("evidence", "verify", str(evidence["id"]), "--as", "li", "--status", "verified")
    assert verified.returncode == 0, verified.stderr

    approved = run("plan", "approve", plan_id, "--as", "li", "--reason", "住院证明核实", "--json")
    assert approved.returncode == 0, approved.stderr
    assert json.loads(approved.stdout)["status"] == "approved"

    shown = run("plan", "show", plan_id)
    assert shown.returncode == 0, shown.stderr
    assert (
        "approved (granted)" in shown.stdout and "decided by user:li (v3:lead-standard): 住院证明核实" in shown.stdout
    )

    judged = run("plan", "judge", "--tenant", "acme", "--as-of", "2026-03-15")
    assert judged.returncode == 0, judged.stderr
    assert "activated 1, kept 0, broken 1" in judged.stdout
    listed = json.loads(run("plan", "list", "--tenant", "acme", "--json").stdout)
    assert [(row["id"], row["status"], row["broken_instalment"]) for row in listed] == [(plan["id"], "broken", 4)]
    assert date.fromisoformat(listed[0]["resolved_on"]) == date(2026, 3, 15)


def test_bad_input_is_one_line(run: Run, case_id: int) -> None:
    bad = run(
        "plan", "propose", "--case", str(case_id), "--kind", "instalments", "--effective-on", "2026-02-11",
        "--periods", "0", "--reason", "x", "--as", "wang",
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "periods" in bad.stderr
    unknown = run("plan", "approve", "999", "--as", "li", "--reason", "ok")
    assert unknown.returncode == 4 and "no plan 999" in unknown.stderr
