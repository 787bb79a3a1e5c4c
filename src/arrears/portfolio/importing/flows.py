"""The import unit of work: read a file, validate every row, write in bulk, audit, report.

The whole file is one transaction. Rows are parsed one by one but looked up and
written a chunk at a time (one query per chunk and table, never one per row).
By default any invalid row discards the whole transaction, so a file is imported
entirely or not at all; with ``skip_invalid`` the good rows are kept.
"""

from __future__ import annotations

import csv
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.errors import NotFound
from arrears.ledger import service as products
from arrears.ledger.models import Installment, Loan, Payment, Product, ProductRuleVersion
from arrears.org import service as tenants
from arrears.org.models import Tenant
from arrears.portfolio.importing.fields import Cell, RowError, cell_text
from arrears.portfolio.importing.readers import check_file, read_rows
from arrears.portfolio.importing.schemas import (
    SCHEMAS,
    BorrowerRecord,
    ContactRecord,
    InstallmentRecord,
    Kind,
    LoanRecord,
    Party,
    PaymentRecord,
)
from arrears.portfolio.models import Borrower, ContactPoint, ThirdParty

CHUNK_SIZE = 2000
NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


def default_errors_path(path: Path) -> Path:
    return path.with_name(path.name + ".errors.csv")


class ErrorReport:
    """The CSV of bad rows (row, field, value, problem), written as problems are found."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._stream: IO[str] | None = None
        self._writer: Any = None

    def add(self, row: int, field_name: str, value: Cell, problem: str) -> None:
        if self._writer is None:
            # utf-8-sig so that Excel and WPS show the Chinese text correctly
            self._stream = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._stream)
            self._writer.writerow(["row", "field", "value", "problem"])
        self._writer.writerow([row, field_name, cell_text(value), problem])
        self.count += 1

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()


@dataclass
class ImportResult:
    kind: Kind
    file: Path
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    imported: bool = False
    errors_path: Path | None = None

    def summary(self) -> str:
        if not self.imported:
            return f"{self.invalid:,} of {self.rows:,} rows are invalid; nothing was imported; see {self.errors_path}"
        text = f"{self.kind} from {self.file.name}: {self.new:,} new, {self.unchanged:,} unchanged"
        text += f", {self.updated:,} updated"
        if self.invalid:
            text += f"; {self.invalid:,} of {self.rows:,} rows are invalid and were skipped; see {self.errors_path}"
        return text


@dataclass
class Importer(ABC):
    """What a chunk writer needs: the session, the tenant, where to count and report."""

    db_session: Session
    tenant: Tenant
    report: ErrorReport
    outcomes: Counter[str] = field(default_factory=Counter)
    skip_invalid: bool = False

    def __post_init__(self) -> None:  # noqa: B027 - an optional hook
        """Per-import caches of subclasses are set up here."""

    def reject(self, row: int, error: RowError) -> None:
        self.report.add(row, error.field, error.value, error.reason)
        self.outcomes["invalid"] += 1

    @abstractmethod
    def write_chunk(self, chunk: Sequence[tuple[int, Any]]) -> None:
        """Look up the chunk's existing records in bulk and add or update them."""

    def finish(self) -> None:  # noqa: B027 - an optional hook
        """Checks that need the whole file (none by default)."""


def _changes(target: object, values: dict[str, Any]) -> bool:
    """Set the given values (None means 'keep what is stored'); True when anything changed."""
    changed = False
    for name, value in values.items():
        if value is not None and getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


