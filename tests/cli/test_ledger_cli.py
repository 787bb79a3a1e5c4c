"""``arrears ledger pass`` from the command line: night after night, quiet loans are rolled forward, not replayed."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.orm import Session

from arrears.db.session import create_db_engine
from tests.arrears_cli import run_arrears
from tests.factories import Factories
from tests.strategy.test_run import portfolio


def test_the_second_night_says_how_many_loans_were_rolled_forward(fresh_database_url: str, tmp_path: Path) -> None:
    engine = create_db_engine(fresh_database_url)
    with Session(engine) as db_session, db_session.begin():
        tenant_code = portfolio(db_session, Factories(db_session)).code
    engine.dispose()
    env = {"ARREARS_DATABASE_URL": fresh_database_url, "ARREARS_DATA_DIR": str(tmp_path)}
    rolled = []
    for day in ("2026-02-20", "2026-02-21"):
        done = run_arrears("ledger", "pass", "--as-of", day, "--tenant", tenant_code, env=env)
        assert done.returncode == 0, done.stderr
        found = re.search(r"([\d,]+) loans aged \(([\d,]+) rolled forward", done.stdout)
        assert found is not None, done.stdout
        rolled.append((int(found[1].replace(",", "")), int(found[2].replace(",", ""))))
    (first_aged, first_rolled), (second_aged, second_rolled) = rolled
    assert first_rolled == 0 and first_aged == second_aged > 0
    assert 0 < second_rolled <= second_aged
