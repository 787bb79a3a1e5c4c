"""Database plumbing shared by every domain package: base class, types, engine, sessions."""

from arrears.db.base import Base, Money, UtcDateTime, utcnow
from arrears.db.session import create_db_engine, make_session_factory

__all__ = ["Base", "Money", "UtcDateTime", "create_db_engine", "make_session_factory", "utcnow"]
