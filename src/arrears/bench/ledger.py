"""``make bench-ledger``: bulk load and the as-of pass over N loans, against a bare GROUP BY.

Each measured phase runs in a child process, so the peak memory it reports
(ru_maxrss) is that phase's own. The reference floor is one SQL aggregate over the
installments table, timed in the same run on the same database, because these
machines are noisy and only figures taken side by side compare.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from arrears.bench.report import commit, machine, write_section
from arrears.dates import add_months
from arrears.db.migrate import upgrade
from arrears.db.session import create_db_engine
from arrears.delinquency.buckets import STANDARD_BUCKETS
from arrears.delinquency.daily_pass import run_pass
from arrears.delinquency.service import upsert_bucket_set
from arrears.ledger import service as products
from arrears.ledger.rules import ProductRules
from arrears.org import service as tenants
from arrears.portfolio.importing import Kind, import_file

AS_OF = date(2026, 6, 30)
INSTALLMENTS = 12
CHUNK = 20_000
RULES = {
    "charges": {"penalty_annual_rate": "0.18", "late_fee_daily_rate": "0.0005", "grace_days": 3},
    "cost_cap": {"kind": "annual_rate", "annual_rate": "0.36"},
    "acceleration": {"after_dpd": 90, "demand_days": 3},
}
MARKER_START = "<!-- bench-ledger:start -->"
MARKER_END = "<!-- bench-ledger:end -->"


@dataclass(frozen=True)
class Ids:
    tenant: int
    product: int
    version: int


def _setup(engine: Engine) -> Ids:
    with Session(engine) as db_session, db_session.begin():
        tenant = tenants.get_or_create(db_session=db_session, code="bench")
        bucket_set = upsert_bucket_set(db_session=db_session, tenant_id=tenant.id, bucket_set=STANDARD_BUCKETS)
        product, version = products.upsert(
            db_session=db_session,
            tenant_id=tenant.id,
            code="CASH12",
            name="12-month cash loan",
            rules=ProductRules.model_validate(RULES),
            effective_from=date(2020, 1, 1),
            bucket_set_id=bucket_set.id,
        )
        return Ids(tenant.id, product.id, version.id)


def _rows(first: int, count: int, ids: Ids) -> tuple[list[dict[str, Any]], ...]:
    """Borrowers, loans, installments and payments for loans first..first+count-1 (amounts in cents)."""
    now = datetime.now(UTC)
    borrowers, loans, installments, payments = [], [], [], []
    for loan_id in range(first, first + count):
        rng = random.Random(loan_id)
        principal = rng.randrange(30, 500) * 10_000
        disbursed = AS_OF - timedelta(days=rng.randrange(40, 420))
        part, interest = principal // INSTALLMENTS, principal * 2 // 100
        behaviour = rng.random()
        stop_after = INSTALLMENTS if behaviour < 0.7 else rng.randrange(0, INSTALLMENTS)
        borrowers.append(
            {"id": loan_id, "tenant_id": ids.tenant, "external_id": f"B{loan_id}", "name": f"借款人{loan_id}"}
        )
        loans.append(
            {
                "id": loan_id,
                "tenant_id": ids.tenant,
                "borrower_id": loan_id,
                "product_id": ids.product,
                "rule_version_id": ids.version,
                "account_number": f"L{loan_id}",
                "principal": principal,
                "contract_date": disbursed,
                "disbursed_on": disbursed,
            }
        )
        for number in range(1, INSTALLMENTS + 1):
            due = add_months(disbursed, number)
            principal_due = part if number < INSTALLMENTS else principal - part * (INSTALLMENTS - 1)
            installments.append(
                {
                    "loan_id": loan_id,
                    "number": number,
                    "due_date": due,
                    "principal_due": principal_due,
                    "interest_due": interest,
                }
            )
            paid_on = due + timedelta(days=rng.choice((0, 0, 0, 1, 2, 6)))
            if number <= stop_after and paid_on <= AS_OF:
                payments.append(
                    {
                        "loan_id": loan_id,
                        "reference": f"P{loan_id}-{number}",
                        "value_date": paid_on,
                        "amount": principal_due + interest,
                        "received_at": now,
                    }
                )
    return borrowers, loans, installments, payments


TABLES = ("borrowers", "loans", "installments", "payments")
DEFAULTS = {
    "borrowers": {
        "gender": "unknown",
        "marital_status": "unknown",
        "education": "unknown",
        "timezone": "Asia/Shanghai",
    },
    "loans": {"status": "active"},
}
TIMESTAMPS = {"borrowers": ("created_at", "updated_at"), "loans": ("created_at", "status_changed_at")}


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for first in range(1, total + 1, CHUNK):
        yield first, min(CHUNK, total - first + 1)


def load(url: str, loans: int) -> dict[str, Any]:
    """Bulk-load ``loans`` loans; COPY on PostgreSQL, executemany on SQLite. Money goes in as cents."""
    engine = create_db_engine(url)
    ids = _setup(engine)
    started = time.perf_counter()
    rows_written = 0
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for first, count in _chunks(loans):
            for table, rows in zip(TABLES, _rows(first, count, ids), strict=True):
                extra: dict[str, Any] = dict(DEFAULTS.get(table, {}))
                extra.update(dict.fromkeys(TIMESTAMPS.get(table, ()), now))
                rows = [row | extra for row in rows]
                rows_written += len(rows)
                _bulk(conn, table, rows)
    seconds = time.perf_counter() - started
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")  # as an operator would after a bulk load
    engine.dispose()
    return {"rows": rows_written, "seconds": seconds}


def _bulk(conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])
        return
    binds = ", ".join(f":{column}" for column in columns)
    conn.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({binds})",
        [{key: _sqlite_value(value) for key, value in row.items()} for row in rows],
    )


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _yuan(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "borrowers": ("external_id", "name"),
    "loans": ("account_number", "borrower_external_id", "product_code", "principal", "contract_date", "disbursed_on"),
    "installments": ("account_number", "number", "due_date", "principal", "interest"),
    "payments": ("account_number", "reference", "value_date", "amount"),
}


def _csv_row(kind: str, row: dict[str, Any]) -> tuple[object, ...]:
    if kind == "borrowers":
        return (row["external_id"], row["name"])
    if kind == "loans":
        return (
            row["account_number"],
            f"B{row['borrower_id']}",
            "CASH12",
            _yuan(row["principal"]),
            row["contract_date"],
            row["disbursed_on"],
        )
    if kind == "installments":
        return (
            f"L{row['loan_id']}",
            row["number"],
            row["due_date"],
            _yuan(row["principal_due"]),
            _yuan(row["interest_due"]),
        )
    return (f"L{row['loan_id']}", row["reference"], row["value_date"], _yuan(row["amount"]))


def import_files(url: str, loans: int) -> dict[str, Any]:
    """Write CSV files for ``loans`` loans and time ``arrears import`` of each, in dependency order."""
    engine = create_db_engine(url)
    ids = _setup(engine)
    folder = Path(tempfile.mkdtemp(prefix="arrears-bench-import-"))
    try:
        handles = {kind: (folder / f"{kind}.csv").open("w", newline="", encoding="utf-8") for kind in CSV_COLUMNS}
        writers = {kind: csv.writer(handle) for kind, handle in handles.items()}
        for kind, writer in writers.items():
            writer.writerow(CSV_COLUMNS[kind])
        for first, count in _chunks(loans):
            for kind, rows in zip(TABLES, _rows(first, count, ids), strict=True):
                writers[kind].writerows(_csv_row(kind, row) for row in rows)
        for handle in handles.values():
            handle.close()
        imported = 0
        started = time.perf_counter()
        for kind in CSV_COLUMNS:
            with Session(engine) as db_session:
                result = import_file(
                    db_session=db_session,
                    kind=Kind(kind),
                    path=folder / f"{kind}.csv",
                    tenant_code="bench",
                    actor="bench",
                )
            imported += result.rows
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        engine.dispose()
    return {"rows": imported, "seconds": seconds}


def ledger_pass(url: str, loans: int) -> dict[str, Any]:
    engine = create_db_engine(url)
    started = time.perf_counter()
    with Session(engine) as db_session, db_session.begin():
        report = run_pass(db_session=db_session, as_of=AS_OF)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"loans": report.loans, "seconds": seconds, "by_bucket": report.by_bucket}


def reference(url: str, loans: int) -> dict[str, Any]:
    """The floor: one GROUP BY over every installment, all rows fetched."""
    engine = create_db_engine(url)
    sql = text(
        "SELECT loan_id, MIN(due_date), SUM(principal_due), SUM(interest_due) FROM installments GROUP BY loan_id"
    )
    with engine.connect() as conn:
        started = time.perf_counter()
        groups = len(conn.execute(sql).fetchall())
        seconds = time.perf_counter() - started
    engine.dispose()
    return {"groups": groups, "seconds": seconds}


PHASES = {"import": import_files, "load": load, "pass": ledger_pass, "reference": reference}


def _child(phase: str, url: str, loans: int) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; return its figures and its own peak memory."""
    command = [sys.executable, "-m", "arrears.bench.ledger", "--phase", phase, "--url", url, "--loans", str(loans)]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"benchmark phase '{phase}' failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _fresh_postgres(admin_url: str) -> tuple[str, Any]:
    name = f"arrears_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def _fresh_database(backend: str, postgres_url: str | None, workdir: Path, label: str) -> tuple[str, Any]:
    if backend == "PostgreSQL":
        assert postgres_url is not None
        return _fresh_postgres(postgres_url)
    path = workdir / f"bench-{label}.sqlite3"
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)


