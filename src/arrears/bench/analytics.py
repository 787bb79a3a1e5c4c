"""``make bench-analytics``: each dashboard measure on a large portfolio with a year of collection history.

A fresh PostgreSQL database gets N loans from the ledger benchmark's generator
(12 installments each, their payments), then a year of collection history
written with COPY: for three loans in ten, a case held by one of 200 collectors
and one or two delinquency episodes (bucket stays that cure or roll on, in the
tenant's standard bucket set), contact attempts with their right-party contacts
and promises, a few complaints, the guard's refusals in the audit log and
champion/challenger arms. The history is synthetic: it has the volume and shape
of a real book, not a replay of the ledger.

Each measure is then timed as the dashboard asks for it (the last month; roll
rates over the last six months), three times, median and worst reported: first
from the book alone, then after the year's daily aggregates are written (timed:
the backfill, and the nightly stage for one day), checking that both give the
same rows.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from arrears.analytics import daily
from arrears.analytics.filters import Filters
from arrears.analytics.measures import MEASURES, Request, compute
from arrears.audit.service import record_many
from arrears.bench.analytics_pages import time_pages
from arrears.bench.ledger import AS_OF, _bulk, _fresh_postgres, load
from arrears.bench.report import commit, machine, write_section
from arrears.db.migrate import upgrade
from arrears.db.session import create_db_engine
from arrears.delinquency.buckets import STANDARD_BUCKETS
from arrears.org.enums import Role
from arrears.org.models import Tenant

MARKER_START = "<!-- bench-analytics:start -->"
MARKER_END = "<!-- bench-analytics:end -->"
COLLECTORS = 200
TEAMS = 10
DELINQUENT_SHARE = 0.3
"""Loans overdue at some point in the year; only they have a case (as the daily pass opens them)."""
CHUNK = 20_000
REPEATS = 3
TARGET_MS = 500
BUCKETS = tuple(
    (bucket.name, bucket.min_dpd, (bucket.max_dpd or 10_000) - bucket.min_dpd + 1)
    for bucket in STANDARD_BUCKETS.buckets
)
"""(name, DPD at entry, days in it before rolling on): the tenant's own bucket set (ledger benchmark setup)."""
YEAR_START = AS_OF - timedelta(days=365)
MONTH = (date(AS_OF.year, AS_OF.month, 1), AS_OF)
HALF_YEAR = (date(2026, 1, 1), AS_OF)
"""Roll rates over the months ended by ``AS_OF`` (January to May)."""


def _people(url: str) -> tuple[int, list[tuple[int, int]]]:
    """Teams and collectors for the bench tenant: (tenant id, [(user id, team id)])."""
    engine = create_db_engine(url)
    with engine.begin() as conn:
        tenant_id = conn.execute(select(Tenant.id).where(Tenant.code == "bench")).scalar_one()
        teams = [
            conn.exec_driver_sql(
                "INSERT INTO teams (tenant_id, name, stages, languages) VALUES (%(t)s, %(n)s, '[]', '[]') RETURNING id",
                {"t": tenant_id, "n": f"组{n}"},
            ).scalar_one()
            for n in range(TEAMS)
        ]
        people = []
        for n in range(COLLECTORS):
            team = teams[n % TEAMS]
            user_id = conn.exec_driver_sql(
                "INSERT INTO users (tenant_id, team_id, username, display_name, staff_number, role, locale,"
                " languages, skills, active, created_at) VALUES (%(t)s, %(team)s, %(u)s, %(d)s, %(s)s, %(r)s,"
                " 'zh-CN', '[]', '[]', true, now()) RETURNING id",
                {
                    "t": tenant_id,
                    "team": team,
                    "u": f"analytics-{n}",
                    "d": f"催收员{n}",
                    "s": f"A{n:05d}",
                    "r": Role.COLLECTOR.value,
                },
            ).scalar_one()
            people.append((user_id, team))
    engine.dispose()
    return tenant_id, people