class BorrowerImporter(Importer):
    def write_chunk(self, chunk: Sequence[tuple[int, BorrowerRecord]]) -> None:
        external_ids = [record.external_id for _, record in chunk]
        existing = {
            b.external_id: b
            for b in self.db_session.scalars(
                select(Borrower).where(Borrower.tenant_id == self.tenant.id, Borrower.external_id.in_(external_ids))
            )
        }
        resident_ids = [record.resident_id for _, record in chunk if record.resident_id]
        owners_stmt = select(Borrower.resident_id, Borrower.external_id).where(
            Borrower.tenant_id == self.tenant.id, Borrower.resident_id.in_(resident_ids)
        )
        id_owners: dict[str | None, str] = dict(self.db_session.execute(owners_stmt).all())
        for row, record in chunk:
            owner = id_owners.get(record.resident_id) if record.resident_id else None
            if owner is not None and owner != record.external_id:
                self.reject(row, RowError("resident_id", f"belongs to borrower {owner}", record.resident_id))
                continue
            values = {
                "name": record.name,
                "resident_id": record.resident_id,
                "gender": record.gender,
                "birth_date": record.birth_date,
                "marital_status": record.marital_status,
                "children": record.children,
                "owns_home": record.owns_home,
                "is_local": record.is_local,
                "employer": record.employer,
                "monthly_income": record.monthly_income,
                "education": record.education,
                "address": record.address,
                "timezone": record.timezone,
            }
            borrower = existing.get(record.external_id)
            if borrower is None:
                borrower = Borrower(
                    tenant_id=self.tenant.id,
                    external_id=record.external_id,
                    **{name: value for name, value in values.items() if value is not None},
                )
                self.db_session.add(borrower)
                existing[record.external_id] = borrower
                self.outcomes[NEW] += 1
            else:
                self.outcomes[UPDATED if _changes(borrower, values) else UNCHANGED] += 1


def _borrower_ids(db_session: Session, tenant_id: int, external_ids: Iterable[str]) -> dict[str, int]:
    stmt = select(Borrower.external_id, Borrower.id).where(
        Borrower.tenant_id == tenant_id, Borrower.external_id.in_(set(external_ids))
    )
    return dict(db_session.execute(stmt).all())


def _loans(db_session: Session, tenant_id: int, account_numbers: Iterable[str]) -> dict[str, Loan]:
    stmt = select(Loan).where(Loan.tenant_id == tenant_id, Loan.account_number.in_(set(account_numbers)))
    return {loan.account_number: loan for loan in db_session.scalars(stmt)}


class LoanImporter(Importer):
    def __post_init__(self) -> None:
        self._products: dict[str, Product | None] = {}
        self._versions: dict[tuple[int, date], ProductRuleVersion | None] = {}

    def _product(self, code: str) -> Product | None:
        if code not in self._products:
            self._products[code] = self.db_session.scalar(
                select(Product).where(Product.tenant_id == self.tenant.id, Product.code == code)
            )
        return self._products[code]

    def _version(self, product_id: int, on: date) -> ProductRuleVersion | None:
        key = (product_id, on)
        if key not in self._versions:
            try:
                self._versions[key] = products.current_rule_version(
                    db_session=self.db_session, product_id=product_id, on=on
                )
            except NotFound:
                self._versions[key] = None
        return self._versions[key]

    def write_chunk(self, chunk: Sequence[tuple[int, LoanRecord]]) -> None:
        borrowers = _borrower_ids(self.db_session, self.tenant.id, (r.borrower_external_id for _, r in chunk))
        existing = _loans(self.db_session, self.tenant.id, (r.account_number for _, r in chunk))
        changed: list[int] = []  # loans whose terms changed: their next pass replays them
        for row, record in chunk:
            borrower_id = borrowers.get(record.borrower_external_id)
            if borrower_id is None:
                self.reject(row, RowError("borrower_external_id", "no such borrower", record.borrower_external_id))
                continue
            product = self._product(record.product_code)
            if product is None:
                self.reject(row, RowError("product_code", "no such product", record.product_code))
                continue
            loan = existing.get(record.account_number)
            values: dict[str, Any] = {
                "borrower_id": borrower_id,
                "principal": record.principal,
                "contract_date": record.contract_date,
                "disbursed_on": record.disbursed_on,
                "annual_interest_rate": record.annual_interest_rate,
            }
            if loan is None or loan.product_id != product.id:
                version = self._version(product.id, record.contract_date)
                if version is None:
                    problem = f"product has no rules in force on the contract date {record.contract_date}"
                    self.reject(row, RowError("product_code", problem, record.product_code))
                    continue
                values |= {"product_id": product.id, "rule_version_id": version.id}
            if loan is None:
                loan = Loan(tenant_id=self.tenant.id, account_number=record.account_number, **values)
                self.db_session.add(loan)
                existing[record.account_number] = loan
                self.outcomes[NEW] += 1
            elif _changes(loan, values):
                self.outcomes[UPDATED] += 1
                changed.append(loan.id)
            else:
                self.outcomes[UNCHANGED] += 1
        products.forget_windows(db_session=self.db_session, loan_ids=changed)