def run_benchmark(
    loans: int, import_loans: int, postgres_url: str | None, workdir: Path, backends: list[str]
) -> list[dict[str, Any]]:
    results = []
    for backend in backends:
        url, cleanup = _fresh_database(backend, postgres_url, workdir, "import")
        try:
            upgrade(url)
            print(f"[{backend}] importing CSV files for {import_loans:,} loans ...", flush=True)
            imported = _child("import", url, import_loans)
        finally:
            cleanup()
        url, cleanup = _fresh_database(backend, postgres_url, workdir, "pass")
        try:
            upgrade(url)
            print(f"[{backend}] bulk loading {loans:,} loans ...", flush=True)
            loaded = _child("load", url, loans)
            print(f"[{backend}] as-of pass over {loans:,} loans ...", flush=True)
            aged = _child("pass", url, loans)
            floor = _child("reference", url, loans)
        finally:
            cleanup()
        results.append(
            {
                "backend": backend,
                "loans": loans,
                "import_loans": import_loans,
                "import": imported,
                "load": loaded,
                "pass": aged,
                "reference": floor,
            }
        )
        print(json.dumps(results[-1]), flush=True)
    return results


def render(results: list[dict[str, Any]], machine: str) -> str:
    lines = [
        MARKER_START,
        "## Ledger: bulk load and the as-of pass (`make bench-ledger`)",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d} at commit {commit()} on {machine}. "
        f"{INSTALLMENTS} installments per loan, as of {AS_OF}; each phase in its own process "
        "(peak memory is that process's maximum resident set).",
        "",
        "| back end | loans | import rows/s (loans imported) | import peak MiB | bulk load rows/s "
        "| pass s | pass loans/s | pass peak MiB | GROUP BY floor s | pass / floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for item in results:
        imported, load, aged, floor = item["import"], item["load"], item["pass"], item["reference"]
        lines.append(
            f"| {item['backend']} | {item['loans']:,} | {imported['rows'] / imported['seconds']:,.0f} "
            f"({item['import_loans']:,}) | {imported['peak_mib']:,.0f} | {load['rows'] / load['seconds']:,.0f} | "
            f"{aged['seconds']:,.1f} | {aged['loans'] / aged['seconds']:,.0f} | "
            f"{aged['peak_mib']:,.0f} | {floor['seconds']:,.2f} | {aged['seconds'] / floor['seconds']:,.0f}x |"
        )
    lines += [
        "",
        "*Import* is `arrears import` of CSV files (borrowers, loans, installments, payments: validation, "
        "natural-key lookups, one transaction per file). *Bulk load* is the generator writing the same kind "
        "of rows straight into the tables (COPY on PostgreSQL), which the pass figures are measured on. "
        "*GROUP BY floor* is one aggregate over the installments table on the same database in the same run.",
        "",
        "The pass replays every loan through the exact Decimal engine in Python (the same code as "
        "`arrears ledger quote`), so it is far above the SQL floor; the columnar pass of the strategy "
        "run is where that gap is meant to close.",
        MARKER_END,
    ]
    return "\n".join(lines)


def write_report(report: Path, section: str) -> None:
    write_section(report, section, start=MARKER_START, end=MARKER_END)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--import-loans", type=int, default=100_000, help="loans in the CSV import phase")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql (needs --postgres-url)"
    )
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        figures = PHASES[args.phase](args.url, args.loans)
        figures["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures, default=str))
        return
    if args.loans < 1:
        parser.error("--loans must be at least 1")
    args.workdir.mkdir(parents=True, exist_ok=True)
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    wanted = [part.strip().lower() for part in args.backends.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in names]
    if unknown or not wanted:
        parser.error(f"--backends takes sqlite and/or postgresql, not {', '.join(unknown) or 'nothing'}")
    if "postgresql" in wanted and not args.postgres_url:
        wanted.remove("postgresql")
    backends = [names[part] for part in wanted]
    results = run_benchmark(args.loans, min(args.import_loans, args.loans), args.postgres_url, args.workdir, backends)
    section = render(results, machine())
    print(section)
    if args.report:
        write_report(args.report, section)


if __name__ == "__main__":
    main()