def _episodes(loan_id: int, rng: random.Random) -> Iterator[list[tuple[str, date, date | None, str | None, int]]]:
    """One or two delinquency episodes of a loan: its bucket stays (bucket, entered, left, left_to, dpd)."""
    start = YEAR_START + timedelta(days=rng.randrange(0, 330))
    for _ in range(rng.choice((1, 1, 2))):
        stays: list[tuple[str, date, date | None, str | None, int]] = []
        day = start
        for index, (name, dpd, length) in enumerate(BUCKETS):
            roll = rng.random() < 0.35 and index < len(BUCKETS) - 1
            leave = day + timedelta(days=min(length, 400) if roll else rng.randrange(1, min(length, 60) + 1))
            if leave > AS_OF:
                stays.append((name, day, None, None, dpd))
                break
            stays.append((name, day, leave, BUCKETS[index + 1][0] if roll else "current", dpd))
            if not roll:
                break
            day = leave
        yield stays
        last_left = stays[-1][2]
        if last_left is None:
            return
        start = last_left + timedelta(days=rng.randrange(20, 120))
        if start > AS_OF:
            return


def _history(first: int, count: int, tenant_id: int, people: list[tuple[int, int]]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {
        "cases": [],
        "case_assignments": [],
        "case_strategies": [],
        "case_state_history": [],
        "bucket_history": [],
        "contact_attempts": [],
        "promises_to_pay": [],
        "complaints": [],
    }
    now = datetime.now(UTC)
    for loan_id in range(first, first + count):
        rng = random.Random(loan_id * 7919)
        if rng.random() >= DELINQUENT_SHARE:
            continue  # never overdue in the year: no case, as the daily pass would leave it
        user_id, team_id = people[loan_id % len(people)]
        case_id = loan_id
        rows["cases"].append(
            {
                "id": case_id,
                "tenant_id": tenant_id,
                "borrower_id": loan_id,
                "status": "open",
                "opened_on": YEAR_START,
                "created_at": now,
            }
        )
        since = datetime.combine(YEAR_START, datetime.min.time(), tzinfo=UTC)
        rows["case_assignments"].append(
            {"case_id": case_id, "user_id": user_id, "team_id": team_id, "assigned_at": since}
        )
        arm = "challenger" if rng.random() < 0.2 else "champion"
        rows["case_strategies"].append(
            {
                "case_id": case_id,
                "as_of": AS_OF,
                "policy_code": "bench",
                "policy_version": 1,
                "arm": arm,
                "state": "early",
                "stage": 1,
                "state_since": YEAR_START,
                "explanation": "{}",
            }
        )
        rows["case_state_history"].append(
            {"case_id": case_id, "policy_code": "bench", "arm": arm, "state": "early", "entered_on": YEAR_START}
        )
        for stays in _episodes(loan_id, rng):
            for bucket, entered, left, left_to, dpd in stays:
                rows["bucket_history"].append(
                    {
                        "loan_id": loan_id,
                        "bucket": bucket,
                        "entered_on": entered,
                        "left_on": left,
                        "left_to": left_to,
                        "dpd_at_entry": dpd,
                        "overdue_at_entry": rng.randrange(50, 5000) * 100,
                    }
                )
            entered = stays[0][1]
            for attempt in range(4):
                moment = datetime.combine(entered + timedelta(days=attempt * 2), datetime.min.time(), tzinfo=UTC)
                moment += timedelta(hours=1 + rng.randrange(0, 10))
                if moment.date() > AS_OF:
                    break
                connected = rng.random() < 0.5
                right_party = connected and rng.random() < 0.7
                contact_id = len(rows["contact_attempts"]) + first * 20
                rows["contact_attempts"].append(
                    {
                        "id": contact_id,
                        "case_id": case_id,
                        "user_id": user_id,
                        "channel": "call",
                        "party": "debtor",
                        "loan_id": loan_id,
                        "attempted_at": moment,
                        "outcome": "answered" if connected else "no_answer",
                        "connected": connected,
                        "conversation": right_party,
                        "right_party": right_party,
                        "consented": False,
                        "stop_requested": False,
                        "collectors": "[]",
                        "pack_version": "cn-bench",
                        "conditions": "[]",
                        "note_findings": "[]",
                        "flagged": False,
                        "created_at": now,
                    }
                )
                if right_party and rng.random() < 0.5:
                    amount = rng.randrange(10, 300) * 1000
                    due = moment.date() + timedelta(days=3)
                    status = rng.choice(("kept", "kept", "broken", "partly_kept")) if due <= AS_OF else "open"
                    rows["promises_to_pay"].append(
                        {
                            "case_id": case_id,
                            "loan_id": loan_id,
                            "contact_attempt_id": contact_id,
                            "amount": amount,
                            "due_on": due,
                            "status": status,
                            "amount_paid": amount
                            if status == "kept"
                            else (amount // 2 if status == "partly_kept" else 0),
                            "created_by_id": user_id,
                            "created_at": moment,
                        }
                    )
                if rng.random() < 0.003:
                    rows["complaints"].append(
                        {
                            "tenant_id": tenant_id,
                            "case_id": case_id,
                            "received_at": moment + timedelta(hours=2),
                            "channel": "phone",
                            "category": "harassment",
                            "complainant": "借款人",
                            "collector_id": user_id,
                            "description": "电话太多",
                            "status": "open",
                            "due_at": moment + timedelta(days=15),
                            "created_at": now,
                        }
                    )
    return rows


def seed_history(url: str, loans: int) -> dict[str, Any]:
    """Write the year of collection history for loans 1..N (cases share the loans' ids)."""
    tenant_id, people = _people(url)
    engine = create_db_engine(url)
    started = time.perf_counter()
    written: dict[str, int] = {}
    blocked: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for first in range(1, loans + 1, CHUNK):
            count = min(CHUNK, loans - first + 1)
            for table, rows in _history(first, count, tenant_id, people).items():
                written[table] = written.get(table, 0) + len(rows)
                _bulk(conn, table, rows)
                if table == "contact_attempts":
                    blocked.extend(
                        {
                            "actor": f"user:{row['user_id']}",
                            "actor_user_id": row["user_id"],
                            "action": "contact.blocked",
                            "subject_type": "case",
                            "subject_id": row["case_id"],
                            "tenant_id": tenant_id,
                            "occurred_at": row["attempted_at"] - timedelta(minutes=5),
                            "details": {
                                "allowed": False,
                                "violations": [{"rule": f"cn.rule{row['id'] % 6}", "message": "m"}],
                            },
                        }
                        for row in rows[::50]
                    )
    with Session(engine) as db_session, db_session.begin():
        for at in range(0, len(blocked), CHUNK):
            record_many(db_session=db_session, rows=blocked[at : at + CHUNK])
    written["audit contact.blocked"] = len(blocked)
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))")
        conn.exec_driver_sql("SELECT setval('contact_attempts_id_seq', (SELECT max(id) FROM contact_attempts))")
    engine.dispose()
    vacuum(url)
    return {"seconds": time.perf_counter() - started, "rows": written}