@dataclass
class _TouchedLoan:
    """What the end-of-file check needs about a loan: plain values, no ORM objects, so memory stays small."""

    loan_id: int
    account_number: str
    principal: Decimal
    first_row: int
    outcomes: Counter[str] = field(default_factory=Counter)
    # Only kept with --skip-invalid: (installment number, values before, or None when new).
    undo: list[tuple[int, tuple[date, Decimal, Decimal] | None]] = field(default_factory=list)


class InstallmentImporter(Importer):
    def __post_init__(self) -> None:
        self._touched: dict[int, _TouchedLoan] = {}

    def write_chunk(self, chunk: Sequence[tuple[int, InstallmentRecord]]) -> None:
        loans = _loans(self.db_session, self.tenant.id, (r.account_number for _, r in chunk))
        loan_ids = [loan.id for loan in loans.values()]
        existing = {
            (i.loan_id, i.number): i
            for i in self.db_session.scalars(select(Installment).where(Installment.loan_id.in_(loan_ids)))
        }
        changed: set[int] = set()  # loans whose schedule changed: their next pass replays them
        for row, record in chunk:
            loan = loans.get(record.account_number)
            if loan is None:
                self.reject(row, RowError("account_number", "no such loan", record.account_number))
                continue
            touched = self._touched.get(loan.id)
            if touched is None:
                touched = _TouchedLoan(loan.id, loan.account_number, loan.principal, first_row=row)
                self._touched[loan.id] = touched
            installment = existing.get((loan.id, record.number))
            if installment is None:
                installment = Installment(
                    loan_id=loan.id,
                    number=record.number,
                    due_date=record.due_date,
                    principal_due=record.principal,
                    interest_due=record.interest,
                )
                self.db_session.add(installment)
                existing[(loan.id, record.number)] = installment
                if self.skip_invalid:
                    touched.undo.append((record.number, None))
                outcome = NEW
            else:
                before = (installment.due_date, installment.principal_due, installment.interest_due)
                values = {
                    "due_date": record.due_date,
                    "principal_due": record.principal,
                    "interest_due": record.interest,
                }
                outcome = UPDATED if _changes(installment, values) else UNCHANGED
                if outcome == UPDATED and self.skip_invalid:
                    touched.undo.append((record.number, before))
            touched.outcomes[outcome] += 1
            self.outcomes[outcome] += 1
            if outcome != UNCHANGED:
                changed.add(loan.id)
        products.forget_windows(db_session=self.db_session, loan_ids=list(changed))

    def finish(self) -> None:
        """Every loan the file touched must have a schedule whose principal sums to the loan's."""
        self.db_session.flush()
        loan_ids = list(self._touched)
        sums: dict[int, Decimal] = {}
        for start in range(0, len(loan_ids), CHUNK_SIZE):
            part = loan_ids[start : start + CHUNK_SIZE]
            stmt = (
                select(Installment.loan_id, func.sum(Installment.principal_due))
                .where(Installment.loan_id.in_(part))
                .group_by(Installment.loan_id)
            )
            for loan_id, total in self.db_session.execute(stmt):
                sums[loan_id] = total  # SUM keeps the Money type, so cents come back as Decimal
        for loan_id, touched in self._touched.items():
            total = sums.get(loan_id, Decimal("0.00"))
            if total == touched.principal:
                continue
            problem = (
                f"installments of loan {touched.account_number} sum to {total} but its principal is {touched.principal}"
            )
            self.report.add(touched.first_row, "principal", total, problem)
            if self.skip_invalid:
                self._undo(touched)

    def _undo(self, touched: _TouchedLoan) -> None:
        for number, before in touched.undo:
            which = (Installment.loan_id == touched.loan_id, Installment.number == number)
            if before is None:
                self.db_session.execute(delete(Installment).where(*which))
            else:
                due_date, principal_due, interest_due = before
                self.db_session.execute(
                    update(Installment)
                    .where(*which)
                    .values(due_date=due_date, principal_due=principal_due, interest_due=interest_due)
                )
        for outcome, count in touched.outcomes.items():
            self.outcomes[outcome] -= count
            self.outcomes["invalid"] += count
        self.db_session.flush()


