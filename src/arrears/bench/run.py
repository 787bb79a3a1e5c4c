"""``make bench-run``: the end-of-day run over N overdue loans on PostgreSQL, against a bare GROUP BY.

For each size, a fresh database is bulk-loaded with N loans of 12 installments
(the ledger benchmark's generator) and given a team of collectors. Two days are
then timed, each in its own process so the peak memory it reports is its own:

- the *first day*, the run on a book nobody has run before (every position,
  charge, case, segment, state and action is new);
- the *next day*, the nightly run a lender really has: the day after, once a
  day's payments have come in (one overdue loan in ``NEXT_DAY_PAYERS`` pays
  all it has overdue that day).

With ``--workers N`` the next day is also run through the task queue
(``arrears run --queue``) by N ``arrears worker`` processes, on a copy of the
same database taken before the in-process next day, with steps sized so each
stage has work for every worker.

The floor is one GROUP BY over the installments table, timed on the same
database in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from arrears.bench.ledger import AS_OF, load, reference
from arrears.bench.report import commit, machine, write_section
from arrears.db.migrate import upgrade
from arrears.db.session import create_db_engine, make_session_factory
from arrears.jobs.local import local_workers
from arrears.jobs.queue import ensure_schema, make_app, run_day_on_queue
from arrears.org.enums import Role
from arrears.org.models import Tenant, User
from arrears.strategy.models import RunStep
from arrears.strategy.run import StepSizes, run_day
from arrears.strategy.stages import STAGES

MARKER_START = "<!-- bench-run:start -->"
MARKER_END = "<!-- bench-run:end -->"
COLLECTORS = 200


def add_collectors(url: str) -> None:
    engine = create_db_engine(url)
    with Session(engine) as db_session, db_session.begin():
        tenant_id = db_session.scalar(select(Tenant.id).where(Tenant.code == "bench"))
        rows = [
            {
                "tenant_id": tenant_id,
                "username": f"bench-collector-{n}",
                "display_name": f"催收员{n}",
                "staff_number": f"B{n:05d}",
                "role": Role.COLLECTOR,
                "daily_case_cap": 400,
            }
            for n in range(COLLECTORS)
        ]
        db_session.execute(insert(User), rows)
    engine.dispose()


NEXT_DAY = AS_OF + timedelta(days=1)
NEXT_DAY_PAYERS = 20
"""On the next day, one loan in this many of those past due pays all it has overdue."""


def whole_run(url: str, loans: int, as_of: date = AS_OF, workers: int = 0) -> dict[str, Any]:
    """One day, in process (``workers=0``) or through the queue by ``workers`` worker processes."""
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    started = time.perf_counter()
    if workers:
        run_id = _run_on_queue(url, factory, as_of, workers)
    else:
        run_id = run_day(factory=factory, tenant_code="bench", as_of=as_of, actor="bench", stages=STAGES)
    seconds = time.perf_counter() - started
    spans: dict[str, tuple[datetime, datetime]] = {}  # a stage's first start and last finish: its wall time
    paths = {"rolled": 0, "columnar": 0, "row_engine": 0}
    with factory() as db_session:
        for step in db_session.scalars(select(RunStep).where(RunStep.run_id == run_id)):
            if step.finished_at is not None:
                first, last = spans.get(step.stage, (step.started_at, step.finished_at))
                spans[step.stage] = (min(first, step.started_at), max(last, step.finished_at))
            if step.stage == "pass":
                for path in paths:
                    paths[path] += int((step.counts or {}).get(path, 0))
        cases = db_session.scalar(text("SELECT count(*) FROM case_strategies WHERE as_of = :day"), {"day": as_of})
    engine.dispose()
    stages = {stage: (last - first).total_seconds() for stage, (first, last) in spans.items()}
    return {"loans": loans, "cases": cases, "seconds": seconds, "stages": stages, **paths}


def first_day(url: str, loans: int) -> dict[str, Any]:
    return whole_run(url, loans, AS_OF)


def next_day(url: str, loans: int) -> dict[str, Any]:
    return whole_run(url, loans, NEXT_DAY)


def _run_on_queue(url: str, factory: Any, as_of: date, workers: int) -> int:
    """The day through the task queue, with ``workers`` ``arrears worker`` processes started for it (their logs
    go to a scratch directory and are printed when the run fails)."""
    app = make_app(url, STAGES)
    with factory() as db_session:
        ensure_schema(app, db_session)
        sizes = StepSizes.for_workers(db_session=db_session, tenant_code="bench", workers=workers)
    with tempfile.TemporaryDirectory() as scratch, local_workers(url, workers, Path(scratch)) as logs:
        try:
            return run_day_on_queue(
                factory=factory, app=app, tenant_code="bench", as_of=as_of, actor="bench", stages=STAGES, sizes=sizes
            )
        except Exception:
            for log in logs:
                print(log.read_text(encoding="utf-8")[-4000:], file=sys.stderr)
            raise


def next_day_on_queue(url: str, loans: int, workers: int) -> dict[str, Any]:
    return {**whole_run(url, loans, NEXT_DAY, workers=workers), "workers": workers}


def next_day_payments(url: str) -> int:
    """Post the next day's payments: one past-due loan in NEXT_DAY_PAYERS pays all it has overdue."""
    engine = create_db_engine(url)
    with engine.begin() as conn:
        posted = conn.execute(
            text(
                "INSERT INTO payments (loan_id, reference, value_date, amount, received_at) "
                "SELECT loan_id, 'N' || loan_id, :day, overdue_principal + overdue_interest + overdue_charges, now() "
                "FROM loan_positions WHERE days_past_due > 0 AND loan_id % :every = 0"
            ),
            {"day": NEXT_DAY, "every": NEXT_DAY_PAYERS},
        ).rowcount
        conn.exec_driver_sql("ANALYZE payments")
    engine.dispose()
    return int(posted)


