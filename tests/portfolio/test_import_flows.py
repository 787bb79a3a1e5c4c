"""The import unit of work, on SQLite and PostgreSQL: all or nothing, idempotent, audited."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arrears.audit.models import AuditRecord
from arrears.errors import InvalidInput, NotFound
from arrears.ledger.models import Installment, Loan, Payment, Product
from arrears.org.models import Tenant
from arrears.portfolio.enums import Channel, Gender, Relation
from arrears.portfolio.importing import Kind, flows, import_file
from arrears.portfolio.importing.flows import ImportResult
from arrears.portfolio.models import Borrower, ContactPoint, ThirdParty
from tests.factories import Factories

BORROWER_HEADER = ["external_id", "name", "resident_id", "gender", "monthly_income", "owns_home"]


def write_csv(path: Path, rows: Sequence[Sequence[object]], *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def run(db_session: Session, kind: Kind, path: Path, tenant: str = "ACME", **options: Any) -> ImportResult:
    """Import as the CLI does: the flow owns its transaction, so end the test's reads first."""
    db_session.commit()
    return import_file(db_session=db_session, kind=kind, path=path, tenant_code=tenant, actor="test", **options)


def borrowers_of(db_session: Session, code: str) -> list[Borrower]:
    stmt = select(Borrower).join(Tenant, Tenant.id == Borrower.tenant_id).where(Tenant.code == code)
    return list(db_session.scalars(stmt.order_by(Borrower.external_id)))


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def test_borrowers_are_created_with_their_tenant(db_session: Session, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "b.csv",
        [
            BORROWER_HEADER,
            ["C1", "张三", "11010519491231002X", "", "8,000.50", "是"],
            ["C2", "李四", "", "male", "", ""],
        ],
    )
    result = run(db_session, Kind.BORROWERS, path, tenant="NEWCO")
    assert (result.new, result.unchanged, result.invalid, result.imported) == (2, 0, 0, True)
    first, second = borrowers_of(db_session, "NEWCO")
    assert first.gender is Gender.FEMALE and first.birth_date == date(1949, 12, 31)
    assert first.monthly_income == Decimal("8000.50") and first.owns_home is True
    assert second.gender is Gender.MALE and second.resident_id is None
    audit = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "import.borrowers")).one()
    assert audit.details["file"] == "b.csv" and audit.details["new"] == 2
    assert not (tmp_path / "b.csv.errors.csv").exists()


def test_reimport_changes_nothing_and_a_changed_row_is_updated(db_session: Session, tmp_path: Path) -> None:
    rows = [BORROWER_HEADER, ["C1", "张三", "", "", "100", ""], ["C2", "李四", "", "", "", ""]]
    path = write_csv(tmp_path / "b.csv", rows)
    run(db_session, Kind.BORROWERS, path)
    again = run(db_session, Kind.BORROWERS, path)
    assert "0 new, 2 unchanged" in again.summary()
    rows[1][4] = "200"
    changed = run(db_session, Kind.BORROWERS, write_csv(tmp_path / "b.csv", rows))
    assert (changed.new, changed.updated, changed.unchanged) == (0, 1, 1)
    assert borrowers_of(db_session, "ACME")[0].monthly_income == Decimal("200.00")


def test_one_bad_row_imports_nothing_and_reports_row_and_field(db_session: Session, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "b.csv",
        [
            BORROWER_HEADER,
            ["C1", "张三", "", "", "100", ""],
            ["C2", "李四", "110105194912310021", "", "", ""],
            ["C3", "王五", "", "", "1.005", ""],
            ["C1", "重复", "", "", "", ""],
        ],
    )
    result = run(db_session, Kind.BORROWERS, path)
    assert not result.imported
    assert result.summary() == f"3 of 4 rows are invalid; nothing was imported; see {tmp_path / 'b.csv.errors.csv'}"
    assert borrowers_of(db_session, "ACME") == []
    assert db_session.scalar(select(Tenant).where(Tenant.code == "ACME")) is None
    report = read_report(tmp_path / "b.csv.errors.csv")
    assert [(line["row"], line["field"]) for line in report] == [
        ("3", "resident_id"),
        ("4", "monthly_income"),
        ("5", "external_id"),
    ]
    assert "repeats row 2" in report[2]["problem"]


