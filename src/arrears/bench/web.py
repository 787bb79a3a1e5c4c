"""``make bench-web``: 200 collectors working their queues through the pages at once, under ``arrears serve``.

A PostgreSQL database named after its size (``arrears_bench_web_<loans>``) is
built once and reused by later runs: N loans from the ledger benchmark's
generator, the end-of-day run of ``make bench-run`` (its 200 collectors, cases
allocated, queues for the day), and a password for every collector. Then
``arrears serve`` starts on 127.0.0.1 with a few workers and locust, headless,
drives one simulated collector per account (:mod:`arrears.bench.web_locust`):
sign in once, then the queue page, a case of that queue, an outcome recorded,
with a think time between steps, for a fixed time.

Every request is sampled; the figures are computed here from the samples taken
once every user has signed in (the steady state): p50, p95 and p99 latency and
the errors per endpoint, with the compliance guard's refusals of an outcome
(409, e.g. calling the same debtor too often) counted apart, since they are
correct answers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from arrears.bench.ledger import CHUNK, DEFAULTS, TABLES, TIMESTAMPS, Ids, _bulk, _rows, load
from arrears.bench.report import commit, machine, write_section
from arrears.bench.run import COLLECTORS, add_collectors, whole_run
from arrears.db.migrate import upgrade
from arrears.db.session import create_db_engine
from arrears.org.models import Tenant, User
from arrears.org.passwords import hash_password
from arrears.strategy.models import QueueEntry

LOCUSTFILE = Path(__file__).with_name("web_locust.py")
"""Run by locust in its own process; never imported here, since importing locust patches the standard library."""
OUT_ENV = "ARREARS_BENCH_WEB_OUT"
PASSWORD_ENV = "ARREARS_BENCH_WEB_PASSWORD"
THINK_ENV = "ARREARS_BENCH_WEB_THINK"
USERS_ENV = "ARREARS_BENCH_WEB_USERS"
SECONDS_ENV = "ARREARS_BENCH_WEB_SECONDS"
REFERENCE = "/api/v1/health (reference)"
MARKER_START = "<!-- bench-web:start -->"
MARKER_END = "<!-- bench-web:end -->"
PASSWORD = "bench-web-password-2026"
TARGET_P95_MS = 100
GUARD_REFUSED = 409
SIGN_IN_ALLOWANCE = 900
"""Seconds locust may spend letting every user sign in before it gives up (argon2 is slow on purpose)."""
ZONES = (
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Europe/Berlin",
    "Atlantic/Azores",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Pacific/Auckland",
    "Asia/Tokyo",
)
"""Debtor time zones to choose from: the first where it is now daytime, so calls are inside allowed hours."""
ENDPOINTS = ("/queue", "/cases/[id]", "POST /cases/[id]/contacts", REFERENCE, "POST /login", "/login")


def _admin_url(postgres_url: str) -> str:
    return make_url(postgres_url).set(database="postgres").render_as_string(hide_password=False)


def _ready(url: str) -> bool:
    """Built to the end before: every collector can sign in and the day's queues exist."""
    engine = create_db_engine(url)
    try:
        with Session(engine) as db_session:
            tenant_id = db_session.scalar(select(Tenant.id).where(Tenant.code == "bench"))
            if tenant_id is None:
                return False
            signed = db_session.scalar(
                select(func.count()).where(User.tenant_id == tenant_id, User.password_hash.is_not(None))
            )
            queued = db_session.scalar(select(func.count()).select_from(QueueEntry))
            return signed == COLLECTORS and bool(queued)
    except Exception:  # an old or half-built database: rebuilt
        return False
    finally:
        engine.dispose()