class PaymentImporter(Importer):
    def write_chunk(self, chunk: Sequence[tuple[int, PaymentRecord]]) -> None:
        loans = _loans(self.db_session, self.tenant.id, (r.account_number for _, r in chunk))
        references = {r.reference for _, r in chunk}
        existing = {
            (p.loan_id, p.reference): p
            for p in self.db_session.scalars(
                select(Payment).where(
                    Payment.loan_id.in_([loan.id for loan in loans.values()]), Payment.reference.in_(references)
                )
            )
        }
        for row, record in chunk:
            loan = loans.get(record.account_number)
            if loan is None:
                self.reject(row, RowError("account_number", "no such loan", record.account_number))
                continue
            if record.value_date < loan.disbursed_on:
                problem = f"is before the loan was disbursed on {loan.disbursed_on}"
                self.reject(row, RowError("value_date", problem, record.value_date))
                continue
            payment = existing.get((loan.id, record.reference))
            if payment is None:
                payment = Payment(
                    loan_id=loan.id,
                    reference=record.reference,
                    value_date=record.value_date,
                    amount=record.amount,
                    channel=record.channel,
                )
                self.db_session.add(payment)
                existing[(loan.id, record.reference)] = payment
                self.outcomes[NEW] += 1
            elif payment.amount != record.amount or payment.value_date != record.value_date:
                problem = (
                    f"payment {record.reference} is already recorded as {payment.amount} on {payment.value_date}; "
                    "a payment is corrected by reversal, never edited"
                )
                self.reject(row, RowError("amount", problem, record.amount))
            else:
                self.outcomes[UPDATED if _changes(payment, {"channel": record.channel}) else UNCHANGED] += 1


class ContactImporter(Importer):
    def write_chunk(self, chunk: Sequence[tuple[int, ContactRecord]]) -> None:
        borrowers = _borrower_ids(self.db_session, self.tenant.id, (r.borrower_external_id for _, r in chunk))
        borrower_ids = list(set(borrowers.values()))
        parties = {
            (t.borrower_id, t.name, t.relation): t
            for t in self.db_session.scalars(select(ThirdParty).where(ThirdParty.borrower_id.in_(borrower_ids)))
        }
        points = {
            (c.borrower_id, c.third_party_id, c.channel, c.value): c
            for c in self.db_session.scalars(select(ContactPoint).where(ContactPoint.borrower_id.in_(borrower_ids)))
        }
        accepted: list[tuple[int, ContactRecord, int]] = []
        party_changed: set[int] = set()
        for row, record in chunk:
            borrower_id = borrowers.get(record.borrower_external_id)
            if borrower_id is None:
                self.reject(row, RowError("borrower_external_id", "no such borrower", record.borrower_external_id))
                continue
            accepted.append((row, record, borrower_id))
            if record.party is Party.THIRD_PARTY:
                assert record.name is not None and record.relation is not None
                key = (borrower_id, record.name, record.relation)
                party = parties.get(key)
                if party is None:
                    party = ThirdParty(
                        borrower_id=borrower_id,
                        name=record.name,
                        relation=record.relation,
                        knows_about_loan=bool(record.knows_about_loan),
                    )
                    self.db_session.add(party)
                    parties[key] = party
                    party_changed.add(row)
                elif _changes(party, {"knows_about_loan": record.knows_about_loan}):
                    party_changed.add(row)
        self.db_session.flush()  # ids for the new third parties, one round trip per chunk
        for row, record, borrower_id in accepted:
            party_id = None
            if record.party is Party.THIRD_PARTY:
                assert record.name is not None and record.relation is not None
                party_id = parties[(borrower_id, record.name, record.relation)].id
            point_key = (borrower_id, party_id, record.channel, record.value)
            point = points.get(point_key)
            if point is None:
                point = ContactPoint(
                    borrower_id=borrower_id, third_party_id=party_id, channel=record.channel, value=record.value
                )
                if record.label is not None:
                    point.label = record.label
                self.db_session.add(point)
                points[point_key] = point
                self.outcomes[NEW] += 1
            elif _changes(point, {"label": record.label}) or row in party_changed:
                self.outcomes[UPDATED] += 1
            else:
                self.outcomes[UNCHANGED] += 1


IMPORTERS: dict[Kind, type[Importer]] = {
    Kind.BORROWERS: BorrowerImporter,
    Kind.LOANS: LoanImporter,
    Kind.INSTALLMENTS: InstallmentImporter,
    Kind.PAYMENTS: PaymentImporter,
    Kind.CONTACTS: ContactImporter,
}