def test_skip_invalid_imports_the_good_rows(db_session: Session, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "b.csv",
        [BORROWER_HEADER, ["C1", "张三", "", "", "", ""], ["C2", "", "", "", "", ""]],
    )
    report = tmp_path / "elsewhere.csv"
    result = run(db_session, Kind.BORROWERS, path, skip_invalid=True, errors_path=report)
    assert (result.imported, result.new, result.invalid) == (True, 1, 1)
    assert [b.external_id for b in borrowers_of(db_session, "ACME")] == ["C1"]
    assert read_report(report)[0] == {"row": "3", "field": "name", "value": "", "problem": "is required"}


def test_a_crash_midway_leaves_the_database_as_it_was(
    db_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[list[object]] = [BORROWER_HEADER] + [[f"C{n}", f"借款人{n}", "", "", "", ""] for n in range(10)]
    path = write_csv(tmp_path / "b.csv", rows)
    real_write = flows.write_chunk
    calls = []

    def failing_write(importer: flows.Importer, chunk: Sequence[tuple[int, Any]]) -> None:
        calls.append(len(chunk))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real_write(importer, chunk)

    monkeypatch.setattr(flows, "write_chunk", failing_write)
    with pytest.raises(RuntimeError, match="disk full"):
        run(db_session, Kind.BORROWERS, path, chunk_size=3)
    assert calls == [3, 3]
    assert borrowers_of(db_session, "ACME") == []
    assert db_session.scalar(select(func.count()).select_from(AuditRecord)) == 0


def test_bad_header_is_one_error_for_the_file(db_session: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "b.csv", [["external_id", "nmae"], ["C1", "x"]])
    with pytest.raises(InvalidInput, match="missing column"):
        run(db_session, Kind.BORROWERS, path)


def _loan_setup(db_session: Session, factories: Factories) -> tuple[Tenant, str]:
    tenant = factories.tenant("ACME")
    product, _ = factories.product(tenant)
    db_session.add(Borrower(tenant_id=tenant.id, external_id="B1", name="张三"))
    db_session.commit()
    return tenant, product.code


LOAN_HEADER = ["account_number", "borrower_external_id", "product_code", "principal", "contract_date", "disbursed_on"]


def test_loans_need_known_borrower_and_product(db_session: Session, factories: Factories, tmp_path: Path) -> None:
    _, code = _loan_setup(db_session, factories)
    path = write_csv(
        tmp_path / "l.csv",
        [
            LOAN_HEADER,
            ["L1", "B1", code, "3000", "2026-01-01", "2026-01-02"],
            ["L2", "NOBODY", code, "3000", "2026-01-01", "2026-01-02"],
            ["L3", "B1", "NOPRODUCT", "3000", "2026-01-01", "2026-01-02"],
        ],
    )
    result = run(db_session, Kind.LOANS, path, skip_invalid=True)
    assert (result.new, result.invalid) == (1, 2)
    assert [line["field"] for line in read_report(tmp_path / "l.csv.errors.csv")] == [
        "borrower_external_id",
        "product_code",
    ]
    loan = db_session.scalars(select(Loan).where(Loan.account_number == "L1")).one()
    assert loan.principal == Decimal("3000.00") and loan.rule_version_id is not None


def test_other_kinds_refuse_an_unknown_tenant(db_session: Session, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [LOAN_HEADER])
    with pytest.raises(NotFound, match="no tenant"):
        run(db_session, Kind.LOANS, path, tenant="NOWHERE")


def test_installments_must_sum_to_the_principal(db_session: Session, factories: Factories, tmp_path: Path) -> None:
    tenant = factories.tenant("ACME")
    good = factories.loan(tenant=tenant, installments=0)
    good.principal = Decimal("2000.00")
    bad = factories.loan(tenant=tenant, installments=0)
    bad.principal = Decimal("2000.00")
    db_session.commit()
    header = ["account_number", "number", "due_date", "principal", "interest"]
    path = write_csv(
        tmp_path / "i.csv",
        [
            header,
            [good.account_number, 1, "2026-02-01", "1000", "10"],
            [bad.account_number, 1, "2026-02-01", "1000", "10"],
            [good.account_number, 2, "2026-03-01", "1000", "10"],
            [bad.account_number, 2, "2026-03-01", "999.99", "10"],
        ],
    )
    refused = run(db_session, Kind.INSTALLMENTS, path)
    assert not refused.imported
    (line,) = read_report(tmp_path / "i.csv.errors.csv")
    assert line["row"] == "3" and bad.account_number in line["problem"] and "1999.99" in line["problem"]
    assert db_session.scalar(select(func.count()).select_from(Installment)) == 0

    partial = run(db_session, Kind.INSTALLMENTS, path, skip_invalid=True)
    assert (partial.new, partial.invalid) == (2, 2)
    numbers = db_session.scalars(select(Installment.loan_id).order_by(Installment.number)).all()
    assert numbers == [good.id, good.id]


def test_payments_idempotent_and_never_edited(db_session: Session, factories: Factories, tmp_path: Path) -> None:
    tenant = factories.tenant("ACME")
    loan = factories.loan(tenant=tenant, disbursed_on=date(2026, 1, 1))
    db_session.commit()
    header = ["account_number", "reference", "value_date", "amount", "channel"]
    path = write_csv(tmp_path / "p.csv", [header, [loan.account_number, "R1", "2026-02-01", "1050", "bank"]])
    assert run(db_session, Kind.PAYMENTS, path).new == 1
    assert "0 new, 1 unchanged" in run(db_session, Kind.PAYMENTS, path).summary()

    changed = write_csv(
        tmp_path / "p2.csv",
        [
            header,
            [loan.account_number, "R1", "2026-02-01", "1000", "bank"],
            [loan.account_number, "R2", "2025-12-31", "10", ""],
        ],
    )
    result = run(db_session, Kind.PAYMENTS, changed)
    assert not result.imported
    report = read_report(tmp_path / "p2.csv.errors.csv")
    assert [(line["row"], line["field"]) for line in report] == [("2", "amount"), ("3", "value_date")]
    assert "reversal" in report[0]["problem"]
    assert db_session.scalars(select(Payment.amount)).all() == [Decimal("1050.00")]


def test_contacts_of_borrower_and_third_party(db_session: Session, factories: Factories, tmp_path: Path) -> None:
    tenant = factories.tenant("ACME")
    db_session.add(Borrower(tenant_id=tenant.id, external_id="B1", name="张三"))
    db_session.commit()
    header = ["borrower_external_id", "party", "name", "relation", "knows_about_loan", "channel", "label", "value"]
    rows: list[list[object]] = [
        header,
        ["B1", "self", "", "", "", "phone", "mobile", "138 0013 8000"],
        ["B1", "self", "", "", "", "email", "", "Zhang@Example.cn"],
        ["B1", "third_party", "李梅", "spouse", "是", "phone", "", "13900139000"],
        ["B1", "third_party", "李梅", "spouse", "是", "address", "home", "北京市朝阳区1号"],
    ]
    path = write_csv(tmp_path / "c.csv", rows)
    assert run(db_session, Kind.CONTACTS, path).new == 4
    assert "0 new, 4 unchanged" in run(db_session, Kind.CONTACTS, path).summary()
    party = db_session.scalars(select(ThirdParty)).one()
    assert (party.relation, party.knows_about_loan) == (Relation.SPOUSE, True)
    values = set(db_session.scalars(select(ContactPoint.value)))
    assert {"+8613800138000", "zhang@example.cn", "+8613900139000"} <= values
    rows[3][4] = rows[4][4] = "否"  # the spouse does not know after all
    rows[1][6] = "work"
    updated = run(db_session, Kind.CONTACTS, write_csv(tmp_path / "c.csv", rows))
    assert (updated.new, updated.updated, updated.unchanged) == (0, 2, 2)
    assert db_session.scalars(select(ThirdParty.knows_about_loan)).one() is False
    own_phone = db_session.scalars(
        select(ContactPoint).where(ContactPoint.channel == Channel.PHONE, ContactPoint.third_party_id.is_(None))
    ).one()
    assert own_phone.label == "work"


def test_xlsx_cells_are_read_exactly(db_session: Session, factories: Factories, tmp_path: Path) -> None:
    tenant = factories.tenant("ACME")
    loan = factories.loan(tenant=tenant, disbursed_on=date(2026, 1, 1))
    db_session.commit()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["account_number", "reference", "value_date", "amount", "channel"])
    sheet.append([loan.account_number, "R1", datetime(2026, 2, 1), 1234.56, "bank"])
    sheet.append([loan.account_number, 20260202, "2026/02/02", 100, None])
    sheet.append([loan.account_number, "R3", date(2026, 2, 3), 12.345, None])
    path = tmp_path / "p.xlsx"
    workbook.save(path)
    result = run(db_session, Kind.PAYMENTS, path, skip_invalid=True)
    assert (result.new, result.invalid) == (2, 1)
    assert read_report(tmp_path / "p.xlsx.errors.csv")[0]["row"] == "4"
    stored = dict(db_session.execute(select(Payment.reference, Payment.amount)).all())
    assert stored == {"R1": Decimal("1234.56"), "20260202": Decimal("100.00")}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings(db_session: Session, tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "b.csv", [BORROWER_HEADER, ["C1", "张三丰", "", "", "", "否"]], encoding=encoding)
    assert run(db_session, Kind.BORROWERS, path).new == 1
    assert borrowers_of(db_session, "ACME")[0].name == "张三丰"


