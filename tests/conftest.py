"""Database fixtures: every test that asks for ``db_session`` runs on SQLite and, when
configured, on PostgreSQL, inside a transaction that is rolled back afterwards.

PostgreSQL runs when ARREARS_TEST_POSTGRES_URL is set (``make test`` sets it). With
CI=true it is mandatory: a missing or unreachable server fails the run instead of
skipping it silently.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from arrears.db.migrate import upgrade
from arrears.db.session import create_db_engine

POSTGRES_URL = os.environ.get("ARREARS_TEST_POSTGRES_URL", "").strip()
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not POSTGRES_URL:
        raise pytest.UsageError("CI=true but ARREARS_TEST_POSTGRES_URL is not set: the PostgreSQL run is mandatory")


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """The name of a database on the configured server migrated to head once, dropped at the end of the session.

    Migrating a PostgreSQL database takes seconds; ``CREATE DATABASE ... TEMPLATE`` copies this one in a
    fraction of that, so every database the tests need is a clone (``postgres_clone``). Nothing stays
    connected to it: PostgreSQL refuses to copy a database someone is using.
    """
    admin_url = make_url(POSTGRES_URL)
    name = f"arrears_template_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL at {admin_url.render_as_string(hide_password=True)} unreachable: {exc}")
    try:
        upgrade(admin_url.set(database=name).render_as_string(hide_password=False))
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def postgres_clone(template: str, prefix: str) -> Iterator[str]:
    """A database of its own copied from ``template`` (migrated, so at head), dropped on leaving; its URL."""
    admin_url = make_url(POSTGRES_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database(postgres_template: str) -> Iterator[str]:
    """A fresh, migrated database on the configured server, dropped at the end of the session."""
    with postgres_clone(postgres_template, "arrears_test") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session: migrating costs seconds, copying it milliseconds."""
    path = tmp_path_factory.mktemp("template") / "arrears.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def copy_sqlite(template: Path, path: Path) -> str:
    """Copy ``template`` to ``path`` with SQLite's backup API (safe in WAL mode); the copy's URL."""
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as target:
        source.backup(target)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session", params=backends())
def database_url(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The URL of a migrated database; one per back end for the whole session."""
    if request.param == "sqlite":
        return copy_sqlite(sqlite_template, tmp_path_factory.mktemp("db") / "arrears.sqlite3")
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture(params=backends())
def fresh_database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """A migrated database of the test's own, for tests that must commit (from several threads, say)."""
    if request.param == "sqlite":
        yield copy_sqlite(sqlite_template, tmp_path / "fresh.sqlite3")
        return
    with postgres_clone(request.getfixturevalue("postgres_template"), "arrears_fresh") as url:
        yield url


@pytest.fixture
def data_dir(sqlite_template: Path, tmp_path: Path) -> Path:
    """A data directory (``ARREARS_DATA_DIR``) of this test's own, holding a migrated embedded database."""
    copy_sqlite(sqlite_template, tmp_path / "arrears.sqlite3")
    return tmp_path


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    db_engine = create_db_engine(database_url)
    yield db_engine
    db_engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session whose every commit is a savepoint inside one transaction rolled back at the end."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture
def factories(db_session: Session) -> object:
    from tests.factories import Factories

    return Factories(db_session)
