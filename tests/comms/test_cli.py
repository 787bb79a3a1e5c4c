"""``arrears templates|letters|messages`` from a terminal: one-line errors, the day's letters handed to print."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from arrears.db.session import create_db_engine
from arrears.org.enums import Role
from arrears.strategy.enums import Treatment
from tests.arrears_cli import Completed, run_arrears
from tests.comms.conftest import make_world
from tests.factories import Factories

Run = Callable[..., Completed]


@pytest.fixture
def setup(data_dir: Path) -> dict[str, str]:
    """A migrated SQLite database with one lender, a debtor with a letter due, an operations user and a checker."""
    url = f"sqlite:///{data_dir}/arrears.sqlite3"
    engine = create_db_engine(url)
    with Session(engine, expire_on_commit=False) as db_session, db_session.begin():
        factories = Factories(db_session)
        world = make_world(db_session, factories, data_dir)
        world.action(db_session, Treatment.LETTER)
        checker = factories.user(world.tenant, role=Role.COMPLIANCE)
        found = {
            "tenant": world.tenant.code,
            "sender": world.sender.username,
            "checker": checker.username,
            "case": str(world.case.id),
        }
    engine.dispose()
    return found


@pytest.fixture
def run(data_dir: Path) -> Run:
    def invoke(*args: str) -> Completed:
        env = {"ARREARS_DATA_DIR": str(data_dir), "ARREARS_COMMS_PRINT_DIR": str(data_dir / "print")}
        return run_arrears(*args, env=env)

    return invoke


def test_the_days_letters_are_rendered_handed_to_print_and_reported(
    run: Run, setup: dict[str, str], tmp_path: Path
) -> None:
    seeded = run("templates", "seed")
    assert seeded.returncode == 0 and "0 template(s)" in seeded.stdout, seeded.stderr
    listed = run("templates", "list")
    assert "collection_letter/letter\tv1\tapproved\ten,zh-CN,zh-TW" in listed.stdout
    shown = run("templates", "show", "payment_reminder/sms", "--locale", "zh-TW")
    assert "[zh-TW]" in shown.stdout and "還款" in shown.stdout

    out = tmp_path / "letters"
    rendered = run(
        "letters",
        "render",
        "--tenant",
        setup["tenant"],
        "--as-of",
        "2026-03-13",
        "--out",
        str(out),
        "--by",
        setup["sender"],
    )
    assert rendered.returncode == 0, rendered.stderr
    assert "queued 1" in rendered.stdout and (out / "letters-2026-03-13" / "batch.pdf").is_file()

    sent = run(
        "messages", "send", "--tenant", setup["tenant"], "--as-of", "2026-03-13", "--by", setup["sender"],
        "--at", "2026-03-14T10:00:00+08:00",
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert "sent 1" in sent.stdout and "not configured (left queued): email, sms" in sent.stdout
    assert len(list((tmp_path / "print").glob("*.pdf"))) == 1

    status = run("messages", "status", "--tenant", setup["tenant"], "--json")
    data = json.loads(status.stdout)
    assert data["counts"] == [{"channel": "letter", "status": "sent", "count": 1}]
    assert data["messages"][0]["provider_id"].startswith("print:")


def test_mistakes_are_one_line_with_an_exit_code(run: Run, setup: dict[str, str], tmp_path: Path) -> None:
    bad_date = run(
        "letters",
        "render",
        "--tenant",
        setup["tenant"],
        "--as-of",
        "13/03/2026",
        "--out",
        str(tmp_path),
        "--by",
        setup["sender"],
    )
    assert bad_date.returncode == 2 and "--as-of: '13/03/2026' is not a date" in bad_date.stderr
    wrong_user = run(
        "letters",
        "render",
        "--tenant",
        setup["tenant"],
        "--as-of",
        "2026-03-13",
        "--out",
        str(tmp_path),
        "--by",
        "nobody",
    )
    assert wrong_user.returncode == 4 and "no user 'nobody'" in wrong_user.stderr
    shipped = run("templates", "approve", "1", "--by", setup["checker"])
    assert shipped.returncode in (2, 5) and "Traceback" not in shipped.stderr
    lawyer = run(
        "letters",
        "lawyer",
        "--case",
        setup["case"],
        "--as-of",
        "2026-03-13",
        "--out",
        str(tmp_path),
        "--by",
        setup["sender"],
    )
    assert lawyer.returncode == 2 and "only from an engaged law firm" in lawyer.stderr
    key = run("templates", "show", "collection_letter/sms")
    assert key.returncode == 2 and "cannot be sent by sms" in key.stderr


def test_an_opt_out_reply_from_the_terminal(run: Run, setup: dict[str, str]) -> None:
    replied = run("messages", "inbound", "--tenant", setup["tenant"], "--from", "13800138000", "--text", "退订")
    assert replied.returncode == 0 and f"case(s) {setup['case']}" in replied.stdout, replied.stderr
    chatter = run("messages", "inbound", "--tenant", setup["tenant"], "--from", "13800138000", "--text", "明天还")
    assert "not an opt-out" in chatter.stdout
