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
from contextlib import closing
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
def postgres_database() -> Iterator[str]:
    """A fresh database on the configured server, dropped at the end of the session."""
    admin_url = make_url(POSTGRES_URL)
    name = f"arrears_test_{uuid.uuid4().hex[:10]}"
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
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a migrated database; one per back end for the whole session."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "arrears.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
    upgrade(url)
    return url


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
