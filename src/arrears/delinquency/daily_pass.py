"""The as-of-date pass (日终跑批): accrue, age and bucket every loan, from the database.

The pass reads loans in id-ordered chunks with one query per table per chunk,
replays each chunk at once with the columnar engine (:mod:`arrears.ledger.columnar`)
and the loans it leaves aside with the engine of ``arrears ledger quote``, loan
by loan (both give the same figures), and writes its results set-wise (COPY on
PostgreSQL). Derived rows (positions, charges, allocations) are recomputed for
each loan and compared with the stored ones; only the difference is written
(an update in place, a new row, a vanished one deleted, a loan's changed
allocations replaced), so the rows equal a full rewrite, running the same date
twice writes nothing, and a back-dated payment or a reversal is picked up by the
next pass. Bucket history
moves forward only: a pass for a date older than the one a loan last saw is
refused.

The caller owns the transaction: the CLI runs the whole pass as one unit of
work, so a crash part-way leaves the database as it was.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Enum,
    Row,
    String,
    any_,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal,
    select,
    table,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from arrears import audit
from arrears.cases import service as cases
from arrears.cases.models import Case
from arrears.cases.service import CaseChanges
from arrears.compliance.models import Hold
from arrears.db.base import Money, utcnow
from arrears.delinquency.buckets import BucketSet
from arrears.delinquency.models import BucketHistory, BucketSetRow
from arrears.delinquency.rolling import RolledForward, roll_positions
from arrears.delinquency.service import to_spec
from arrears.errors import Conflict, InvalidInput
from arrears.ledger import service as ledger_service
from arrears.ledger.engine import (
    LoanTerms,
    PauseWindow,
    PostedPayment,
    ScheduledInstallment,
    compute_position,
)
from arrears.ledger.enums import Component, LoanStatus
from arrears.ledger.lifecycle import ledger_event
from arrears.ledger.models import (
    Charge,
    Installment,
    Loan,
    Payment,
    PaymentAllocation,
    Product,
    ProductRuleVersion,
)
from arrears.ledger.models import LoanPosition as PositionRow
from arrears.ledger.rules import ProductRules
from arrears.money import from_minor
from arrears.org.models import Tenant

if TYPE_CHECKING:
    from arrears.ledger.columnar import LoanFigures, Window

CHUNK = 10_000
"""Loans read, computed and written together: the columnar replay works on whole arrays, so larger is cheaper
per loan; the id lists stay well under SQLite's limit on bound parameters."""
Progress = Callable[[int], None]


@dataclass
class PassReport:
    as_of: date
    loans: int = 0
    bucket_moves: int = 0
    status_changes: int = 0
    cases: CaseChanges = field(default_factory=CaseChanges)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (account number, why)
    by_bucket: dict[str, int] = field(default_factory=dict)
    overdue_total: Decimal = Decimal("0.00")
    columnar: int = 0
    """Loans whose position the columnar path computed (:mod:`arrears.ledger.columnar`)."""
    row_engine: int = 0
    """Loans left to the row engine, counted by reason in ``routed``."""
    routed: dict[str, int] = field(default_factory=dict)
    rolled: int = 0
    """Loans not replayed: their position rolled forward inside its window (see :mod:`arrears.delinquency.rolling`)."""


@dataclass(frozen=True)
class _LoanRow:
    id: int
    tenant_id: int
    borrower_id: int
    product_id: int
    rule_version_id: int
    account_number: str
    principal: Decimal
    contract_date: date
    disbursed_on: date
    status: LoanStatus


_LOAN_COLUMNS = (
    Loan.id,
    Loan.tenant_id,
    Loan.borrower_id,
    Loan.product_id,
    Loan.rule_version_id,
    Loan.account_number,
    Loan.principal,
    Loan.contract_date,
    Loan.disbursed_on,
    Loan.status,
)


def _read_loans(db_session: Session, stmt: Any) -> list[_LoanRow]:
    return [_LoanRow(*row) for row in db_session.execute(stmt)]