# The natural key of a row within one file: a second row with the same key is an error.
NATURAL_KEYS: dict[Kind, tuple[str, Callable[[Any], tuple[object, ...]]]] = {
    Kind.BORROWERS: ("external_id", lambda r: (r.external_id,)),
    Kind.LOANS: ("account_number", lambda r: (r.account_number,)),
    Kind.INSTALLMENTS: ("number", lambda r: (r.account_number, r.number)),
    Kind.PAYMENTS: ("reference", lambda r: (r.account_number, r.reference)),
    Kind.CONTACTS: ("value", lambda r: (r.borrower_external_id, r.party, r.name, r.relation, r.channel, r.value)),
}


def write_chunk(importer: Importer, chunk: Sequence[tuple[int, Any]]) -> None:
    """Look up and write one chunk of valid rows (a seam for tests that simulate a crash)."""
    importer.write_chunk(chunk)
    importer.db_session.flush()
    # The transaction spans the whole file; letting go of the chunk's objects keeps
    # memory flat however long the file is (cached tenant and products stay usable).
    importer.db_session.expunge_all()


class _Discard(Exception):
    """Raised inside the transaction to roll it back when the file must not be imported."""


def import_file(
    *,
    db_session: Session,
    kind: Kind,
    path: Path,
    tenant_code: str,
    actor: str,
    skip_invalid: bool = False,
    errors_path: Path | None = None,
    on_progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImportResult:
    """Import one file in one transaction; see docs/import.md."""
    schema = SCHEMAS[kind]
    check_file(path)
    report_path = errors_path or default_errors_path(path)
    report = ErrorReport(report_path)
    result = ImportResult(kind=kind, file=path)
    try:
        with db_session.begin():
            if kind is Kind.BORROWERS:
                tenant = tenants.get_or_create(db_session=db_session, code=tenant_code)
            else:
                tenant = tenants.get_by_code(db_session=db_session, code=tenant_code)
            importer = IMPORTERS[kind](db_session=db_session, tenant=tenant, report=report, skip_invalid=skip_invalid)
            key_field, key_of = NATURAL_KEYS[kind]
            first_seen: dict[tuple[object, ...], int] = {}
            resident_ids: dict[str, int] = {}
            chunk: list[tuple[int, Any]] = []
            for row in read_rows(path, required=schema.required, known=schema.known):
                result.rows += 1
                try:
                    record = schema.parse(row.values)
                    key = key_of(record)
                    if key in first_seen:
                        raise RowError(key_field, f"repeats row {first_seen[key]}", row.values.get(key_field))
                    first_seen[key] = row.number
                    if isinstance(record, BorrowerRecord) and record.resident_id:
                        if record.resident_id in resident_ids:
                            problem = f"repeats row {resident_ids[record.resident_id]}"
                            raise RowError("resident_id", problem, record.resident_id)
                        resident_ids[record.resident_id] = row.number
                except RowError as error:
                    importer.reject(row.number, error)
                    continue
                chunk.append((row.number, record))
                if len(chunk) >= chunk_size:
                    write_chunk(importer, chunk)
                    chunk = []
                    if on_progress is not None:
                        on_progress(result.rows)
            if chunk:
                write_chunk(importer, chunk)
            importer.finish()
            if on_progress is not None:
                on_progress(result.rows)
            outcomes = importer.outcomes
            result.new, result.updated, result.unchanged = outcomes[NEW], outcomes[UPDATED], outcomes[UNCHANGED]
            result.invalid = outcomes["invalid"]
            if report.count:
                result.errors_path = report_path
                if not skip_invalid:
                    raise _Discard
            result.imported = True
            audit.record(
                db_session=db_session,
                actor=actor,
                action=f"import.{kind}",
                subject_type="import",
                subject_id=path.name[:64],
                tenant_id=tenant.id,
                details={
                    "file": path.name,
                    "rows": result.rows,
                    "new": result.new,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "invalid": result.invalid,
                    "skip_invalid": skip_invalid,
                },
                origin="arrears import",
            )
    except _Discard:
        pass
    finally:
        report.close()
    if report.count == 0 and errors_path is None and report_path.exists():
        report_path.unlink()  # a report left by an earlier run of this file no longer applies
    return result
