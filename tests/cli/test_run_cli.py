"""``arrears run`` from the command line: bad days and sizes refused in one line, and workers started for a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from arrears.db.session import create_db_engine
from arrears.strategy.stages import STAGES
from tests.arrears_cli import run_arrears
from tests.factories import Factories
from tests.strategy.test_run import portfolio


def test_the_run_refuses_a_day_that_has_not_ended(data_dir: Path) -> None:
    done = run_arrears("run", "--as-of", "2999-01-01", "--tenant", "acme", env={"ARREARS_DATA_DIR": str(data_dir)})
    assert done.returncode == 2
    assert "has not ended yet" in done.stderr and "Traceback" not in done.stderr


def test_a_step_size_below_one_is_refused_before_anything_runs(data_dir: Path) -> None:
    done = run_arrears("run", "--as-of", "2026-01-01", "--loans-per-step", "0", env={"ARREARS_DATA_DIR": str(data_dir)})
    assert done.returncode == 2
    assert "--loans-per-step" in done.stderr and "Traceback" not in done.stderr


def test_workers_started_by_the_run_end_the_day_and_stop(fresh_database_url: str, tmp_path: Path) -> None:
    """``--workers 2``: two real ``arrears worker`` processes take the steps; none is left running after."""
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("the task queue needs PostgreSQL")
    engine = create_db_engine(fresh_database_url)
    with Session(engine) as db_session, db_session.begin():
        tenant_code = portfolio(db_session, Factories(db_session)).code
    env = {"ARREARS_DATABASE_URL": fresh_database_url, "ARREARS_DATA_DIR": str(tmp_path)}
    done = run_arrears("run", "--as-of", "2026-02-20", "--tenant", tenant_code, "--workers", "2", "--json", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # the progress and the workers' notice go to stderr
    assert report["states"] and report["step_sizes"]["loans"] >= 1
    with engine.connect() as conn:
        steps = dict(
            conn.execute(text("SELECT stage, count(*) FROM run_steps WHERE status = 'done' GROUP BY stage")).all()
        )
        jobs = conn.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'"))
        still_running = conn.scalar(text("SELECT count(*) FROM procrastinate_workers"))
    engine.dispose()
    assert set(steps) == {stage.name for stage in STAGES}
    assert steps["pass"] >= 2  # steps sized so that both workers had a share of the pass
    assert jobs == sum(steps.values())
    assert still_running == 0  # each worker was asked to stop, and unregistered as it did
    assert sorted(path.name for path in (tmp_path / "logs").iterdir()) == ["worker-1.log", "worker-2.log"]


def test_workers_are_refused_on_the_embedded_database(data_dir: Path) -> None:
    done = run_arrears("run", "--as-of", "2026-01-01", "--workers", "2", env={"ARREARS_DATA_DIR": str(data_dir)})
    assert done.returncode != 0
    assert "needs PostgreSQL" in done.stderr and "Traceback" not in done.stderr


def test_a_resumed_run_says_it_kept_the_step_sizes_it_opened_with(data_dir: Path) -> None:
    engine = create_db_engine(f"sqlite:///{data_dir / 'arrears.sqlite3'}")
    with Session(engine) as db_session, db_session.begin():
        tenant_code = portfolio(db_session, Factories(db_session)).code
    engine.dispose()
    env = {"ARREARS_DATA_DIR": str(data_dir)}
    day = ("run", "--as-of", "2026-02-20", "--tenant", tenant_code, "--json")
    first = run_arrears(*day, "--loans-per-step", "2", env=env)
    assert first.returncode == 0, first.stderr
    assert "kept them" not in first.stderr
    again = run_arrears(*day, "--loans-per-step", "5", env=env)
    assert again.returncode == 0, again.stderr
    assert "steps of 2 loans and 50,000 cases, and kept them" in " ".join(again.stderr.split())
    assert json.loads(again.stdout)["step_sizes"] == {"loans": 2, "cases": 50_000}