@dataclass
class _Catalog:
    """Rules and bucket sets, read once per pass."""

    rules: dict[int, ProductRules]
    bucket_sets: dict[int, BucketSet | None]  # by product id
    buckets: dict[tuple[int, int], str | None] = field(default_factory=dict)

    def bucket_for(self, product_id: int, dpd: int) -> str | None:
        """The product's bucket for a DPD (remembered: a book has few distinct DPDs)."""
        key = (product_id, dpd)
        if key not in self.buckets:
            bucket_set = self.bucket_sets.get(product_id)
            self.buckets[key] = bucket_set.bucket_for(dpd) if bucket_set else None
        return self.buckets[key]

    def bucket_lasts(self, product_id: int, dpd: int) -> int | None:
        """The last DPD in the same bucket as ``dpd`` (or still current); None when it lasts for ever."""
        bucket_set = self.bucket_sets.get(product_id)
        if bucket_set is None:
            return None
        for bucket in bucket_set.buckets:
            if bucket.contains(dpd):
                return bucket.max_dpd
        above = [bucket.min_dpd for bucket in bucket_set.buckets if bucket.min_dpd > dpd]
        return min(above) - 1 if above else None

    @classmethod
    def load(cls, db_session: Session) -> _Catalog:
        rules = {
            row.id: ProductRules.model_validate(row.rules) for row in db_session.scalars(select(ProductRuleVersion))
        }
        sets = {row.id: to_spec(row) for row in db_session.scalars(select(BucketSetRow))}
        by_product = {
            product_id: (sets.get(set_id) if set_id is not None else None)
            for product_id, set_id in db_session.execute(select(Product.id, Product.bucket_set_id))
        }
        return cls(rules=rules, bucket_sets=by_product)


def run_pass(
    *,
    db_session: Session,
    as_of: date,
    tenant_code: str | None = None,
    progress: Progress | None = None,
    actor: str = "system:pass",
    loan_ids: range | None = None,
    sync_cases: bool = True,
    columnar: bool = True,
) -> PassReport:
    """Compute every loan's position at the end of ``as_of``. Does not commit.

    ``loan_ids`` restricts the pass to a range of loan ids, so the end-of-day run
    can age a large book in partitions, each its own short transaction; it then
    syncs cases once for the tenant (``sync_cases=False`` here, see
    :func:`sync_cases_of`).

    Loans are computed by the columnar path (:mod:`arrears.ledger.columnar`) and
    those it does not take by the row engine; ``columnar=False`` sends every loan
    to the row engine (the two give the same rows; tests compare them).
    """
    tenant_id = _tenant_id(db_session, tenant_code)
    catalog = _Catalog.load(db_session)
    report = PassReport(as_of=as_of)
    # Appending to the audit chain holds its lock until the transaction ends. A step of the partitioned run
    # keeps its entries and appends them last, so workers aging other ranges at the same time wait for each
    # other only over that write and the commit. The whole-book pass shares its transaction with no one and
    # appends chunk by chunk, so its memory does not grow with the book.
    audits: list[dict[str, Any]] | None = [] if loan_ids is not None else None
    last_id = loan_ids.start - 1 if loan_ids is not None else 0
    while True:
        stmt = select(*_LOAN_COLUMNS).where(Loan.id > last_id).order_by(Loan.id).limit(CHUNK)
        if tenant_id is not None:
            stmt = stmt.where(Loan.tenant_id == tenant_id)
        if loan_ids is not None:
            stmt = stmt.where(Loan.id < loan_ids.stop)
        loans = _read_loans(db_session, stmt)
        if not loans:
            break
        _process(
            db_session,
            loans,
            as_of=as_of,
            catalog=catalog,
            report=report,
            actor=actor,
            columnar=columnar,
            audits=audits,
        )
        last_id = loans[-1].id
        if progress is not None:
            progress(len(loans))
    if audits:
        audit.record_many(db_session=db_session, rows=audits)
    if sync_cases:
        report.cases = cases.sync_with_positions(db_session=db_session, as_of=as_of, actor=actor, tenant_id=tenant_id)
    return report


def sync_cases_of(*, db_session: Session, as_of: date, tenant_code: str, actor: str) -> cases.CaseChanges:
    """Open, reopen and close the tenant's cases from the positions the pass wrote."""
    tenant_id = _tenant_id(db_session, tenant_code)
    return cases.sync_with_positions(db_session=db_session, as_of=as_of, actor=actor, tenant_id=tenant_id)


def loan_partitions(*, db_session: Session, tenant_code: str, size: int) -> list[range]:
    """Ranges of loan ids, ``size`` ids wide, covering every loan of the tenant."""
    tenant_id = _tenant_id(db_session, tenant_code)
    low, high = db_session.execute(
        select(func.min(Loan.id), func.max(Loan.id)).where(Loan.tenant_id == tenant_id)
    ).one()
    if low is None:
        return [range(1)]
    return [range(start, min(start + size, high + 1)) for start in range(low, high + 1, size)]


def recompute_loans(*, db_session: Session, loan_ids: Sequence[int], as_of: date, actor: str) -> PassReport:
    """Re-run the pass for a few loans (after a payment is posted or reversed)."""
    catalog = _Catalog.load(db_session)
    report = PassReport(as_of=as_of)
    loans = _read_loans(db_session, select(*_LOAN_COLUMNS).where(Loan.id.in_(loan_ids)).order_by(Loan.id))
    _process(db_session, loans, as_of=as_of, catalog=catalog, report=report, actor=actor)
    report.cases = cases.sync_with_positions(
        db_session=db_session, as_of=as_of, actor=actor, borrower_ids={loan.borrower_id for loan in loans}
    )
    return report


