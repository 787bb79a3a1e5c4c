"""Checking the audit chain: recompute every hash and every link, oldest entry first.

What the chain alone catches: an edited entry (its hash no longer matches its fields),
a deleted or inserted entry in the middle (a gap in seq, or a prev_hash that is not the
previous entry's hash), and reordered entries. What it cannot catch alone is the loss of
the newest entries: a shorter chain is still a valid chain. An operator who kept the head
(seq and hash) of an earlier verification passes it as an anchor to detect that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import Session

from arrears.audit.chain import ENTRY_FIELDS, GENESIS_HASH, ChainFields, entry_hash
from arrears.audit.models import AuditRecord

MAX_PROBLEMS = 100
"""Stop listing problems after this many: a long list says no more than its first lines, and memory stays flat."""


class ProblemKind(StrEnum):
    EDITED = "edited"  # the fields no longer give the stored hash
    MISSING = "missing"  # seq jumps: entries before this one were deleted
    RELINKED = "relinked"  # prev_hash is not the previous entry's hash: inserted, reordered or rewritten
    DUPLICATE = "duplicate"  # two entries share a seq
    TRUNCATED = "truncated"  # the chain ends before the seq of the expected head
    DIVERGED = "diverged"  # no entry has the expected head hash: the chain was cut and regrown, or rewritten


@dataclass(frozen=True, slots=True)
class ChainProblem:
    kind: ProblemKind
    seq: int | None
    id: int | None
    message: str

    def one_line(self) -> str:
        where = " ".join(part for part in (_label("seq", self.seq), _label("id", self.id)) if part)
        return f"{self.kind.value}: {where}: {self.message}" if where else f"{self.kind.value}: {self.message}"


@dataclass
class ChainReport:
    rows_checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[ChainProblem] = field(default_factory=list)
    more_problems: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows_checked": self.rows_checked,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "problems": [{"kind": p.kind.value, "seq": p.seq, "id": p.id, "message": p.message} for p in self.problems],
            "more_problems": self.more_problems,
        }


@dataclass(frozen=True, slots=True)
class HeadAnchor:
    """What an operator kept from an earlier verification: the chain must still reach it."""

    seq: int | None = None
    hash: str | None = None


def count_entries(*, db_session: Session) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditRecord)) or 0


def verify_chain(
    *,
    db_session: Session,
    batch_size: int = 10_000,
    anchor: HeadAnchor | None = None,
    progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Walk the whole chain in seq order, a batch at a time, and report what does not hold.

    ``progress`` is told how many rows each batch held.
    """
    report = ChainReport()
    anchor_seen = False
    for batch in _batches(db_session, batch_size):
        for row in batch:
            _check_row(report, row)
            if anchor is not None and anchor.hash is not None and row.hash == anchor.hash:
                anchor_seen = anchor.seq is None or row.seq == anchor.seq
        if progress is not None:
            progress(len(batch))
    if anchor is not None:
        _check_anchor(report, anchor, anchor_seen=anchor_seen)
    return report


def _batches(db_session: Session, batch_size: int) -> Iterator[Sequence[Row[Any]]]:
    """Keyset pages on (seq, id): each page is one indexed query and nothing is held between pages."""
    columns = [getattr(AuditRecord, name) for name in ("id", "seq", "prev_hash", "hash", *ENTRY_FIELDS)]
    last: tuple[int, int] | None = None
    while True:
        stmt = select(*columns).order_by(AuditRecord.seq, AuditRecord.id).limit(batch_size)
        if last is not None:
            stmt = stmt.where(
                or_(AuditRecord.seq > last[0], and_(AuditRecord.seq == last[0], AuditRecord.id > last[1]))
            )
        batch = db_session.execute(stmt).all()
        if not batch:
            return
        yield batch
        last = (batch[-1].seq, batch[-1].id)


def _check_row(report: ChainReport, row: Row[Any]) -> None:
    expected_seq = report.head_seq + 1
    if row.seq == report.head_seq and report.rows_checked:
        _add(report, ProblemKind.DUPLICATE, row, f"seq {row.seq} appears more than once")
    elif row.seq != expected_seq:
        _add(report, ProblemKind.MISSING, row, f"expected seq {expected_seq}, found {row.seq}")
    elif row.prev_hash != report.head_hash:
        _add(report, ProblemKind.RELINKED, row, "prev_hash is not the hash of the entry before it")
    fields = ChainFields(seq=row.seq, prev_hash=row.prev_hash, **{name: getattr(row, name) for name in ENTRY_FIELDS})
    if entry_hash(fields) != row.hash:
        _add(report, ProblemKind.EDITED, row, f"{row.action} on {row.subject_type} no longer matches its hash")
    # Carry on from what is stored, so one tampered entry is reported once, not at every entry after it.
    report.rows_checked += 1
    report.head_seq, report.head_hash = row.seq, row.hash


def _check_anchor(report: ChainReport, anchor: HeadAnchor, *, anchor_seen: bool) -> None:
    if anchor.seq is not None and report.head_seq < anchor.seq:
        report.problems.append(
            ChainProblem(
                ProblemKind.TRUNCATED,
                report.head_seq,
                None,
                f"the chain ends at seq {report.head_seq} but reached seq {anchor.seq} before",
            )
        )
    elif anchor.hash is not None and not anchor_seen:
        at = f" at seq {anchor.seq}" if anchor.seq is not None else ""
        report.problems.append(
            ChainProblem(ProblemKind.DIVERGED, anchor.seq, None, f"no entry{at} has the expected head {anchor.hash}")
        )


def _add(report: ChainReport, kind: ProblemKind, row: Row[Any], message: str) -> None:
    if len(report.problems) >= MAX_PROBLEMS:
        report.more_problems = True
        return
    report.problems.append(ChainProblem(kind, row.seq, row.id, message))


def _label(name: str, value: int | None) -> str:
    return "" if value is None else f"{name} {value}"
