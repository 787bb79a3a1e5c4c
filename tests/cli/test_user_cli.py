"""People from the command line: add, sign-in passwords, unlock, demo logins; one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from arrears.org import passwords
from arrears.org.models import User
from tests.arrears_cli import Completed, run_arrears

Run = Callable[..., Completed]


@pytest.fixture
def run(data_dir: Path) -> Run:
    def invoke(*args: str, stdin: str | None = None) -> Completed:
        return run_arrears(*args, stdin=stdin, env={"ARREARS_DATA_DIR": str(data_dir), "COLUMNS": "200"})

    return invoke


def _user(tmp_path: Path, username: str) -> User:
    engine = create_engine(f"sqlite:///{tmp_path}/arrears.sqlite3")
    with Session(engine) as db_session:
        user = db_session.scalars(select(User).where(User.username == username)).one()
        db_session.expunge(user)
    engine.dispose()
    return user


def test_a_person_added_with_a_password_can_be_verified_and_changed(run: Run, tmp_path: Path) -> None:
    assert run("tenant", "create", "acme").returncode == 0
    added = run(
        "user", "add", "--tenant", "acme", "--username", "li.lei", "--name", "李雷",
        "--role", "collector", "--staff-number", "CS001", "--password-stdin",
        stdin="a long passphrase\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert passwords.verify(_user(tmp_path, "li.lei"), "a long passphrase")
    changed = run("user", "passwd", "li.lei", "--password-stdin", stdin="another passphrase\n")
    assert changed.returncode == 0 and "0 session(s) ended" in changed.stdout
    assert passwords.verify(_user(tmp_path, "li.lei"), "another passphrase")
    assert not passwords.verify(_user(tmp_path, "li.lei"), "a long passphrase")


def test_a_short_password_and_a_taken_username_get_one_line_each(run: Run) -> None:
    run("tenant", "create", "acme")
    base = ("user", "add", "--tenant", "acme", "--name", "韩梅梅", "--role", "team_lead", "--staff-number", "CS2")
    short = run(*base, "--username", "han", "--password-stdin", stdin="short\n")
    assert short.returncode != 0
    assert short.stderr.strip().count("\n") == 0 and "at least 10" in short.stderr
    assert run(*base, "--username", "han", "--password-stdin", stdin="long enough pass\n").returncode == 0
    taken = run(*base, "--username", "han", "--password-stdin", stdin="long enough pass\n")
    assert taken.returncode != 0 and "taken" in taken.stderr and "Traceback" not in taken.stderr


def test_demo_logins_print_one_working_password_per_role(run: Run, tmp_path: Path) -> None:
    assert run("demo", "--borrowers", "30", "--as-of", "2026-03-02").returncode == 0
    shown = run("user", "demo-logins", "--tenant", "demo")
    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if line.startswith("│")]
    roles = {row.split("│")[1].strip() for row in rows}
    assert {"collector", "team_lead", "approver", "compliance", "operations", "admin"} <= roles
    collector = next(row for row in rows if row.split("│")[1].strip() == "collector")
    username, password = (cell.strip() for cell in collector.split("│")[2:4])
    assert passwords.verify(_user(tmp_path, username), password)
