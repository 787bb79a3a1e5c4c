"""``arrears audit verify`` exits 0 on an intact log and 3 on a tampered one; ``audit log`` searches it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from arrears import audit
from arrears.cli.main import app
from arrears.db.session import create_db_engine, make_session_factory
from arrears.errors import InvalidInput
from arrears.settings import get_settings

runner = CliRunner()


@pytest.fixture
def engine(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated SQLite file holding four committed entries, which the CLI is pointed at."""
    url = f"sqlite:///{data_dir}/arrears.sqlite3"
    monkeypatch.setenv("ARREARS_DATABASE_URL", url)
    get_settings.cache_clear()
    db_engine = create_db_engine(url)
    with make_session_factory(db_engine)() as db_session, db_session.begin():
        for n in range(4):
            audit.record(
                db_session=db_session,
                actor="user:7",
                action="borrower.viewed" if n % 2 else "case.updated",
                subject_type="case",
                subject_id=n,
                details={"n": n},
            )
    yield db_engine
    db_engine.dispose()
    get_settings.cache_clear()


def _tamper(engine: Engine, sql: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(text(sql))


def test_an_intact_log_exits_0_and_prints_its_head(engine: Engine) -> None:
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact: 4 entries checked" in result.output
    assert "head: seq 4 hash " in result.output


def test_an_edited_entry_exits_3_naming_it(engine: Engine) -> None:
    _tamper(engine, "UPDATE audit_log SET details = '{\"n\": 20}' WHERE seq = 2")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 3
    assert "edited: seq 2 id 2: borrower.viewed on case no longer matches its hash" in result.output.splitlines()


def test_a_deleted_entry_exits_3_in_json_too(engine: Engine) -> None:
    _tamper(engine, "DELETE FROM audit_log WHERE seq = 3")
    result = runner.invoke(app, ["audit", "verify", "--json"])
    assert result.exit_code == 3
    report = json.loads(result.output)
    assert report["ok"] is False
    assert [(p["kind"], p["seq"]) for p in report["problems"]] == [("missing", 4)]


def test_a_kept_head_catches_a_truncated_log(engine: Engine) -> None:
    kept = json.loads(runner.invoke(app, ["audit", "verify", "--json"]).output)
    anchor = ["--expect-head", kept["head_hash"], "--expect-count", str(kept["head_seq"])]
    assert runner.invoke(app, ["audit", "verify", *anchor]).exit_code == 0
    _tamper(engine, "DELETE FROM audit_log WHERE seq = 4")
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    result = runner.invoke(app, ["audit", "verify", *anchor])
    assert result.exit_code == 3
    assert "truncated: seq 3: the chain ends at seq 3 but reached seq 4 before" in result.output


def test_a_malformed_head_is_a_usage_error(engine: Engine) -> None:
    result = runner.invoke(app, ["audit", "verify", "--expect-head", "abc"])
    assert isinstance(result.exception, InvalidInput)
    assert "not a SHA-256 hash" in result.exception.one_line()


def test_the_log_lists_newest_first_with_filters(engine: Engine) -> None:
    result = runner.invoke(app, ["audit", "log", "--action", "borrower.viewed", "--json"])
    assert result.exit_code == 0
    assert [(e["seq"], e["subject_id"]) for e in json.loads(result.output)] == [(4, "3"), (2, "1")]
    limited = json.loads(runner.invoke(app, ["audit", "log", "--limit", "1", "--json"]).output)
    assert [e["seq"] for e in limited] == [4]
    table = runner.invoke(app, ["audit", "log", "--subject-type", "case", "--subject-id", "0"])
    assert table.exit_code == 0 and "case.updated" in table.output