def count_loans(*, db_session: Session, tenant_code: str | None = None) -> int:
    stmt = select(func.count(Loan.id))
    tenant_id = _tenant_id(db_session, tenant_code)
    if tenant_id is not None:
        stmt = stmt.where(Loan.tenant_id == tenant_id)
    return int(db_session.scalar(stmt) or 0)


def _tenant_id(db_session: Session, tenant_code: str | None) -> int | None:
    if tenant_code is None:
        return None
    tenant_id = db_session.scalar(select(Tenant.id).where(Tenant.code == tenant_code))
    if tenant_id is None:
        raise InvalidInput(f"no tenant with code '{tenant_code}'", where="--tenant")
    return tenant_id


def _process(
    db_session: Session,
    loans: list[_LoanRow],
    *,
    as_of: date,
    catalog: _Catalog,
    report: PassReport,
    actor: str,
    columnar: bool = True,
    audits: list[dict[str, Any]] | None = None,
) -> None:
    """Age one chunk of loans and write what changed; its audit entries go to ``audits`` when given, else now."""
    # NumPy loads here, when loans are aged, not when a command that never ages a loan starts.
    from arrears.ledger.columnar import Batch, LoanInput, compute_figures, figures_of

    holds = _holds(db_session, loans)
    restructures = ledger_service.restructures_of(db_session=db_session, loan_ids=[loan.id for loan in loans])
    aged = [loan for loan in loans if loan.disbursed_on <= as_of]
    if columnar:
        # A loan with a hold or a restructure is replayed by the row engine every night; its position has no
        # window, but a hold or plan made since the loan's last replay must be seen now.
        steady = [loan for loan in aged if loan.id not in holds and loan.id not in restructures]
        rolled = _roll(db_session, steady, as_of, catalog, report)
        aged = [loan for loan in aged if loan.id not in rolled.loans]
        same_payments = rolled.same_payments
    else:
        same_payments = set()
    ids = [loan.id for loan in aged]
    if not ids:
        return
    schedules = _schedules(db_session, ids)
    payments, payment_ids = _payments(db_session, ids)
    open_stays = {  # one row per loan, read by name: Core rows
        row.loan_id: row
        for row in db_session.connection().execute(
            select(BucketHistory.id, BucketHistory.loan_id, BucketHistory.bucket, BucketHistory.entered_on).where(
                _of_loans(db_session, BucketHistory.loan_id, ids), BucketHistory.left_on.is_(None)
            ),
        )
    }
    writes = _Writes(same_payments=same_payments)
    inputs = [
        LoanInput(
            loan.id,
            LoanTerms(
                principal=loan.principal,
                disbursed_on=loan.disbursed_on,
                contract_date=loan.contract_date,
                schedule=tuple(schedules.get(loan.id, ())),
                rules=catalog.rules[loan.rule_version_id],
            ),
            payments.get(loan.id, ()),
            holds.get(loan.id, ()),
            restructures.get(loan.id, ()),
        )
        for loan in aged
    ]
    # Every fact the row engine replays (holds, restructures, any added later) must also be given
    # to LoanInput: the columnar path sends a loan carrying one it does not replay to the row engine.
    if columnar:
        batch = compute_figures(inputs, as_of=as_of)
    else:
        batch = Batch(routed=[item.key for item in inputs], reasons=Counter(columnar_off=len(inputs)))
    report.columnar += len(batch.figures)
    report.row_engine += len(batch.routed)
    for reason, routed in batch.reasons.items():
        report.routed[reason] = report.routed.get(reason, 0) + routed
    computed = {figures.key: figures for figures in batch.figures}
    now = utcnow()
    for loan, item in zip(aged, inputs, strict=True):
        figures = computed.get(loan.id)
        if figures is None:
            try:
                position = compute_position(
                    item.terms, item.payments, as_of=as_of, holds=item.holds, restructures=item.restructures
                )
            except InvalidInput as exc:
                # One loan's bad data must not stop the portfolio from being aged: it keeps
                # its last position, the failure is audited, and the pass goes on.
                report.failed.append((loan.account_number, exc.one_line()))
                writes.audits.append(_failure_audit(loan, exc, as_of, actor))
                continue
            figures = figures_of(loan.id, position)
        writes.loan_ids.append(loan.id)
        bucket = catalog.bucket_for(loan.product_id, figures.days_past_due)
        window = batch.windows.get(loan.id)
        if window is None:
            writes.positions.append(_position_row(loan.id, figures, bucket, as_of, now))
            writes.charges.extend(
                (loan.id, number, kind.value, accrued, paid, payable, as_of, None, None)
                for number, kind, accrued, paid, payable in figures.charges
            )
        else:
            window = _within_bucket(window, figures, catalog.bucket_lasts(loan.product_id, figures.days_past_due))
            standing = [
                payment_ids[(loan.id, item.ref)]
                for item in payments.get(loan.id, ())
                if not item.reversed and item.value_date <= as_of
            ]
            digest = (len(standing), sum(standing))
            writes.positions.append(_position_row(loan.id, figures, bucket, as_of, now, window, digest))
            writes.charges.extend(
                (loan.id, number, kind.value, accrued, paid, payable, as_of, exact, daily)
                for (number, kind, accrued, paid, payable), (*_, exact, daily) in zip(
                    figures.charges, window.charges, strict=True
                )
            )
        if figures.allocations:
            writes.allocations[loan.id] = [
                (loan.id, payment_ids[(loan.id, ref)], number, COMPONENT_VALUES[component], amount)
                for ref, number, component, amount in figures.allocations
            ]
        _move_bucket(loan, figures, bucket, as_of, open_stays.get(loan.id), writes, report)
        _move_status(loan, figures.status, as_of, writes, report, actor)
        report.loans += 1
        report.overdue_total += Decimal(figures.overdue_total).scaleb(-2)
        if bucket is not None:
            report.by_bucket[bucket] = report.by_bucket.get(bucket, 0) + 1
    if audits is not None:
        audits += writes.audits
        writes.audits = []
    writes.flush(db_session)