def vacuum(url: str) -> None:
    """``VACUUM ANALYZE`` the database, as autovacuum would after the rows just written.

    The benchmark's server may run with autovacuum off (this one does); in
    production it is on, and a table that has taken this many inserts is vacuumed
    soon after. Without it the visibility map stays empty and every index-only
    scan reads the table's rows as well: a cost production does not pay.
    """
    engine = create_db_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()


def time_measures(url: str) -> tuple[dict[str, dict[str, Any]], dict[str, list[Any]]]:
    """Median and worst of :data:`REPEATS` timings of each measure, in milliseconds, as the dashboard asks for it;
    and each measure's rows (to check that the aggregates give what the book gives).
    """
    engine = create_db_engine(url)
    timings: dict[str, dict[str, Any]] = {}
    answers: dict[str, list[Any]] = {}
    with Session(engine) as db_session:
        tenant_id = db_session.scalar(select(Tenant.id).where(Tenant.code == "bench"))
        assert tenant_id is not None
        for name in MEASURES:
            period = HALF_YEAR if name.startswith("roll") else MONTH
            request = Request(Filters(tenant_id, *period), as_of=AS_OF)
            spent = []
            try:
                for _ in range(REPEATS):
                    started = time.perf_counter()
                    table = compute(db_session=db_session, name=name, request=request)
                    spent.append((time.perf_counter() - started) * 1000)
            except DBAPIError as error:
                # Reported, not hidden: the measure cannot answer at this size.
                db_session.rollback()
                timings[name] = {"error": str(error.orig).splitlines()[0][:160]}
                continue
            timings[name] = {"median_ms": statistics.median(spent), "worst_ms": max(spent), "rows": len(table.rows)}
            answers[name] = table.rows
    engine.dispose()
    return timings, answers