def test_the_documented_examples_import_cleanly(db_session: Session, factories: Factories) -> None:
    tenant = factories.tenant("ACME")
    product, _ = factories.product(tenant)
    product.code = "CASH12"
    examples = Path(__file__).parents[2] / "docs" / "examples" / "import"
    for kind in (Kind.BORROWERS, Kind.LOANS, Kind.INSTALLMENTS, Kind.PAYMENTS, Kind.CONTACTS):
        result = run(db_session, kind, examples / f"{kind}.csv")
        assert result.imported and result.invalid == 0, kind
        assert result.new > 0


def test_a_corrected_schedule_or_loan_makes_the_next_pass_replay_it(
    db_session: Session, factories: Factories, tmp_path: Path
) -> None:
    """A position rolls forward only while its loan's contract is as it was replayed: a re-import that changes an
    installment or the loan clears the window; one that changes nothing keeps it."""
    from arrears.delinquency import daily_pass
    from arrears.ledger.models import LoanPosition

    tenant = factories.tenant("ACME")
    loans = [factories.loan(tenant=tenant, disbursed_on=date(2026, 1, 1)) for _ in range(3)]
    daily_pass.run_pass(db_session=db_session, as_of=date(2026, 2, 10), tenant_code="ACME")
    assert all(db_session.get_one(LoanPosition, loan.id).valid_until for loan in loans)
    schedule = write_csv(
        tmp_path / "i.csv",
        [
            ["account_number", "number", "due_date", "principal", "interest"],
            [loans[0].account_number, 1, "2026-02-01", "1000.00", "50.00"],  # as it was
            [loans[1].account_number, 1, "2026-02-01", "1000.00", "45.00"],  # corrected
        ],
    )
    assert run(db_session, Kind.INSTALLMENTS, schedule).updated == 1
    windows = {loan.id: db_session.get_one(LoanPosition, loan.id).valid_until for loan in loans}
    assert windows[loans[0].id] is not None and windows[loans[1].id] is None and windows[loans[2].id] is not None
    loan = loans[2]
    header = ["account_number", "borrower_external_id", "product_code", "principal", "contract_date", "disbursed_on"]
    borrower = db_session.get_one(Borrower, loan.borrower_id)
    product = db_session.get_one(Product, loan.product_id)
    terms = write_csv(
        tmp_path / "l.csv",
        [header, [loan.account_number, borrower.external_id, product.code, "3000.00", "2025-12-31", "2026-01-01"]],
    )
    assert run(db_session, Kind.LOANS, terms).updated == 1
    assert db_session.get_one(LoanPosition, loan.id).valid_until is None