def _roll(
    db_session: Session, loans: list[_LoanRow], as_of: date, catalog: _Catalog, report: PassReport
) -> RolledForward:
    """Roll forward the loans whose window covers the day (:mod:`arrears.delinquency.rolling`) and count them."""
    rolled = roll_positions(
        db_session=db_session,
        loans=[(loan.id, loan.product_id) for loan in loans],
        as_of=as_of,
        bucket_for=catalog.bucket_for,
    )
    for bucket, overdue in rolled.loans.values():
        report.loans += 1
        report.rolled += 1
        report.overdue_total += from_minor(overdue)
        if bucket is not None:
            report.by_bucket[bucket] = report.by_bucket.get(bucket, 0) + 1
    return rolled


POSITION_COLUMNS = (
    "loan_id",
    "as_of",
    "days_past_due",
    "bucket",
    "oldest_unpaid_due_date",
    "overdue_principal",
    "overdue_interest",
    "overdue_charges",
    "charges_accrued",
    "cap_cut",
    "principal_outstanding",
    "payoff_amount",
    "paid_total",
    "accelerated_on",
    "window_from",
    "valid_until",
    "exact_unit",
    "minor_cents",
    "cut_exact",
    "cut_daily",
    "payments_seen",
    "payments_key",
    "computed_at",
)
CHARGE_COLUMNS = ("loan_id", "installment_number", "kind", "accrued", "paid", "payable", "as_of", "exact", "daily")
ALLOCATION_COLUMNS = ("loan_id", "payment_id", "installment_number", "component", "amount")
COMPONENT_VALUES = {component: component.value for component in Component}
"""Stored values of the allocation components, looked up once instead of per row."""
STAY_COLUMNS = ("loan_id", "bucket", "entered_on", "dpd_at_entry", "overdue_at_entry")


@dataclass
class _Writes:
    """Everything one chunk changes, written set-wise: COPY (or bulk inserts) and bulk updates by primary key.

    Positions, charges and allocations are tuples in storage form (money in integer
    cents), in the column order of POSITION_COLUMNS, CHARGE_COLUMNS and ALLOCATION_COLUMNS.
    They are the complete derived rows of the chunk's aged loans; :meth:`flush` makes
    the stored rows equal to them, writing only what differs (see :func:`_sync_positions`).
    """

    positions: list[tuple[Any, ...]] = field(default_factory=list)
    charges: list[tuple[Any, ...]] = field(default_factory=list)
    allocations: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)  # by loan
    new_stays: list[tuple[Any, ...]] = field(default_factory=list)
    stay_exits: list[dict[str, Any]] = field(default_factory=list)
    status_changes: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    loan_ids: list[int] = field(default_factory=list)  # the loans aged in this chunk
    same_payments: set[int] = field(default_factory=set)
    """Loans replayed with the payments of their last replay: their stored allocations are already right."""

    def flush(self, db_session: Session) -> None:
        if self.loan_ids:
            _sync_positions(db_session, self.loan_ids, self.positions)
            _sync_charges(db_session, self.loan_ids, self.charges)
            paying = [loan_id for loan_id in self.loan_ids if loan_id not in self.same_payments]
            _sync_allocations(db_session, paying, self.allocations)
        if self.stay_exits:
            db_session.execute(update(BucketHistory), self.stay_exits)
        if self.new_stays:
            _insert_rows(db_session, BucketHistory, STAY_COLUMNS, self.new_stays)
        if self.status_changes:
            _update_statuses(db_session, self.status_changes)
        audit.record_many(db_session=db_session, rows=self.audits)