PHASES = {"first_day": first_day, "next_day": next_day, "reference": reference}


def _child(phase: str, url: str, loans: int, workers: int = 0) -> dict[str, Any]:
    command = [sys.executable, "-m", "arrears.bench.run", "--phase", phase, "--url", url, "--loans", str(loans)]
    if workers:
        command += ["--workers", str(workers)]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"benchmark phase '{phase}' failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def book(postgres_url: str, loans: int) -> tuple[str, float | None]:
    """The loaded book of ``loans`` loans and its collectors, kept as a template database between runs.

    Loading 3,000,000 loans takes half an hour here; the loaded, never-run book is the same every time (the
    generator is seeded by loan id), so it is built once, migrated to head on each use, and cloned for every
    measurement. Returns the template's URL and the load's seconds when it was built now (None when reused).
    """
    name = f"arrears_bench_book_{loans}"
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            ready = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name AND datistemplate"), {"name": name}
            )
            if ready:
                print(f"reusing the loaded book {name}", flush=True)
                upgrade(url)
                return url, None
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        print(f"loading {loans:,} loans into {name} ...", flush=True)
        upgrade(url)
        loaded = load(url, loans)
        add_collectors(url)
        with admin.connect() as conn:  # only a complete book becomes a template
            conn.execute(text(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true'))
        return url, float(loaded["seconds"])
    finally:
        admin.dispose()


def _clone(postgres_url: str, template_url: str) -> tuple[str, Any]:
    """A fresh copy of the book to run on, and how to drop it."""
    name = f"arrears_bench_{uuid.uuid4().hex[:8]}"
    template = make_url(template_url).database
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(postgres_url).set(database=name).render_as_string(hide_password=False), drop


def _phase(phase: str, url: str, loans: int, workers: int = 0) -> dict[str, Any]:
    """One phase in its own process; its figures are printed as soon as it ends, so a run stopped later keeps them."""
    figures = _child(phase, url, loans, workers)
    print(f"{loans:,} loans, {phase}: {json.dumps(figures, default=str)}", file=sys.stderr, flush=True)
    return figures


def measure(loans: int, postgres_url: str, *, next_day_too: bool = True, workers: int = 0) -> dict[str, Any]:
    """Both days (or the first alone, ``next_day_too=False``) and the floor, on a clone of the kept book.

    With ``workers``, the next day also runs through the queue, on a copy of the database taken once the
    next day's payments are in, before the in-process next day ran on the original.
    """
    template, load_seconds = book(postgres_url, loans)
    url, drop = _clone(postgres_url, template)
    runs: dict[str, Any] = {}
    payments = 0
    try:
        runs["first day"] = _phase("first_day", url, loans)
        if next_day_too:
            payments = next_day_payments(url)
            if workers:
                queued_url, drop_queued = _clone(postgres_url, url)
                try:
                    runs[f"next day, {workers} workers"] = _phase("next_day_queue", queued_url, loans, workers)
                finally:
                    drop_queued()
            runs["next day"] = _phase("next_day", url, loans)
        floor = _phase("reference", url, loans)
    finally:
        drop()
    return {
        "loans": loans,
        "load_seconds": load_seconds,
        "runs": runs,
        "next_day_payments": payments,
        "floor": floor,
        "load": os.getloadavg()[0],
    }


NOTES = (
    "The target is a run within 1.5x of the floor with cost linear in loans. *First day* is the run on a book "
    "nobody has run before; *next day* is the nightly run a lender really has, the day after, with that day's "
    "payments posted first (the 'payments' column). The ledger pass rolls forward, in SQL, the positions of "
    "loans with no event since their last replay (inside their window), replays the others with the columnar "
    "path (`arrears.ledger.columnar`, NumPy over one row per loan) and writes with COPY; loans it does not take "
    "go to the row engine (the column counts all three). See docs/run.md for where the time goes. 'load' is the "
    "machine's one-minute load average when the size finished (2 cores shared with other work), so compare "
    "ratios taken in the same run rather than seconds.",
)


def render(results: list[dict[str, Any]], machine: str, commit: str) -> str:
    lines = [
        MARKER_START,
        "## The end-of-day run (`make bench-run`)",
        "",
        f"Measured on {datetime.now().date().isoformat()} on {machine}, PostgreSQL, commit {commit}; "
        f"first day {AS_OF}, next day {NEXT_DAY}; 12 installments per loan, {COLLECTORS} collectors. The run is "
        "`arrears run` in process (one worker), and where a row says so `arrears run --queue` with that many "
        "`arrears worker` processes on the same machine (its peak memory is the largest process's); the floor is "
        "one bare GROUP BY over the installments table, timed on the same database.",
        "",
        "| loans | day | payments | open cases | run s | run peak MiB | GROUP BY floor s | run / floor | pass / floor "
        "| pass: rolled / columnar / row engine | seconds per stage | load (1 min) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for result in results:
        floor = result["floor"]
        for day, run in result["runs"].items():
            stages = ", ".join(f"{name} {seconds:.1f}" for name, seconds in run["stages"].items())
            pass_seconds = run["stages"].get("pass", 0.0)
            payments = f"{result['next_day_payments']:,}" if day.startswith("next day") else "-"
            lines.append(
                f"| {result['loans']:,} | {day} | {payments} | {run['cases']:,} | {run['seconds']:.1f} | "
                f"{run['peak_mib']:.0f} | {floor['seconds']:.2f} | {run['seconds'] / floor['seconds']:.0f}x | "
                f"{pass_seconds / floor['seconds']:.0f}x | {run.get('rolled', 0):,} / {run.get('columnar', 0):,} / "
                f"{run.get('row_engine', 0):,} | {stages} | {result.get('load', 0.0):.1f} |"
            )
    lines += ["", *NOTES, MARKER_END]
    return "\n".join(lines)


def write_report(report: Path, section: str) -> None:
    write_section(report, section, start=MARKER_START, end=MARKER_END)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--phase", choices=sorted([*PHASES, "next_day_queue"]))
    parser.add_argument("--url")
    parser.add_argument("--loans", type=int, action="append")
    parser.add_argument("--postgres-url")
    parser.add_argument("--report", type=Path)
    parser.add_argument(
        "--first-day-only",
        action="store_true",
        help="time the first day alone (the largest size takes hours per day on a small machine)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="also run the next day through the task queue with this many worker processes",
    )
    args = parser.parse_args(argv)
    if args.phase:
        if args.phase == "next_day_queue":
            figures = next_day_on_queue(args.url, args.loans[0], args.workers)
        else:
            figures = PHASES[args.phase](args.url, args.loans[0])
        own, workers = (
            resource.getrusage(who).ru_maxrss / 1024 for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        )
        figures["peak_mib"] = max(own, workers)  # the largest process: this one or a worker
        print(json.dumps(figures, default=str))
        return
    measured = commit()  # the code measured, even if HEAD moves while the benchmark runs
    sizes = args.loans or [100_000, 1_000_000]
    if args.workers < 0:
        parser.error("--workers must be 0 (in process only) or more")
    results = [
        measure(loans, args.postgres_url, next_day_too=not args.first_day_only, workers=args.workers) for loans in sizes
    ]
    section = render(results, machine(), measured)
    print(section)
    if args.report:
        write_report(args.report, section)


if __name__ == "__main__":
    main()