def backfill(url: str) -> dict[str, Any]:
    """Aggregate the year (:func:`daily.refresh`, a window of days per transaction), then the nightly cost:
    the run's stage for ``AS_OF`` (:func:`daily.catch_up`, which re-aggregates that one day here).
    """
    engine = create_db_engine(url)
    rows: dict[str, int] = {}
    with Session(engine) as db_session:
        tenant_id = db_session.scalar(select(Tenant.id).where(Tenant.code == "bench"))
        assert tenant_id is not None
        db_session.commit()
        started = time.perf_counter()
        first = YEAR_START
        while first <= AS_OF:
            last = min(AS_OF, first + timedelta(days=daily.WINDOW_DAYS - 1))
            with db_session.begin():
                for table, count in daily.refresh(
                    db_session=db_session, tenant_id=tenant_id, first=first, last=last
                ).items():
                    rows[table] = rows.get(table, 0) + count
            first = last + timedelta(days=1)
        year = time.perf_counter() - started
        vacuum(url)
        started = time.perf_counter()
        with db_session.begin():
            daily.catch_up(db_session=db_session, tenant_id=tenant_id, as_of=AS_OF)
        night = time.perf_counter() - started
    engine.dispose()
    return {"year_seconds": year, "night_seconds": night, "rows": rows}


FLOOR_SQL = (
    "SELECT count(*), sum(p.amount) FROM payments p JOIN loans l ON l.id = p.loan_id "
    "WHERE l.tenant_id = %(tenant)s AND p.value_date BETWEEN %(start)s AND %(end)s"
)
"""The reference: one bare aggregate over the month's payments of the tenant, the least any measure must read."""


def floor_ms(url: str) -> float:
    """Median of :data:`REPEATS` runs of :data:`FLOOR_SQL`, in milliseconds, on the same database."""
    engine = create_db_engine(url)
    spent = []
    with engine.connect() as conn:
        tenant_id = conn.execute(select(Tenant.id).where(Tenant.code == "bench")).scalar_one()
        for _ in range(REPEATS + 1):  # the first run warms the cache, as the measures' first repeat does
            started = time.perf_counter()
            conn.exec_driver_sql(FLOOR_SQL, {"tenant": tenant_id, "start": MONTH[0], "end": MONTH[1]}).all()
            spent.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return statistics.median(spent[1:])


def _keep() -> None:
    """Leave the benchmark's database in place (``--keep``)."""


def measure(loans: int, postgres_url: str, *, keep: bool = False) -> dict[str, Any]:
    """Build the book, time each measure on it, aggregate the year (timed), time each measure again.

    With ``keep`` the database is left for profiling (its URL is printed), not dropped.
    """
    url, drop = _fresh_postgres(postgres_url)
    if keep:
        print(f"keeping {url}", flush=True)
        drop = _keep
    try:
        upgrade(url)
        loaded = load(url, loans)
        seeded = seed_history(url, loans)
        live, live_rows = time_measures(url)
        floor_live = floor_ms(url)
        aggregated = backfill(url)
        timings, rows = time_measures(url)
        floor = floor_ms(url)
        pages = time_pages(url, month=MONTH, half_year=HALF_YEAR, repeats=REPEATS)
    finally:
        drop()
    return {
        "loans": loans,
        "load_seconds": loaded["seconds"],
        "history": seeded,
        "live": live,
        "floor_live_ms": floor_live,
        "aggregates": aggregated,
        "timings": timings,
        "floor_ms": floor,
        "pages": pages,
        "same": {name: rows.get(name) == live_rows.get(name) for name in MEASURES if name in live_rows},
    }


def _ms(timing: dict[str, Any], key: str) -> str:
    return f"{timing[key]:.0f}" if key in timing else "—"


def _pages_table(pages: dict[str, dict[str, Any]]) -> list[str]:
    """The pages as served, after aggregating: the dashboard's frame, then each measure's panel and drill-down."""
    lines = [
        "The pages as a browser gets them, signed in as an operations manager, over HTTP to the application "
        f"served in process (`arrears.bench.analytics_pages`), same periods, median and worst of {REPEATS}:",
        "",
        f"| page | median ms | worst ms | under {TARGET_MS} ms |",
        "|---|---:|---:|:-:|",
    ]
    for path, timing in pages.items():
        if "error" in timing:
            lines.append(f"| `{path}` | fails: {timing['error']} | | **no** |")
            continue
        ok = "yes" if timing["median_ms"] < TARGET_MS else "**no**"
        lines.append(f"| `{path}` | {timing['median_ms']:.0f} | {timing['worst_ms']:.0f} | {ok} |")
    return lines