# Derived rows are made equal to the computed ones by writing only the difference. Reading a chunk's
# stored rows costs a fraction of rewriting them: on a steady day most allocations are as they were
# (they change only when a loan's payments, restructures or holds do), and a rewritten row costs
# PostgreSQL a heap tuple, an entry in every index and a foreign-key check.


def _sync_positions(db_session: Session, ids: list[int], rows: list[tuple[Any, ...]]) -> None:
    """One position per aged loan: update those that differ (``computed_at`` aside), insert the missing."""
    stored = {
        row[0]: tuple(row)
        for row in _read(
            db_session,
            select(*_stored(PositionRow, POSITION_COLUMNS[:-1])).where(_of_loans(db_session, PositionRow.loan_id, ids)),
        )
    }
    changed, added = [], []
    for row in rows:
        before = stored.get(row[0])
        if before is None:
            added.append(row)
        elif before != row[:-1]:
            changed.append(row)
    _update_rows(db_session, PositionRow, ("loan_id",), POSITION_COLUMNS[1:], changed)
    if added:
        _insert_rows(db_session, PositionRow, POSITION_COLUMNS, added)


def _sync_charges(db_session: Session, ids: list[int], rows: list[tuple[Any, ...]]) -> None:
    """Charges keyed by (loan, installment, kind): update the changed in place, insert new, delete vanished."""
    if _on_postgres(db_session):
        _upsert_charges(db_session, ids, rows)
        return
    # Each stored row is (id, loan, installment, kind, accrued, paid, payable, as_of).
    stored = {
        row[1:4]: row
        for row in _read(
            db_session,
            select(Charge.id, *_stored(Charge, CHARGE_COLUMNS)).where(_of_loans(db_session, Charge.loan_id, ids)),
        )
    }
    changed, added = [], []
    for row in rows:
        before = stored.pop(row[:3], None)
        if before is None:
            added.append(row)
        elif before[4:] != row[3:]:
            changed.append((before[0], *row[3:]))
    _delete_ids(db_session, Charge, Charge.id, [row[0] for row in stored.values()])
    _update_rows(db_session, Charge, ("id",), CHARGE_COLUMNS[3:], changed)
    if added:
        _insert_rows(db_session, Charge, CHARGE_COLUMNS, added)


def _upsert_charges(db_session: Session, ids: list[int], rows: list[tuple[Any, ...]]) -> None:
    """The same on PostgreSQL, matched in the database: on a new day every charge's ``as_of`` moves, so
    every stored charge is read only to be updated; an upsert from a COPY'd scratch table spares reading
    them into Python."""
    connection = db_session.connection()
    declared = ", ".join(
        f"{name} {Charge.__table__.c[name].type.compile(dialect=connection.dialect)}" for name in CHARGE_COLUMNS
    )
    names = ", ".join(CHARGE_COLUMNS)
    key = "loan_id, installment_number, kind"
    db_session.execute(text(f"CREATE TEMPORARY TABLE pass_charges ({declared}) ON COMMIT DROP"))
    _copy_rows(connection, "pass_charges", CHARGE_COLUMNS, rows)
    given = table("pass_charges", *(column(name) for name in ("loan_id", "installment_number", "kind")))
    still_owed = (
        select(literal(1))
        .where(
            given.c.loan_id == Charge.loan_id,
            given.c.installment_number == Charge.installment_number,
            given.c.kind == type_coerce(Charge.kind, String),
        )
        .exists()
    )
    db_session.execute(delete(Charge).where(_of_loans(db_session, Charge.loan_id, ids), ~still_owed))
    values = ", ".join(CHARGE_COLUMNS[3:])
    db_session.execute(
        text(
            f"INSERT INTO charges ({names}) SELECT {names} FROM pass_charges ON CONFLICT ({key}) DO UPDATE "
            f"SET ({values}) = (EXCLUDED.{', EXCLUDED.'.join(CHARGE_COLUMNS[3:])}) "
            f"WHERE (charges.{', charges.'.join(CHARGE_COLUMNS[3:])}) IS DISTINCT FROM "
            f"(EXCLUDED.{', EXCLUDED.'.join(CHARGE_COLUMNS[3:])})"
        )
    )
    db_session.execute(text("DROP TABLE pass_charges"))