def database(
    postgres_url: str, loans: int, *, run_loans: int | None = None, rebuild: bool = False
) -> tuple[str, dict[str, Any]]:
    """The benchmark database for ``loans`` loans, built unless a complete one is there; what building cost.

    The end-of-day run goes over the first ``run_loans`` loans (all by default), the rest are loaded after it:
    the tables are as large as ``loans`` make them while the run, whose time grows with the loans it ages,
    stays within what the machine can do in the time there is. Cases and queues come from those ``run_loans``.
    """
    run_loans = min(run_loans or loans, loans)
    name = f"arrears_bench_web_{loans}" + (f"_{run_loans}" if run_loans < loans else "")
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(_admin_url(postgres_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if exists and not rebuild and _ready(url):
                print(f"reusing the database {name}", flush=True)
                return url, {"reused": True}
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    upgrade(url)
    print(f"loading {run_loans:,} loans into {name} ...", flush=True)
    loaded = load(url, run_loans)
    print(f"running the end of day over {run_loans:,} loans (pass, segments, policy, allocation, queues) ...")
    add_collectors(url)
    run = whole_run(url, run_loans)
    if run_loans < loans:
        print(f"loading loans {run_loans + 1:,} to {loans:,} after the run ...", flush=True)
        _load_after_run(url, run_loans, loans)
    _passwords(url)
    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")  # the run wrote most tables since the load's own ANALYZE
    engine.dispose()
    return url, {
        "reused": False,
        "load_seconds": loaded["seconds"],
        "run_seconds": run["seconds"],
        "cases": run["cases"],
        "run_loans": run_loans,
    }


def _load_after_run(url: str, first_loaded: int, loans: int) -> None:
    """Loans ``first_loaded + 1`` to ``loans`` from the same generator, on the product the run's loans have."""
    engine = create_db_engine(url)
    with engine.begin() as conn:
        tenant, product, version = conn.execute(
            text("SELECT tenant_id, product_id, rule_version_id FROM loans ORDER BY id LIMIT 1")
        ).one()
        ids = Ids(tenant, product, version)
        now = datetime.now(UTC)
        for first in range(first_loaded + 1, loans + 1, CHUNK):
            count = min(CHUNK, loans - first + 1)
            for table, rows in zip(TABLES, _rows(first, count, ids), strict=True):
                extra: dict[str, Any] = dict(DEFAULTS.get(table, {})) | dict.fromkeys(TIMESTAMPS.get(table, ()), now)
                _bulk(conn, table, [row | extra for row in rows])
    engine.dispose()


def portfolio(url: str) -> dict[str, int]:
    """What the pages read from: loans, cases, the queued day's entries and the longest queue."""
    engine = create_db_engine(url)
    with engine.connect() as conn:
        figures = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM loans), (SELECT count(*) FROM cases), "
                "(SELECT count(*) FROM queue_entries WHERE as_of = (SELECT max(as_of) FROM queue_entries)), "
                "(SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM queue_entries "
                "WHERE as_of = (SELECT max(as_of) FROM queue_entries) GROUP BY user_id) AS queues)"
            )
        ).one()
    engine.dispose()
    return dict(zip(("loans", "cases", "queued", "longest_queue"), (int(value) for value in figures), strict=True))


def _passwords(url: str) -> None:
    """One password for every collector (one hash: argon2 costs the same whoever it is for)."""
    engine = create_db_engine(url)
    with Session(engine) as db_session, db_session.begin():
        tenant_id = db_session.scalar(select(Tenant.id).where(Tenant.code == "bench"))
        db_session.execute(
            update(User).where(User.tenant_id == tenant_id).values(password_hash=hash_password(PASSWORD))
        )
    engine.dispose()


def daytime_zone(now: datetime) -> str:
    """The first of ``ZONES`` where ``now`` falls between 09:00 and 19:00, far from any quiet hours."""
    for zone in ZONES:
        if 9 <= now.astimezone(ZoneInfo(zone)).hour < 19:
            return zone
    raise ValueError(f"no daytime zone at {now.isoformat()}")  # ZONES cover every hour of the day


