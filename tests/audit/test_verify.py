"""Verification catches every edit, deletion and reordering in the middle of the chain; a kept head
anchor catches the loss of the newest entries, which the chain alone cannot."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from arrears import audit
from arrears.audit.chain import GENESIS_HASH
from arrears.audit.models import AuditRecord
from arrears.audit.verify import HeadAnchor, ProblemKind, verify_chain
from tests.audit.conftest import Tamper


@pytest.fixture
def entries(db_session: Session) -> list[AuditRecord]:
    """Five committed-looking entries at the tail of the chain."""
    made = [
        audit.record(
            db_session=db_session,
            actor="user:7",
            action="case.updated",
            subject_type="case",
            subject_id=n,
            details={"field": "status", "to": f"state-{n}"},
        )
        for n in range(5)
    ]
    db_session.flush()
    return made


def _problems(db_session: Session, **kwargs: object) -> list[tuple[ProblemKind, int | None]]:
    report = verify_chain(db_session=db_session, **kwargs)  # type: ignore[arg-type]
    return [(p.kind, p.seq) for p in report.problems]


def test_an_empty_log_is_intact_at_the_genesis_hash(db_session: Session) -> None:
    if db_session.query(AuditRecord).count():
        pytest.skip("the shared database already holds committed entries")
    report = verify_chain(db_session=db_session)
    assert (report.ok, report.rows_checked, report.head_seq, report.head_hash) == (True, 0, 0, GENESIS_HASH)


@pytest.mark.parametrize("batch_size", [2, 10_000])
def test_an_untouched_chain_is_intact(db_session: Session, entries: list[AuditRecord], batch_size: int) -> None:
    report = verify_chain(db_session=db_session, batch_size=batch_size)
    assert report.ok and report.problems == []
    assert (report.head_seq, report.head_hash) == (entries[-1].seq, entries[-1].hash)
    assert report.rows_checked >= len(entries)


@pytest.mark.parametrize(
    "change",
    [
        'details = \'{"field": "status", "to": "closed"}\'',
        "action = 'case.viewed'",
        "actor = 'user:8'",
        "subject_id = '99'",
    ],
)
def test_an_edited_entry_is_caught_once(
    db_session: Session, entries: list[AuditRecord], tamper: Tamper, change: str
) -> None:
    tamper(f"UPDATE audit_log SET {change} WHERE seq = :seq", seq=entries[2].seq)
    assert _problems(db_session, batch_size=2) == [(ProblemKind.EDITED, entries[2].seq)]


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(
    db_session: Session, entries: list[AuditRecord], tamper: Tamper
) -> None:
    """An attacker who rehashes the edited entry still cannot make the next entry point at it."""
    forged = entries[3].hash
    tamper(
        "UPDATE audit_log SET action = 'case.viewed', hash = :forged WHERE seq = :seq",
        forged=forged,
        seq=entries[2].seq,
    )
    found = _problems(db_session)
    assert (ProblemKind.EDITED, entries[2].seq) in found
    assert (ProblemKind.RELINKED, entries[3].seq) in found


def test_a_deleted_middle_entry_is_caught(db_session: Session, entries: list[AuditRecord], tamper: Tamper) -> None:
    tamper("DELETE FROM audit_log WHERE seq = :seq", seq=entries[2].seq)
    assert _problems(db_session) == [(ProblemKind.MISSING, entries[3].seq)]


def test_a_renumbered_deletion_is_caught_by_the_link(
    db_session: Session, entries: list[AuditRecord], tamper: Tamper
) -> None:
    """Closing the seq gap after a deletion leaves a prev_hash that points at the vanished entry."""
    tamper("DELETE FROM audit_log WHERE seq = :seq", seq=entries[2].seq)
    tamper("UPDATE audit_log SET seq = seq - 1 WHERE seq > :seq", seq=entries[2].seq)
    found = _problems(db_session)
    assert found[0] == (ProblemKind.RELINKED, entries[2].seq)


def test_swapped_entries_are_caught(db_session: Session, entries: list[AuditRecord], tamper: Tamper) -> None:
    a, b = entries[1].seq, entries[2].seq
    tamper("UPDATE audit_log SET seq = -1 WHERE seq = :a", a=a)
    tamper("UPDATE audit_log SET seq = :a WHERE seq = :b", a=a, b=b)
    tamper("UPDATE audit_log SET seq = :b WHERE seq = -1", b=b)
    found = _problems(db_session)
    assert (ProblemKind.RELINKED, a) in found
    assert (ProblemKind.EDITED, a) in found


def test_losing_the_newest_entry_passes_the_chain_alone(
    db_session: Session, entries: list[AuditRecord], tamper: Tamper
) -> None:
    """The honest limit: a chain cut at its end is still a valid chain."""
    tamper("DELETE FROM audit_log WHERE seq = :seq", seq=entries[-1].seq)
    assert verify_chain(db_session=db_session).ok


@pytest.mark.parametrize(
    ("use_seq", "use_hash", "kind"),
    [(True, True, ProblemKind.TRUNCATED), (True, False, ProblemKind.TRUNCATED), (False, True, ProblemKind.DIVERGED)],
)
def test_a_kept_head_catches_the_loss_of_the_newest_entry(
    db_session: Session,
    entries: list[AuditRecord],
    tamper: Tamper,
    use_seq: bool,
    use_hash: bool,
    kind: ProblemKind,
) -> None:
    kept = verify_chain(db_session=db_session)
    anchor = HeadAnchor(seq=kept.head_seq if use_seq else None, hash=kept.head_hash if use_hash else None)
    assert verify_chain(db_session=db_session, anchor=anchor).ok
    tamper("DELETE FROM audit_log WHERE seq = :seq", seq=entries[-1].seq)
    assert [p.kind for p in verify_chain(db_session=db_session, anchor=anchor).problems] == [kind]


def test_a_kept_head_still_holds_after_the_log_grows(db_session: Session, entries: list[AuditRecord]) -> None:
    kept = verify_chain(db_session=db_session)
    audit.record(db_session=db_session, actor="user:7", action="case.viewed", subject_type="case", subject_id=1)
    db_session.flush()
    assert verify_chain(db_session=db_session, anchor=HeadAnchor(seq=kept.head_seq, hash=kept.head_hash)).ok


def test_a_cut_and_regrown_chain_is_caught_by_the_kept_head(
    db_session: Session, entries: list[AuditRecord], tamper: Tamper
) -> None:
    kept = verify_chain(db_session=db_session)
    tamper("DELETE FROM audit_log WHERE seq = :seq", seq=entries[-1].seq)
    db_session.commit()  # a new transaction reads the new tail
    audit.record(db_session=db_session, actor="user:7", action="case.viewed", subject_type="case", subject_id=1)
    db_session.flush()
    report = verify_chain(db_session=db_session, anchor=HeadAnchor(seq=kept.head_seq, hash=kept.head_hash))
    assert [p.kind for p in report.problems] == [ProblemKind.DIVERGED]


def test_a_problem_reads_as_one_line(db_session: Session, entries: list[AuditRecord], tamper: Tamper) -> None:
    tamper("UPDATE audit_log SET action = 'case.viewed' WHERE seq = :seq", seq=entries[0].seq)
    problem = verify_chain(db_session=db_session).problems[0]
    assert problem.one_line() == (
        f"edited: seq {entries[0].seq} id {entries[0].id}: case.viewed on case no longer matches its hash"
    )