def _sync_allocations(db_session: Session, ids: list[int], computed: dict[int, list[tuple[Any, ...]]]) -> None:
    """A loan's allocations are one sequence: a loan whose sequence differs has all of its rows replaced,
    so their order (by id) is the order the engine paid them in, as when every row is rewritten; a sequence
    that only grew (the usual new payment) gets its new rows appended, which keeps that order too."""
    stored: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    stmt = (
        select(*_stored(PaymentAllocation, ALLOCATION_COLUMNS))
        .where(_of_loans(db_session, PaymentAllocation.loan_id, ids))
        .order_by(PaymentAllocation.loan_id, PaymentAllocation.id)
    )
    for stored_row in _read(db_session, stmt):
        stored[stored_row[0]].append(tuple(stored_row))
    replaced: list[int] = []
    added: list[tuple[Any, ...]] = []
    for loan_id in ids:
        before, now = stored.get(loan_id, []), computed.get(loan_id, [])
        if before == now:
            continue
        if now[: len(before)] == before:  # a new payment, allocated after all the earlier ones: append it
            added += now[len(before) :]
        else:
            replaced.append(loan_id)
            added += now
    _delete_ids(db_session, PaymentAllocation, PaymentAllocation.loan_id, [i for i in replaced if i in stored])
    if added:
        _insert_rows(db_session, PaymentAllocation, ALLOCATION_COLUMNS, added)


def _stored(model: Any, columns: tuple[str, ...]) -> list[Any]:
    """Columns read in storage form, comparable with computed rows: money as cents, enums as their values."""
    table = model.__table__
    found = []
    for name in columns:
        column = table.c[name]
        if isinstance(column.type, Money):
            found.append(_cents(column))
        elif isinstance(column.type, Enum):
            found.append(type_coerce(column, String))
        else:
            found.append(column)
    return found


def _delete_ids(db_session: Session, model: Any, key: Any, ids: list[int]) -> None:
    """Delete the rows whose ``key`` is one of ``ids`` (slices keep SQLite under its parameter limit)."""
    for start in range(0, len(ids), CHUNK):
        db_session.execute(delete(model).where(key.in_(ids[start : start + CHUNK])))


def _update_rows(
    db_session: Session, model: Any, keys: tuple[str, ...], columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Update rows found by ``keys``; each row holds the keys' values then the columns', in storage form.

    One UPDATE from arrays on PostgreSQL; an executemany by key elsewhere.
    """
    if not rows:
        return
    table = model.__table__
    names = keys + columns
    connection = db_session.connection()
    if connection.dialect.name == "postgresql":
        # COPY the new values into a scratch table and update from it: binding them as arrays makes
        # the driver dump every value in Python, several times slower than COPY.
        dialect = connection.dialect
        scratch = f"pass_{table.name}"
        declared = ", ".join(f"{name} {table.c[name].type.compile(dialect=dialect)}" for name in names)
        assignments = ", ".join(f"{name} = given.{name}" for name in columns)
        matches = " AND ".join(f"{table.name}.{name} = given.{name}" for name in keys)
        db_session.execute(text(f"CREATE TEMPORARY TABLE {scratch} ({declared}) ON COMMIT DROP"))
        _copy_rows(connection, scratch, names, rows)
        db_session.execute(text(f"UPDATE {table.name} SET {assignments} FROM {scratch} AS given WHERE {matches}"))
        db_session.execute(text(f"DROP TABLE {scratch}"))
        return
    money = [isinstance(table.c[name].type, Money) for name in names]
    stmt = (
        update(table)
        .where(*(table.c[name] == bindparam(f"key_{name}") for name in keys))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )
    db_session.execute(
        stmt,
        [
            {
                (f"key_{name}" if index < len(keys) else f"new_{name}"): (
                    Decimal(value).scaleb(-2) if is_money and value is not None else value
                )
                for index, (name, value, is_money) in enumerate(zip(names, row, money, strict=True))
            }
            for row in rows
        ],
        execution_options={"synchronize_session": False},
    )


def _insert_rows(db_session: Session, model: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert rows given in storage form: COPY on PostgreSQL, a bulk INSERT elsewhere (embedded SQLite).

    COPY skips the per-row statement machinery that an executemany INSERT goes
    through, which was most of the pass's time on a large book.
    """
    connection = db_session.connection()
    table = model.__table__
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, table.name, columns, rows)
        return
    # Money columns take Decimals in major units on the way in.
    money = [isinstance(table.c[name].type, Money) for name in columns]
    db_session.execute(
        insert(table),
        [
            {
                name: Decimal(value).scaleb(-2) if is_money else value
                for name, value, is_money in zip(columns, row, money, strict=True)
            }
            for row in rows
        ],
    )