def render(results: list[dict[str, Any]], machine: str, commit: str) -> str:
    lines = [
        MARKER_START,
        "## Analytics measures (`make bench-analytics`)",
        "",
        f"Measured on {datetime.now().date().isoformat()} on {machine}, PostgreSQL, commit {commit}. "
        f"Each measure as the dashboard asks for it: the month to {AS_OF} (roll rates: {HALF_YEAR[0]} to "
        f"{HALF_YEAR[1]}, the five months ended), whole tenant, no filter; median and worst of {REPEATS} runs, "
        "first from the book alone (no day aggregated), then after the year's daily aggregates were written "
        f"(`arrears.analytics.daily`). The target is under {TARGET_MS} ms each at 1,000,000 loans.",
        "",
    ]
    for result in results:
        rows = result["history"]["rows"]
        aggregates = result["aggregates"]
        lines += [
            f"**{result['loans']:,} loans**, a year of history: "
            + ", ".join(f"{count:,} {table}" for table, count in rows.items())
            + f" (history written in {result['history']['seconds']:.0f} s).",
            "",
            f"Aggregating the year ({YEAR_START} to {AS_OF}, one transaction per {daily.WINDOW_DAYS} days): "
            f"{aggregates['year_seconds']:.0f} s, "
            + ", ".join(f"{count:,} {table}" for table, count in aggregates["rows"].items())
            + f" rows. The nightly stage for one day (`daily.catch_up`): {aggregates['night_seconds']:.1f} s.",
            "",
            "| measure | book: median ms | book: worst ms | aggregates: median ms | aggregates: worst ms | rows "
            f"| same rows | / floor | under {TARGET_MS} ms |",
            "|---|---:|---:|---:|---:|---:|:-:|---:|:-:|",
        ]
        floor = result.get("floor_ms")
        for name, timing in result["timings"].items():
            live = result["live"].get(name, {})
            before = f"fails: `{live['error']}`" if "error" in live else _ms(live, "median_ms")
            if "error" in timing:
                lines.append(
                    f"| {name} | {before} | {_ms(live, 'worst_ms')} | fails: `{timing['error']}` | | | | | **no** |"
                )
                continue
            ok = "yes" if timing["median_ms"] < TARGET_MS else "**no**"
            ratio = f"{timing['median_ms'] / floor:.1f}x" if floor else "—"
            same = {True: "yes", False: "**no**", None: "—"}[result["same"].get(name)]
            lines.append(
                f"| {name} | {before} | {_ms(live, 'worst_ms')} | {timing['median_ms']:.0f} | {timing['worst_ms']:.0f} "
                f"| {timing['rows']:.0f} | {same} | {ratio} | {ok} |"
            )
        if floor:
            lines.append(
                f"\nFloor, in the same run on the same database: {floor:.0f} ms (before aggregating: "
                f"{result['floor_live_ms']:.0f} ms) for one bare count and sum of the month's payments of the tenant "
                "(`FLOOR_SQL`), the least a month's measure must read from the book."
            )
        lines += ["", *_pages_table(result["pages"])]
        lines.append("")
    lines += [
        "- *same rows*: the measure's rows from the aggregates equal, cell for cell, its rows from the book "
        "in the same run.",
        "- From the daily aggregates: `recovery_curve`, `roll_matrix`, `roll_rates`, `productivity`'s recovered "
        "amounts, `arm_comparison`'s cases that paid, `contact_rates`' attempts and `complaint_rate`'s contacts; "
        "the rest is read from the book (docs/metrics.md says which reads what).",
        "- The database is vacuumed and analysed after the history is written and after the aggregates are "
        "(`vacuum`): autovacuum is off on this server, and would have done it in production.",
        "- Measured while other engineers' work ran on the same two cores: treat the figures as upper bounds.",
        MARKER_END,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, action="append")
    parser.add_argument("--postgres-url", required=True)
    parser.add_argument("--report", type=Path)
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    parser.add_argument("--keep", action="store_true", help="keep each size's database for profiling")
    args = parser.parse_args(argv)
    measured = commit()
    results = [measure(loans, args.postgres_url, keep=args.keep) for loans in (args.loans or [1_000_000])]
    if args.json:
        print(json.dumps(results, default=str))
    section = render(results, machine(), measured)
    print(section)
    if args.report:
        write_section(args.report, section, start=MARKER_START, end=MARKER_END)


if __name__ == "__main__":
    main()