def move_queued_debtors(url: str, zone: str) -> int:
    """Put the debtors of the queued cases in ``zone``; how many moved.

    The guard forbids calls at night in the debtor's zone (quiet hours). The benchmark runs whenever the machine
    is free, often at night in China, and would then measure only refusals: the debtors it calls are moved to a
    zone where it is day, and every other rule of the guard applies unchanged.
    """
    engine = create_db_engine(url)
    with engine.begin() as conn:
        moved = conn.execute(
            text(
                "UPDATE borrowers SET timezone = :zone WHERE timezone <> :zone AND id IN "
                "(SELECT cases.borrower_id FROM cases JOIN queue_entries ON queue_entries.case_id = cases.id)"
            ),
            {"zone": zone},
        ).rowcount
    engine.dispose()
    return int(moved)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(base: str, server: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"arrears serve stopped with exit code {server.returncode}; see its log")
        try:
            with urllib.request.urlopen(f"{base}/api/v1/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"arrears serve did not answer at {base} within {seconds:.0f} s")


def serve(url: str, workers: int, log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """``arrears serve`` on 127.0.0.1 only, in its own process group so that it is stopped with its workers."""
    port = _free_port()
    environment = os.environ | {
        "ARREARS_DATABASE_URL": url,
        "ARREARS_ENV": "dev",
        # Plain HTTP on 127.0.0.1: browsers accept Secure cookies there, HTTP clients such as locust's do not.
        "ARREARS_COOKIE_SECURE": "false",
    }
    arrears = shutil.which("arrears", path=str(Path(sys.executable).parent)) or "arrears"
    command = [arrears, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as stderr:
        server = subprocess.Popen(command, env=environment, stdout=stderr, stderr=stderr, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
    except BaseException:
        stop(server)
        raise
    return base, server


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def drive(base: str, users: int, seconds: int, think: tuple[float, float], samples: Path) -> None:
    """locust, headless, one simulated collector per account, spawning ten a second.

    The locustfile stops the test ``seconds`` after the last user signed in; locust's own run time is only a
    safety net for a server that never lets everyone in.
    """
    environment = os.environ | {
        OUT_ENV: str(samples),
        PASSWORD_ENV: PASSWORD,
        THINK_ENV: f"{think[0]},{think[1]}",
        USERS_ENV: str(users),
        SECONDS_ENV: str(seconds),
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        "10",
        "--run-time",
        f"{seconds + SIGN_IN_ALLOWANCE}s",
        "--host",
        base,
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
    ]
    # locust exits non-zero when any request failed; the figures say which, so that is not an error here.
    subprocess.run(command, env=environment, check=False)


def _percentile(ordered: list[float], share: float) -> float:
    """Nearest rank: the smallest sample with at least ``share`` of the samples at or below it."""
    rank = max(1, int(-(-share * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(samples: Path) -> dict[str, Any]:
    """Per endpoint, from the steady state on: count, p50/p95/p99 ms, errors, guard refusals."""
    steady_since, users = None, 0
    rows = []
    for line in samples.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if "steady_since" in item:
            steady_since, users = item["steady_since"], item["users"]
        else:
            rows.append(item)
    if steady_since is None:
        raise SystemExit("locust never finished spawning its users: no steady state to measure")
    steady = [row for row in rows if row["at"] is not None and row["at"] >= steady_since]
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    refused: dict[str, int] = defaultdict(int)
    unanswered: dict[str, int] = defaultdict(int)
    for row in steady:
        times[row["name"]].append(row["ms"])
        if row["name"].startswith("POST /cases/") and row["status"] == GUARD_REFUSED:
            refused[row["name"]] += 1
        elif row["failed"] or not 200 <= row["status"] < 400:
            errors[row["name"]] += 1
            unanswered[row["name"]] += not row["status"]  # no status: the client gave up waiting
    sign_ins = [row for row in rows if row["name"] == "POST /login"]
    endpoints = {}
    for name in sorted(times, key=lambda key: ENDPOINTS.index(key) if key in ENDPOINTS else len(ENDPOINTS)):
        ordered = sorted(times[name])
        endpoints[name] = {
            "count": len(ordered),
            "p50": _percentile(ordered, 0.50),
            "p95": _percentile(ordered, 0.95),
            "p99": _percentile(ordered, 0.99),
            "errors": errors[name],
            "unanswered": unanswered[name],
            "guard_refused": refused[name],
        }
    last = max((row["at"] for row in steady), default=steady_since)
    return {
        "users": users,
        "seconds": last - steady_since,
        "requests": len(steady),
        "endpoints": endpoints,
        "sign_ins": len(sign_ins),
        "sign_in_errors": sum(1 for row in sign_ins if row["failed"] or row["status"] != 303),
        "sign_in_p95": _percentile(sorted(row["ms"] for row in sign_ins), 0.95) if sign_ins else None,
    }


def server_errors(log: Path) -> dict[str, int]:
    """The exceptions ``arrears serve`` logged, by their last line (type and message), most frequent first."""
    counted: dict[str, int] = defaultdict(int)
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        trace = entry.get("exc_info") if isinstance(entry, dict) else None
        if trace:
            counted[trace.strip().splitlines()[-1].split(" (Background on this error")[0][:200]] += 1
    return dict(sorted(counted.items(), key=lambda item: -item[1]))


def measure(args: argparse.Namespace) -> dict[str, Any]:
    args.workdir.mkdir(parents=True, exist_ok=True)
    url, built = database(args.postgres_url, args.loans, run_loans=args.run_loans, rebuild=args.rebuild)
    if args.build_only:
        return {"loans": args.loans, "built": built}
    samples = args.workdir / f"web-samples-{args.loans}.jsonl"
    zone = daytime_zone(datetime.now(UTC))
    print(f"debtors of queued cases in {zone} ({move_queued_debtors(url, zone):,} moved)", flush=True)
    load_before = os.getloadavg()[0]
    base, server = serve(url, args.workers, args.workdir / f"web-serve-{args.loans}.log")
    try:
        drive(base, args.users, args.seconds, (args.think_min, args.think_max), samples)
    finally:
        stop(server)
    figures = summarise(samples)
    figures["server_errors"] = server_errors(args.workdir / f"web-serve-{args.loans}.log")
    figures.update(
        loans=args.loans,
        run_loans=min(args.run_loans or args.loans, args.loans),
        portfolio=portfolio(url),
        workers=args.workers,
        think=(args.think_min, args.think_max),
        built=built,
        zone=zone,
        load_before=load_before,
        load_after=os.getloadavg()[0],
    )
    return figures


def render(result: dict[str, Any], machine: str, commit: str) -> str:
    think = result["think"]
    lines = [
        MARKER_START,
        "## Collectors working through the pages (`make bench-web`)",
        "",
        f"Measured on {datetime.now(UTC):%Y-%m-%d} on {machine}, PostgreSQL, commit {commit}: "
        f"{result['loans']:,} loans, {result['users']} simulated collectors at once (locust, headless, on the same "
        f"machine), `arrears serve --workers {result['workers']}` on 127.0.0.1. Each collector signs in once, then "
        f"loops: the queue page, one case of that queue, an outcome (no answer, busy or voicemail) recorded, with "
        f"{think[0]:g} to {think[1]:g} s of think time between steps (busier than a real desk, where a call "
        f"takes minutes). Figures from {result['requests']:,} requests "
        f"over {result['seconds']:.0f} s once every collector was signed in. Target: p95 under {TARGET_P95_MS} ms, "
        "no errors.",
        "",
        _scale(result),
        "",
        "| endpoint | requests | p50 ms | p95 ms | p99 ms | errors (of them unanswered) | refused by the guard (409) "
        "| p95 under target |",
        "|---|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for name, item in result["endpoints"].items():
        refused = str(item["guard_refused"]) if name.startswith("POST /cases/") else "-"
        met = "yes" if item["p95"] < TARGET_P95_MS and not item["errors"] else "**no**"
        met = "(reference)" if name == REFERENCE else met
        lines.append(
            f"| `{name}` | {item['count']:,} | {item['p50']:.0f} | {item['p95']:.0f} | {item['p99']:.0f} | "
            f"{item['errors']} ({item['unanswered']}) | {refused} | {met} |"
        )
    lines += [
        "",
        f"- Sign-ins during the ramp-up: {result['sign_ins']} ({result['sign_in_errors']} failed), p95 "
        f"{result['sign_in_p95'] or 0:.0f} ms; argon2 makes each one deliberately slow, so they are left out of "
        "the steady-state rows above.",
        "- *Refused by the guard* are outcomes the compliance guard would not let happen (409 with the reason, "
        "e.g. the debtor was already called too often today): correct answers, not errors.",
        f"- The debtors of the queued cases were put in the time zone {result['zone']}, where it was day during "
        "the run, so that the calls fell outside the guard's quiet hours; every other rule applied as shipped.",
        f"- Load average (1 min) {result['load_before']:.1f} before the run and {result['load_after']:.1f} at its "
        "end, on two cores shared with the load generator, PostgreSQL and other work.",
        *[
            f"- The server logged {count} time(s) `{message}`."
            for message, count in list(result.get("server_errors", {}).items())[:3]
        ],
        MARKER_END,
    ]
    return "\n".join(lines)


def _scale(result: dict[str, Any]) -> str:
    held = result["portfolio"]
    line = (
        f"The database held {held['loans']:,} loans, {held['cases']:,} cases and {held['queued']:,} queue entries "
        f"for the day (at most {held['longest_queue']} in one collector's queue, every row on the page)."
    )
    if result["run_loans"] < result["loans"]:
        line += (
            f" The end-of-day run went over the first {result['run_loans']:,} loans only and the other "
            f"{result['loans'] - result['run_loans']:,} were loaded after it: on this machine the run over all "
            "of them takes hours (`make bench-run`), so the cases and queues are those of the first ones."
        )
    return line


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=COLLECTORS, help=f"at most {COLLECTORS}, one per collector")
    parser.add_argument("--seconds", type=int, default=120, help="steady-state time, after every user signed in")
    parser.add_argument("--workers", type=int, default=2, help="arrears serve worker processes")
    # A collector on the telephone clicks every few seconds at the busiest; a call itself takes minutes.
    parser.add_argument("--think-min", type=float, default=5.0, help="seconds between a collector's steps")
    parser.add_argument("--think-max", type=float, default=15.0)
    parser.add_argument("--postgres-url", required=True)
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if one is there")
    parser.add_argument(
        "--run-loans", type=int, default=None, help="loans the end-of-day run goes over (default: all of them)"
    )
    parser.add_argument("--build-only", action="store_true", help="build (or check) the database, measure nothing")
    parser.add_argument("--report", type=Path)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    args = parser.parse_args(argv)
    if not 1 <= args.users <= COLLECTORS:
        parser.error(f"--users must be between 1 and {COLLECTORS}: each simulated user is one collector")
    if args.loans < 1 or args.seconds < 1 or args.workers < 1 or not 0 <= args.think_min <= args.think_max:
        parser.error("--loans, --seconds and --workers must be positive, and --think-min at most --think-max")
    measured = commit()  # the code measured, even if HEAD moves while the benchmark runs
    result = measure(args)
    print(json.dumps(result, default=str), flush=True)
    if args.build_only:
        return
    section = render(result, machine(), measured)
    print(section)
    if args.report:
        write_section(args.report, section, start=MARKER_START, end=MARKER_END)


if __name__ == "__main__":
    main()
