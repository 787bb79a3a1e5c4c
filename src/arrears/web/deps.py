"""What every route can ask for: a database session per request (the caller: see :mod:`arrears.web.auth`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

bearer = HTTPBearer(auto_error=False, description="an API token from `arrears token issue`")


def get_db(request: Request) -> Iterator[Session]:
    """One session per request: committed when the route succeeds, rolled back when it raises."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as db_session:
        try:
            yield db_session
        except BaseException:
            db_session.rollback()
            raise
        db_session.commit()


DbSession = Annotated[Session, Depends(get_db)]