def _copy_rows(connection: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _update_statuses(db_session: Session, changes: list[dict[str, Any]]) -> None:
    """Set the loans' new statuses: one UPDATE from arrays on PostgreSQL, by primary key elsewhere."""
    connection = db_session.connection()
    if connection.dialect.name != "postgresql":
        db_session.execute(update(Loan), changes)
        return
    db_session.execute(
        text(
            "UPDATE loans SET status = changed.status, status_changed_at = changed.changed_at "
            "FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS varchar[]), CAST(:times AS timestamptz[])) "
            "AS changed (id, status, changed_at) WHERE loans.id = changed.id"
        ),
        {
            "ids": [change["id"] for change in changes],
            "statuses": [change["status"].value for change in changes],
            "times": [change["status_changed_at"] for change in changes],
        },
    )


def _of_loans(db_session: Session, column: Any, ids: list[int]) -> Any:
    """Rows of these loans. A chunk's ids are ascending and near-contiguous, so an id range
    lets the database use its loan_id index even before it has statistics (a fresh load).

    The loans of a chunk left to replay once the others were rolled forward are a sparse
    part of it; their range is still no wider than the chunk's, and without it a table the
    planner has no statistics for (allocations written by the first night, before anything
    analyzed them) was read in full for every chunk.
    """
    if ids and ids[-1] - ids[0] < 2 * max(len(ids), CHUNK):
        return column.between(ids[0], ids[-1]) & _among(db_session, column, ids)
    return _among(db_session, column, ids)


def _among(db_session: Session, column: Any, values: Collection[Any]) -> Any:
    """``column IN values``; on PostgreSQL one array parameter, not one bound parameter per value,
    which the driver would otherwise parse out of a statement the size of the chunk."""
    if _on_postgres(db_session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def _read(db_session: Session, stmt: Any) -> list[Any]:
    """Every row of a read, fetched at once: the ORM result path and fetching row by row each cost more
    than the rows themselves on the pass's large reads.

    On PostgreSQL the compiled statement goes straight to the driver's cursor in the
    session's transaction, and its plain tuples are the rows: building a Core row for
    each was the largest part of reading a chunk's stored allocations back. The reads
    here select plain columns, money as its stored cents (``_cents``) and enums as
    text, which the driver returns exactly as Core would.
    """
    connection = db_session.connection()
    if connection.dialect.name != "postgresql":
        return list(connection.execute(stmt).all())
    compiled = stmt.compile(dialect=connection.dialect)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), compiled.params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _on_postgres(db_session: Session) -> bool:
    return db_session.get_bind().dialect.name == "postgresql"


class _Amounts(dict[int, Decimal]):
    """Stored cents to Decimal amounts, each distinct amount converted once per chunk.

    Loans of one product repeat the same installment and payment amounts, and the
    reads convert hundreds of thousands of them per chunk.
    """

    def __missing__(self, cents: int) -> Decimal:
        amount = self[cents] = from_minor(cents)
        return amount


def _cents(column: Any) -> Any:
    """A money column read as its stored integer cents."""
    return type_coerce(column, BigInteger)


def _schedules(db_session: Session, ids: list[int]) -> dict[int, list[ScheduledInstallment]]:
    found: dict[int, list[ScheduledInstallment]] = defaultdict(list)
    amounts = _Amounts()
    stmt = select(
        Installment.loan_id,
        Installment.number,
        Installment.due_date,
        _cents(Installment.principal_due),
        _cents(Installment.interest_due),
    ).where(_of_loans(db_session, Installment.loan_id, ids))
    for loan_id, number, due_date, principal, interest in _read(db_session, stmt):
        found[loan_id].append(ScheduledInstallment(number, due_date, amounts[principal], amounts[interest]))
    return found


def _payments(db_session: Session, ids: list[int]) -> tuple[dict[int, list[PostedPayment]], dict[tuple[int, str], int]]:
    found: dict[int, list[PostedPayment]] = defaultdict(list)
    payment_ids: dict[tuple[int, str], int] = {}
    amounts = _Amounts()
    stmt = (
        select(
            Payment.id,
            Payment.loan_id,
            Payment.reference,
            Payment.value_date,
            _cents(Payment.amount),
            Payment.reversed_at.is_not(None),
        )
        .where(_of_loans(db_session, Payment.loan_id, ids))
        .order_by(Payment.loan_id, Payment.value_date, Payment.id)
    )
    for payment_id, loan_id, reference, value_date, amount, reversed_ in _read(db_session, stmt):
        found[loan_id].append(PostedPayment(reference, value_date, amounts[amount], bool(reversed_)))
        payment_ids[(loan_id, reference)] = payment_id
    return found, payment_ids


def _holds(db_session: Session, loans: list[_LoanRow]) -> dict[int, list[PauseWindow]]:
    """Holds that pause aging or charges, per loan, via the borrower's case in the loan's tenant."""
    keys = {(loan.tenant_id, loan.borrower_id) for loan in loans}
    borrower_ids = {borrower_id for _, borrower_id in keys}
    stmt = (
        select(Case.tenant_id, Case.borrower_id, Hold.starts_on, Hold.ends_on, Hold.pauses_aging, Hold.pauses_charges)
        .join(Hold, Hold.case_id == Case.id)
        .where(
            _among(db_session, Case.borrower_id, borrower_ids),
            (Hold.pauses_aging.is_(True)) | (Hold.pauses_charges.is_(True)),
        )
    )
    windows: dict[tuple[int, int], list[PauseWindow]] = defaultdict(list)
    for tenant_id, borrower_id, starts_on, ends_on, aging, charging in db_session.execute(stmt):
        windows[(tenant_id, borrower_id)].append(PauseWindow(starts_on, ends_on, aging, charging))
    return {
        loan.id: windows[(loan.tenant_id, loan.borrower_id)]
        for loan in loans
        if (loan.tenant_id, loan.borrower_id) in windows
    }


def _position_row(
    loan_id: int,
    figures: LoanFigures,
    bucket: str | None,
    as_of: date,
    now: datetime,
    window: Window | None = None,
    digest: tuple[int, int] | None = None,
) -> tuple[Any, ...]:
    if window is None or digest is None:
        windowed: tuple[Any, ...] = (None,) * 8
    else:
        windowed = (
            as_of,
            window.valid_until,
            window.unit,
            window.minor_cents,
            window.cut_exact,
            window.cut_daily,
            *digest,
        )
    return (
        loan_id,
        as_of,
        figures.days_past_due,
        bucket,
        figures.oldest_unpaid_due_date,
        figures.overdue_principal,
        figures.overdue_interest,
        figures.overdue_charges,
        figures.charges_accrued,
        figures.cap_cut,
        figures.principal_outstanding,
        figures.payoff_amount,
        figures.paid_total,
        figures.accelerated_on,
        *windowed,
        now,
    )


def _within_bucket(window: Window, figures: LoanFigures, lasts: int | None) -> Window:
    """The window, ended the day before a growing DPD leaves its bucket: a bucket move is an event."""
    if figures.oldest_unpaid_due_date is None or lasts is None:
        return window
    end = figures.oldest_unpaid_due_date + timedelta(days=lasts)
    return window._replace(valid_until=min(window.valid_until, end)) if end < window.valid_until else window


def _move_bucket(
    loan: _LoanRow,
    figures: LoanFigures,
    bucket: str | None,
    as_of: date,
    stay: Row[int, int, str, date] | None,
    writes: _Writes,
    report: PassReport,
) -> None:
    """Close the open stay when the bucket changed and open the next one."""
    if stay is not None and stay.entered_on > as_of:
        raise Conflict(
            f"loan {loan.account_number} was already aged as of {stay.entered_on}; bucket history only moves forward",
            hint=f"run the pass for {stay.entered_on} or later",
        )
    current = stay.bucket if stay is not None else None
    if current == bucket:
        return
    if stay is not None:
        left_to = bucket or ("closed" if figures.status is LoanStatus.CLOSED else "current")
        writes.stay_exits.append({"id": stay.id, "left_on": as_of, "left_to": left_to})
    if bucket is not None:
        writes.new_stays.append((loan.id, bucket, as_of, figures.days_past_due, figures.overdue_total))
    report.bucket_moves += 1


def _failure_audit(loan: _LoanRow, error: InvalidInput, as_of: date, actor: str) -> dict[str, Any]:
    return {
        "tenant_id": loan.tenant_id,
        "actor": actor,
        "action": "loan.pass_failed",
        "subject_type": "loan",
        "subject_id": str(loan.id),
        "details": {"as_of": as_of.isoformat(), "reason": error.one_line()},
    }


def _move_status(
    loan: _LoanRow, status: LoanStatus, as_of: date, writes: _Writes, report: PassReport, actor: str
) -> None:
    event = ledger_event(loan.status, status)
    if event is None:
        return
    writes.status_changes.append({"id": loan.id, "status": status, "status_changed_at": utcnow()})
    writes.audits.append(
        {
            "tenant_id": loan.tenant_id,
            "actor": actor,
            "action": f"loan.{event}",
            "subject_type": "loan",
            "subject_id": str(loan.id),
            "details": {"from": loan.status.value, "to": status.value, "as_of": as_of.isoformat()},
        }
    )
    report.status_changes += 1
